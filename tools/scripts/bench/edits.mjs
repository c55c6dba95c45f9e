// Image editing (issue 12): a 9-megapixel photo from the browser's path to "ready to edit" (upload ticket from
// the BFF → multipart POST straight to the S3 stand-in → the generator's check), and the worker's input check
// of the same bytes (decode, orientation, metadata stripped, PNG for the model) in this process: the same
// function the worker runs, built from the library with esbuild.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import sharp from 'sharp';

import { pct } from './client.mjs';

/** A photo-like 4000×2250 (9.0 MP) JPEG: smooth gradients with grain, so it compresses like a photo, not like noise. */
export async function photo9mp() {
  const width = 4000;
  const height = 2250;
  const raw = Buffer.alloc(width * height * 3);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 48 - 24;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = Math.max(0, Math.min(255, (x / width) * 200 + 30 + rnd()));
      raw[i + 1] = Math.max(0, Math.min(255, (y / height) * 180 + 40 + rnd()));
      raw[i + 2] = Math.max(0, Math.min(255, 128 + 90 * Math.sin((x + y) / 300) + rnd()));
    }
  const bytes = await sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 1 })
    .toBuffer();
  return { bytes, width, height };
}

/** The worker's input check, bundled from the TypeScript library (sharp stays external: the same native build). */
async function inputCheck(root) {
  const outDir = join(root, 'tmp', 'bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'input-check.mjs');
  await build({
    stdin: {
      contents:
        "export { SharpInputImages } from '@imagegen/generator/data-access-images';\nexport { SERVICE_IMAGE_LIMITS } from '@imagegen/contracts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    tsconfig: join(root, 'tsconfig.base.json'),
    external: ['sharp', 'class-validator', 'class-transformer'],
    logLevel: 'silent',
  });
  return import(pathToFileURL(outfile).href);
}

/** One upload through the app: ms for the ticket, the POST to S3, the check, and in all. */
async function uploadThroughApp(url, cookie, image) {
  const json = { 'content-type': 'application/json', cookie, origin: url };
  const t0 = performance.now();
  const ticketRes = await fetch(`${url}/api/uploads`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ contentType: 'image/jpeg', bytes: image.bytes.length }),
  });
  const ticket = await ticketRes.json();
  if (ticketRes.status !== 201)
    throw new Error(`upload ticket: HTTP ${ticketRes.status} ${ticket.code ?? ''}`);
  const t1 = performance.now();
  const form = new FormData();
  for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
  form.append('file', new Blob([image.bytes], { type: 'image/jpeg' }), 'photo.jpg');
  const posted = await fetch(ticket.url, { method: 'POST', body: form });
  if (!posted.ok) throw new Error(`POST to S3: HTTP ${posted.status} ${(await posted.text()).slice(0, 200)}`);
  const t2 = performance.now();
  const checkRes = await fetch(`${url}/api/uploads/${ticket.uploadId}/check`, {
    method: 'POST',
    headers: json,
  });
  const checked = await checkRes.json();
  if (checkRes.status !== 200) throw new Error(`check: HTTP ${checkRes.status} ${checked.code ?? ''}`);
  if (checked.width !== image.width || checked.height !== image.height)
    throw new Error(`check answered ${checked.width}×${checked.height}`);
  const t3 = performance.now();
  return { ticket: t1 - t0, post: t2 - t1, check: t3 - t2, total: t3 - t0 };
}

/** Runs `runs` uploads one after the other and as many input checks; answers the section rows. */
export async function measureEdits({ root, url, runs }) {
  const image = await photo9mp();
  const first = await fetch(`${url}/api/summary`);
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
  const app = [];
  for (let i = 0; i < runs; i++) app.push(await uploadThroughApp(url, cookie, image));
  const { SharpInputImages, SERVICE_IMAGE_LIMITS } = await inputCheck(root);
  const images = new SharpInputImages();
  // What the worker does before the call (worker.ts): prepare, then re-encode when the base64 would not fit
  // Bedrock's 25,000,000-byte body (less its allowance for the other fields).
  const checks = [];
  const prepares = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = await images.prepare(new Uint8Array(image.bytes), SERVICE_IMAGE_LIMITS, 'reject');
    prepares.push(performance.now() - t0);
    if (Math.ceil(out.bytes.length / 3) * 4 > 25_000_000 - 128 * 1024) out = await images.compact(out);
    checks.push(performance.now() - t0);
  }
  const ms = (x) => `${Math.round(x)} ms`;
  const pair = (xs) => `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))}`;
  const of = (k) => app.map((a) => a[k]);
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  return [
    [
      `9 MP JPEG (${image.width}×${image.height}, ${mb(image.bytes.length)}) upload to ready-to-edit (p50 / p95)`,
      pair(of('total')),
    ],
    ['… upload ticket from the BFF (presigned POST)', pair(of('ticket'))],
    ['… multipart POST of the file straight to S3 (the stand-in)', pair(of('post'))],
    ['… check by the generator (decode, limits, not animated, not a bomb)', pair(of('check'))],
    [
      'worker input check of the same image, before the model call (decode, EXIF orientation, metadata stripped, limits, PNG)',
      pair(prepares),
    ],
    [
      `… and its encoding for Bedrock's 25 MB body (PNG, or WebP q92 when the PNG's base64 would not fit: here ${out.bytes.length > 0 && out.bytes[0] === 0x52 ? 'WebP' : 'PNG'} of ${mb(out.bytes.length)})`,
      pair(checks),
    ],
  ];
}
