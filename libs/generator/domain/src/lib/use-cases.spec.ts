import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { cancelGeneration, createGeneration, deleteGeneration, getGeneration, listGenerations, runGeneration, settleAbandonedGeneration } from './use-cases';
import { FakeDeps, fakeDeps, fakePng, throttled } from '../testing';

const OWNER = 'anon-owner-1';
const CORE = 'stability.stable-image-core-v1:1';

async function queued(deps: FakeDeps, body: Record<string, unknown> = {}) {
  return createGeneration(deps, OWNER, { modelId: CORE, prompt: 'a lighthouse', ...body }, 'req-1');
}

async function problemOf(promise: Promise<unknown>) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(err)}`);
  return err.problem;
}

describe(createGeneration.name, () => {
  it('records a queued job, hands it to the worker and answers it at once', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    expect(job).toMatchObject({ status: 'queued', modelId: CORE, images: [], estimatedCostUsd: 0.08 });
    expect(job.request).toMatchObject({ count: 2, aspectRatio: '1:1', outputFormat: 'png' });
    expect(sut.invoked).toEqual([{ ownerId: OWNER, generationId: job.id, requestId: 'req-1' }]);
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
  it('stores each image under the owner and job, and records them with their size and seed', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2, seed: 100 });

    expect(await runGeneration(sut, sut.invoked[0])).toBe('succeeded');

    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.status).toBe('succeeded');
    expect(got.images.map((i) => [i.width, i.height, i.seed, i.format])).toEqual([
      [1536, 1536, 100, 'png'],
      [1536, 1536, 101, 'png'],
    ]);
    expect(got.engine).toBe('offline');
    expect([...sut.store.objects.keys()].every((k) => k.startsWith(`owners/${OWNER}/generations/${job.id}/`))).toBe(true);
    expect([...sut.store.objects.keys()].some((k) => k.includes('lighthouse'))).toBe(false);
    expect(got.images[0].url).toContain('X-Amz-Signature=');
    expect(got.durationMs).toBeGreaterThan(0);
  });

  it('picks a seed per image when none was given and records the seed the model used', async () => {
    const sut = fakeDeps();
    await queued(sut);
    await runGeneration(sut, sut.invoked[0]);
    expect(sut.model.calls).toEqual([{ modelId: CORE, seed: 42 }]);
  });

  it.each([
    ['content filter', ProblemError.of(ErrorCode.CONTENT_FILTERED, 'Filter reason: prompt'), ErrorCode.CONTENT_FILTERED],
    ['throttling past the retries', throttled(), ErrorCode.MODEL_THROTTLED],
    ['an unexpected crash', new Error('socket hang up'), ErrorCode.INTERNAL],
  ])('records %s as a failed job and deletes the images already stored', async (_name, error, code) => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 3 });
    sut.model.script = [{ bytes: fakePng(8, 8), seed: 1, engine: 'bedrock' }, error];

    expect(await runGeneration(sut, sut.invoked[0])).toBe('failed');

    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'failed', images: [], estimatedCostUsd: 0, error: { code } });
    expect(sut.store.objects.size).toBe(0);
  });

  it('never exposes internals of an unexpected error', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    sut.model.script = [new Error('arn:aws:iam::123456789012:role/secret at Object.<anonymous>')];
    await runGeneration(sut, sut.invoked[0]);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(JSON.stringify(got.error)).not.toMatch(/arn:|anonymous/);
  });

  it('takes stored images back when the record cannot be written, and throws so Lambda retries', async () => {
    const sut = fakeDeps();
    await queued(sut);
    sut.repository.failSettle = true;
    await expect(runGeneration(sut, sut.invoked[0])).rejects.toThrow('DynamoDB is down');
    expect(sut.store.objects.size).toBe(0);
  });

  it('fails the job when storing an image fails, leaving no object behind', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    sut.store.failPutAfter = 1;
    expect(await runGeneration(sut, sut.invoked[0])).toBe('failed');
    expect((await sut.repository.get(OWNER, job.id))?.status).toBe('failed');
    expect(sut.store.objects.size).toBe(0);
  });

  it('lets a retry take over a job whose worker died mid-run, and not one that is still running', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    // GIVEN a worker marked the job running, then died without a word
    await sut.repository.markRunning(OWNER, job.id, new Date(Date.now()).toISOString(), '');
    // WHEN Lambda retries soon after: another worker may still be on it
    expect(await runGeneration(sut, sut.invoked[0])).toBe('skipped');
    // WHEN it retries after the stale limit
    const later = { ...sut, clock: { now: () => new Date(Date.now() + 600_000) } };
    expect(await runGeneration(later, sut.invoked[0])).toBe('succeeded');
    expect((await getGeneration(later, OWNER, job.id)).status).toBe('succeeded');
  });

  it('settles a job that lost its worker as failed when it is read, so nobody waits forever', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await sut.repository.markRunning(OWNER, job.id, job.createdAt, '');
    const later = { ...sut, clock: { now: () => new Date(Date.parse(job.createdAt) + 301_000) } };
    expect(await getGeneration(later, OWNER, job.id)).toMatchObject({ status: 'failed', error: { code: ErrorCode.MODEL_TIMEOUT } });
    const soon = { ...sut, clock: { now: () => new Date(Date.parse(job.createdAt) + 60_000) } };
    const fresh = await queued(sut);
    expect((await getGeneration(soon, OWNER, fresh.id)).status).toBe('queued');
  });

  it('does nothing for a second delivery of a job that already ran', async () => {
    const sut = fakeDeps();
    await queued(sut);
    await runGeneration(sut, sut.invoked[0]);
    expect(await runGeneration(sut, sut.invoked[0])).toBe('skipped');
    expect(sut.model.calls).toHaveLength(1);
  });
});

describe(getGeneration.name, () => {
  it("answers NOT_FOUND for another owner's job, exactly as for a missing one", async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    const other = await problemOf(getGeneration(sut, 'someone-else', job.id));
    const missing = await problemOf(getGeneration(sut, OWNER, 'zzzzzzzzzzzzzzzzzzzzz'));
    expect(other).toMatchObject({ status: 404, code: ErrorCode.NOT_FOUND });
    expect(missing.status).toBe(404);
  });

  it('mints links that expire after the configured time', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await runGeneration(sut, sut.invoked[0]);
    const got = await getGeneration(sut, OWNER, job.id);
    const expires = Date.parse(got.images[0].urlExpiresAt) - Date.now();
    expect(got.images[0].url).toContain('X-Amz-Expires=900');
    expect(Number.isNaN(expires)).toBe(false);
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

  it.each([['cursor', { cursor: 'garbage' }], ['limit', { limit: '0' }], ['limit', { limit: 'ten' }]])(
    'rejects a bad %s with VALIDATION_FAILED',
    async (field, query) => {
      const p = await problemOf(listGenerations(fakeDeps(), OWNER, query));
      expect(p.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(p.errors?.[0].field).toBe(field);
    },
  );
});

describe(settleAbandonedGeneration.name, () => {
  it('settles a job the worker gave up on as failed, and leaves a finished job alone', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    expect(await settleAbandonedGeneration(sut, sut.invoked[0])).toBe(true);
    expect((await sut.repository.get(OWNER, job.id))).toMatchObject({ status: 'failed', error: { code: ErrorCode.MODEL_UNAVAILABLE } });
    expect(await settleAbandonedGeneration(sut, sut.invoked[0])).toBe(false);
  });
});

describe('idempotent create', () => {
  const body = { modelId: CORE, prompt: 'a kite' };

  it('answers the first job for a retry with the same key and body, and invokes the worker once', async () => {
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

  it("keeps owners' keys apart, and refuses a malformed key", async () => {
    const sut = fakeDeps();
    const a = await createGeneration(sut, OWNER, body, 'r1', 'click-0003');
    const b = await createGeneration(sut, 'anon-other', body, 'r2', 'click-0003');
    expect(a.id).not.toBe(b.id);
    expect((await problemOf(createGeneration(sut, OWNER, body, 'r3', 'x y'))).code).toBe(ErrorCode.VALIDATION_FAILED);
  });
});

describe(cancelGeneration.name, () => {
  it('cancels a queued job so the worker makes and stores nothing', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    expect((await cancelGeneration(sut, OWNER, job.id)).status).toBe('cancelled');
    expect(await runGeneration(sut, sut.invoked[0])).toBe('skipped');
    expect(sut.model.calls).toEqual([]);
    expect(sut.store.objects.size).toBe(0);
  });

  it('stops a running job before its next image and takes back what it stored', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 3 });
    const generate = sut.model.generate.bind(sut.model);
    sut.model.generate = async (...args) => {
      const image = await generate(...args);
      await cancelGeneration(sut, OWNER, job.id); // the person cancels while image 1 is being made
      return image;
    };
    expect(await runGeneration(sut, sut.invoked[0])).toBe('cancelled');
    expect(sut.model.calls).toHaveLength(1);
    expect(sut.store.objects.size).toBe(0);
    expect((await getGeneration(sut, OWNER, job.id)).status).toBe('cancelled');
  });

  it('refuses to cancel a finished job with CONFLICT, and another owner gets 404', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    await runGeneration(sut, sut.invoked[0]);
    expect((await problemOf(cancelGeneration(sut, OWNER, job.id))).code).toBe(ErrorCode.CONFLICT);
    expect((await problemOf(cancelGeneration(sut, 'anon-other', job.id))).status).toBe(404);
  });
});

describe(deleteGeneration.name, () => {
  it('deletes the record and every image, and another owner cannot', async () => {
    const sut = fakeDeps();
    const job = await queued(sut, { count: 2 });
    await runGeneration(sut, sut.invoked[0]);
    expect((await problemOf(deleteGeneration(sut, 'anon-other', job.id))).status).toBe(404);
    expect(sut.store.objects.size).toBe(2);
    await deleteGeneration(sut, OWNER, job.id);
    expect(sut.store.objects.size).toBe(0);
    expect((await problemOf(getGeneration(sut, OWNER, job.id))).status).toBe(404);
  });
});

describe('retention', () => {
  it('records when a job expires and hides it once it has, even before the store removes it', async () => {
    const sut = fakeDeps();
    const job = await queued(sut);
    const record = await sut.repository.get(OWNER, job.id);
    expect(record?.expiresAt).toBe(Math.floor(Date.parse(job.createdAt) / 1000) + 30 * 86_400);
    const later = new Date(Date.parse(job.createdAt) + 31 * 86_400_000);
    const old = { ...sut, clock: { now: () => later } };
    expect((await problemOf(getGeneration(old, OWNER, job.id))).status).toBe(404);
    expect((await listGenerations(old, OWNER, {})).items).toEqual([]);
  });
});
