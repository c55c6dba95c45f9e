import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { ErrorCode, Generation } from '@imagegen/contracts';
import { NO_FAULTS } from '@imagegen/local-cloud/feature-bedrock';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings } from './settings';
import { generatorApi } from './testing/generator-api';
import { inProcessStackEnv } from './testing/stack-env';
import { bucketKeys, invariantViolations, jobRecords, NO_VIOLATIONS } from './testing/stack-invariants';

// Faults injected through the stand-ins' settings, each through the real SDKs and the real generator,
// and after each one the same check: nothing lost, nothing left behind, no job left running.
const CORE = 'stability.stable-image-core-v1:1';
const SD35 = 'stability.sd3-5-large-v1:0';
const OWNER = 'anon-faults-1';
const CLEAR_S3 = { unavailable: false, failWritesNext: 0, failWritesRate: 0 };
const CLEAR_DYNAMO = { unavailable: false, failNext: 0, failRate: 0, latencyMs: 0, operations: [] };
/** The SDK's per-attempt timeout of InvokeModel in this stack (BEDROCK_TIMEOUT_MS), low so a hanging model is cut quickly. */
const BEDROCK_TIMEOUT_MS = 1_500;
/**
 * A running image untouched this long lost its worker (JOB_STALE_AFTER_SECONDS): long enough that no
 * scenario here ends through the read path by accident, short enough to end one that would.
 */
const STALE_SECONDS = 20;

let dir: string;
let cloud: LocalCloud;
const api = generatorApi(() => cloud.urls.apiGateway, OWNER);
const stores = () => ({ s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-faults-'));
  // Read by the generator when it is first built, in this process.
  process.env['BEDROCK_TIMEOUT_MS'] = String(BEDROCK_TIMEOUT_MS);
  process.env['JOB_STALE_AFTER_SECONDS'] = String(STALE_SECONDS);
  // The scenarios queue up to 12 images of one owner at once: the per-owner cap (ADR 0015) is not what they test.
  process.env['MAX_IMAGES_IN_FLIGHT_PER_OWNER'] = '100';
  const env = inProcessStackEnv(dir, {
    LOCAL_BEDROCK_LATENCY_MS: '0',
    LOCAL_RETENTION_SWEEP_SECONDS: '0',
    LOG_LEVEL: 'error',
  });
  const destination = new Writable({ write: (_c, _e, done) => done() });
  cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(env),
    log: createLogger({ service: 'local-cloud', destination }),
  });
});

afterAll(async () => {
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  cloud.bedrock.setFaults(NO_FAULTS);
  cloud.s3.setFaults(CLEAR_S3);
  cloud.dynamodb.setFaults(CLEAR_DYNAMO);
});

// After EVERY scenario: the faults are gone, the worker has nothing left, and the stores agree.
afterEach(async () => {
  cloud.bedrock.setFaults(NO_FAULTS);
  cloud.s3.setFaults(CLEAR_S3);
  cloud.dynamodb.setFaults(CLEAR_DYNAMO);
  await cloud.lambda.idle();
  expect(await invariantViolations(stores())).toEqual(NO_VIOLATIONS);
});

const invocations = () => cloud.bedrock.stats().invocations;

async function create(request: Record<string, unknown>): Promise<string> {
  const created = await api.call('POST', '/generations', request);
  expect(created.status).toBe(202);
  return created.body.id;
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const failureCodes = (job: Generation) => (job.failures ?? []).map((f) => f.error.code);

describe('Bedrock throttling', () => {
  it('at 50% of the calls, still makes every job, through the SDK backoff within its retry budget', async () => {
    // GIVEN half the model calls throttled (drawn from a seed, so the run is reproducible)
    cloud.bedrock.setFaults({ throttleRate: 0.5, faultSeed: 2024 });
    const before = invocations();
    // WHEN four jobs of three images are asked for
    const ids = [];
    for (const subject of ['a harbour', 'a meadow', 'a glacier', 'a bazaar'])
      ids.push(await create({ modelId: CORE, prompt: subject, count: 3, seed: 100 }));
    const jobs = await Promise.all(ids.map((id) => api.settled(id)));
    // THEN every job succeeded, the SDK having retried the throttled calls
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(invocations() - before).toBeGreaterThan(12);
    // AND an image that ran out of attempts (if any) says so, with when to try again
    for (const job of jobs) {
      expect(job.images.length + (job.failures?.length ?? 0)).toBe(3);
      for (const failure of job.failures ?? [])
        expect(failure.error).toMatchObject({
          code: ErrorCode.MODEL_THROTTLED,
          retryAfterSeconds: expect.any(Number),
        });
    }
  });

  it('beyond the retry budget, fails the images MODEL_THROTTLED with a Retry-After, having called the model three times each', async () => {
    cloud.bedrock.setFaults({ throttleRate: 1 });
    const before = invocations();
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a crowded sky', count: 2 }));
    expect(job).toMatchObject({
      status: 'failed',
      images: [],
      costUsd: 0,
      error: { code: ErrorCode.MODEL_THROTTLED, status: 429 },
    });
    expect(job.error?.retryAfterSeconds).toBeGreaterThan(0);
    expect(failureCodes(job)).toEqual([ErrorCode.MODEL_THROTTLED, ErrorCode.MODEL_THROTTLED]);
    expect(invocations() - before).toBe(6);
  });
});

describe('model timeouts', () => {
  it('fails the images MODEL_TIMEOUT when the model answers ModelTimeoutException', async () => {
    cloud.bedrock.setFaults({ timeoutRate: 1 });
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a slow sunrise', count: 2 }));
    expect(job).toMatchObject({ status: 'failed', images: [], error: { code: ErrorCode.MODEL_TIMEOUT } });
    expect(failureCodes(job)).toEqual([ErrorCode.MODEL_TIMEOUT, ErrorCode.MODEL_TIMEOUT]);
  });

  it('cuts a model that hangs past the per-attempt timeout, tries again, then fails MODEL_TIMEOUT', async () => {
    // GIVEN SD 3.5 Large hangs far longer than BEDROCK_TIMEOUT_MS; Core answers at once
    cloud.bedrock.setFaults({ latencyMs: { [SD35]: BEDROCK_TIMEOUT_MS * 4, default: 0 } });
    const before = invocations();
    const hung = await api.settled(await create({ modelId: SD35, prompt: 'a frozen clock' }));
    // THEN the job failed MODEL_TIMEOUT after the SDK's three attempts, without waiting for the model
    expect(hung).toMatchObject({ status: 'failed', images: [], error: { code: ErrorCode.MODEL_TIMEOUT } });
    expect(invocations() - before).toBe(3);
    // AND the other model still works meanwhile
    expect((await api.settled(await create({ modelId: CORE, prompt: 'a quick sketch' }))).status).toBe(
      'succeeded',
    );
  });
});

describe('Bedrock 5xx', () => {
  it('succeeds when the SDK retry gets past two InternalServerExceptions', async () => {
    cloud.bedrock.setFaults({ errorNext: 2 });
    const before = invocations();
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a second try' }));
    expect(job.status).toBe('succeeded');
    expect(invocations() - before).toBe(3);
  });

  it('fails MODEL_UNAVAILABLE when every attempt answers 500, and stores nothing', async () => {
    cloud.bedrock.setFaults({ errorRate: 1 });
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a broken model', count: 2 }));
    expect(job).toMatchObject({
      status: 'failed',
      images: [],
      costUsd: 0,
      error: { code: ErrorCode.MODEL_UNAVAILABLE, status: 503 },
    });
  });
});

describe('the content filter', () => {
  it('fails a filtered prompt CONTENT_FILTERED for every image, charges nothing and stores nothing', async () => {
    const job = await api.settled(
      await create({ modelId: CORE, prompt: 'a forbidden-content poster', count: 2 }),
    );
    expect(job).toMatchObject({
      status: 'failed',
      images: [],
      costUsd: 0,
      error: { code: ErrorCode.CONTENT_FILTERED, status: 422 },
    });
    expect(failureCodes(job)).toEqual([ErrorCode.CONTENT_FILTERED, ErrorCode.CONTENT_FILTERED]);
  });
});

describe('S3 unavailable during the write', () => {
  it('gets past two failed writes with the SDK retry', async () => {
    cloud.s3.setFaults({ failWritesNext: 2 });
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a shaky shelf' }));
    expect(job.status).toBe('succeeded');
    expect(job.images[0]?.thumbnailUrl).toBeDefined();
  });

  it('fails the images SERVICE_UNAVAILABLE when S3 refuses every write, and leaves no object', async () => {
    cloud.s3.setFaults({ failWritesRate: 1 });
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a full warehouse', count: 2 }));
    expect(job).toMatchObject({
      status: 'failed',
      images: [],
      costUsd: 0,
      error: { code: ErrorCode.SERVICE_UNAVAILABLE },
    });
    expect(job.error?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('fails the images SERVICE_UNAVAILABLE when S3 is down altogether', async () => {
    cloud.s3.setFaults({ unavailable: true });
    const job = await api.settled(await create({ modelId: CORE, prompt: 'a closed library' }));
    expect(job).toMatchObject({
      status: 'failed',
      images: [],
      error: { code: ErrorCode.SERVICE_UNAVAILABLE },
    });
  });
});

describe('DynamoDB unavailable', () => {
  it('at the API: answers a clean 503 problem with a Retry-After, and writes nothing', async () => {
    // GIVEN what the stores hold, and DynamoDB down
    const [jobsBefore, keysBefore, workerBefore] = [
      await jobRecords(stores()),
      await bucketKeys(stores()),
      cloud.lambda.stats().invocations,
    ];
    cloud.dynamodb.setFaults({ unavailable: true });
    // WHEN a job is asked for, and the list read
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a quiet day' }, OWNER, {
      'idempotency-key': 'dynamo-down-0001',
    });
    const listed = await api.call('GET', '/generations');
    // THEN both are refused with the stable code and a hint when to come back, and no internals
    for (const res of [created, listed]) {
      expect(res).toMatchObject({
        status: 503,
        type: 'application/problem+json',
        body: { code: ErrorCode.SERVICE_UNAVAILABLE, status: 503 },
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(JSON.stringify(res.body)).not.toMatch(/ServiceUnavailable|dynamo|at .*\.js:\d+/i);
    }
    // AND nothing was written, nothing handed to the worker
    cloud.dynamodb.setFaults({ unavailable: false });
    expect(await jobRecords(stores())).toEqual(jobsBefore);
    expect(await bucketKeys(stores())).toEqual(keysBefore);
    expect(cloud.lambda.stats().invocations).toBe(workerBefore);
    // AND the same request goes through once DynamoDB is back
    const retried = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a quiet day' }, OWNER, {
      'idempotency-key': 'dynamo-down-0001',
    });
    expect(retried.status).toBe(202);
    expect((await api.settled(retried.body.id)).status).toBe('succeeded');
  });

  it('in the worker: the image is retried by Lambda and made once DynamoDB is back', async () => {
    // GIVEN the job's record is written, but the worker cannot claim its image (every update refused)
    cloud.dynamodb.setFaults({ unavailable: true, operations: ['UpdateItem'] });
    const before = cloud.lambda.stats().invocations;
    const refusedBefore = cloud.dynamodb.stats().faultsInjected;
    const id = await create({ modelId: CORE, prompt: 'a patient robot' });
    // WHEN DynamoDB comes back after the first attempt failed: a claim refused, then the message back
    // on the queue for a retry (a message counts as retrying for a moment on every receive, too)
    await until(
      'a Lambda retry',
      () => cloud.dynamodb.stats().faultsInjected > refusedBefore && cloud.lambda.stats().retrying > 0,
    );
    cloud.dynamodb.setFaults({ unavailable: false });
    // THEN the retry made the image
    const job = await api.settled(id);
    expect(job).toMatchObject({ status: 'succeeded', images: [{ index: 0 }] });
    expect(cloud.lambda.stats().invocations - before).toBeGreaterThanOrEqual(2);
  });

  it('in the worker, down beyond every Lambda retry: the on-failure destination ends the job once DynamoDB is back', async () => {
    // GIVEN the worker can never claim the image while DynamoDB refuses updates
    cloud.dynamodb.setFaults({ unavailable: true, operations: ['UpdateItem'] });
    const failuresBefore = cloud.lambda.stats().failures;
    const id = await create({ modelId: CORE, prompt: 'a very patient robot' });
    // WHEN every attempt has failed, and the on-failure destination has failed once too
    await until(
      'the event handed to the on-failure destination',
      () => cloud.lambda.stats().failures > failuresBefore,
    );
    const refused = cloud.dynamodb.stats().faultsInjected;
    await until(
      'the destination refused by DynamoDB',
      () => cloud.dynamodb.stats().faultsInjected >= refused + 3,
    );
    cloud.dynamodb.setFaults({ unavailable: false });
    // THEN the destination, tried again, settles the job failed: never left queued
    await cloud.lambda.idle();
    const [record] = (await jobRecords(stores())).filter((j) => j.id === id);
    expect(record?.status).toBe('failed');
    const job = await api.settled(id);
    expect(job).toMatchObject({ status: 'failed', images: [], error: { code: ErrorCode.MODEL_UNAVAILABLE } });
  });

  it('in the worker, down between the model call and the record: the retry makes the image again', async () => {
    // GIVEN an image being made (the model takes a moment)
    cloud.bedrock.setFaults({ latencyMs: 1_500 });
    const id = await create({ modelId: CORE, prompt: 'an interrupted painter' });
    await until(
      'the image claimed',
      async () => (await api.call('GET', `/generations/${id}`)).body.status === 'running',
    );
    // WHEN DynamoDB refuses updates until the first Lambda retry has failed too
    cloud.dynamodb.setFaults({ unavailable: true, operations: ['UpdateItem'] });
    const before = cloud.lambda.stats().invocations;
    await until(
      'the first retry',
      () => cloud.lambda.stats().invocations >= before + 1 && cloud.lambda.stats().retrying > 0,
      30_000,
    );
    cloud.bedrock.setFaults({ latencyMs: 0 });
    cloud.dynamodb.setFaults({ unavailable: false });
    // THEN the last retry takes the image back and makes it (without that, the job would wait to go stale, then fail)
    const job = await api.settled(id, OWNER, (STALE_SECONDS + 10) * 1000);
    expect(job).toMatchObject({ status: 'succeeded', images: [{ index: 0 }] });
  });
});
