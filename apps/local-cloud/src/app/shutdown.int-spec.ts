import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChildStack, startChildStack } from './testing/child-stack';
import { invariantViolations, NO_VIOLATIONS } from './testing/stack-invariants';

// SIGTERM to what `npm start` runs (dist/apps/local-cloud/main.js), with jobs in flight: the requests
// in progress finish, new ones are refused cleanly, every job ends, and the process exits 0 in time.
const CORE = 'stability.stable-image-core-v1:1';
/** LOCAL_SHUTDOWN_GRACE_SECONDS of the stack under test: short, so some images are still unmade at the deadline. */
const GRACE_SECONDS = 4;
/** Every image takes 1 s, two at a time: the 22 images of this test need about 11 s, far more than the grace. */
const ENV = {
  LOCAL_BEDROCK_LATENCY_MS: '1000',
  LOCAL_WORKER_CONCURRENCY: '2',
  LOCAL_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
  // One browser queues 22 jobs from one address: the per-owner image cap and the per-address job limit
  // (ADR 0015, tested in budgets.int-spec.ts) are not what this test is about.
  MAX_IMAGES_IN_FLIGHT_PER_OWNER: '100',
  RATE_LIMIT_JOBS_PER_IP: '100',
};
/** What the issue allows from SIGTERM to exit. */
const EXIT_WITHIN_MS = 30_000;

let dir: string;
let stack: ChildStack | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-shutdown-'));
});

afterAll(async () => {
  if (stack && stack.process.exitCode === null && stack.process.signalCode === null) {
    stack.process.kill('SIGKILL');
    await stack.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}\n${stack?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A browser's POST through the web front (the one URL `npm start` prints). */
async function post(web: string, cookie: string | undefined, prompt: string, idempotencyKey?: string) {
  const res = await fetch(`${web}/api/generations`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify({ modelId: CORE, prompt }),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    retryAfter: res.headers.get('retry-after'),
    cookie: res.headers.get('set-cookie')?.split(';')[0],
    body: await res.json(),
  };
}

async function dynamoWrites(s: ChildStack): Promise<number> {
  const stats = (await (await fetch(`${s.urls.dynamodb}/__stats`)).json()) as {
    operations: Record<string, number>;
  };
  return stats.operations['PutItem'] ?? 0;
}

describe('graceful shutdown of the local stack', () => {
  it('on SIGTERM with 20 jobs in flight: finishes the requests in progress, refuses new ones with 503 problem+json, ends every job, exits 0', async () => {
    stack = await startChildStack(dir, ENV);
    const { web } = stack.urls;
    // GIVEN 20 jobs asked for by one browser, being made two images at a time
    const first = await post(web, undefined, 'job 1');
    expect(first.status).toBe(202);
    const cookie = first.cookie;
    for (let i = 2; i <= 20; i++) expect((await post(web, cookie, `job ${i}`)).status).toBe(202);
    // AND two more requests still being answered (DynamoDB slow to write: they wait inside the generator)
    await fetch(`${stack.urls.dynamodb}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ latencyMs: 1_500, operations: ['PutItem'] }),
    });
    const writes = await dynamoWrites(stack);
    // (with an Idempotency-Key: the key is a PutItem before the job and its reservation, one TransactWriteItems)
    const inProgress = [
      post(web, cookie, 'in progress 1', 'in-progress-1'),
      post(web, cookie, 'in progress 2', 'in-progress-2'),
    ];
    await until(
      'both requests inside the generator',
      async () => (await dynamoWrites(stack as ChildStack)) >= writes + 2,
    );

    // WHEN the process gets SIGTERM
    const signalled = Date.now();
    stack.process.kill('SIGTERM');

    // THEN new requests are refused cleanly: 503 problem+json with a Retry-After, never a reset
    await until(
      'the front refusing new requests',
      async () => (await fetch(`${web}/api/health`)).status === 503,
    );
    const refused = await post(web, cookie, 'too late');
    expect(refused).toMatchObject({
      status: 503,
      type: expect.stringMatching(/^application\/problem\+json/),
      body: { code: 'SERVICE_UNAVAILABLE', status: 503 },
    });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // AND the requests in progress finish with their jobs
    const finished = await Promise.all(inProgress);
    expect(finished.map((f) => f.status)).toEqual([202, 202]);
    // AND the process exits 0 within the allowed time
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), EXIT_WITHIN_MS).unref());
    const exit = await Promise.race([stack.exited, timeout]);
    const shutdownMs = Date.now() - signalled;
    expect(exit).toEqual({ code: 0, signal: null });
    // AND its BFF child was stopped with it
    await expect(fetch(`${stack.urls.bff}/api/health`)).rejects.toThrow();
    process.stdout.write(
      `\n  shutdown with 22 jobs in flight: exited 0 after ${shutdownMs} ms (LOCAL_SHUTDOWN_GRACE_SECONDS=${GRACE_SECONDS})\n`,
    );

    // WHEN it starts again on the same data
    stack = await startChildStack(dir, ENV);
    // THEN every job already ended before anything read it, and the stores agree
    expect(await invariantViolations(stack.urls)).toEqual(NO_VIOLATIONS);
    // AND the browser sees all 22 jobs, none lost and none extra: made, or failed because the stack stopped
    const listed = await (
      await fetch(`${stack.urls.web}/api/generations?limit=50`, { headers: { cookie: cookie ?? '' } })
    ).json();
    const jobs = listed.items as { status: string; images: unknown[]; error?: { code: string } }[];
    expect(jobs).toHaveLength(22);
    const succeeded = jobs.filter((j) => j.status === 'succeeded');
    const failed = jobs.filter((j) => j.status === 'failed');
    expect(succeeded.length + failed.length).toBe(22);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0); // 22 s of images cannot fit in the grace
    for (const job of failed) expect(job.error?.code).toBe('MODEL_UNAVAILABLE');

    // AND the restarted stack stops cleanly too
    stack.process.kill('SIGTERM');
    expect((await stack.exited).code).toBe(0);
  });
});
