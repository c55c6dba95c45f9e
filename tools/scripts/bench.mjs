#!/usr/bin/env node
// `npm run bench`: every figure the issues ask for, each measured in one run beside its baseline,
// printed as tables and written to docs/benchmarks.md. Loopback only, against the built local stack.
// Sizes have budgets that fail the run; times are reported, never judged.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { chromium } from 'playwright-core';

import { measureAssistant } from './bench/assistant.mjs';
import { browser, CORE, jobMs, pct, pool, SD35, traffic } from './bench/client.mjs';
import { measureEdits } from './bench/edits.mjs';
import { rssMiB, sleep, startStack } from './bench/stack.mjs';

const root = resolve(import.meta.dirname, '../..');
const QUICK = process.env.BENCH_QUICK === '1'; // a smoke run with small counts (not for the figures)
// Only the sizes and cold starts, printed (docs/benchmarks.md is left as it is): a quick check of the artifacts.
const SIZES_ONLY = process.env.BENCH_ONLY === 'sizes';
// Only the prompt assistant's figures, printed (docs/benchmarks.md is left as it is).
const ASSISTANT_ONLY = process.env.BENCH_ONLY === 'assistant';
// Only the image-editing figures (issue 12), printed (docs/benchmarks.md is left as it is).
const EDITS_ONLY = process.env.BENCH_ONLY === 'edits';
// The generator's build: its handlers and their budget (what generator:build enforces and CDK deploys).
const { BUDGET_BYTES, HANDLERS } = createRequire(import.meta.url)('../../apps/generator/bundle.cjs');
const n = (full, quick) => (QUICK ? quick : full);
const LOCAL = {
  region: 'us-west-2',
  credentials: {
    accessKeyId: 'LOCALACCESSKEY0000000',
    secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
  },
};
/** Budgets on sizes: a change that breaks one fails the run (times are only reported). */
const BUDGETS = { webInitialGzipKiB: 150, generatorHandlerKiB: BUDGET_BYTES / 1024 };

const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const mib = (x) => `${x.toFixed(0)} MiB`;
const triple = (xs) => `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))} / ${ms(pct(xs, 99))}`;
const sections = [];
const failures = [];
function section(title, note, header, rows) {
  sections.push({ title, note, header, rows });
  console.log(`\n${title}\n${[header, ...rows].map((r) => '  ' + r.join(' | ')).join('\n')}`);
}

console.log('bench: building web, bff, local-cloud and generator (cached when unchanged)…');
const build = spawnSync(
  'npx',
  ['nx', 'run-many', '-t', 'build', '-p', 'web', 'bff', 'local-cloud', 'generator', '--outputStyle=static'],
  { cwd: root, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } },
);
if (build.status !== 0) throw new Error('build failed: run `npm run build` to see why');

// ── Sizes and cold starts ───────────────────────────────────────────────────────────────────────
const size = (p) => statSync(join(root, p)).size;
const html = readFileSync(join(root, 'dist/apps/web/browser/index.html'), 'utf8');
/**
 * What index.html loads before the page can run: the files it names (as attributes, or in the loader script Angular's
 * autoCsp writes: `['main-….js', "module", …]`) and, from those, every file imported statically (lazy routes are not).
 */
function initialFiles() {
  const named = [...html.matchAll(/(?:(?:src|href)="|\[')([\w-]+\.(?:js|css))["']/g)].map((m) => m[1]);
  const files = new Set();
  const queue = [...named];
  while (queue.length) {
    const file = queue.pop();
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(join(root, 'dist/apps/web/browser', file), 'utf8');
    for (const m of code.matchAll(
      /(?:^|[;}\s])(?:import|export)\s*(?:[^"'();]*?from\s*)?["']\.\/([\w-]+\.js)["']/g,
    ))
      queue.push(m[1]);
  }
  return [...files];
}
const initial = initialFiles();
const initialRaw = initial.reduce((s, f) => s + size(`dist/apps/web/browser/${f}`), 0);
const initialGzip = initial.reduce(
  (s, f) => s + gzipSync(readFileSync(join(root, 'dist/apps/web/browser', f)), { level: 9 }).length,
  0,
);
// The deployed artifacts: CDK ships these folders as they are (infra/src/constructs/generator-api.ts).
const handlers = Object.keys(HANDLERS);
const generatorBytes = Object.fromEntries(
  handlers.map((h) => [h, size(`dist/apps/generator/${h}/index.js`)]),
);
const bffPackage = JSON.parse(readFileSync(join(root, 'dist/apps/bff/package.json'), 'utf8'));
const bffLocked =
  Object.keys(JSON.parse(readFileSync(join(root, 'dist/apps/bff/package-lock.json'), 'utf8')).packages)
    .length - 1;
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (initialGzip / 1024 > BUDGETS.webInitialGzipKiB)
  failures.push(
    `web initial bundle ${kib(initialGzip)} gzip is over its budget of ${BUDGETS.webInitialGzipKiB} KiB`,
  );
for (const h of handlers)
  if (generatorBytes[h] / 1024 > BUDGETS.generatorHandlerKiB)
    failures.push(
      `generator ${h} bundle ${kib(generatorBytes[h])} is over its budget of ${BUDGETS.generatorHandlerKiB} KiB`,
    );

/** A fresh Node process: loading a file, then one call, in ms (the first lines the process prints). */
function coldStart(script, env) {
  const out = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`cold start failed: ${out.stderr.slice(0, 500)}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

// ── One stack for most figures: worker budget 32, model time set per scenario ───────────────────
const stack = await startStack(root, { base: 4500, env: { LOCAL_WORKER_CONCURRENCY: '32' } });
const s3 = new S3Client({
  ...LOCAL,
  endpoint: `http://127.0.0.1:${stack.ports.LOCAL_S3_PORT}`,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  requestHandler: new NodeHttpHandler({ connectionTimeout: 5000 }),
});
// The table and bucket are named by the synthesized template (ADR 0007): the stack holds one of each.
const dynamo = new DynamoDBClient({
  ...LOCAL,
  endpoint: `http://127.0.0.1:${stack.ports.LOCAL_DYNAMODB_PORT}`,
});
const NAMES = {
  bucket: (await s3.send(new ListBucketsCommand({}))).Buckets?.[0]?.Name ?? '',
  table: (await dynamo.send(new ListTablesCommand({}))).TableNames?.[0] ?? '',
};
dynamo.destroy();
const bedrock = new BedrockRuntimeClient({
  ...LOCAL,
  endpoint: `http://127.0.0.1:${stack.ports.LOCAL_BEDROCK_PORT}`,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 5000 }),
});

const ASSISTANT_NOTE =
  "Issue 15: \"Improve prompt\" through the browser's path (web front → BFF → ConverseStream on the Bedrock stand-in, event-stream framing, IAM from the template → SSE), one suggestion at a time, beside the bare ConverseStream call to the stand-in (its offline writer streams a word every 25 ms). The cost is the real one: the stream's token counts at the catalog's Nova Micro prices.";
if (ASSISTANT_ONLY) {
  try {
    const rows = await measureAssistant({ url: stack.url, bedrock, runs: n(20, 4) });
    section('Prompt assistant', ASSISTANT_NOTE, ['measure', 'imagegen', 'bare ConverseStream'], rows);
    console.log('\nBENCH_ONLY=assistant: docs/benchmarks.md left as it is');
  } finally {
    await stack.stop();
  }
  process.exit(0);
}

const EDITS_NOTE =
  "Issue 12: a 9-megapixel photo through the browser's path to ready-to-edit: an upload ticket from the BFF (a presigned POST fixing the key, the type and a size range), the file posted straight to the S3 stand-in (no image byte through the BFF or a Lambda payload), then the generator's check (decoded in full, limits, not animated, not a bomb). Beside it, the worker's input check of the same bytes before a model call, in this process: the library function the worker runs.";
if (EDITS_ONLY) {
  try {
    const rows = await measureEdits({ root, url: stack.url, runs: n(10, 2) });
    section('Image editing: uploads and input checks', EDITS_NOTE, ['measure', 'p50 / p95'], rows);
    console.log('\nBENCH_ONLY=edits: docs/benchmarks.md left as it is');
  } finally {
    await stack.stop();
  }
  process.exit(0);
}

try {
  const generatorCold = coldStart(
    `const t0=performance.now();const g=require('./dist/apps/generator/api/index.js');const loaded=performance.now()-t0;` +
      `g.handler({httpMethod:'GET',path:'/models',headers:{},queryStringParameters:null,body:null,isBase64Encoded:false,requestContext:{requestId:'cold'}}).then(r=>{` +
      `if(r.statusCode!==200)throw new Error('HTTP '+r.statusCode);console.log(JSON.stringify({loaded,first:performance.now()-t0}))})`,
    {
      AWS_ACCESS_KEY_ID: LOCAL.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL.credentials.secretAccessKey,
      AWS_REGION: LOCAL.region,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${stack.ports.LOCAL_DYNAMODB_PORT}`,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${stack.ports.LOCAL_S3_PORT}`,
      AWS_ENDPOINT_URL_BEDROCK: `http://127.0.0.1:${stack.ports.LOCAL_BEDROCK_PORT}`,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: `http://127.0.0.1:${stack.ports.LOCAL_BEDROCK_PORT}`,
      GENERATIONS_TABLE: NAMES.table,
      IMAGES_BUCKET: NAMES.bucket,
      WORKER_QUEUE_URL: 'http://127.0.0.1:9/000000000000/unused-by-get-models',
      S3_FORCE_PATH_STYLE: 'true',
      LOG_LEVEL: 'silent',
    },
  );
  // The worker and the abandoned-job function: loading the bundle (their first call needs a job).
  const loadOnly = Object.fromEntries(
    ['worker', 'abandoned'].map((h) => [
      h,
      coldStart(
        `const t0=performance.now();require('./dist/apps/generator/${h}/index.js');console.log(JSON.stringify({loaded:performance.now()-t0}))`,
        {},
      ).loaded,
    ]),
  );
  const bffCold = await (async () => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['dist/apps/bff/main.js'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: '4590',
        GENERATOR_API_URL: `http://127.0.0.1:${stack.ports.LOCAL_APIGW_PORT}`,
        COOKIE_SECRET: 'bench-only-secret-bench-only-secret-0000',
        LOG_LEVEL: 'silent',
        AWS_ACCESS_KEY_ID: LOCAL.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL.credentials.secretAccessKey,
        AWS_REGION: LOCAL.region,
      },
      stdio: 'ignore',
    });
    for (;;) {
      try {
        if ((await fetch('http://127.0.0.1:4590/api/health')).ok) break;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
    const listening = performance.now() - t0;
    await fetch('http://127.0.0.1:4590/api/models');
    const first = performance.now() - t0;
    child.kill('SIGTERM');
    return { listening, first };
  })();
  section(
    'Sizes and cold starts',
    'A fresh Node process each time, on the files CDK deploys (dist/apps/generator/<handler>/index.js, one minified bundle per function; sharp stays outside, in the worker folder): the API loads, then answers GET /models through the local stand-ins.',
    ['measure', 'value', 'budget'],
    [
      ...handlers.map((h) => [
        `generator ${h} Lambda bundle (minified)`,
        kib(generatorBytes[h]),
        `${BUDGETS.generatorHandlerKiB} KiB`,
      ]),
      [
        'generator API cold start: load the bundle / load + first API call',
        `${ms(generatorCold.loaded)} / ${ms(generatorCold.first)}`,
        '—',
      ],
      [
        'generator worker / abandoned-job cold start: load the bundle',
        `${ms(loadOnly.worker)} / ${ms(loadOnly.abandoned)}`,
        '—',
      ],
      [
        "BFF image dependencies: direct / locked packages (the monorepo's: direct)",
        `${Object.keys(bffPackage.dependencies).length} / ${bffLocked} (${Object.keys(rootPackage.dependencies).length})`,
        '—',
      ],
      [
        'BFF cold start: process start → listening / → first /api/models answered',
        `${ms(bffCold.listening)} / ${ms(bffCold.first)}`,
        '—',
      ],
      [
        'web initial bundle (what index.html loads), raw / gzip',
        `${kib(initialRaw)} / ${kib(initialGzip)}`,
        `${BUDGETS.webInitialGzipKiB} KiB gzip`,
      ],
    ],
  );

  if (SIZES_ONLY) {
    await stack.stop();
    console.log('\nBENCH_ONLY=sizes: docs/benchmarks.md left as it is');
    if (failures.length) console.error(`\nbench FAILED:\n${failures.map((f) => `  ✗ ${f}`).join('\n')}`);
    process.exit(failures.length ? 1 : 0);
  }

  // ── Overhead: the system around the model, against calling the pieces directly ──────────────────
  const b = await browser(stack.url);
  async function baselineOnce(latencyMs) {
    const t0 = performance.now();
    const body = new TextEncoder().encode(
      JSON.stringify({ prompt: 'baseline', seed: 7, output_format: 'png' }),
    );
    const out = await bedrock.send(
      new InvokeModelCommand({
        modelId: CORE,
        contentType: 'application/json',
        accept: 'application/json',
        body,
      }),
    );
    const image = Buffer.from(JSON.parse(new TextDecoder().decode(out.body)).images[0], 'base64');
    const key = `bench/${Math.random().toString(36).slice(2)}.png`;
    await s3.send(
      new PutObjectCommand({ Bucket: NAMES.bucket, Key: key, Body: image, ContentType: 'image/png' }),
    );
    await getSignedUrl(s3, new GetObjectCommand({ Bucket: NAMES.bucket, Key: key }), { expiresIn: 900 });
    return performance.now() - t0 - latencyMs;
  }
  const overheadRows = [];
  for (const latencyMs of [0, 1000]) {
    await stack.bedrock.post('/__faults', { latencyMs, latencyJitter: 0 });
    for (const concurrency of [1, 32]) {
      const count = concurrency === 1 ? n(30, 5) : n(96, 32);
      await b.settle((await b.create({ modelId: CORE, prompt: 'warm-up' })).body.id); // warm caches and connections
      const jobs = await pool(count, concurrency, async (i) => {
        const created = await b.create({
          modelId: CORE,
          prompt: `overhead ${latencyMs} ${concurrency} ${i}`,
        });
        if (created.status !== 202) throw new Error(`create: HTTP ${created.status}`);
        return (await b.settle(created.body.id, concurrency === 1 ? 10 : 100)).job;
      });
      if (jobs.some((j) => j.status !== 'succeeded')) throw new Error('a benchmark job failed');
      const system = jobs.map((j) => jobMs(j) - latencyMs);
      const base = await pool(count, concurrency, () => baselineOnce(latencyMs));
      overheadRows.push([
        `${latencyMs / 1000} s`,
        String(concurrency),
        String(count),
        triple(system),
        triple(base),
        ms(pct(system, 50) - pct(base, 50)),
      ]);
    }
  }
  section(
    'Overhead: job time minus the model time, against the bare calls',
    "imagegen: from the record being created (POST through BFF → API Gateway → API Lambda → DynamoDB) to the job recorded succeeded (worker: Lambda invoke, Bedrock stand-in, parameters embedded, 1536² PNG and a WebP thumbnail stored in S3, DynamoDB), minus the stand-in's model time. Baseline: the same InvokeModel + S3 PutObject + presign called directly with the SDK. Both include the offline engine drawing the PNG.",
    [
      'model time',
      'concurrency',
      'jobs',
      'imagegen p50 / p95 / p99',
      'baseline p50 / p95 / p99',
      'overhead p50',
    ],
    overheadRows,
  );
  await stack.bedrock.post('/__faults', { latencyMs: 0 });

  // ── Repeats from the store ─────────────────────────────────────────────────────────────────────
  const repeatMs = [];
  const freshMs = [];
  for (let i = 0; i < n(20, 3); i++) {
    const request = { modelId: CORE, prompt: `repeat ${i}`, seed: 1000 + i };
    let t0 = performance.now();
    const first = await b.create(request);
    await b.settle(first.body.id, 5);
    freshMs.push(performance.now() - t0);
    t0 = performance.now();
    const again = await b.create(request);
    repeatMs.push(performance.now() - t0);
    if (again.body.source !== 'store') throw new Error('a repeat was not answered from the store');
  }
  section(
    'Repeat from the store',
    'The same request with an explicit seed again: answered by the POST itself (S3 copies, no model call), against making it (POST, then polling every 5 ms until it ended) at 0 s model time.',
    ['measure', 'p50', 'p95'],
    [
      ['repeat: POST answered with the finished job', ms(pct(repeatMs, 50)), ms(pct(repeatMs, 95))],
      ['first time: POST until seen finished', ms(pct(freshMs, 50)), ms(pct(freshMs, 95))],
    ],
  );

  // ── Gallery: 200 jobs, first page, paging; thumbnail of a 1 MP image ───────────────────────────
  const g = await browser(stack.url);
  await pool(200, 32, async (i) =>
    g.settle((await g.create({ modelId: CORE, prompt: `gallery ${i}` })).body.id, 50),
  );
  const firstPage = [];
  for (let i = 0; i < n(30, 5); i++) {
    const t0 = performance.now();
    const page = await g.call('GET', '/api/generations?limit=24');
    firstPage.push(performance.now() - t0);
    if (page.body.items.length !== 24) throw new Error('the first page is short');
  }
  const seen = [];
  let cursor;
  do {
    const page = await g.call('GET', `/api/generations?limit=24${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.body.items.map((j) => j.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  const one = await b.create({
    modelId: SD35,
    prompt: 'a one-megapixel lighthouse at dusk, detailed',
    aspectRatio: '1:1',
  });
  const mp = (await b.settle(one.body.id)).job.images[0];
  const thumbBytes = Number((await fetch(mp.thumbnailUrl)).headers.get('content-length'));
  section(
    'Gallery',
    'An owner with 200 finished jobs; the page size the gallery uses (24), each item with fresh presigned links for the image and its thumbnail.',
    ['measure', 'value'],
    [
      [
        'first page of 24 (GET /api/generations), p50 / p95',
        `${ms(pct(firstPage, 50))} / ${ms(pct(firstPage, 95))}`,
      ],
      ['paging through all 200 by cursor: items seen / distinct', `${seen.length} / ${new Set(seen).size}`],
      [
        `thumbnail of a 1 MP image (${mp.width}×${mp.height} PNG of ${kib(mp.bytes)})`,
        `${kib(thumbBytes)} WebP (≤ 384 px)`,
      ],
    ],
  );

  // ── 200 browsers following jobs (server-sent events) ───────────────────────────────────────────
  await stack.bedrock.post('/__faults', { latencyMs: 30_000 });
  const bffPid = stack.bffPid();
  const rssBefore = rssMiB(bffPid);
  const followers = await pool(200, 50, async (i) => {
    const browserN = await browser(stack.url);
    const job = await browserN.create({ modelId: CORE, prompt: `followed ${i}` });
    const controller = new AbortController();
    const res = await fetch(`${stack.url}/api/generations/${job.body.id}/events`, {
      headers: { cookie: browserN.cookie },
      signal: controller.signal,
    });
    const reader = res.body.getReader();
    await reader.read(); // the first event: the stream is open
    return { controller, reader };
  });
  await sleep(8000); // several rounds of the BFF's polls
  const rssFollowing = rssMiB(bffPid);
  followers.forEach((f) => f.controller.abort());
  section(
    'BFF memory with 200 browsers following jobs',
    'Each browser opens GET /api/generations/:id/events on a job that runs 30 s; the BFF polls the generator for each stream.',
    ['measure', 'value'],
    [
      ['BFF RSS before / with 200 open streams (after 8 s)', `${mib(rssBefore)} / ${mib(rssFollowing)}`],
      ['per stream', `${(((rssFollowing - rssBefore) * 1024) / 200).toFixed(0)} KiB`],
    ],
  );

  // ── Largest Contentful Paint of the app, headless Chromium ──────────────────────────────────────
  const chrome = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const lcps = [];
  for (let i = 0; i < n(5, 2); i++) {
    const context = await chrome.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(stack.url, { waitUntil: 'networkidle' });
    lcps.push(
      await page.evaluate(
        () =>
          new Promise((resolve) =>
            new PerformanceObserver((list) => resolve(list.getEntries().at(-1)?.startTime ?? NaN)).observe({
              type: 'largest-contentful-paint',
              buffered: true,
            }),
          ),
      ),
    );
    await context.close();
  }
  await chrome.close();
  section(
    'Web page',
    'The create page on localhost (fresh browser context each time, no cache).',
    ['measure', 'value'],
    [['Largest Contentful Paint, median of ' + lcps.length, ms(pct(lcps, 50))]],
  );

  section(
    'Prompt assistant',
    ASSISTANT_NOTE,
    ['measure', 'imagegen', 'bare ConverseStream'],
    await measureAssistant({ url: stack.url, bedrock, runs: n(20, 4) }),
  );

  section(
    'Image editing: uploads and input checks',
    EDITS_NOTE,
    ['measure', 'p50 / p95'],
    await measureEdits({ root, url: stack.url, runs: n(10, 2) }),
  );

  // Every invocation payload of the run above (the API function's proxy events and answers, the worker's queue
  // events), as the Lambda stand-in counted them: uploads and edits included, images go by S3 keys only.
  const { payloads } = await stack.lambda.get('/__stats');
  section(
    'Image bytes through the BFF and Lambda',
    "Every response the benchmark clients got from the BFF above, by content type; the BFF passes the generator Lambda's JSON answers on, and images are fetched from S3 by their presigned links. And every Lambda invocation payload of the same run (events and answers, the 9 MP uploads and their checks included), as the Lambda stand-in counted them.",
    ['measure', 'value'],
    [
      ['image bytes in BFF / Lambda responses (must be 0)', String(traffic.imageBytes)],
      [
        'Lambda invocation payloads / their bytes / the largest / bytes of those holding an image (must be 0)',
        `${payloads.count} / ${kib(payloads.bytes)} / ${kib(payloads.largest)} / ${payloads.imageBytes}`,
      ],
      [
        'BFF responses / their bytes / the largest',
        `${traffic.responses} / ${kib(traffic.bytes)} / ${kib(traffic.largest)}`,
      ],
      ['content types seen', [...traffic.types].join(', ')],
    ],
  );
  if (traffic.imageBytes !== 0) failures.push('image bytes passed through the BFF');
  if (payloads.imageBytes !== 0) failures.push('image bytes passed through a Lambda invocation payload');
} finally {
  await stack.stop();
}

// ── Many images per prompt: the worker budget bounds the model calls ────────────────────────────
const fanOut = [];
for (const budget of [2, 4]) {
  const s = await startStack(root, {
    base: 4520,
    env: { LOCAL_WORKER_CONCURRENCY: String(budget), LOCAL_BEDROCK_LATENCY_MS: '1000' },
  });
  try {
    const c = await browser(s.url);
    await s.lambda.post('/__stats/reset');
    const t0 = performance.now();
    const created = await c.create({ modelId: CORE, prompt: 'four images', count: 4 });
    const { job, seenAt } = await c.settle(created.body.id, 10);
    const stats = await s.lambda.get('/__stats');
    fanOut.push([
      String(budget),
      ms(jobMs(job)),
      ms(seenAt - t0),
      String(stats.maxRunning),
      `${job.images.length} of 4`,
    ]);
  } finally {
    await s.stop();
  }
}
section(
  'A 4-image job at 1 s per image',
  'One worker invocation per image; the worker budget (reserved concurrency, LOCAL_WORKER_CONCURRENCY here) bounds the Bedrock calls in flight.',
  [
    'worker budget',
    'job time (server)',
    'seen done (client, 10 ms polls)',
    'peak worker concurrency',
    'images',
  ],
  fanOut,
);

// ── Load: 500 jobs at concurrency 50, model 1–2 s ───────────────────────────────────────────────
// Twice: with Node's default heap (V8 grows it lazily, so RSS climbs while there is room), and with
// the old space capped at 64 MiB in every process of the stack, where a leak would end in errors or a crash.
async function load(heapMiB) {
  const budget = 16;
  const heap = heapMiB ? { NODE_OPTIONS: `--max-old-space-size=${heapMiB}` } : {};
  const s = await startStack(root, {
    base: 4540,
    env: {
      LOCAL_WORKER_CONCURRENCY: String(budget),
      LOCAL_BEDROCK_LATENCY_MS: '1500',
      LOCAL_BEDROCK_LATENCY_JITTER: '0.33',
      ...heap,
    },
  });
  try {
    const bffPid = s.bffPid();
    const jobsTotal = n(500, 60);
    const clients = await Promise.all(Array.from({ length: 50 }, () => browser(s.url)));
    await s.lambda.post('/__stats/reset');
    const start = { bff: rssMiB(bffPid), cloud: rssMiB(s.pid) };
    const samples = [];
    const sampler = setInterval(() => samples.push({ bff: rssMiB(bffPid), cloud: rssMiB(s.pid) }), 2000);
    const errors = [];
    const t0 = performance.now();
    const done = await pool(jobsTotal, 50, async (i) => {
      const c = clients[i % 50];
      const created = await c.create(
        { modelId: CORE, prompt: `load ${i}` },
        { 'idempotency-key': `load-${i}-${Date.now()}` },
      );
      if (created.status !== 202) {
        errors.push(`create HTTP ${created.status} ${created.body?.code}`);
        return NaN;
      }
      const { job } = await c.settle(created.body.id, 500);
      if (job.status !== 'succeeded') errors.push(`${job.id} ${job.status} ${job.error?.code ?? ''}`);
      return jobMs(job);
    });
    const wall = performance.now() - t0;
    clearInterval(sampler);
    const stats = await s.lambda.get('/__stats');
    const end = { bff: rssMiB(bffPid), cloud: rssMiB(s.pid) };
    const at = (share) => samples[Math.min(samples.length - 1, Math.floor(share * samples.length))] ?? end;
    const path = (key) => [start, at(0.25), at(0.5), at(0.75), end].map((x) => mib(x[key])).join(' → ');
    const label = heapMiB ? `old space capped at ${heapMiB} MiB` : "Node's default heap";
    if (errors.length) failures.push(`${errors.length} load errors (${label})`);
    if (stats.maxRunning > budget)
      failures.push(`worker concurrency ${stats.maxRunning} went over its budget ${budget}`);
    return {
      jobsTotal,
      label,
      rows: [
        [
          'errors (failed creates or jobs)',
          String(errors.length) + (errors.length ? ` (${errors.slice(0, 3).join('; ')})` : ''),
        ],
        [
          'wall time / jobs per second',
          `${(wall / 1000).toFixed(1)} s / ${(jobsTotal / (wall / 1000)).toFixed(1)}`,
        ],
        ['job time (server) p50 / p95 / p99', triple(done.filter(Number.isFinite))],
        [`peak worker concurrency (budget ${budget})`, String(stats.maxRunning)],
        ['BFF RSS: start → 25 % → 50 % → 75 % of the run → end', path('bff')],
        ['local cloud (generator in-process + stand-ins) RSS, same points', path('cloud')],
      ],
    };
  } finally {
    await s.stop();
  }
}
{
  const free = await load(undefined);
  const capped = await load(64);
  section(
    `Load: ${free.jobsTotal} jobs at concurrency 50, model 1–2 s per image`,
    "50 browsers (owners) each creating a job and polling it every 500 ms until done; worker budget 16. Run twice: with Node's default heap, where V8 grows the heap while it has room (RSS climbs without a leak), and with every process's old space capped at 64 MiB, where a leak would end in errors or a crash and flat memory shows as flat RSS.",
    ['measure', free.label, capped.label],
    free.rows.map(([k, v], i) => [k, v, capped.rows[i][1]]),
  );
}

// ── Write docs/benchmarks.md ─────────────────────────────────────────────────────────────────────
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const md = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` (tools/scripts/bench.mjs) on ${new Date().toISOString().slice(0, 10)}: ${machine}.`,
  'Everything runs on loopback against the built local stack (offline engine, stand-ins for Bedrock, S3, DynamoDB, Lambda',
  'and API Gateway); every figure is from this one run, beside its baseline where it has one. Sizes have budgets that fail',
  'the run; times are only reported.' +
    (QUICK ? ' **Quick run (BENCH_QUICK=1): small counts, not for comparison.**' : ''),
  '',
  ...sections.flatMap((s) => [
    `## ${s.title}`,
    '',
    s.note,
    '',
    `| ${s.header.join(' | ')} |`,
    `|${s.header.map(() => '---').join('|')}|`,
    ...s.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ]),
].join('\n');
writeFileSync(join(root, 'docs/benchmarks.md'), md);
console.log('\nwritten to docs/benchmarks.md');
if (failures.length) {
  console.error(`\nbench FAILED:\n${failures.map((f) => `  ✗ ${f}`).join('\n')}`);
  process.exit(1);
}
process.exit(0);
