import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Generation } from '@imagegen/contracts';

import { ChildStack, startChildStack, workerIdle } from './testing/child-stack';
import { generatorApi } from './testing/generator-api';
import { invariantViolations, NO_VIOLATIONS } from './testing/stack-invariants';

// The worker process dies mid-job (SIGKILL: no goodbye) and the stack starts again on the same data:
// every job still ends, by its deadline, and nothing is left behind.
const CORE = 'stability.stable-image-core-v1:1';
const OWNER = 'anon-worker-death-1';
/** JOB_STALE_AFTER_SECONDS of the stack under test: its lowest value, so a lost image is given up quickly. */
const STALE_SECONDS = 10;
const ENV = {
  LOCAL_BEDROCK_LATENCY_MS: '1000',
  LOCAL_WORKER_CONCURRENCY: '2',
  JOB_STALE_AFTER_SECONDS: String(STALE_SECONDS),
};

/**
 * The stack of the first scenario: a stale limit no run reaches, so a job can only end by its messages running
 * again, however slow the machine is to start the stack again (a 10 s limit settled it as lost on a busy machine).
 */
const DURABLE_ENV = { ...ENV, JOB_STALE_AFTER_SECONDS: '3600' };

let dir: string;
let stack: ChildStack | undefined;
const api = generatorApi(() => stack?.urls.apiGateway ?? '', OWNER);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-worker-death-'));
});

afterAll(async () => {
  if (stack && stack.process.exitCode === null) {
    stack.process.kill('SIGKILL');
    await stack.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}\n${stack?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function create(prompt: string, count: number): Promise<string> {
  const res = await api.call('POST', '/generations', { modelId: CORE, prompt, count });
  expect(res.status).toBe(202);
  return res.body.id;
}

/** Objects stored under a job's prefix, straight from the S3 stand-in's admin listing. */
async function storedFor(id: string): Promise<number> {
  const listed = (await (
    await fetch(`${stack?.urls.s3}/__objects?prefix=owners/${OWNER}/generations/${id}/`)
  ).json()) as { count: number };
  return listed.count;
}

/** SIGKILL while the first image of the job has just been stored (most likely before it is recorded). */
async function killDuring(id: string): Promise<void> {
  const current = stack as ChildStack;
  await until('an image of the job stored', async () => (await storedFor(id)) > 0);
  current.process.kill('SIGKILL');
  expect(await current.exited).toEqual({ code: null, signal: 'SIGKILL' });
  // AND its BFF does not live on as an orphan holding the port
  await until(
    'the BFF to stop with its parent',
    () =>
      fetch(`${current.urls.bff}/api/health`).then(
        () => false,
        () => true,
      ),
    20_000,
  );
}

async function settledAndClean(ids: readonly string[], withinMs: number): Promise<Generation[]> {
  const jobs = await Promise.all(ids.map((id) => api.settled(id, OWNER, withinMs)));
  await until('the worker idle', () => workerIdle(stack as ChildStack));
  expect(await invariantViolations((stack as ChildStack).urls)).toEqual(NO_VIOLATIONS);
  return jobs;
}

describe('the worker process dying mid-job', () => {
  it('runs the messages the dead process held again after a restart (a durable queue, as SQS keeps): the jobs succeed whole', async () => {
    // GIVEN a job of four images made two at a time, and another one waiting behind it
    stack = await startChildStack(dir, DURABLE_ENV);
    const long = await create('a long night', 4);
    const waiting = await create('a short wait', 1);
    // WHEN the process is killed mid-job, and started again on the same data
    await killDuring(long);
    stack = await startChildStack(dir, DURABLE_ENV);
    // THEN both jobs end, every image made (the killed ones again), long before they could count as stale
    const jobs = await settledAndClean([long, waiting], 60_000);
    expect(jobs.map((j) => [j.status, j.images.length])).toEqual([
      ['succeeded', 4],
      ['succeeded', 1],
    ]);
  }, 120_000);

  it('settles a job whose events were lost with the process by its deadline: never running forever', async () => {
    // GIVEN a job being made, then the process killed and its queue lost with it
    const lost = await create('a lost cause', 2);
    await killDuring(lost);
    rmSync(join(dir, 'sqs', 'messages.jsonl'), { force: true });
    const killedAt = Date.now();
    // WHEN the stack starts again and the job is read
    stack = await startChildStack(dir, ENV);
    const [job] = await settledAndClean([lost], (STALE_SECONDS + 15) * 1000);
    // THEN it ended once stale: the images made kept, the others failed MODEL_TIMEOUT, strays removed
    expect(['failed', 'succeeded']).toContain(job.status);
    expect(job.images.length + (job.failures?.length ?? 0)).toBe(2);
    for (const failure of job.failures ?? []) expect(failure.error.code).toBe('MODEL_TIMEOUT');
    expect(Date.parse(job.updatedAt)).toBeGreaterThanOrEqual(killedAt);
    // AND the restarted stack stops cleanly
    stack.process.kill('SIGTERM');
    expect((await stack.exited).code).toBe(0);
  });
});
