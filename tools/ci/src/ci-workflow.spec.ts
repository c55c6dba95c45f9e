import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// The GitHub workflow cannot be run here, so it is checked against what it must do: every step of `npm test`
// (tools/scripts/test-steps.json, which test-all.mjs runs) has an affected counterpart in it, in the same
// order, and it keeps to the rules of docs/ci.md (pinned actions, least privilege, artifacts on failure).

const root = join(__dirname, '../../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

type TestStep = { name: string; cmd: string[]; needs?: string };
type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> };
type Job = { 'runs-on': string; permissions?: Record<string, string>; steps: Step[] };
type Workflow = {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': unknown };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
};

const WORKFLOW = '.github/workflows/ci.yml';
const workflowText = read(WORKFLOW);
const workflow = parse(workflowText) as Workflow;
const testSteps = (JSON.parse(read('tools/scripts/test-steps.json')) as { steps: TestStep[] }).steps;
const allSteps = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);

/** Every command a workflow runs, as words (quotes dropped, `npx` dropped), in order. */
function commands(w: Workflow): string[][] {
  return allSteps(w)
    .flatMap((step) => (step.run ?? '').replace(/\\\n/g, ' ').split('\n'))
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .map((word) => word.replace(/["']/g, ''))
        .filter(Boolean),
    )
    .map((words) => (words[0] === 'npx' ? words.slice(1) : words))
    .filter((words) => words.length > 0);
}

/** The targets of an `nx run-many` / `nx affected` command: `-t a b`, `-t a,b`, `--targets=a,b`. */
function targets(words: string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word.startsWith('--targets=') || word.startsWith('--target='))
      found.push(...word.split('=')[1].split(','));
    if (word === '-t' || word === '--targets' || word === '--target') {
      for (let j = i + 1; j < words.length && !words[j].startsWith('-'); j++)
        found.push(...words[j].split(','));
    }
  }
  return found;
}

const hasFlag = (words: string[], flag: string) => words.some((w) => w === flag || w.startsWith(`${flag}=`));

/**
 * Whether a workflow command is the CI counterpart of a step of `npm test`:
 * - `nx run-many -t X [flags]` → `nx affected -t X` with the same flags, from --base to --head;
 * - `nx format:check --all` → `nx format:check` from --base to --head (the changed files);
 * - anything else (tsc, the workflow lint) → the same command: it is whole-repo and cheap.
 */
function isCounterpart(step: TestStep, words: string[]): boolean {
  const [bin, sub, ...rest] = step.cmd;
  if (bin === 'nx' && sub === 'run-many') {
    const flags = rest.filter((w) => w.startsWith('--'));
    return (
      words[0] === 'nx' &&
      words[1] === 'affected' &&
      targets(step.cmd).every((t) => targets(words).includes(t)) &&
      flags.every((f) => words.includes(f)) &&
      hasFlag(words, '--base') &&
      hasFlag(words, '--head')
    );
  }
  if (bin === 'nx' && sub === 'format:check') {
    return (
      words[0] === 'nx' &&
      words[1] === 'format:check' &&
      !words.includes('--all') &&
      hasFlag(words, '--base') &&
      hasFlag(words, '--head')
    );
  }
  return words.join(' ') === step.cmd.join(' ');
}

/** The index of each step's first counterpart among the workflow's commands (-1: none). */
const counterparts = (w: Workflow) => {
  const cmds = commands(w);
  return testSteps.map((step) => cmds.findIndex((words) => isCounterpart(step, words)));
};

describe(`${WORKFLOW} runs what npm test runs, for affected projects`, () => {
  const found = counterparts(workflow);

  it.each(testSteps.map((step, i) => [step.name, step.cmd.join(' '), i] as const))(
    'has a counterpart of npm test step "%s" (%s)',
    (_name, _cmd, i) => {
      expect(found[i]).toBeGreaterThanOrEqual(0);
    },
  );

  it('runs them in the order npm test does', () => {
    expect(found).toEqual([...found].sort((a, b) => a - b));
  });

  it('notices a step that goes missing, or loses a flag npm test gives it (the check itself works)', () => {
    const index = (name: string) => testSteps.findIndex((s) => s.name === name);
    const edited = (edit: (run: string) => string) => {
      const w = parse(workflowText) as Workflow;
      for (const step of allSteps(w)) if (step.run) step.run = edit(step.run);
      return counterparts(w);
    };
    expect(edited((run) => (run.includes('-t lint ') ? '' : run))[index('lint')]).toBe(-1);
    const inParallel = edited((run) => run.replaceAll('--parallel=1', '--parallel=4'));
    expect(inParallel[index('integration tests')]).toBe(-1);
    expect(inParallel[index('browser e2e tests')]).toBe(-1);
    expect(edited((run) => run.replace(/--base=\S+/, ''))[index('format')]).toBe(-1);
  });

  it('runs every project target npm test runs, and infra synth (cdk-nag) when infra is affected', () => {
    const affected = commands(workflow).filter((w) => w[0] === 'nx' && w[1] === 'affected');
    const inCi = affected.flatMap(targets);
    const inNpmTest = testSteps.filter((s) => s.cmd[1] === 'run-many').flatMap((s) => targets(s.cmd));
    expect(inCi).toEqual(expect.arrayContaining(inNpmTest));
    expect(inCi).toContain('synth');
    const infra = JSON.parse(read('infra/project.json')) as { targets: Record<string, unknown> };
    expect(Object.keys(infra.targets)).toContain('synth');
    expect(read('infra/src/app.ts')).toContain('AwsSolutionsChecks');
  });

  it('compares with the last successful main commit: full history, nx-set-shas before the first nx affected', () => {
    const steps = allSteps(workflow);
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.['fetch-depth']).toBe(0);
    const setShas = steps.findIndex((s) => s.uses?.startsWith('nrwl/nx-set-shas@'));
    const firstAffected = steps.findIndex((s) => /nx (affected|format:check)/.test(s.run ?? ''));
    expect(setShas).toBeGreaterThanOrEqual(0);
    expect(setShas).toBeLessThan(firstAffected);
  });
});

describe(`${WORKFLOW} follows docs/ci.md`, () => {
  const steps = allSteps(workflow);

  it('runs on pull requests and on pushes to main', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on['push']).toEqual({ branches: ['main'] });
  });

  it('pins every action to a full commit SHA, its version in a comment', () => {
    const uses = workflowText.split('\n').filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('asks for least privilege, and checks out without keeping the token', () => {
    expect(workflow.permissions).toEqual({ actions: 'read', contents: 'read' });
    for (const job of Object.values(workflow.jobs)) {
      for (const level of Object.values(job.permissions ?? {})) expect(['read', 'none']).toContain(level);
    }
    const checkouts = steps.filter((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkouts.length).toBeGreaterThan(0);
    for (const c of checkouts) expect(c.with?.['persist-credentials']).toBe(false);
  });

  it('cancels a superseded run on the same branch or pull request, never one on main', () => {
    expect(workflow.concurrency.group).toContain('${{ github.ref }}');
    expect(workflow.concurrency['cancel-in-progress']).toBe("${{ github.ref != 'refs/heads/main' }}");
  });

  it('takes Node from .nvmrc and caches npm and the Nx cache', () => {
    expect(read('.nvmrc')).toMatch(/^\d+\n$/);
    const node = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(node?.with).toMatchObject({ 'node-version-file': '.nvmrc', cache: 'npm' });
    const cache = steps.find((s) => s.uses?.startsWith('actions/cache@'));
    expect(cache?.with?.['path']).toBe('.nx/cache');
  });

  it("hands the browser tests the runner's Google Chrome through CHROMIUM_PATH", () => {
    expect(workflow.env?.['CHROMIUM_PATH']).toBe('/usr/bin/google-chrome');
    expect(read('apps/web-e2e/src/support/browser.ts')).toContain("process.env['CHROMIUM_PATH']");
    expect(workflowText).not.toMatch(/apt-get install[^\n]*\bchromium\b/);
  });

  it('uploads the browser screenshots and the Jest reports when a step fails', () => {
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.if).toBe('failure()');
    const paths = String(upload?.with?.['path']).trim().split('\n');
    expect(paths).toEqual(expect.arrayContaining(['test-output/web-e2e/', 'tmp/test-results/']));
    // Where the e2e tests save screenshots and the summary reporter writes its reports.
    expect(read('apps/web-e2e/src/support/stack.ts')).toContain("join(ROOT, 'test-output', 'web-e2e')");
    expect(read('tools/jest/summary-reporter.js')).toContain("path.join(root, 'tmp', 'test-results')");
  });
});
