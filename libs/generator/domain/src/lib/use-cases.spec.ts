import { ErrorCode, ProblemError } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';

import { FakeDeps, fakeDeps, fakePng, runAll, throttled } from '../testing';
import {
  cancelGeneration,
  createGeneration,
  deleteGeneration,
  getGeneration,
  listGenerations,
} from './use-cases';
import { runGeneration, settleAbandonedGeneration } from './worker';

const OWNER = 'anon-owner-1';
const CORE = 'stability.stable-image-core-v1:1';

async function queued(deps: FakeDeps, body: Record<string, unknown> = {}) {
  return createGeneration(deps, OWNER, { modelId: CORE, prompt: 'a lighthouse', ...body }, 'req-1');
}

describe(createGeneration.name, () => {
  it('records a queued job, hands each image to the worker and answers it at once', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    expect(job).toMatchObject({ status: 'queued', modelId: CORE, images: [], estimatedCostUsd: 0.08 });
    expect(job.request).toMatchObject({ count: 2, aspectRatio: '1:1', outputFormat: 'png' });
    expect(job.costUsd).toBeUndefined();
    expect(sut.invoked).toEqual([
      { ownerId: OWNER, generationId: job.id, requestId: 'req-1', index: 0 },
      { ownerId: OWNER, generationId: job.id, requestId: 'req-1', index: 1 },
    ]);
    expect((await sut.repository.get(OWNER, job.id))?.status).toBe('queued');
  });

  it('rejects bad input with VALIDATION_FAILED and writes nothing', async () => {
    const sut = fakeDeps();
    const p = await problemOf(createGeneration(sut, OWNER, { modelId: CORE, prompt: ' ', seed: -1 }, 'r'));
    expect(p.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(p.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['prompt', 'seed']));
    expect(sut.repository.records.size).toBe(0);
    expect(sut.invoked).toEqual([]);
  });

  it('refuses a model this account has no access to, saying how to enable it, and writes nothing', async () => {
    const sut = fakeDeps();
    sut.access.answers.set(CORE, {
      availability: 'no-access',
      reason: 'Amazon Bedrock says this AWS account is not authorized to use Stable Image Core.',
    });
    const p = await problemOf(queued(sut));
    expect(p).toMatchObject({ status: 403, code: ErrorCode.MODEL_ACCESS_DENIED });
    expect(p.detail).toContain('not authorized');
    expect(sut.repository.records.size).toBe(0);
    expect(sut.invoked).toEqual([]);
  });

  it('settles the job failed when the worker cannot be invoked, rather than leaving it queued', async () => {
    const sut = fakeDeps();
    sut.failInvoke = true;
    const p = await problemOf(queued(sut));
    expect(p.code).toBe(ErrorCode.MODEL_UNAVAILABLE);
    const [record] = sut.repository.records.values();
    expect(record.status).toBe('failed');
  });
});

describe(runGeneration.name, () => {
  it('stores each image and its thumbnail under the owner and job, and records them with their size and seed', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2, seed: 100 });

    await runAll(sut);

    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'succeeded', engine: 'offline', costUsd: 0.08 });
    expect(got.images.map((i) => [i.index, i.width, i.height, i.seed, i.format])).toEqual([
      [0, 1536, 1536, 100, 'png'],
      [1, 1536, 1536, 101, 'png'],
    ]);
    const keys = [...sut.store.objects.keys()];
    expect(keys).toHaveLength(4);
    expect(keys.filter((k) => k.endsWith('.thumb.webp'))).toHaveLength(2);
    expect(keys.every((k) => k.startsWith(`owners/${OWNER}/generations/${job.id}/`))).toBe(true);
    expect(keys.some((k) => k.includes('lighthouse'))).toBe(false);
    expect(got.images[0].url).toContain('X-Amz-Signature=');
    expect(got.images[0].thumbnailUrl).toContain('.thumb.webp');
    expect(got.durationMs).toBeGreaterThan(0);
    expect(sut.usage.durations.map((d) => d.modelId)).toEqual([CORE, CORE]);
  });

  it('picks a different seed per image when none was given, keeps it for a retry, and records it', async () => {
    const sut = fakeDeps();
    let n = 0;
    sut.random.integer = (min: number) => min + 1000 * ++n;
    const job = await queued(sut, { count: 3 });
    await runAll(sut);
    const seeds = sut.model.calls.map((c) => c.seed);
    expect(new Set(seeds).size).toBe(3);
    expect((await getGeneration(sut, OWNER, job.id)).images.map((i) => i.seed)).toEqual(seeds);
  });

  it('keeps the images it made when one is blocked, and counts only those in the cost', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 4 });
    sut.model.script = [
      { bytes: fakePng(8, 8), seed: 1, engine: 'bedrock' },
      ProblemError.of(ErrorCode.CONTENT_FILTERED, 'Blocked by the content filter (output image)'),
      { bytes: fakePng(8, 8), seed: 3, engine: 'bedrock' },
      { bytes: fakePng(8, 8), seed: 4, engine: 'bedrock' },
    ];
    await runAll(sut);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.status).toBe('succeeded');
    expect(got.images.map((i) => i.index)).toEqual([0, 2, 3]);
    expect(got.failures).toEqual([
      {
        index: 1,
        seed: expect.any(Number),
        error: expect.objectContaining({ code: ErrorCode.CONTENT_FILTERED }),
      },
    ]);
    expect(got.costUsd).toBe(0.12);
    expect(got.estimatedCostUsd).toBe(0.16);
    expect(got.error).toBeUndefined();
    expect(sut.usage.spending.get(`${OWNER}/2026-11`)).toEqual({ usd: 0.12, images: 3 });
  });

  it('ends the job when its last image ends, whatever order the images finish in', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 3 });
    const [a, b, c] = sut.invoked;
    expect(await runGeneration(sut, c)).toEqual({ image: 'made' });
    expect(await runGeneration(sut, a)).toEqual({ image: 'made' });
    expect((await getGeneration(sut, OWNER, job.id)).status).toBe('running');
    expect(await runGeneration(sut, b)).toEqual({ image: 'made', job: 'succeeded' });
    expect((await getGeneration(sut, OWNER, job.id)).images.map((i) => i.index)).toEqual([0, 1, 2]);
  });

  it.each([
    [
      'content filter',
      ProblemError.of(ErrorCode.CONTENT_FILTERED, 'Filter reason: prompt'),
      ErrorCode.CONTENT_FILTERED,
    ],
    ['throttling past the retries', throttled(), ErrorCode.MODEL_THROTTLED],
    ['an unexpected crash', new Error('socket hang up'), ErrorCode.INTERNAL],
  ])('records %s on every image as a failed job with no cost and no object', async (_name, error, code) => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    sut.model.script = [error, error];
    await runAll(sut);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'failed', images: [], costUsd: 0, error: { code } });
    expect(got.failures).toHaveLength(2);
    expect(sut.store.objects.size).toBe(0);
  });

  it('never exposes internals of an unexpected error', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    sut.model.script = [new Error('arn:aws:iam::123456789012:role/secret at Object.<anonymous>')];
    await runAll(sut);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(JSON.stringify(got)).not.toMatch(/arn:|anonymous/);
  });

  it('takes stored objects back when the record cannot be written, frees the image and throws so Lambda retries', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    sut.repository.failFinish = true;
    await expect(runGeneration(sut, sut.invoked[0])).rejects.toThrow('DynamoDB is down');
    expect(sut.store.objects.size).toBe(0);
    // THEN Lambda's retry makes the image
    sut.repository.failFinish = false;
    expect(await runGeneration(sut, sut.invoked[0])).toEqual({ image: 'made', job: 'succeeded' });
    expect((await getGeneration(sut, OWNER, job.id)).images).toHaveLength(1);
  });

  it('lets a retry of the same event take back an image its failed attempt could not free, and make it', async () => {
    // GIVEN DynamoDB goes down after the image was claimed: it can be neither recorded nor freed
    const sut = fakeDeps();
    const job = await queued(sut);
    const [event] = sut.invoked;
    sut.repository.failFinish = true;
    sut.repository.failRelease = true;
    await expect(runGeneration(sut, event, 'aws-request-1')).rejects.toThrow('DynamoDB is down');
    sut.repository.failFinish = false;
    sut.repository.failRelease = false;
    // WHEN another delivery comes first, then Lambda's retry of that event (same request id), before the image is stale
    expect(await runGeneration(sut, event, 'aws-request-2')).toEqual({ image: 'skipped' });
    expect(await runGeneration(sut, event, 'aws-request-1')).toEqual({ image: 'made', job: 'succeeded' });
    // THEN the image was made by the retry, and only its objects are kept
    expect((await getGeneration(sut, OWNER, job.id)).images).toHaveLength(1);
    expect(sut.store.objects.size).toBe(2);
  });

  it('removes what a dead attempt stored once the job ends, so no object is left without a record', async () => {
    // GIVEN an attempt stored an image, then died before recording it
    const sut = fakeDeps();
    const job = await queued(sut);
    const [event] = sut.invoked;
    await sut.repository.startTask(OWNER, job.id, 0, 'aws-request-1#0', job.createdAt, '');
    await sut.store.put(
      `owners/${OWNER}/generations/${job.id}/made-by-the-dead.png`,
      fakePng(1, 1),
      'image/png',
    );
    // WHEN Lambda retries the event
    expect(await runGeneration(sut, event, 'aws-request-1')).toEqual({ image: 'made', job: 'succeeded' });
    // THEN the job keeps its image and thumbnail, and nothing else
    const got = await getGeneration(sut, OWNER, job.id);
    expect([...sut.store.objects.keys()].sort()).toEqual(
      [got.images[0].url, got.images[0].thumbnailUrl].map((u) => new URL(u ?? '').pathname.slice(1)).sort(),
    );
  });

  it('ends the job before it records the image time for ETAs (a statistic never holds a job open)', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    const statusAtRecord: string[] = [];
    const record = sut.usage.recordDuration.bind(sut.usage);
    sut.usage.recordDuration = async (...args) => (
      statusAtRecord.push((await sut.repository.get(OWNER, job.id))?.status ?? ''),
      record(...args)
    );
    await runAll(sut);
    expect(statusAtRecord).toEqual(['succeeded']);
  });

  it('ends a job whose last image was recorded by a delivery that stopped before ending it, on the next delivery', async () => {
    // GIVEN the image was recorded, then its delivery died before settling the job
    const sut = fakeDeps();
    const job = await queued(sut);
    const [event] = sut.invoked;
    await sut.repository.startTask(OWNER, job.id, 0, 'aws-request-1#0', job.createdAt, '');
    await sut.repository.finishTask(
      OWNER,
      job.id,
      0,
      'aws-request-1#0',
      {
        image: { id: 'i0', index: 0, key: 'k0', width: 1, height: 1, seed: 1, bytes: 1, format: 'png' },
        engine: 'offline',
      },
      job.createdAt,
    );
    // WHEN Lambda's retry comes
    expect(await runGeneration(sut, event, 'aws-request-1')).toEqual({ image: 'skipped', job: 'succeeded' });
    // THEN the job has ended, and no image was made twice
    expect((await sut.repository.get(OWNER, job.id))?.status).toBe('succeeded');
    expect(sut.model.calls).toHaveLength(0);
  });

  it('records an image whose store write failed as failed, leaving no object behind', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    sut.store.failPutAfter = 0;
    await runAll(sut);
    expect((await sut.repository.get(OWNER, job.id))?.status).toBe('failed');
    expect(sut.store.objects.size).toBe(0);
  });

  it('keeps an image whose thumbnail could not be made (the gallery draws the image itself)', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    sut.thumbnails.fail = true;
    await runAll(sut);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.status).toBe('succeeded');
    expect(got.images[0].thumbnailUrl).toBeUndefined();
    expect(sut.warnings).toContain('could not make a thumbnail');
  });

  it('lets a retry take over an image whose worker died, and not one that is still being made', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    // GIVEN a delivery claimed the image, then died without a word
    await sut.repository.startTask(OWNER, job.id, 0, 'dead-worker', job.createdAt, '');
    // WHEN Lambda retries soon after: the other delivery may still be on it
    expect(await runGeneration(sut, sut.invoked[0])).toEqual({ image: 'skipped' });
    // WHEN it retries after the stale limit
    sut.advance(600_000);
    expect(await runGeneration(sut, sut.invoked[0])).toEqual({ image: 'made', job: 'succeeded' });
  });

  it('settles a job that lost its worker when read: the images made are kept, the rest listed failed, strays removed', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    await runGeneration(sut, sut.invoked[0]);
    await sut.repository.startTask(OWNER, job.id, 1, 'dead-worker', job.createdAt, '');
    await sut.store.put(`owners/${OWNER}/generations/${job.id}/stray.png`, fakePng(1, 1), 'image/png');
    sut.advance(301_000);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'succeeded', costUsd: 0.04 });
    expect(got.images.map((i) => i.index)).toEqual([0]);
    expect(got.failures).toEqual([
      expect.objectContaining({
        index: 1,
        error: expect.objectContaining({ code: ErrorCode.MODEL_TIMEOUT }),
      }),
    ]);
    expect([...sut.store.objects.keys()].some((k) => k.endsWith('stray.png'))).toBe(false);
    expect(sut.store.objects.size).toBe(2);
  });

  it('settles a job with no image that lost its worker as failed, and leaves a fresh queued job alone', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await sut.repository.startTask(OWNER, job.id, 0, 'dead-worker', job.createdAt, '');
    const fresh = await queued(sut);
    sut.advance(301_000);
    expect(await getGeneration(sut, OWNER, job.id)).toMatchObject({
      status: 'failed',
      error: { code: ErrorCode.MODEL_TIMEOUT },
    });
    expect((await getGeneration(sut, OWNER, fresh.id)).status).toBe('queued');
  });

  it('does nothing for a second delivery of an image already made', async () => {
    const sut = fakeDeps();
    await queued(sut);
    const [event] = sut.invoked;
    await runGeneration(sut, event);
    expect(await runGeneration(sut, event)).toEqual({ image: 'skipped' });
    expect(sut.model.calls).toHaveLength(1);
  });

  it('makes every image in turn for an event without an index (sent before per-image tasks)', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    expect(await runGeneration(sut, { ownerId: OWNER, generationId: job.id, requestId: 'old' })).toEqual({
      image: 'made',
      job: 'succeeded',
    });
    expect(sut.model.calls).toHaveLength(2);
  });
});

describe(getGeneration.name, () => {
  it("answers NOT_FOUND for another owner's job, exactly as for a missing one", async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    const other = await problemOf(getGeneration(sut, 'someone-else', job.id));
    const missing = await problemOf(getGeneration(sut, OWNER, 'zzzzzzzzzzzzzzzzzzzzz'));
    expect(other).toMatchObject({ status: 404, code: ErrorCode.NOT_FOUND });
    expect(missing).toEqual(expect.objectContaining({ status: 404, code: ErrorCode.NOT_FOUND }));
  });

  it.each(['../../etc/passwd', '..%2F..%2Fx', 'a'.repeat(300), 'ID0000000001', ''])(
    'answers NOT_FOUND for the id %p without reading anything',
    async (id) => {
      const sut = fakeDeps();
      const get = jest.spyOn(sut.repository, 'get');
      expect((await problemOf(getGeneration(sut, OWNER, id))).status).toBe(404);
      expect(get).not.toHaveBeenCalled();
    },
  );

  it('mints links that expire after the configured time', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await runAll(sut);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.images[0].url).toContain('X-Amz-Expires=900');
    expect(Date.parse(got.images[0].urlExpiresAt)).toBeGreaterThan(Date.parse(got.updatedAt));
  });
});

describe(listGenerations.name, () => {
  it('pages newest first with a cursor, and only the owner’s jobs', async () => {
    const sut = fakeDeps();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await queued(sut)).id);
    await createGeneration(sut, 'other', { modelId: CORE, prompt: 'x' }, 'r');

    const first = await listGenerations(sut, OWNER, { limit: '2' });
    expect(first.items.map((g) => g.id)).toEqual([ids[2], ids[1]]);
    const second = await listGenerations(sut, OWNER, { limit: '2', cursor: first.nextCursor });
    expect(second.items.map((g) => g.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeUndefined();
  });

  it.each([
    ['cursor', { cursor: 'garbage' }],
    ['cursor', { cursor: 'g1.../../x' }],
    ['limit', { limit: '0' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: 'ten' }],
    ['limit', { limit: '-5' }],
  ])('rejects a bad %s with VALIDATION_FAILED', async (field, query) => {
    const p = await problemOf(listGenerations(fakeDeps(), OWNER, query));
    expect(p.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(p.errors?.[0].field).toBe(field);
  });
});

describe(settleAbandonedGeneration.name, () => {
  it('ends a job whose last image was recorded by a delivery cut before ending it (a shutdown), keeping the image', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await sut.repository.startTask(OWNER, job.id, 0, 'cut', job.createdAt, '');
    await sut.repository.finishTask(
      OWNER,
      job.id,
      0,
      'cut',
      {
        image: { id: 'i0', index: 0, key: 'k0', width: 1, height: 1, seed: 1, bytes: 1, format: 'png' },
        engine: 'offline',
      },
      job.createdAt,
    );
    expect(await settleAbandonedGeneration(sut, sut.invoked[0])).toBe(true);
    expect(await sut.repository.get(OWNER, job.id)).toMatchObject({
      status: 'succeeded',
      images: [{ index: 0 }],
    });
  });

  it('records an image the worker gave up on as failed, ends the job, and leaves a finished job alone', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    expect(await settleAbandonedGeneration(sut, sut.invoked[0])).toBe(true);
    expect(await sut.repository.get(OWNER, job.id)).toMatchObject({
      status: 'failed',
      error: { code: ErrorCode.MODEL_UNAVAILABLE },
    });
    expect(await settleAbandonedGeneration(sut, sut.invoked[0])).toBe(false);
  });

  it('keeps the images of a job when one of them was given up on', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    await runGeneration(sut, sut.invoked[0]);
    await settleAbandonedGeneration(sut, sut.invoked[1]);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.status).toBe('succeeded');
    expect(got.images).toHaveLength(1);
    expect(got.failures?.[0].index).toBe(1);
  });
});

describe('idempotent create', () => {
  const body = { modelId: CORE, prompt: 'a kite' };

  it('answers the first job for a retry with the same key and body, and hands it to the worker once', async () => {
    const sut = fakeDeps();
    const first = await createGeneration(sut, OWNER, body, 'r1', 'click-0001');
    const retry = await createGeneration(sut, OWNER, { prompt: 'a kite', modelId: CORE }, 'r2', 'click-0001');
    expect(retry.id).toBe(first.id);
    expect(sut.invoked).toHaveLength(1);
    expect(sut.repository.records.size).toBe(1);
  });

  it('refuses the same key with a different body with CONFLICT, writing nothing', async () => {
    const sut = fakeDeps();
    await createGeneration(sut, OWNER, body, 'r1', 'click-0002');
    const p = await problemOf(createGeneration(sut, OWNER, { ...body, prompt: 'a dog' }, 'r2', 'click-0002'));
    expect(p).toMatchObject({ status: 409, code: ErrorCode.CONFLICT });
    expect(sut.repository.records.size).toBe(1);
  });

  it.each(['x y', 'short', 'k'.repeat(129), 'k'.repeat(300), 'ключ-ключ-ключ'])(
    "keeps owners' keys apart, and refuses the malformed key %p",
    async (bad) => {
      const sut = fakeDeps();
      const a = await createGeneration(sut, OWNER, body, 'r1', 'click-0003');
      const b = await createGeneration(sut, 'anon-other', body, 'r2', 'click-0003');
      expect(a.id).not.toBe(b.id);
      expect((await problemOf(createGeneration(sut, OWNER, body, 'r3', bad))).code).toBe(
        ErrorCode.VALIDATION_FAILED,
      );
      expect(sut.repository.records.size).toBe(2);
    },
  );
});

describe('repeats from the store', () => {
  const body = { modelId: CORE, prompt: 'a red kite', seed: 777, count: 2 };

  async function made(sut: FakeDeps, request: Record<string, unknown> = body) {
    const job = await createGeneration(sut, OWNER, request, 'r');
    await runAll(sut);
    return getGeneration(sut, OWNER, job.id);
  }

  it('answers a repeat with the same seed and parameters from the stored images: no model call, cost 0', async () => {
    const sut = fakeDeps();
    const first = await made(sut);
    const calls = sut.model.calls.length;

    const repeat = await createGeneration(sut, OWNER, { ...body }, 'r2');

    expect(repeat).toMatchObject({
      status: 'succeeded',
      source: 'store',
      repeatOf: first.id,
      costUsd: 0,
      estimatedCostUsd: 0,
    });
    expect(repeat.id).not.toBe(first.id);
    expect(repeat.images.map((i) => [i.index, i.seed, i.width])).toEqual(
      first.images.map((i) => [i.index, i.seed, i.width]),
    );
    expect(
      repeat.images.every(
        (i) =>
          i.url.includes(`/generations/${repeat.id}/`) &&
          i.thumbnailUrl?.includes(`/generations/${repeat.id}/`),
      ),
    ).toBe(true);
    expect(sut.model.calls).toHaveLength(calls);
    expect(sut.invoked).toEqual([]);
    // Its own copies: deleting the original leaves the repeat whole, and the repeat answers the next one
    await deleteGeneration(sut, OWNER, first.id);
    expect((await getGeneration(sut, OWNER, repeat.id)).images).toHaveLength(2);
    expect((await createGeneration(sut, OWNER, { ...body }, 'r3')).repeatOf).toBe(repeat.id);
  });

  it('remembers a repeat before the job shows as succeeded, so a repeat asked at once is answered from the store', async () => {
    // GIVEN a look at the remembered repeats at the moment the job is settled
    const sut = fakeDeps();
    const settle = sut.repository.settle.bind(sut.repository);
    const rememberedAtSettle: number[] = [];
    sut.repository.settle = async (...args) => (
      rememberedAtSettle.push(sut.repository.repeats.size),
      settle(...args)
    );
    // WHEN a job with an explicit seed succeeds
    await made(sut);
    // THEN its repeat was already known when it became succeeded
    expect(rememberedAtSettle).toEqual([1]);
  });

  it.each([
    ['another seed', { seed: 778 }],
    ['another prompt', { prompt: 'a red kite!' }],
    ['a negative prompt', { negativePrompt: 'blur' }],
    ['another aspect ratio', { aspectRatio: '16:9' }],
    ['another count', { count: 1 }],
    ['another format', { outputFormat: 'jpeg' }],
    ['another model', { modelId: 'stability.sd3-5-large-v1:0' }],
  ])('calls the model for %s', async (_name, change) => {
    const sut = fakeDeps();
    await made(sut);
    const job = await createGeneration(sut, OWNER, { ...body, ...change }, 'r2');
    expect(job.source).toBeUndefined();
    expect(job.status).toBe('queued');
  });

  it('never repeats without an explicit seed, for another owner, or from a job that lost an image', async () => {
    const sut = fakeDeps();
    await made(sut, { modelId: CORE, prompt: 'no seed' });
    expect((await createGeneration(sut, OWNER, { modelId: CORE, prompt: 'no seed' }, 'r')).status).toBe(
      'queued',
    );
    sut.invoked.length = 0;
    await made(sut);
    expect((await createGeneration(sut, 'anon-other', body, 'r')).status).toBe('queued');
    sut.invoked.length = 0;
    const partialBody = { ...body, seed: 9 };
    sut.model.script = [{ bytes: fakePng(8, 8), seed: 9, engine: 'offline' }, throttled()];
    await made(sut, partialBody);
    expect((await createGeneration(sut, OWNER, partialBody, 'r')).status).toBe('queued');
  });

  it('calls the model as usual when the stored images cannot be copied, leaving no copy behind', async () => {
    const sut = fakeDeps();
    await made(sut);
    const objects = sut.store.objects.size;
    sut.store.failCopy = true;
    const job = await createGeneration(sut, OWNER, body, 'r2');
    expect(job.status).toBe('queued');
    expect(sut.store.objects.size).toBe(objects);
  });
});

describe(cancelGeneration.name, () => {
  it('cancels a queued job so the worker makes and stores nothing', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    expect(await cancelGeneration(sut, OWNER, job.id)).toMatchObject({ status: 'cancelled', costUsd: 0 });
    await runAll(sut);
    expect(sut.model.calls).toEqual([]);
    expect(sut.store.objects.size).toBe(0);
  });

  it('stores nothing more once cancelled: the image being made is taken back, the ones made are kept', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 3 });
    const [first, second, third] = sut.invoked;
    await runGeneration(sut, first);
    sut.model.during = async () => void (await cancelGeneration(sut, OWNER, job.id)); // cancelled while image 2 is made
    expect(await runGeneration(sut, second)).toEqual({ image: 'cancelled' });
    sut.model.during = undefined;
    expect(await runGeneration(sut, third)).toEqual({ image: 'skipped' });
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'cancelled', costUsd: 0.04 });
    expect(got.images.map((i) => i.index)).toEqual([0]);
    expect(sut.store.objects.size).toBe(2); // image 1 and its thumbnail
    expect(sut.model.calls).toHaveLength(2);
  });

  it('refuses to cancel a finished job with CONFLICT, and another owner gets 404', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await runAll(sut);
    expect((await problemOf(cancelGeneration(sut, OWNER, job.id))).code).toBe(ErrorCode.CONFLICT);
    expect((await problemOf(cancelGeneration(sut, 'anon-other', job.id))).status).toBe(404);
  });
});

describe(deleteGeneration.name, () => {
  it('deletes the record and every object under the job, and another owner cannot', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    await runAll(sut);
    await sut.store.put(
      `owners/${OWNER}/generations/${job.id}/left-by-a-dead-worker.png`,
      fakePng(1, 1),
      'image/png',
    );
    expect((await problemOf(deleteGeneration(sut, 'anon-other', job.id))).status).toBe(404);
    expect(sut.store.objects.size).toBe(5);
    await deleteGeneration(sut, OWNER, job.id);
    expect(sut.store.objects.size).toBe(0);
    expect((await problemOf(getGeneration(sut, OWNER, job.id))).status).toBe(404);
  });
});

describe('retention', () => {
  it('records when a job expires, says so, and hides it once it has, even before the store removes it', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    const record = await sut.repository.get(OWNER, job.id);
    expect(record?.expiresAt).toBe(Math.floor(Date.parse(job.createdAt) / 1000) + 30 * 86_400);
    expect(job.expiresAt).toBe(new Date((record?.expiresAt ?? 0) * 1000).toISOString());
    sut.advance(31 * 86_400_000);
    expect((await problemOf(getGeneration(sut, OWNER, job.id))).status).toBe(404);
    expect((await listGenerations(sut, OWNER, {})).items).toEqual([]);
  });
});
