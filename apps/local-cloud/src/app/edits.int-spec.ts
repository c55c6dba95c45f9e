import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';

import {
  ErrorCode,
  findImageService,
  Generation,
  IMAGE_SERVICES,
  ServiceInfo,
  UPLOAD_MAX_BYTES,
  UploadTicket,
} from '@imagegen/contracts';
import { filteredInputImage } from '@imagegen/local-cloud/feature-bedrock';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings } from './settings';
import { generatorApi } from './testing/generator-api';
import { inProcessStackEnv } from './testing/stack-env';
import { bucketKeys, deleteKey, jobRecords } from './testing/stack-invariants';

// Image editing through the whole local stack, IAM enforced from the template: a browser-style upload by
// the presigned POST the generator's SDK signed (fetch, multipart/form-data, straight to the S3 stand-in),
// its check, and an inpaint with a painted mask run by the worker against the Bedrock stand-in.
const OWNER = 'anon-edits-1';
const INPAINT = 'stability.stable-image-inpaint-v1:0';
const WIDTH = 256;
const HEIGHT = 192;
/** The painted area: white in the mask. */
const HOLE = { left: 96, top: 64, width: 64, height: 64 };
const GROW_MASK = 2;

let dir: string;
let cloud: LocalCloud;
const api = generatorApi(() => cloud.urls.apiGateway, OWNER);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-edits-'));
  cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(
      inProcessStackEnv(dir, { LOCAL_BEDROCK_LATENCY_MS: '0', LOCAL_RETENTION_SWEEP_SECONDS: '0' }),
    ),
    log: createLogger({ service: 'local-cloud', destination: new Writable({ write: (_c, _e, d) => d() }) }),
  });
});

afterAll(async () => {
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A photo-like gradient, every pixel different from its neighbours' colour. */
async function photo(): Promise<Uint8Array> {
  const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      raw[i] = x;
      raw[i + 1] = (y * 4) % 256;
      raw[i + 2] = (x + y) % 256;
    }
  return new Uint8Array(
    await sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** White (edit) on black (keep), as the editor exports it. */
async function mask(): Promise<Uint8Array> {
  const hole = await sharp({
    create: { width: HOLE.width, height: HOLE.height, channels: 3, background: '#ffffff' },
  })
    .png()
    .toBuffer();
  return new Uint8Array(
    await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#000000' } })
      .composite([{ input: hole, left: HOLE.left, top: HOLE.top }])
      .png()
      .toBuffer(),
  );
}

/** Asks for a ticket, then POSTs the file as a browser form would (the ticket's fields first, the file last). */
async function upload(
  bytes: Uint8Array,
  contentType = 'image/png',
): Promise<UploadTicket & { status: number; body: string }> {
  const asked = await api.call('POST', '/uploads', {
    contentType,
    bytes: Math.min(bytes.length, UPLOAD_MAX_BYTES),
  });
  expect(asked.status).toBe(201);
  const ticket = asked.body as UploadTicket;
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([Buffer.from(bytes)], { type: contentType }), 'picture.png');
  const posted = await fetch(ticket.url, { method: 'POST', body: form });
  return { ...ticket, status: posted.status, body: await posted.text() };
}

async function rgb(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).removeAlpha().raw().toBuffer();
}

describe('image editing through the local stack', () => {
  it('uploads by presigned POST, checks the upload, and inpaints only the masked pixels', async () => {
    // GIVEN a photo and a mask uploaded straight to S3 with the generator's presigned POSTs
    const original = await photo();
    const image = await upload(original);
    expect(image.status).toBe(204);
    const painted = await upload(await mask());
    expect(painted.status).toBe(204);
    // AND checked: decoded by the input checks, with a link for the editor's canvas
    const checked = await api.call('POST', `/uploads/${image.uploadId}/check`);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({
      uploadId: image.uploadId,
      width: WIDTH,
      height: HEIGHT,
      format: 'png',
    });
    expect(
      Buffer.from(await (await fetch(checked.body.url)).arrayBuffer()).equals(Buffer.from(original)),
    ).toBe(true);

    // WHEN an inpaint of the masked area is asked for
    const created = await api.call(
      'POST',
      '/edits',
      {
        serviceId: INPAINT,
        image: { uploadId: image.uploadId },
        mask: { uploadId: painted.uploadId },
        params: { prompt: 'a red door', grow_mask: GROW_MASK },
        seed: 42,
      },
      OWNER,
      { 'idempotency-key': 'edits-int-spec-1' },
    );
    expect(created.status).toBe(202);
    const job: Generation = await api.settled(created.body.id);

    // THEN it made one image of the photo's size, at the service's price
    expect(job).toMatchObject({ status: 'succeeded', modelId: INPAINT, costUsd: 0.07 });
    expect(job.images[0]).toMatchObject({ width: WIDTH, height: HEIGHT, format: 'png' });
    // AND every pixel away from the painted area (and its grown edge) is the photo's own
    const edited = await rgb(new Uint8Array(await (await fetch(job.images[0].url)).arrayBuffer()));
    const before = await rgb(original);
    const margin = GROW_MASK + 2;
    let changedOutside = 0;
    let changedInside = 0;
    for (let y = 0; y < HEIGHT; y++)
      for (let x = 0; x < WIDTH; x++) {
        const i = (y * WIDTH + x) * 3;
        const same =
          edited[i] === before[i] && edited[i + 1] === before[i + 1] && edited[i + 2] === before[i + 2];
        const inside =
          x >= HOLE.left && x < HOLE.left + HOLE.width && y >= HOLE.top && y < HOLE.top + HOLE.height;
        const near =
          x >= HOLE.left - margin &&
          x < HOLE.left + HOLE.width + margin &&
          y >= HOLE.top - margin &&
          y < HOLE.top + HOLE.height + margin;
        if (inside && !same) changedInside++;
        if (!near && !same) changedOutside++;
      }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan((HOLE.width * HOLE.height) / 2);
    // AND no image byte crossed a Lambda invocation (the browser posted to S3; jobs carry keys)
    expect(cloud.lambda.stats().payloads).toMatchObject({ imageBytes: 0 });
    expect(cloud.lambda.stats().payloads.count).toBeGreaterThan(0);
    // AND its inputs are kept with the job (the uploads themselves expire)
    const keys = await bucketKeys({ s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb });
    expect(keys.filter((k) => k.startsWith(`owners/${OWNER}/generations/${job.id}/inputs/`)).sort()).toEqual([
      `owners/${OWNER}/generations/${job.id}/inputs/image`,
      `owners/${OWNER}/generations/${job.id}/inputs/mask`,
    ]);
  });

  it("reuses an inpaint of an upload after the upload expired, from the job's kept copy", async () => {
    // GIVEN an inpaint of an uploaded photo, done
    const original = await photo();
    const image = await upload(original);
    const painted = await upload(await mask());
    const inpaint = (img: unknown, maskId: string) =>
      api.call('POST', '/edits', {
        serviceId: INPAINT,
        image: img,
        mask: { uploadId: maskId },
        params: { prompt: 'a blue door' },
      });
    const first = await inpaint({ uploadId: image.uploadId }, painted.uploadId);
    expect(first.status).toBe(202);
    const done: Generation = await api.settled(first.body.id);
    expect(done.status).toBe('succeeded');
    // AND its job shows the kept copy of the photo by a presigned link, straight from S3
    const kept = done.inputs?.image;
    expect(kept).toBeDefined();
    expect(done.inputs?.styleImage).toBeUndefined();
    const shown = Buffer.from(await (await fetch(kept?.url ?? 'about:blank')).arrayBuffer());
    expect(shown.equals(Buffer.from(original))).toBe(true);
    // AND a day later the bucket's lifecycle rule deleted the uploads: checking it again is a 404
    const stores = { s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb };
    await deleteKey(stores, `uploads/${OWNER}/${image.uploadId}`);
    await deleteKey(stores, `uploads/${OWNER}/${painted.uploadId}`);
    expect((await api.call('POST', `/uploads/${image.uploadId}/check`)).status).toBe(404);
    const payloadBytes = cloud.lambda.stats().payloads.imageBytes;

    // WHEN it is reused, naming the job's kept image, with a newly painted mask
    const repainted = await upload(await mask());
    const again = await inpaint({ generationId: done.id, input: 'image' }, repainted.uploadId);

    // THEN a new edit of the same photo succeeds
    expect(again.status).toBe(202);
    const reused: Generation = await api.settled(again.body.id);
    expect(reused).toMatchObject({ status: 'succeeded', request: { edit: { image: { input: 'image' } } } });
    expect(reused.images[0]).toMatchObject({ width: WIDTH, height: HEIGHT });
    expect(await jobKeys(reused.id)).toEqual(
      expect.arrayContaining([`owners/${OWNER}/generations/${reused.id}/inputs/image`]),
    );
    // AND still no image byte crossed a Lambda invocation
    expect(cloud.lambda.stats().payloads.imageBytes).toBe(payloadBytes);
    expect(payloadBytes).toBe(0);
    // AND another owner cannot name that job's input
    const stranger = await api.call(
      'POST',
      '/edits',
      { serviceId: INPAINT, image: { generationId: done.id, input: 'image' }, params: { prompt: 'x' } },
      'anon-someone-else',
    );
    expect(stranger).toMatchObject({ status: 404, body: { code: ErrorCode.NOT_FOUND } });
  });

  it("refuses a file that is no image at its check, leaving nothing behind, and another owner's upload as 404", async () => {
    const bad = await upload(new TextEncoder().encode('GIF89a, or anything else'));
    expect(bad.status).toBe(204);
    const theirs = await api.call('POST', `/uploads/${bad.uploadId}/check`, undefined, 'anon-someone-else');
    expect(theirs.status).toBe(404);
    const checked = await api.call('POST', `/uploads/${bad.uploadId}/check`);
    expect(checked.status).toBe(422);
    expect(checked.body.code).toBe(ErrorCode.INPUT_IMAGE_TYPE);
    const keys = await bucketKeys({ s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb });
    expect(keys.filter((k) => k.includes(bad.uploadId))).toEqual([]);
  });

  it("refuses at S3 itself a file past the upload limit that skipped the browser's check (EntityTooLarge), storing nothing", async () => {
    // GIVEN a ticket asked for a small file, WHEN a client posts 30 MiB + 1 byte with it
    const tooBig = new Uint8Array(UPLOAD_MAX_BYTES + 1);
    tooBig.set(await photo());
    const posted = await upload(tooBig);
    // THEN S3 refuses it by the policy's content-length-range, and there is nothing to check or edit
    expect(posted.status).toBe(400);
    expect(posted.body).toContain('<Code>EntityTooLarge</Code>');
    const keys = await bucketKeys({ s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb });
    expect(keys.filter((k) => k.includes(posted.uploadId))).toEqual([]);
    expect((await api.call('POST', `/uploads/${posted.uploadId}/check`)).status).toBe(404);
  });

  /** The owner's spending as the generator counts it (what a job reserved is held until it ends). */
  const spent = async () => (await api.call('GET', '/summary')).body.spentUsd as number;
  const jobKeys = async (id: string) =>
    (await bucketKeys({ s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb })).filter((k) =>
      k.startsWith(`owners/${OWNER}/generations/${id}/`),
    );

  it('fails an edit whose image is outside the limits before any model call: refunded, nothing left but the record', async () => {
    // GIVEN an upload of 4:1, outside the services' 2.5:1, and no fit asked for
    const wide = await sharp({ create: { width: 800, height: 200, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const image = await upload(new Uint8Array(wide));
    const calls = cloud.bedrock.stats().invocations;
    const before = await spent();
    // WHEN it is sent to be erased
    const created = await api.call('POST', '/edits', {
      serviceId: 'stability.stable-image-erase-object-v1:0',
      image: { uploadId: image.uploadId },
      count: 2,
    });
    expect(created.status).toBe(202);
    const job = await api.settled(created.body.id);
    // THEN the job failed with the input's problem, Bedrock was never called, nothing was charged
    expect(job).toMatchObject({
      status: 'failed',
      costUsd: 0,
      error: { code: ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS },
    });
    expect(cloud.bedrock.stats().invocations).toBe(calls);
    expect(await spent()).toBe(before);
    // AND only the record is left of it (its copied inputs are gone)
    expect(await jobKeys(job.id)).toEqual([]);
    const records = await jobRecords({ s3: cloud.urls.s3, dynamodb: cloud.urls.dynamodb });
    expect(records.some((r) => r.id === job.id)).toBe(true);
  });

  it('says "your image was blocked" when Bedrock filters the input image, and keeps nothing of the job', async () => {
    const image = await upload(new Uint8Array(await filteredInputImage(256, 256)));
    const created = await api.call('POST', '/edits', {
      serviceId: INPAINT,
      image: { uploadId: image.uploadId },
      params: { prompt: 'a garden' },
    });
    expect(created.status).toBe(202);
    const job = await api.settled(created.body.id);
    expect(job).toMatchObject({ status: 'failed', error: { code: ErrorCode.INPUT_IMAGE_FILTERED } });
    expect(job.error?.detail).toMatch(/your image was blocked/i);
    expect(await jobKeys(job.id)).toEqual([]);
  });

  it("records each service's answer at its own size: outpaint extends, fast upscale is 4x, remove background has alpha", async () => {
    const image = await upload(await photo());
    const edit = async (body: Record<string, unknown>) => {
      const created = await api.call('POST', '/edits', { image: { uploadId: image.uploadId }, ...body });
      expect(created.status).toBe(202);
      const job = await api.settled(created.body.id);
      expect(job.status).toBe('succeeded');
      return job;
    };
    const outpaint = await edit({
      serviceId: 'stability.stable-outpaint-v1:0',
      params: { left: 64, down: 32 },
    });
    expect(outpaint.images[0]).toMatchObject({ width: WIDTH + 64, height: HEIGHT + 32 });
    const upscale = await edit({ serviceId: 'stability.stable-fast-upscale-v1:0' });
    expect(upscale.images[0]).toMatchObject({ width: WIDTH * 4, height: HEIGHT * 4 });
    expect(upscale.costUsd).toBe(0.03);
    const cutOut = await edit({ serviceId: 'stability.stable-image-remove-background-v1:0' });
    const bytes = new Uint8Array(await (await fetch(cutOut.images[0].url)).arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', hasAlpha: true, width: WIDTH });
  });

  it("answers each service's ETA: measured once enough of its edits ran, the catalog's for one never run", async () => {
    const REMOVE_BACKGROUND = 'stability.stable-image-remove-background-v1:0';
    const SD35_IMAGE_TO_IMAGE = 'stability.sd3-5-large-v1:0';
    const services = async () => {
      const res = await api.call('GET', '/services');
      expect(res.status).toBe(200);
      return res.body as ServiceInfo[];
    };
    const before = (await services()).find((s) => s.id === REMOVE_BACKGROUND)?.eta;
    // WHEN three background removals run (through the worker, their durations in DynamoDB)
    const image = await upload(await photo());
    for (let i = 0; i < 3; i++) {
      const created = await api.call('POST', '/edits', {
        serviceId: REMOVE_BACKGROUND,
        image: { uploadId: image.uploadId },
      });
      expect(created.status).toBe(202);
      expect((await api.settled(created.body.id)).status).toBe('succeeded');
    }
    // THEN GET /services (through the API the template defines) answers every service of the catalog,
    // remove background measured on its edits, a service never run here at its catalog figure
    const after = await services();
    expect(after.map((s) => s.id).sort()).toEqual(IMAGE_SERVICES.map((s) => s.id).sort());
    const measured = after.find((s) => s.id === REMOVE_BACKGROUND)?.eta;
    expect(measured).toMatchObject({ source: 'measured' });
    expect(measured?.samples).toBeGreaterThanOrEqual(3);
    expect(measured?.samples).toBeGreaterThan(before?.samples ?? 0);
    expect(after.find((s) => s.id === SD35_IMAGE_TO_IMAGE)?.eta).toMatchObject({
      source: 'catalog',
      samples: 0,
      p50Seconds: findImageService(SD35_IMAGE_TO_IMAGE)?.expectedSecondsPerImage,
    });
  });

  it('crops the mask with an image cropped to fit, so only the painted pixels change', async () => {
    // GIVEN an 800x200 photo (4:1, wider than the services' 2.5:1) and a mask painted over x 300..400
    const width = 800;
    const height = 200;
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < raw.length; i += 3) {
      const p = i / 3;
      raw[i] = p % 251;
      raw[i + 1] = (p >> 3) % 253;
      raw[i + 2] = 60;
    }
    const original = await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const hole = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const painted = await sharp({ create: { width, height, channels: 3, background: '#000000' } })
      .composite([{ input: hole, left: 300, top: 50 }])
      .png()
      .toBuffer();
    const image = await upload(new Uint8Array(original));
    const mask = await upload(new Uint8Array(painted));
    // WHEN it is inpainted with fit "crop"
    const created = await api.call('POST', '/edits', {
      serviceId: INPAINT,
      image: { uploadId: image.uploadId },
      mask: { uploadId: mask.uploadId },
      params: { prompt: 'a window', grow_mask: 0 },
      fit: 'crop',
    });
    expect(created.status).toBe(202);
    const job = await api.settled(created.body.id);
    // THEN the answer is the centre 500x200, and outside the (moved) painted square it is the photo's own
    expect(job.images[0]).toMatchObject({ width: 500, height: 200 });
    const edited = await rgb(new Uint8Array(await (await fetch(job.images[0].url)).arrayBuffer()));
    const centre = await sharp(original)
      .extract({ left: 150, top: 0, width: 500, height: 200 })
      .raw()
      .toBuffer();
    let changedOutside = 0;
    let changedInside = 0;
    let changedLeft = 0;
    for (let y = 0; y < 200; y++)
      for (let x = 0; x < 500; x++) {
        const i = (y * 500 + x) * 3;
        const same =
          edited[i] === centre[i] && edited[i + 1] === centre[i + 1] && edited[i + 2] === centre[i + 2];
        const inside = x >= 150 && x < 250 && y >= 50 && y < 150;
        const near = x >= 146 && x < 254 && y >= 46 && y < 154;
        if (inside && !same) changedInside++;
        if (!near && !same) changedOutside++;
        // The square's left quarter: a mask merely resized to 500 px would sit over x 187..250 instead
        if (inside && x < 175 && !same) changedLeft++;
      }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(5000);
    expect(changedLeft).toBeGreaterThan(2000);
  });
});
