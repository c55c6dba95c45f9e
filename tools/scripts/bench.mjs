#!/usr/bin/env node
// `npm run bench`: measures the generation spine through the local stack and the build sizes,
// prints a table and writes docs/benchmarks.md. Loopback only; bounded in count and time.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '../..');
const SEQUENTIAL_JOBS = Number(process.env.BENCH_JOBS ?? 30);
const CONCURRENT_JOBS = 32;
const CONCURRENCY = 8;
const PORTS = { PORT: 4500, BFF_PORT: 4501, LOCAL_APIGW_PORT: 4502, LOCAL_BEDROCK_PORT: 4503, LOCAL_S3_PORT: 4504, LOCAL_DYNAMODB_PORT: 4506, LOCAL_LAMBDA_PORT: 4507 };
const base = `http://127.0.0.1:${PORTS.PORT}`;

console.log('bench: building (cached when unchanged)…');
const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'web', 'bff', 'local-cloud', 'generator', '--outputStyle=static'], { cwd: root, stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
if (build.status !== 0) throw new Error('build failed: run `npm run build` to see why');

const dataDir = join(root, 'tmp', 'bench-local-cloud');
rmSync(dataDir, { recursive: true, force: true });
const stack = spawn(process.execPath, ['dist/apps/local-cloud/main.js'], {
  cwd: root,
  env: { ...process.env, ...Object.fromEntries(Object.entries(PORTS).map(([k, v]) => [k, String(v)])), LOCAL_CLOUD_DATA_DIR: dataDir, LOG_LEVEL: 'warn', LOCAL_BEDROCK_LATENCY_MS: '0', LOCAL_WORKER_CONCURRENCY: String(CONCURRENCY) },
  stdio: ['ignore', 'ignore', 'inherit'],
});
let stopped = false;
const stop = () => {
  if (stopped || stack.exitCode !== null) return;
  stopped = true;
  stack.kill('SIGTERM');
};
process.on('exit', stop);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const deadline = Date.now() + 60_000;
for (;;) {
  try {
    if ((await fetch(`${base}/api/ready`)).ok) break;
  } catch {}
  if (Date.now() > deadline) throw new Error('the local stack did not get ready in 60 s');
  await sleep(100);
}
const readyMs = Date.now() - started;

const cookie = (await fetch(`${base}/api/models`)).headers.get('set-cookie').split(';')[0];
async function job(prompt) {
  const t0 = performance.now();
  const created = await (await fetch(`${base}/api/generations`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ modelId: 'stability.stable-image-core-v1:1', prompt }) })).json();
  for (let i = 0; i < 3000; i++) {
    const g = await (await fetch(`${base}/api/generations/${created.id}`, { headers: { cookie } })).json();
    if (g.status === 'succeeded') return { totalMs: performance.now() - t0, workerMs: g.durationMs };
    if (g.status === 'failed') throw new Error(`job failed: ${g.error?.code}`);
    await sleep(10);
  }
  throw new Error('job did not finish');
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

await job('warm-up');
const sequential = [];
for (let i = 0; i < SEQUENTIAL_JOBS; i++) sequential.push(await job(`bench prompt ${i}`));

const c0 = performance.now();
const queue = Array.from({ length: CONCURRENT_JOBS }, (_, i) => `concurrent prompt ${i}`);
const concurrent = [];
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (queue.length) concurrent.push(await job(queue.shift()));
}));
const concurrentWallMs = performance.now() - c0;
stop();

const size = (p) => statSync(join(root, p)).size;
const html = readFileSync(join(root, 'dist/apps/web/browser/index.html'), 'utf8');
const initial = [...new Set([...html.matchAll(/[\w-]+-[A-Z0-9]{8}\.(?:js|css)/g)].map((m) => m[0]))];
const initialRaw = initial.reduce((s, f) => s + size(`dist/apps/web/browser/${f}`), 0);
const initialGzip = initial.reduce((s, f) => s + gzipSync(readFileSync(join(root, 'dist/apps/web/browser', f))).length, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${Math.round(n)} ms`;

const rows = [
  ['local stack start → ready (BFF answering /api/ready)', ms(readyMs)],
  [`job end to end through BFF + API GW + Lambda + Bedrock stand-in at 0 ms model latency, p50 (n=${SEQUENTIAL_JOBS}, client polls every 10 ms)`, ms(pct(sequential.map((j) => j.totalMs), 50))],
  ['same, p95', ms(pct(sequential.map((j) => j.totalMs), 95))],
  ['worker time per job (queued → succeeded: invoke, 1536² PNG render, S3 put, DynamoDB), p50', ms(pct(sequential.map((j) => j.workerMs), 50))],
  [`${CONCURRENT_JOBS} jobs at concurrency ${CONCURRENCY} (worker budget ${CONCURRENCY}): wall time`, ms(concurrentWallMs)],
  [`same: job end to end p50 / p95`, `${ms(pct(concurrent.map((j) => j.totalMs), 50))} / ${ms(pct(concurrent.map((j) => j.totalMs), 95))}`],
  ['generator Lambda bundle (minified, one file for both handlers)', kb(size('dist/apps/generator/main.js'))],
  ['web initial bundle (index.html scripts + styles), raw / gzip', `${kb(initialRaw)} / ${kb(initialGzip)}`],
];

const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const table = ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
console.log(`\n${table}\n`);
writeFileSync(
  join(root, 'docs/benchmarks.md'),
  `# Benchmarks\n\nWritten by \`npm run bench\` (tools/scripts/bench.mjs) on ${new Date().toISOString().slice(0, 10)}: ${machine}.\n` +
    'Everything runs on loopback against the embedded local stack with the offline engine; figures are from one run.\n\n' +
    `${table}\n`,
);
console.log('written to docs/benchmarks.md');
process.exit(0);
