import { editParent, ErrorCode, findImageService, ProblemError, UPLOAD_MAX_BYTES } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';
import { readParametersText } from '@imagegen/shared/util-image-codecs';

import { FakeDeps, fakeDeps, fakePng, runAll } from '../testing';
import { checkUpload, createEdit, createUpload } from './edits';
import { inputKey, uploadKey } from './generation-view';
import { modelEta } from './models';
import { createGeneration, deleteGeneration, getGeneration, listGenerations } from './use-cases';
import { BEDROCK_BODY_MAX_BYTES } from './worker';

const OWNER = 'anon-owner-1';
const OTHER = 'anon-owner-2';
const INPAINT = 'stability.stable-image-inpaint-v1:0';
const OUTPAINT = 'stability.stable-outpaint-v1:0';
const FAST_UPSCALE = 'stability.stable-fast-upscale-v1:0';

/** An upload of `owner` as the browser's presigned POST leaves it. */
async function uploaded(deps: FakeDeps, owner = OWNER, bytes = fakePng(1024, 768)): Promise<string> {
  const ticket = await createUpload(deps, owner, { contentType: 'image/png', bytes: bytes.length });
  await deps.store.put(uploadKey(owner, ticket.uploadId), bytes, 'image/png');
  return ticket.uploadId;
}

async function inpaint(deps: FakeDeps, body: Record<string, unknown>, owner = OWNER) {
  return createEdit(deps, owner, { serviceId: INPAINT, params: { prompt: 'a red door' }, ...body }, 'req-1');
}

/** A generated image of the owner (a text-to-image job run to the end). */
async function generated(deps: FakeDeps, owner = OWNER) {
  const job = await createGeneration(
    deps,
    owner,
    { modelId: 'stability.stable-image-core-v1:1', prompt: 'a house' },
    'req-0',
  );
  await runAll(deps);
  const done = await getGeneration(deps, owner, job.id);
  return { generationId: done.id, imageId: done.images[0].id };
}

const jobKeys = (deps: FakeDeps, id: string) =>
  [...deps.store.objects.keys()].filter((k) => k.startsWith(`owners/${OWNER}/generations/${id}/`));

describe(createUpload.name, () => {
  it('answers a presigned POST for a key under the owner that the server names', async () => {
    const sut = fakeDeps();
    const ticket = await createUpload(sut, OWNER, { contentType: 'image/webp', bytes: 1234 });
    expect(ticket.uploadId).toMatch(/^up[0-9a-z]+$/);
    expect(ticket.fields).toMatchObject({
      key: `uploads/${OWNER}/${ticket.uploadId}`,
      'Content-Type': 'image/webp',
    });
    const policy = JSON.parse(Buffer.from(ticket.fields['Policy'], 'base64').toString());
    expect(policy).toMatchObject({ maxBytes: UPLOAD_MAX_BYTES, expiresInSeconds: 600 });
    expect(ticket.maxBytes).toBe(UPLOAD_MAX_BYTES);
    expect(Date.parse(ticket.expiresAt)).toBeGreaterThan(Date.parse('2026-11-24T10:00:00.000Z'));
  });

  it.each([
    [
      'too large',
      { contentType: 'image/png', bytes: UPLOAD_MAX_BYTES + 1 },
      413,
      ErrorCode.PAYLOAD_TOO_LARGE,
    ],
    ['of another type', { contentType: 'image/gif', bytes: 10 }, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['of no size', { contentType: 'image/png', bytes: 0 }, 400, ErrorCode.VALIDATION_FAILED],
    [
      'with a key of its own',
      { contentType: 'image/png', bytes: 10, key: 'x' },
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
  ])('refuses an upload %s', async (_name, body, status, code) => {
    const sut = fakeDeps();
    expect(await problemOf(createUpload(sut, OWNER, body))).toMatchObject({ status, code });
  });
});

describe(checkUpload.name, () => {
  it('answers the decoded size and a link to the upload', async () => {
    const sut = fakeDeps();
    const id = await uploaded(sut);
    const image = await checkUpload(sut, OWNER, id);
    expect(image).toMatchObject({ uploadId: id, width: 1024, height: 768, format: 'png', hasAlpha: false });
    expect(image.url).toContain(`uploads/${OWNER}/${id}`);
  });

  it('refuses a file that is no image with its code and deletes it', async () => {
    const sut = fakeDeps();
    const id = await uploaded(sut, OWNER, new TextEncoder().encode('<html>not an image</html>'));
    const p = await problemOf(checkUpload(sut, OWNER, id));
    expect(p).toMatchObject({ status: 422, code: ErrorCode.INPUT_IMAGE_UNREADABLE });
    expect(sut.store.objects.size).toBe(0);
  });

  it("answers NOT_FOUND for another owner's upload and leaves it alone", async () => {
    const sut = fakeDeps();
    const id = await uploaded(sut, OTHER);
    expect((await problemOf(checkUpload(sut, OWNER, id))).code).toBe(ErrorCode.NOT_FOUND);
    expect(sut.store.objects.has(uploadKey(OTHER, id))).toBe(true);
  });
});

describe(createEdit.name, () => {
  it('records the edit at the service price and copies its inputs into the job', async () => {
    const sut = fakeDeps();
    const image = await uploaded(sut);
    const mask = await uploaded(sut);
    const job = await inpaint(sut, { image: { uploadId: image }, mask: { uploadId: mask }, count: 2 });
    expect(job).toMatchObject({ status: 'queued', modelId: INPAINT, estimatedCostUsd: 0.14 });
    expect(job.request.edit).toMatchObject({ serviceId: INPAINT, image: { uploadId: image } });
    expect(jobKeys(sut, job.id).sort()).toEqual([
      `owners/${OWNER}/generations/${job.id}/inputs/image`,
      `owners/${OWNER}/generations/${job.id}/inputs/mask`,
    ]);
    expect(sut.invoked.map((e) => e.index)).toEqual([0, 1]);
  });

  it("refuses another owner's upload or generated image as NOT_FOUND and writes nothing", async () => {
    const sut = fakeDeps();
    const theirs = await uploaded(sut, OTHER);
    const theirImage = await generated(sut, OTHER);
    const before = sut.store.objects.size;
    for (const body of [
      { image: { uploadId: theirs } },
      { image: theirImage },
      { image: { uploadId: await uploaded(sut) }, mask: { uploadId: theirs } },
    ]) {
      expect((await problemOf(inpaint(sut, body))).code).toBe(ErrorCode.NOT_FOUND);
    }
    expect(sut.store.objects.size).toBe(before + 1); // only the owner's own upload
    expect([...sut.repository.records.values()].filter((r) => r.ownerId === OWNER)).toEqual([]);
  });

  it('refuses a service this account cannot call, saying so, with nothing recorded or copied', async () => {
    const sut = fakeDeps();
    sut.access.answers.set(INPAINT, { availability: 'no-access', reason: 'not authorized to use Inpaint' });
    const image = await uploaded(sut);
    const p = await problemOf(inpaint(sut, { image: { uploadId: image } }));
    expect(p).toMatchObject({
      status: 403,
      code: ErrorCode.MODEL_ACCESS_DENIED,
      detail: 'not authorized to use Inpaint',
    });
    expect(sut.repository.records.size).toBe(0);
    expect([...sut.store.objects.keys()]).toEqual([uploadKey(OWNER, image)]);
  });

  it('refuses an edit the budget cannot hold, with nothing recorded or copied', async () => {
    const sut = fakeDeps();
    Object.assign(sut.settings, {
      budgets: { deploymentMonthlyUsd: 100, ownerDailyUsd: 0.1, ownerMonthlyUsd: 10, ownerImagesInFlight: 8 },
    });
    const image = await uploaded(sut);
    const p = await problemOf(inpaint(sut, { image: { uploadId: image }, count: 2 }));
    expect(p.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(p.detail).toContain('$0.14');
    expect(sut.repository.records.size).toBe(0);
    expect([...sut.store.objects.keys()]).toEqual([uploadKey(OWNER, image)]);
  });

  it("deletes an edit's copied inputs with the edit, and leaves the upload to its expiry", async () => {
    const sut = fakeDeps();
    const image = await uploaded(sut);
    const job = await inpaint(sut, { image: { uploadId: image } });
    await runAll(sut);
    await deleteGeneration(sut, OWNER, job.id);
    expect([...sut.store.objects.keys()]).toEqual([uploadKey(OWNER, image)]);
  });

  it("tells the wait of an edit from its service's catalog figure until durations are measured", async () => {
    const sut = fakeDeps();
    expect((await modelEta(sut, 'stability.stable-creative-upscale-v1:0')).p50Seconds).toBe(
      findImageService('stability.stable-creative-upscale-v1:0')?.expectedSecondsPerImage,
    );
  });

  it('answers the first job again for a retry with the same Idempotency-Key', async () => {
    const sut = fakeDeps();
    const body = { serviceId: INPAINT, image: { uploadId: await uploaded(sut) }, params: { prompt: 'x' } };
    const first = await createEdit(sut, OWNER, body, 'r', 'key-12345678');
    const again = await createEdit(sut, OWNER, body, 'r', 'key-12345678');
    expect(again.id).toBe(first.id);
    expect(sut.invoked).toHaveLength(1);
  });
});

describe(`${createEdit.name} from an earlier edit's kept input`, () => {
  /** An inpaint of an upload, run to the end, whose upload then expired (the bucket's lifecycle rule). */
  async function editOfExpiredUpload(deps: FakeDeps, owner = OWNER) {
    const upload = await uploaded(deps, owner);
    const job = await inpaint(deps, { image: { uploadId: upload } }, owner);
    await runAll(deps);
    deps.store.objects.delete(uploadKey(owner, upload));
    return job.id;
  }

  it('copies the kept image into the new job, though the upload it came from is gone', async () => {
    const sut = fakeDeps();
    const first = await editOfExpiredUpload(sut);
    const kept = sut.store.objects.get(inputKey(OWNER, first, 'image'));

    const again = await inpaint(sut, { image: { generationId: first, input: 'image' } });
    await runAll(sut);

    expect(sut.store.objects.get(inputKey(OWNER, again.id, 'image'))).toEqual(kept);
    const done = await getGeneration(sut, OWNER, again.id);
    expect(done.status).toBe('succeeded');
    // A copy of an upload, not an image the first job made: no lineage parent.
    expect(editParent(done.request)).toBeUndefined();
  });

  it('shows the kept input of an edit with a link, and none of a generation or of an edit that made nothing', async () => {
    const sut = fakeDeps();
    const first = await editOfExpiredUpload(sut);
    const view = await getGeneration(sut, OWNER, first);
    expect(Object.keys(view.inputs ?? {})).toEqual(['image']);
    expect(view.inputs?.image?.url).toContain(`/${inputKey(OWNER, first, 'image')}?`);
    const { generationId } = await generated(sut);
    expect((await getGeneration(sut, OWNER, generationId)).inputs).toBeUndefined();
    const bad = await inpaint(sut, { image: { uploadId: await uploaded(sut, OWNER, fakePng(4000, 1000)) } });
    await runAll(sut);
    expect((await getGeneration(sut, OWNER, bad.id)).inputs).toBeUndefined();
  });

  it("refuses another owner's job, a job without that input, a job whose inputs are gone and a generation as NOT_FOUND, writing nothing", async () => {
    const sut = fakeDeps();
    const theirs = await editOfExpiredUpload(sut, OTHER);
    const mine = await editOfExpiredUpload(sut);
    const failed = await inpaint(sut, {
      image: { uploadId: await uploaded(sut, OWNER, fakePng(4000, 1000)) },
    });
    await runAll(sut);
    const { generationId: generation } = await generated(sut);
    const objects = sut.store.objects.size;
    const records = sut.repository.records.size;

    const style = (image: unknown, styleImage: unknown) =>
      createEdit(sut, OWNER, { serviceId: 'stability.stable-style-transfer-v1:0', image, styleImage }, 'r');
    for (const attempt of [
      inpaint(sut, { image: { generationId: theirs, input: 'image' } }),
      style({ generationId: mine, input: 'image' }, { generationId: mine, input: 'styleImage' }),
      inpaint(sut, { image: { generationId: failed.id, input: 'image' } }),
      inpaint(sut, { image: { generationId: generation, input: 'image' } }),
      inpaint(sut, { image: { generationId: '0123456789abc', input: 'image' } }),
    ])
      expect(await problemOf(attempt)).toMatchObject({ status: 404, code: ErrorCode.NOT_FOUND });

    expect(sut.store.objects.size).toBe(objects);
    expect(sut.repository.records.size).toBe(records);
  });

  it('refuses a malformed one as a field error, and a mask named this way', async () => {
    const sut = fakeDeps();
    const mine = await editOfExpiredUpload(sut);
    const records = sut.repository.records.size;
    for (const [body, field] of [
      [{ image: { generationId: mine, input: 'mask' } }, 'image.input'],
      [{ image: { generationId: 'Nope!', input: 'image' } }, 'image.generationId'],
      [{ image: { uploadId: await uploaded(sut) }, mask: { generationId: mine, input: 'image' } }, 'mask'],
    ] as const) {
      const p = await problemOf(inpaint(sut, body));
      expect(p.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(p.errors?.map((e) => e.field)).toEqual([field]);
    }
    expect(sut.repository.records.size).toBe(records);
  });
});

describe('the worker on an edit', () => {
  it('sends the prepared image and the mask resized to it, and stores the answer like a generated image', async () => {
    const sut = fakeDeps();
    const parent = await generated(sut);
    const mask = await uploaded(sut, OWNER, fakePng(512, 512));
    const job = await inpaint(sut, { image: parent, mask: { uploadId: mask }, seed: 7 });
    await runAll(sut);

    const call = sut.model.calls.at(-1);
    expect(call).toMatchObject({ modelId: INPAINT, seed: 7 });
    expect([call?.inputs?.image.width, call?.inputs?.image.height]).toEqual([1536, 1536]);
    expect(sut.images.masks).toEqual([{ width: 1536, height: 1536 }]);
    expect(sut.images.prepared[0]).toEqual({
      limits: findImageService(INPAINT)?.inputs.image?.limits,
      fit: 'reject',
    });

    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'succeeded', costUsd: 0.07 });
    expect(editParent(got.request)).toEqual(parent);
    expect(got.images[0]).toMatchObject({ width: 1536, height: 1536, seed: 7 });
    expect(got.images[0].thumbnailUrl).toBeDefined();
    const stored = sut.store.objects.get(jobKeys(sut, job.id).find((k) => k.endsWith('.png')) ?? '');
    const text = readParametersText(stored?.bytes ?? new Uint8Array()) ?? '';
    expect(text).toContain('Service: Inpaint');
    expect(text).toContain(`Parent: ${parent.generationId}/${parent.imageId}`);
    // The inputs stay as long as the job (its lineage).
    expect(jobKeys(sut, job.id).filter((k) => k.includes('/inputs/'))).toHaveLength(2);
  });

  it("sends no mask when none was painted: the service edits the image's transparent pixels", async () => {
    const sut = fakeDeps();
    await inpaint(sut, { image: { uploadId: await uploaded(sut) } });
    await runAll(sut);
    expect(sut.model.calls[0].inputs?.mask).toBeUndefined();
  });

  it('records the size the service answered (outpaint extends the image)', async () => {
    const sut = fakeDeps();
    const job = await createEdit(
      sut,
      OWNER,
      { serviceId: OUTPAINT, image: { uploadId: await uploaded(sut) }, params: { left: 200, up: 100 } },
      'r',
    );
    await runAll(sut);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.images[0]).toMatchObject({ width: 1224, height: 868 });
    expect(got.costUsd).toBe(0.06);
  });

  it('fits an image outside the service limits when asked, with the limits of that service', async () => {
    const sut = fakeDeps();
    const image = await uploaded(sut, OWNER, fakePng(2048, 2048));
    const job = await createEdit(
      sut,
      OWNER,
      { serviceId: FAST_UPSCALE, image: { uploadId: image }, fit: 'downscale' },
      'r',
    );
    await runAll(sut);
    expect(sut.images.prepared[0].limits.maxSide).toBe(1536);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got.images[0]).toMatchObject({ width: 4096, height: 4096 });
  });

  it('crops the mask with the image when the image is cropped to fit, so the painted area stays over the same pixels', async () => {
    const sut = fakeDeps();
    const image = await uploaded(sut, OWNER, fakePng(4000, 1000)); // 4:1, cropped to 2.5:1
    const mask = await uploaded(sut, OWNER, fakePng(400, 100)); // painted on a smaller preview
    await inpaint(sut, { image: { uploadId: image }, mask: { uploadId: mask }, fit: 'crop' });
    await runAll(sut);
    const sent = sut.model.calls[0].inputs;
    expect([sent?.image.width, sent?.image.height]).toEqual([2500, 1000]);
    // First brought to the image's own size, then cropped by the same fit, then made a mask at the sent size
    expect(sut.images.masks).toEqual([
      { width: 4000, height: 1000 },
      { width: 2500, height: 1000 },
    ]);
    expect(sut.images.prepared.map((p) => p.fit)).toEqual(['crop', 'crop']);
  });

  it('fails the job on a bad input before any call, refunds the reservation and leaves only the record', async () => {
    const sut = fakeDeps();
    Object.assign(sut.settings, {
      budgets: { deploymentMonthlyUsd: 100, ownerDailyUsd: 10, ownerMonthlyUsd: 10, ownerImagesInFlight: 8 },
    });
    const image = await uploaded(sut, OWNER, fakePng(4000, 1000)); // aspect 4:1, outside 2.5:1
    const job = await inpaint(sut, { image: { uploadId: image }, count: 2 });
    expect((await sut.usage.budgetUsage(OWNER, '2026-11-24', '2026-11')).ownerDayUsd).toBe(0.14);

    await runAll(sut);

    expect(sut.model.calls).toEqual([]);
    const got = await getGeneration(sut, OWNER, job.id);
    expect(got).toMatchObject({ status: 'failed', costUsd: 0 });
    expect(got.error?.code).toBe(ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS);
    expect(got.failures?.map((f) => f.error.code)).toEqual([
      ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS,
      ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS,
    ]);
    const usage = await sut.usage.budgetUsage(OWNER, '2026-11-24', '2026-11');
    expect(usage).toMatchObject({ ownerDayUsd: 0, ownerMonthUsd: 0, ownerImagesInFlight: 0 });
    expect(jobKeys(sut, job.id)).toEqual([]);
  });

  it('fails the image with INPUT_IMAGE_FILTERED when the service blocks the input image', async () => {
    const sut = fakeDeps();
    sut.model.script = [ProblemError.of(ErrorCode.INPUT_IMAGE_FILTERED, 'your image was blocked')];
    const job = await inpaint(sut, { image: { uploadId: await uploaded(sut) } });
    await runAll(sut);
    expect((await getGeneration(sut, OWNER, job.id)).error?.code).toBe(ErrorCode.INPUT_IMAGE_FILTERED);
  });

  it("re-encodes an image whose base64 would pass Bedrock's body limit", async () => {
    const sut = fakeDeps();
    const big = new Uint8Array(20_000_000);
    big.set(fakePng(3000, 3000));
    const job = await inpaint(sut, { image: { uploadId: await uploaded(sut, OWNER, big) } });
    await runAll(sut);
    expect(sut.images.compacted).toBe(1);
    const sent = sut.model.calls[0].inputs?.image.bytes.length ?? Infinity;
    expect((4 * sent) / 3).toBeLessThan(BEDROCK_BODY_MAX_BYTES);
    expect((await getGeneration(sut, OWNER, job.id)).status).toBe('succeeded');
  });
});

describe(`${listGenerations.name} by parent`, () => {
  it('lists only the edits made from that job, newest first', async () => {
    const sut = fakeDeps();
    const a = await generated(sut);
    const b = await generated(sut);
    const fromA1 = await inpaint(sut, { image: a });
    await inpaint(sut, { image: b });
    const fromA2 = await inpaint(sut, { image: a });
    await inpaint(sut, { image: { uploadId: await uploaded(sut) } });

    const page = await listGenerations(sut, OWNER, { parent: a.generationId });
    expect(page.items.map((g) => g.id)).toEqual([fromA2.id, fromA1.id]);
    expect(page.nextCursor).toBeUndefined();

    const first = await listGenerations(sut, OWNER, { parent: a.generationId, limit: '1' });
    expect(first.items.map((g) => g.id)).toEqual([fromA2.id]);
    const second = await listGenerations(sut, OWNER, {
      parent: a.generationId,
      limit: '1',
      cursor: first.nextCursor,
    });
    expect(second.items.map((g) => g.id)).toEqual([fromA1.id]);
  });

  it("finds nothing from another owner's job and refuses a malformed parent", async () => {
    const sut = fakeDeps();
    const a = await generated(sut);
    await inpaint(sut, { image: a });
    expect((await listGenerations(sut, OTHER, { parent: a.generationId })).items).toEqual([]);
    expect((await problemOf(listGenerations(sut, OWNER, { parent: '../x' }))).code).toBe(
      ErrorCode.VALIDATION_FAILED,
    );
  });
});
