// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types of the untyped local DynamoDB
/// <reference path="../dynalite.d.ts" />
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { DynamoRateLimitStorage } from './dynamo-rate-limit-storage';
import { DynamoLeaseStore } from './stream-leases';

// The conditional update runs against dynalite (DynamoDB's own expression semantics), not a mock.
let server: Server;
let client: DynamoDBClient;
const TABLE = 'jobs';
const MINUTE = 60_000;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new DynamoDBClient({
    region: 'us-west-2',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [
        { AttributeName: 'ownerId', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'ownerId', AttributeType: 'S' },
        { AttributeName: 'id', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe(DynamoRateLimitStorage.name, () => {
  it('counts one window for every task, refuses past the limit without counting, and starts again in the next window', async () => {
    // GIVEN two BFF tasks on one table, 10 s into a minute
    let now = Date.parse('2026-12-02T10:00:10.000Z');
    const taskA = new DynamoRateLimitStorage(client, TABLE, () => now);
    const taskB = new DynamoRateLimitStorage(client, TABLE, () => now);
    // WHEN a client sends 3 requests through A and B with a limit of 3, then 2 more
    const hits = [];
    for (const task of [taskA, taskB, taskA, taskB, taskA])
      hits.push(await task.increment('jobs|1.2.3.4', MINUTE, 3));
    // THEN the 4th and 5th are refused with the 50 s left in the window, and were not counted
    expect(hits.map((h) => h.isBlocked)).toEqual([false, false, false, true, true]);
    expect(hits.map((h) => h.totalHits)).toEqual([1, 2, 3, 4, 4]);
    expect(hits[3]?.timeToBlockExpire).toBe(50);
    const item = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: {
          ownerId: { S: 'ratelimit|jobs|1.2.3.4' },
          id: { S: String(Date.parse('2026-12-02T10:00:00.000Z')) },
        },
      }),
    );
    expect(item.Item?.['hits']).toEqual({ N: '3' });
    // AND the item goes with the table's TTL a minute after its window
    expect(Number(item.Item?.['expiresAt']?.N)).toBe(Date.parse('2026-12-02T10:02:00.000Z') / 1000);
    // WHEN the next minute starts
    now = Date.parse('2026-12-02T10:01:00.000Z');
    // THEN the client is counted afresh, and another client never was
    expect(await taskB.increment('jobs|1.2.3.4', MINUTE, 3)).toMatchObject({
      isBlocked: false,
      totalHits: 1,
    });
    expect(await taskA.increment('jobs|5.6.7.8', MINUTE, 3)).toMatchObject({
      isBlocked: false,
      totalHits: 1,
    });
  });

  it('lets 20 concurrent requests through exactly up to the limit', async () => {
    const storage = new DynamoRateLimitStorage(client, TABLE);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => storage.increment('ip|concurrent', MINUTE, 7)),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(7);
  });

  it('refuses for a moment (503 SERVICE_UNAVAILABLE) when the counters cannot be reached', async () => {
    const down = new DynamoDBClient({
      region: 'us-west-2',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const err = await new DynamoRateLimitStorage(down, TABLE)
      .increment('ip|x', MINUTE, 3)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).problem).toMatchObject({ status: 503, code: ErrorCode.SERVICE_UNAVAILABLE });
    down.destroy();
  });
});

describe(DynamoLeaseStore.name, () => {
  it('never has more live leases of a scope than its cap, however many tasks race for them', async () => {
    // GIVEN three BFF tasks sharing the table, and 12 streams of one owner asking at once for 4 places
    const tasks = [1, 2, 3].map(() => new DynamoLeaseStore(client, TABLE));
    const until = Date.now() + 60_000;
    const taken = await Promise.all(
      Array.from({ length: 12 }, (_, i) => tasks[i % 3]?.take('owner|mallory', 4, `stream-${i}`, until)),
    );
    // THEN exactly 4 got a place, each a different one
    const places = taken.filter((slot): slot is number => slot !== undefined);
    expect(places.sort()).toEqual([0, 1, 2, 3]);
  });

  it('gives a place back on release, and frees one whose lease ran out (its task died)', async () => {
    let now = Date.parse('2026-12-02T10:00:00.000Z');
    const store = new DynamoLeaseStore(client, TABLE, () => now);
    const a = await store.take('ip|10.0.0.1', 2, 'a', now + 60_000);
    const b = await store.take('ip|10.0.0.1', 2, 'b', now + 60_000);
    expect(await store.take('ip|10.0.0.1', 2, 'c', now + 60_000)).toBeUndefined();
    // A holder renews only its own place; a release frees it for another
    expect(await store.renew('ip|10.0.0.1', a as number, 'b', now + 60_000)).toBe(false);
    await store.give('ip|10.0.0.1', a as number, 'a');
    expect(await store.take('ip|10.0.0.1', 2, 'c', now + 60_000)).toBe(a);
    // c's task lives and renews its lease 50 s on; b's task dies and renews nothing
    now += 50_000;
    expect(await store.renew('ip|10.0.0.1', a as number, 'c', now + 60_000)).toBe(true);
    // a minute after b's last lease, b's place (and only b's) is taken again
    now += 11_000;
    expect(await store.take('ip|10.0.0.1', 2, 'd', now + 60_000)).toBe(b);
    expect(await store.take('ip|10.0.0.1', 2, 'e', now + 60_000)).toBeUndefined();
  });
});
