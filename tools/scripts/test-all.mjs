#!/usr/bin/env node
// `npm test`: every check CI runs, in order, then one pass/fail summary.
// Steps: format (Prettier, imports in order) → lint (Nx module boundaries, Angular rules) → typecheck → unit tests → build →
// integration tests against the local stack → browser end-to-end tests.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { missingPrerequisites } from './prerequisites.mjs';

const missing = missingPrerequisites();
if (missing.length) {
  console.error(`npm test needs: ${missing.join('; ')}. Nothing was run.`);
  process.exit(1);
}

const root = resolve(import.meta.dirname, '../..');
const resultsDir = join(root, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const nx = (...args) => ['npx', ['nx', ...args, '--outputStyle=static', '--skipNxCache']];
const steps = [
  { name: 'format', cmd: ['npx', ['nx', 'format:check', '--all']] },
  { name: 'lint', cmd: nx('run-many', '-t', 'lint') },
  { name: 'typecheck', cmd: ['npx', ['tsc', '-p', 'tsconfig.typecheck.json']] },
  { name: 'unit tests', cmd: nx('run-many', '-t', 'test') },
  { name: 'build', cmd: nx('run-many', '-t', 'build') },
  { name: 'integration tests', cmd: nx('run-many', '-t', 'integration', '--parallel=1'), needs: 'build' },
  { name: 'browser e2e tests', cmd: nx('run-many', '-t', 'e2e', '--parallel=1'), needs: 'build' },
];

const env = {
  ...process.env,
  NX_DAEMON: 'false',
  FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR,
};
const outcome = [];
for (const step of steps) {
  if (step.needs && outcome.find((o) => o.name === step.needs)?.status !== 'passed') {
    outcome.push({ name: step.name, status: 'skipped', seconds: 0 });
    continue;
  }
  console.log(`\n━━━ ${step.name} ━━━`);
  const started = Date.now();
  const [cmd, args] = step.cmd;
  const run = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  outcome.push({
    name: step.name,
    status: run.status === 0 ? 'passed' : 'failed',
    seconds: Math.round((Date.now() - started) / 1000),
  });
}

const suites = existsSync(resultsDir)
  ? readdirSync(resultsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')))
  : [];
const total = suites.reduce(
  (acc, s) => ({
    passed: acc.passed + s.passed,
    failed: acc.failed + s.failed,
    skipped: acc.skipped + s.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);

console.log('\n━━━ summary ━━━');
for (const o of outcome) console.log(`${o.status.padEnd(8)} ${o.name.padEnd(20)} ${o.seconds}s`);
console.log('');
for (const s of suites.sort((a, b) => a.project.localeCompare(b.project))) {
  console.log(`  ${s.project.padEnd(40)} ${s.passed} passed, ${s.failed} failed`);
}
const failures = suites.flatMap((s) => s.failures);
if (failures.length) {
  console.log('\nfailed tests:');
  for (const f of failures) console.log(`  ✗ ${f}`);
}
const stepsFailed = outcome.filter((o) => o.status !== 'passed').map((o) => o.name);
if (stepsFailed.length) console.log(`\nsteps not passed: ${stepsFailed.join(', ')}`);
const failedCount = total.failed + (stepsFailed.length && total.failed === 0 ? stepsFailed.length : 0);
console.log(
  `\n${total.passed} passed, ${failedCount} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
);
process.exit(stepsFailed.length || total.failed ? 1 : 0);
