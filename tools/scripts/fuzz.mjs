#!/usr/bin/env node
// The full fuzz run: builds web, bff and local-cloud, then runs apps/web-e2e/src/fuzz.e2e-spec.ts
// (its global setup starts the local stack) with FUZZ_RUNS=10000, and prints the count, the seed,
// the status histogram and the wall time. `npm test` runs the same spec with 1,000 requests.
//   node tools/scripts/fuzz.mjs                 a new seed
//   FUZZ_SEED=123 node tools/scripts/fuzz.mjs   replays a run (FUZZ_RUNS too, if it was changed)
// The stack runs on its own port block (E2E_PORT_BASE, default 4700) with the BFF's rate limits
// raised, so that all 10,000 requests reach the code under test (429 stays a valid answer).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const summaryFile = join(root, 'test-output', 'web-e2e', 'fuzz-summary.json');
const started = Date.now();

console.log('fuzz: building web, bff and local-cloud (cached when unchanged)…');
const build = spawnSync(
  'npx',
  ['nx', 'run-many', '-t', 'build', '-p', 'web', 'bff', 'local-cloud', '--outputStyle=static'],
  {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NX_DAEMON: 'false' },
  },
);
if (build.status !== 0) {
  console.error('fuzz: the build failed: run `npm run build` to see why');
  process.exit(1);
}

const LIMIT = '1000000';
const env = {
  ...process.env,
  FUZZ_RUNS: process.env.FUZZ_RUNS ?? '10000',
  E2E_PORT_BASE: process.env.E2E_PORT_BASE ?? '4700',
  RATE_LIMIT_PER_IP: process.env.RATE_LIMIT_PER_IP ?? LIMIT,
  RATE_LIMIT_PER_OWNER: process.env.RATE_LIMIT_PER_OWNER ?? LIMIT,
  RATE_LIMIT_JOBS_PER_OWNER: process.env.RATE_LIMIT_JOBS_PER_OWNER ?? LIMIT,
};
rmSync(summaryFile, { force: true });
console.log(`fuzz: ${env.FUZZ_RUNS} requests against the stack on ports ${env.E2E_PORT_BASE}+ …`);
const run = spawnSync(
  'npx',
  ['jest', '-c', 'apps/web-e2e/jest.config.cjs', '--runInBand', 'apps/web-e2e/src/fuzz.e2e-spec.ts'],
  { cwd: root, stdio: 'inherit', env },
);

if (!existsSync(summaryFile)) {
  console.error('fuzz: the run wrote no summary (see the output above)');
  process.exit(run.status || 1);
}
const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
const statuses = [...new Set(Object.keys(s.statuses).map((k) => k.split(' ')[1]))].sort();
const count = (target, status) => s.statuses[`${target} ${status}`] ?? 0;
const rows = [
  ['status', 'BFF', 'generator API', 'all'],
  ...statuses.map((st) => [
    st,
    count('bff', st),
    count('generator', st),
    count('bff', st) + count('generator', st),
  ]),
];
rows.push([
  'all',
  ...['bff', 'generator'].map((t) => statuses.reduce((n, st) => n + count(t, st), 0)),
  s.requests,
]);
const widths = rows[0].map((_c, i) => Math.max(...rows.map((r) => String(r[i]).length)));
const table = rows
  .map((r) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '),
  )
  .join('\n  ');

console.log(`
━━━ fuzz summary ━━━
  requests   ${s.requests} (numRuns ${s.numRuns}: generator API ${s.runs.generator}, BFF ${s.runs.bff})
  seed       ${s.seed}   (replay: FUZZ_SEED=${s.seed} FUZZ_RUNS=${s.numRuns} node tools/scripts/fuzz.mjs)
  jobs       ${s.jobsCreated} made by 2xx answers, ${s.jobsDeleted} deleted, ${s.owners} owners audited
  wall time  ${s.wallSeconds} s in the spec, ${Math.round((Date.now() - started) / 1000)} s in all

  ${table}

  codes: ${Object.entries(s.codes)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}
${s.failures.length ? `\nFAILED:\n${s.failures.join('\n\n')}` : run.status === 0 ? '\n  no 5xx, no answer outside the rule, nothing written for a rejected request' : '\nFAILED: see the output above'}
`);
process.exit(run.status ?? 1);
