import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';

import { ErrorCode, Generation, OWNER_HEADER } from '@imagegen/contracts';
import { readImageInfo } from '@imagegen/generator/model-adapters';
import { NO_FAULTS } from '@imagegen/local-cloud/feature-bedrock';
import { readParametersText } from '@imagegen/shared/util-image-codecs';
import { createLogger } from '@imagegen/shared/util-logging';
import { signRequest } from '@imagegen/shared/util-sigv4';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_CREDENTIALS, LOCAL_REGION } from './settings';
import { inProcessStackEnv } from './testing/stack-env';

const CORE = 'stability.stable-image-core-v1:1';
const OWNER = 'anon-integration-1';

let dir: string;
let cloud: LocalCloud;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-int-'));
  const env = inProcessStackEnv(dir, { LOCAL_BEDROCK_LATENCY_MS: '0', LOCAL_RETENTION_SWEEP_SECONDS: '0' });
  const destination = new Writable({
    write: (c, _e, done) => (logLines.push(JSON.parse(String(c))), done()),
  });
  cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(env),
    log: createLogger({ service: 'local-cloud', destination }),
  });
});

afterAll(async () => {
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => cloud.bedrock.setFaults(NO_FAULTS));

/** A call to the generator API the way the BFF makes it: SigV4-signed with the owner header. */
async function api(
  method: string,
  path: string,
  body?: unknown,
  owner = OWNER,
  extra: Record<string, string> = {},
) {
  const url = `${cloud.urls.apiGateway}${path}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = await signRequest(
    {
      method,
      url,
      headers: { 'content-type': 'application/json', [OWNER_HEADER]: owner, ...extra },
      ...(text ? { body: text } : {}),
    },
    { service: 'execute-api', region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
  );
  const res = await fetch(url, { method, headers, ...(text ? { body: text } : {}) });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: res.status === 204 ? undefined : await res.json(),
  };
}

async function settled(id: string, owner = OWNER): Promise<Generation> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await api('GET', `/generations/${id}`, undefined, owner);
    if (!['queued', 'running'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function objectsOf(id: string, owner = OWNER): Promise<string[]> {
  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint: cloud.urls.s3,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  const out = await s3.send(
    new ListObjectsV2Command({ Bucket: cloud.names.bucket, Prefix: `owners/${owner}/generations/${id}/` }),
  );
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

describe('the generation spine through the local cloud', () => {
  it('turns a prompt into a job, an image in S3 and a presigned URL that downloads a PNG of the model size', async () => {
    // WHEN
    const created = await api('POST', '/generations', {
      modelId: CORE,
      prompt: 'a lighthouse on a cliff',
      seed: 1234,
    });
    // THEN the job is answered at once, queued
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', modelId: CORE, images: [] });

    const job = await settled(created.body.id);
    expect(job).toMatchObject({ status: 'succeeded', engine: 'offline', estimatedCostUsd: 0.04 });
    expect(job.images).toHaveLength(1);
    const [image] = job.images;
    expect(image).toMatchObject({ width: 1536, height: 1536, seed: 1234, format: 'png' });
    expect(image.url.startsWith(cloud.urls.s3)).toBe(true);

    const download = await fetch(image.url);
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(readImageInfo(bytes)).toEqual({ format: 'png', width: 1536, height: 1536 });
    expect(bytes.length).toBe(image.bytes);
    // AND the file says how it was made, and still decodes
    expect(readParametersText(bytes)).toMatch(
      /^a lighthouse on a cliff\nSeed: 1234, Size: 1536x1536, Aspect ratio: 1:1, Model: stability\.stable-image-core-v1:1, Created: /,
    );
    expect(await sharp(Buffer.from(bytes)).metadata()).toMatchObject({ width: 1536, height: 1536 });
    // AND a small WebP thumbnail sits beside it, for the gallery
    expect(image.thumbnailUrl?.startsWith(cloud.urls.s3)).toBe(true);
    const thumb = Buffer.from(await (await fetch(image.thumbnailUrl ?? '')).arrayBuffer());
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'webp', width: 384, height: 384 });
    expect(thumb.length).toBeLessThan(image.bytes / 10);
    expect(await objectsOf(job.id)).toHaveLength(2);
  });

  it('makes several images in other formats, each with its own seed', async () => {
    const created = await api('POST', '/generations', {
      modelId: 'stability.sd3-5-large-v1:0',
      prompt: 'a fox',
      aspectRatio: '16:9',
      count: 2,
      outputFormat: 'webp',
      seed: 10,
    });
    const job = await settled(created.body.id);
    expect(job.images.map((i) => [i.index, i.width, i.height, i.seed, i.format])).toEqual([
      [0, 1344, 768, 10, 'webp'],
      [1, 1344, 768, 11, 'webp'],
    ]);
    // AND each WebP carries its parameters in EXIF (UserComment), as image tools read them
    const bytes = new Uint8Array(await (await fetch(job.images[1].url)).arrayBuffer());
    expect(readParametersText(bytes)).toMatch(
      /^a fox\nSeed: 11, Size: 1344x768, Aspect ratio: 16:9, Model: stability\.sd3-5-large-v1:0/,
    );
    expect((await sharp(Buffer.from(bytes)).metadata()).exif).toBeDefined();
  });

  it('records a content-filtered job as failed CONTENT_FILTERED, with nothing stored', async () => {
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'a forbidden-content scene' });
    const job = await settled(created.body.id);
    expect(job).toMatchObject({ status: 'failed', images: [], error: { code: ErrorCode.CONTENT_FILTERED } });
    expect(await objectsOf(job.id)).toEqual([]);
  });

  it('succeeds after the SDK retries a throttled model', async () => {
    cloud.bedrock.setFaults({ throttleNext: 2 });
    const before = cloud.bedrock.stats().invocations;
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'a busy day' });
    const job = await settled(created.body.id);
    expect(job.status).toBe('succeeded');
    expect(cloud.bedrock.stats().invocations - before).toBe(3);
  });

  it('fails with MODEL_THROTTLED once the retries are spent', async () => {
    cloud.bedrock.setFaults({ throttleNext: 3 });
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'a very busy day' });
    const job = await settled(created.body.id);
    expect(job).toMatchObject({ status: 'failed', error: { code: ErrorCode.MODEL_THROTTLED, status: 429 } });
    expect(job.error?.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('keeps the images made when the model fails on the others, counting only those in the cost', async () => {
    // GIVEN the first image works and every call after it fails
    cloud.bedrock.setFaults({ errorAfter: 1 });
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'a flaky model', count: 3 });
    const job = await settled(created.body.id);
    expect(job).toMatchObject({ status: 'succeeded', costUsd: 0.04, estimatedCostUsd: 0.12 });
    expect(job.images).toHaveLength(1);
    expect(job.failures?.map((f) => f.error.code)).toEqual([
      ErrorCode.MODEL_UNAVAILABLE,
      ErrorCode.MODEL_UNAVAILABLE,
    ]);
    expect(await objectsOf(job.id)).toHaveLength(2); // the image and its thumbnail, nothing of the failed ones
  });

  it('refuses a model the account has no access to before making a job, naming the fix, and says so in /models', async () => {
    const ULTRA = 'stability.stable-image-ultra-v1:1';
    cloud.bedrock.setFaults({ accessDeniedModels: [ULTRA] });
    await new Promise((r) => setTimeout(r, 1100)); // the generator keeps the control plane's answer a second here
    const models = await api('GET', '/models');
    expect(models.body.find((m: { id: string }) => m.id === ULTRA)).toMatchObject({
      available: false,
      availability: 'no-access',
      unavailableReason: expect.stringMatching(/not authorized to use/),
    });
    const refused = await api('POST', '/generations', { modelId: ULTRA, prompt: 'x' });
    expect(refused).toMatchObject({
      status: 403,
      type: 'application/problem+json',
      body: { code: ErrorCode.MODEL_ACCESS_DENIED },
    });
    expect(refused.body.detail).toMatch(/not authorized to use/);
  });

  it('names the fix when the model refuses the account after the job was made', async () => {
    cloud.bedrock.setFaults({ accessDeniedModels: [] });
    await new Promise((r) => setTimeout(r, 1100));
    const created = await api('POST', '/generations', {
      modelId: 'stability.stable-image-ultra-v1:1',
      prompt: 'y',
    });
    cloud.bedrock.setFaults({ accessDeniedModels: ['stability.stable-image-ultra-v1:1'] });
    const job = await settled(created.body.id);
    expect(job.error).toMatchObject({ code: ErrorCode.MODEL_ACCESS_DENIED });
    expect(job.error?.detail).toMatch(/AWS Marketplace subscription/);
  });

  it('refuses bad input with a problem naming the field, and writes nothing', async () => {
    const before = await api('GET', '/generations?limit=100');
    const res = await api('POST', '/generations', { modelId: CORE, prompt: 'x'.repeat(10_001), seed: -5 });
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['prompt', 'seed']);
    const after = await api('GET', '/generations?limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it("answers another owner's job with 404 and lists only the owner's own jobs", async () => {
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'mine' });
    await settled(created.body.id);
    expect((await api('GET', `/generations/${created.body.id}`, undefined, 'anon-someone-else')).status).toBe(
      404,
    );
    const theirs = await api('GET', '/generations', undefined, 'anon-someone-else');
    expect(theirs.body.items).toEqual([]);
  });

  it('refuses an unsigned request and one signed with other credentials with 403', async () => {
    const unsigned = await fetch(`${cloud.urls.apiGateway}/generations`, {
      headers: { [OWNER_HEADER]: OWNER },
    });
    expect(unsigned.status).toBe(403);
    const url = `${cloud.urls.apiGateway}/generations`;
    const headers = await signRequest(
      { method: 'GET', url, headers: { [OWNER_HEADER]: OWNER } },
      {
        service: 'execute-api',
        region: LOCAL_REGION,
        credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: 'stolen-but-wrong' },
      },
    );
    expect((await fetch(url, { headers })).status).toBe(403);
  });

  it('answers 403 for a tampered or expired presigned URL', async () => {
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'a locked door' });
    const [image] = (await settled(created.body.id)).images;
    const tampered = image.url.replace(/\/generations\/[^/]+\//, '/generations/someone-elses-job/');
    expect((await fetch(tampered)).status).toBe(403);
    const forged = image.url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    expect((await fetch(forged)).status).toBe(403);
    const longer = image.url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604800');
    expect((await fetch(longer)).status).toBe(403);
  });

  it('answers a retried POST with the same Idempotency-Key with the first job: one job, one charge', async () => {
    const before = cloud.bedrock.stats().invocations;
    const key = { 'idempotency-key': 'retry-test-0001' };
    const first = await api('POST', '/generations', { modelId: CORE, prompt: 'once only' }, OWNER, key);
    const retry = await api('POST', '/generations', { modelId: CORE, prompt: 'once only' }, OWNER, key);
    expect(retry.body.id).toBe(first.body.id);
    await settled(first.body.id);
    expect(cloud.bedrock.stats().invocations - before).toBe(1);
    const changed = await api(
      'POST',
      '/generations',
      { modelId: CORE, prompt: 'something else' },
      OWNER,
      key,
    );
    expect(changed.status).toBe(409);
  });

  it('cancels a running job: it ends cancelled and keeps no image', async () => {
    cloud.bedrock.setFaults({ latencyMs: 600 });
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'a slow one', count: 3 });
    await new Promise((r) => setTimeout(r, 300));
    const cancelled = await api('POST', `/generations/${created.body.id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    await cloud.lambda.idle();
    const job = await settled(created.body.id);
    expect(job).toMatchObject({ status: 'cancelled', images: [] });
    expect(await objectsOf(job.id)).toEqual([]);
  });

  it('deletes a job and every object of it', async () => {
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'short-lived', count: 2 });
    await settled(created.body.id);
    expect(await objectsOf(created.body.id)).toHaveLength(4);
    expect(
      (await api('DELETE', `/generations/${created.body.id}`, undefined, 'anon-someone-else')).status,
    ).toBe(404);
    expect((await api('DELETE', `/generations/${created.body.id}`)).status).toBe(204);
    expect(await objectsOf(created.body.id)).toEqual([]);
    expect((await api('GET', `/generations/${created.body.id}`)).status).toBe(404);
  });

  it('answers a repeat with the same seed from the stored images: zero Bedrock calls, its own copies, cost 0', async () => {
    const request = { modelId: CORE, prompt: 'a repeatable kite', seed: 4242, count: 2 };
    const first = await settled((await api('POST', '/generations', request)).body.id);
    const before = cloud.bedrock.stats().invocations;
    const repeat = await api('POST', '/generations', request);
    expect(repeat.status).toBe(202);
    expect(repeat.body).toMatchObject({
      status: 'succeeded',
      source: 'store',
      repeatOf: first.id,
      costUsd: 0,
    });
    expect(cloud.bedrock.stats().invocations).toBe(before);
    expect(await objectsOf(repeat.body.id)).toHaveLength(4);
    const [a, b] = await Promise.all([fetch(first.images[0].url), fetch(repeat.body.images[0].url)]);
    expect(Buffer.from(await b.arrayBuffer()).equals(Buffer.from(await a.arrayBuffer()))).toBe(true);
    // a different seed is a new image
    const other = await api('POST', '/generations', { ...request, seed: 4243 });
    expect(other.body.status).toBe('queued');
    await settled(other.body.id);
    expect(cloud.bedrock.stats().invocations).toBe(before + 2);
  });

  it("tells an owner the retention and this month's spending", async () => {
    const owner = 'anon-summary-1';
    await settled(
      (await api('POST', '/generations', { modelId: CORE, prompt: 'a bill', count: 2 }, owner)).body.id,
      owner,
    );
    const summary = await api('GET', '/summary', undefined, owner);
    expect(summary.body).toMatchObject({
      retentionDays: 30,
      presignExpirySeconds: 900,
      month: new Date().toISOString().slice(0, 7),
      spentUsd: 0.08,
      images: 2,
    });
    // The budgets as the template sets them (infra's defaults), with the job counted in the owner's (ADR 0015)
    const byName = Object.fromEntries(
      (summary.body.budgets as { name: string; limitUsd: number; usedUsd: number }[]).map((b) => [b.name, b]),
    );
    expect(byName['owner-daily']).toMatchObject({ limitUsd: 2, usedUsd: 0.08 });
    expect(byName['owner-monthly']).toMatchObject({ limitUsd: 20, usedUsd: 0.08 });
    expect(byName['deployment-monthly']).toMatchObject({ limitUsd: 200 });
    expect(summary.body.queue).toMatchObject({ ownerImages: 0, ownerLimit: 8 });
  });

  it('makes the images of one job at once, as many as the worker budget allows', async () => {
    cloud.bedrock.setFaults({ latencyMs: 400 });
    const peak = cloud.bedrock.stats().maxInFlight;
    const created = await api('POST', '/generations', { modelId: CORE, prompt: 'four at once', count: 4 });
    const job = await settled(created.body.id);
    expect(job.images).toHaveLength(4);
    expect(new Set(job.images.map((i) => i.seed)).size).toBe(4);
    expect(cloud.lambda.stats().maxRunning).toBeLessThanOrEqual(4);
    expect(cloud.bedrock.stats().maxInFlight).toBeGreaterThanOrEqual(Math.max(peak, 2));
  });
});
