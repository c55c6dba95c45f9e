// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types of the untyped local DynamoDB
/// <reference path="../../../util-http/src/dynalite.d.ts" />
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import { DynamoLeaseStore, MemoryLeaseStore } from '@imagegen/bff/util-http';
import { ErrorCode, ProblemDetails, ProblemError } from '@imagegen/contracts';

import { StreamCaps } from './stream-caps';

const refusal = async (open: Promise<unknown>): Promise<ProblemDetails> => {
  const err = await open.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProblemError)) throw new Error('not refused');
  return err.problem;
};

describe(StreamCaps.name, () => {
  it('refuses a stream past the per-owner or per-address cap with RATE_LIMITED, and frees places on release (once)', async () => {
    const caps = new StreamCaps({ perOwner: 2, perIp: 3 });
    const a1 = await caps.open('alice', '1.1.1.1');
    await caps.open('alice', '1.1.1.1');
    expect(await refusal(caps.open('alice', '2.2.2.2'))).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      detail: expect.stringMatching(/at most 2 per person/),
    });
    await caps.open('bob', '1.1.1.1');
    expect((await refusal(caps.open('carol', '1.1.1.1'))).detail).toMatch(/at most 3 per address/);
    a1();
    a1(); // a second release changes nothing
    await new Promise((r) => setImmediate(r));
    expect(caps.openStreams()).toBe(2);
    await expect(caps.open('carol', '1.1.1.1')).resolves.toBeInstanceOf(Function);
    expect((await refusal(caps.open('dave', '1.1.1.1'))).code).toBe(ErrorCode.RATE_LIMITED);
  });

  it("gives a dead task's places back once their leases run out", async () => {
    let now = 1_000_000;
    const leases = new MemoryLeaseStore(() => now);
    const clock = () => now;
    const dead = new StreamCaps({ perOwner: 1, perIp: 5, leases, leaseMs: 60_000, now: clock });
    const alive = new StreamCaps({ perOwner: 1, perIp: 5, leases, leaseMs: 60_000, now: clock });
    await dead.open('alice', '1.1.1.1'); // never released: its task is killed
    expect((await refusal(alive.open('alice', '1.1.1.1'))).code).toBe(ErrorCode.RATE_LIMITED);
    now += 61_000;
    await expect(alive.open('alice', '1.1.1.1')).resolves.toBeInstanceOf(Function);
  });
});

describe('stream caps shared by every BFF task (DynamoDB leases)', () => {
  let server: Server;
  let client: DynamoDBClient;
  const TABLE = 'jobs';

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

  it('holds the caps across tasks: 12 streams opened at once on three tasks with a cap of 4 → exactly 4 open', async () => {
    const tasks = [1, 2, 3].map(
      () => new StreamCaps({ perOwner: 4, perIp: 100, leases: new DynamoLeaseStore(client, TABLE) }),
    );
    const opened = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => (tasks[i % 3] as StreamCaps).open('mallory', `10.0.0.${i}`)),
    );
    const ok = opened.filter((o): o is PromiseFulfilledResult<() => void> => o.status === 'fulfilled');
    expect(ok).toHaveLength(4);
    for (const o of opened)
      if (o.status === 'rejected')
        expect((o.reason as ProblemError).problem.code).toBe(ErrorCode.RATE_LIMITED);
    // A place freed on one task can be taken on another
    ok[0]?.value();
    await new Promise((r) => setTimeout(r, 50));
    await expect((tasks[2] as StreamCaps).open('mallory', '10.0.1.1')).resolves.toBeInstanceOf(Function);
    expect((await refusal((tasks[1] as StreamCaps).open('mallory', '10.0.1.2'))).code).toBe(
      ErrorCode.RATE_LIMITED,
    );
  });
});
