// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types of the untyped local DynamoDB
/// <reference path="../dynalite.d.ts" />
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import { GenerationRecord, StoredImage } from '@imagegen/generator/domain';

import { DynamoGenerationRepository, DynamoUsageRepository } from './dynamo-generation-repository';

// The expressions run against dynalite (DynamoDB's own validation and update semantics), not a mock.
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

const repo = () => new DynamoGenerationRepository(client, TABLE);
let n = 0;
function job(count = 2): GenerationRecord {
  const id = `job${String(++n).padStart(10, '0')}`;
  return {
    ownerId: 'owner-a',
    id,
    status: 'queued',
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:00.000Z',
    modelId: 'stability.stable-image-core-v1:1',
    request: {
      modelId: 'stability.stable-image-core-v1:1',
      prompt: 'p',
      aspectRatio: '1:1',
      count,
      outputFormat: 'png',
    },
    seeds: [1, 2],
    images: [],
    failures: [],
    tasks: {},
    finished: 0,
    estimatedCostUsd: 0.08,
  };
}
const image = (index: number): StoredImage => ({
  id: `img${index}`,
  index,
  key: `k${index}`,
  width: 8,
  height: 8,
  seed: index,
  bytes: 10,
  format: 'png',
});
const T = (s: number) => `2026-11-24T10:00:${String(s).padStart(2, '0')}.000Z`;

describe(DynamoGenerationRepository.name, () => {
  it('claims an image once: a second delivery is refused until the first is stale, then takes it over', async () => {
    const r = job();
    await repo().create(r);
    const started = await repo().startTask('owner-a', r.id, 0, 'tok-1', T(1), T(0));
    expect(started).toMatchObject({
      status: 'running',
      startedAt: T(1),
      tasks: { '0': { state: 'running', token: 'tok-1' } },
    });
    expect(await repo().startTask('owner-a', r.id, 0, 'tok-2', T(2), T(0))).toBeUndefined();
    // Another image of the same job is free
    expect(await repo().startTask('owner-a', r.id, 1, 'tok-3', T(2), T(0))).toMatchObject({
      startedAt: T(1),
    });
    // Once stale, a later delivery takes image 0 over; the first delivery can then record nothing
    expect(await repo().startTask('owner-a', r.id, 0, 'tok-4', T(9), T(5))).toMatchObject({
      tasks: { '0': { token: 'tok-4' } },
    });
    expect(
      await repo().finishTask('owner-a', r.id, 0, 'tok-1', { image: image(0), engine: 'offline' }, T(10)),
    ).toBeUndefined();
  });

  it('lets a retry of the same event (same token) claim its image again at once, never a finished one', async () => {
    const r = job();
    await repo().create(r);
    await repo().startTask('owner-a', r.id, 0, 'req-1#0', T(1), T(0));
    // GIVEN the first attempt could not free the image; a stranger is still refused
    expect(await repo().startTask('owner-a', r.id, 0, 'req-2#0', T(2), T(0))).toBeUndefined();
    // WHEN the retry of the same event claims it
    expect(await repo().startTask('owner-a', r.id, 0, 'req-1#0', T(2), T(0))).toMatchObject({
      tasks: { '0': { state: 'running', token: 'req-1#0', at: T(2) } },
    });
    // THEN it records the image, after which not even the same event runs it again
    expect(
      await repo().finishTask('owner-a', r.id, 0, 'req-1#0', { image: image(0), engine: 'offline' }, T(3)),
    ).toMatchObject({ finished: 1 });
    expect(await repo().startTask('owner-a', r.id, 0, 'req-1#0', T(4), T(0))).toBeUndefined();
  });

  it('records images and failures as they end, counts them, and never runs a finished image again', async () => {
    const r = job();
    await repo().create(r);
    await repo().startTask('owner-a', r.id, 1, 't1', T(1), T(0));
    await repo().startTask('owner-a', r.id, 0, 't0', T(1), T(0));
    const a = await repo().finishTask('owner-a', r.id, 1, 't1', { image: image(1), engine: 'bedrock' }, T(2));
    expect(a).toMatchObject({ finished: 1, engine: 'bedrock', images: [image(1)] });
    const failure = {
      index: 0,
      seed: 1,
      error: { type: 't', title: 'x', status: 422, code: 'CONTENT_FILTERED' as const },
    };
    const b = await repo().finishTask('owner-a', r.id, 0, 't0', { failure }, T(3));
    expect(b).toMatchObject({ finished: 2, failures: [failure], images: [image(1)] });
    expect(await repo().startTask('owner-a', r.id, 0, 't9', T(9), T(8))).toBeUndefined();
  });

  it('lets a failed delivery release its image so a retry runs it at once, and only its own', async () => {
    const r = job();
    await repo().create(r);
    await repo().startTask('owner-a', r.id, 0, 'mine', T(1), T(0));
    await repo().releaseTask('owner-a', r.id, 0, 'not-mine');
    expect(await repo().startTask('owner-a', r.id, 0, 'retry', T(2), T(0))).toBeUndefined();
    await repo().releaseTask('owner-a', r.id, 0, 'mine');
    expect(await repo().startTask('owner-a', r.id, 0, 'retry', T(2), T(0))).toBeDefined();
  });

  it('records an abandoned image (no token) unless it was made, even on a queued job', async () => {
    const r = job(1);
    await repo().create(r);
    const failure = {
      index: 0,
      seed: 1,
      error: { type: 't', title: 'x', status: 503, code: 'MODEL_UNAVAILABLE' as const },
    };
    expect(await repo().finishTask('owner-a', r.id, 0, undefined, { failure }, T(5))).toMatchObject({
      status: 'running',
      finished: 1,
    });
    expect(await repo().finishTask('owner-a', r.id, 0, undefined, { failure }, T(6))).toBeUndefined();
  });

  it('cancels only an active job, answers what it keeps, and then records no image', async () => {
    const r = job();
    await repo().create(r);
    await repo().startTask('owner-a', r.id, 0, 't0', T(1), T(0));
    await repo().finishTask('owner-a', r.id, 0, 't0', { image: image(0), engine: 'offline' }, T(2));
    await repo().startTask('owner-a', r.id, 1, 't1', T(2), T(0));
    expect(await repo().cancel('owner-a', r.id, T(3))).toMatchObject({
      status: 'cancelled',
      images: [image(0)],
    });
    expect(
      await repo().finishTask('owner-a', r.id, 1, 't1', { image: image(1), engine: 'offline' }, T(4)),
    ).toBeUndefined();
    expect(await repo().cancel('owner-a', r.id, T(5))).toBeUndefined();
    expect(
      await repo().settle('owner-a', r.id, {
        status: 'succeeded',
        updatedAt: T(6),
        images: [],
        durationMs: 1,
        costUsd: 0,
      }),
    ).toBe(false);
  });

  it('settles an active job once, writing every field', async () => {
    const r = job();
    await repo().create(r);
    const update = {
      status: 'succeeded' as const,
      updatedAt: T(6),
      images: [image(0)],
      failures: [],
      durationMs: 5,
      costUsd: 0.04,
      engine: 'offline' as const,
    };
    expect(await repo().settle('owner-a', r.id, update)).toBe(true);
    expect(await repo().get('owner-a', r.id)).toMatchObject(update);
    expect(await repo().settle('owner-a', r.id, { ...update, status: 'failed' })).toBe(false);
  });

  it('lists newest first from after the cursor, never showing keys, repeats or spending', async () => {
    const owner = 'owner-list';
    const ids = ['a0000000001', 'a0000000002', 'a0000000003'];
    for (const id of ids) await repo().create({ ...job(), ownerId: owner, id });
    await repo().claimIdempotencyKey({
      ownerId: owner,
      key: 'click-123456',
      generationId: ids[0],
      fingerprint: 'f',
      expiresAt: 1,
    });
    await repo().rememberRepeat(owner, 'fp', ids[0], 1);
    await new DynamoUsageRepository(client, TABLE).addSpend(owner, '2026-11', 0.04, 1);
    expect((await repo().list(owner, 10)).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await repo().list(owner, 10, ids[2])).map((r) => r.id)).toEqual([ids[1], ids[0]]);
  });

  it('remembers the job of a repeat per owner', async () => {
    await repo().rememberRepeat('owner-a', 'f'.repeat(64), 'job-x', 1);
    expect(await repo().findRepeat('owner-a', 'f'.repeat(64))).toBe('job-x');
    expect(await repo().findRepeat('owner-b', 'f'.repeat(64))).toBeUndefined();
  });
});

describe(DynamoUsageRepository.name, () => {
  it('adds up spending per owner and month without losing concurrent additions', async () => {
    const usage = new DynamoUsageRepository(client, TABLE);
    await Promise.all(Array.from({ length: 10 }, () => usage.addSpend('owner-s', '2026-11', 0.04, 1)));
    await usage.addSpend('owner-s', '2026-10', 1, 9);
    expect(await usage.spend('owner-s', '2026-11')).toEqual({ usd: 0.4, images: 10 });
    expect(await usage.spend('owner-t', '2026-11')).toEqual({ usd: 0, images: 0 });
  });

  it("counts spending without a reservation (a prompt suggestion) against the owner's day and month and the deployment's month", async () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    const usage = new DynamoUsageRepository(client, TABLE, () => now);
    await usage.addSpend('owner-u', '2026-11', 0.25, 0);
    const after = await usage.budgetUsage('owner-u', '2026-11-20', '2026-11');
    expect(after).toMatchObject({ ownerDayUsd: 0.25, ownerMonthUsd: 0.25 });
    expect(after.deploymentMonthUsd).toBeGreaterThanOrEqual(0.25);
    // another owner sees the deployment's month move, not their own budgets
    expect(await usage.budgetUsage('owner-v', '2026-11-20', '2026-11')).toMatchObject({
      ownerDayUsd: 0,
      ownerMonthUsd: 0,
      deploymentMonthUsd: after.deploymentMonthUsd,
    });
  });

  it('answers the most recent durations of a model, not older than asked', async () => {
    const usage = new DynamoUsageRepository(client, TABLE);
    await usage.recordDuration('m1', 100, '2026-11-01T00:00:00.000Z');
    await usage.recordDuration('m1', 200, '2026-11-20T00:00:00.000Z');
    await usage.recordDuration('m1', 300, '2026-11-21T00:00:00.000Z');
    await usage.recordDuration('m1', 300, '2026-11-21T00:00:00.000Z');
    await usage.recordDuration('m2', 999, '2026-11-21T00:00:00.000Z');
    expect(await usage.recentDurations('m1', 10, '2026-11-10T00:00:00.000Z')).toEqual([300, 300, 200]);
    expect(await usage.recentDurations('m1', 1, '2026-11-10T00:00:00.000Z')).toEqual([300]);
  });
});
