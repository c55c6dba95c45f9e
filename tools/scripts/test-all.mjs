#!/usr/bin/env node
// `npm test`: every check CI runs, in order, then one pass/fail summary.
// Steps (tools/scripts/test-steps.json): format (Prettier, imports in order) → workflow lint (actionlint) →
// lint (Nx module boundaries, Angular rules) → typecheck → unit tests → build → integration tests against the
// local stack → browser end-to-end tests.
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

// The steps live in test-steps.json, which the CI workflow's drift test (tools/ci/src/ci-workflow.spec.ts) reads too.
const { steps: stepList } = JSON.parse(readFileSync(join(root, 'tools/scripts/test-steps.json'), 'utf8'));
const steps = stepList.map(({ name, cmd: [bin, ...args], needs }) => ({
  name,
  needs,
  cmd:
    bin === 'node'
      ? [process.execPath, args]
      : ['npx', [bin, ...args, ...(args[0] === 'run-many' ? ['--outputStyle=static', '--skipNxCache'] : [])]],
}));

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
  // The reason too: CI's log may keep only its end, where the test's own output has long scrolled away.
  for (const f of failures) {
    console.log(`  ✗ ${f.test}`);
    for (const line of f.reason) console.log(`      ${line}`);
  }
}
const stepsFailed = outcome.filter((o) => o.status !== 'passed').map((o) => o.name);
if (stepsFailed.length) console.log(`\nsteps not passed: ${stepsFailed.join(', ')}`);
const failedCount = total.failed + (stepsFailed.length && total.failed === 0 ? stepsFailed.length : 0);
console.log(
  `\n${total.passed} passed, ${failedCount} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
);
process.exit(stepsFailed.length || total.failed ? 1 : 0);
