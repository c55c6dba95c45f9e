import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ErrorCode, Generation } from '@imagegen/contracts';

import { ChildStack, startChildStack, workerIdle } from './testing/child-stack';

// What `npm start` runs (dist/apps/local-cloud/main.js, the BFF and the web front included), driven
// as a browser drives it: the origin check of the BFF, and the metrics the generator and the BFF
// write, parsed from the process's output as CloudWatch Logs would parse them (EMF).
const CORE = 'stability.stable-image-core-v1:1';

let dir: string;
let stack: ChildStack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-observability-'));
  // Metrics on (the other integration tests keep them off their report: testing/quiet-metrics.ts)
  stack = await startChildStack(dir, { POWERTOOLS_METRICS_DISABLED: 'false' });
});

afterAll(async () => {
  if (stack && stack.process.exitCode === null) {
    stack.process.kill('SIGTERM');
    await stack.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The EMF documents in the stack's output (one JSON object per line with `_aws`). */
function emfDocuments(): Doc[] {
  return stack
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        const doc = JSON.parse(line) as Doc;
        return doc && typeof doc === 'object' && doc['_aws'] ? [doc] : [];
      } catch {
        return [];
      }
    });
}

/** The documents carrying metric `name` (from the `from`-th document on). */
const withMetric = (name: string, from = 0) =>
  emfDocuments()
    .slice(from)
    .filter((d) =>
      (d['_aws'].CloudWatchMetrics as { Metrics: { Name: string }[] }[]).some((c) =>
        c.Metrics.some((m) => m.Name === name),
      ),
    );
const dimensionsOf = (doc: Doc): string[][] => doc['_aws'].CloudWatchMetrics[0].Dimensions;

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const post = (headers: Record<string, string>, cookie?: string) =>
  fetch(`${stack.urls.web}/api/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ modelId: CORE, prompt: 'a lighthouse at dusk', count: 2 }),
  });

describe('through the local stack', () => {
  it('refuses a job a page of another site sends (403 CROSS_ORIGIN), and takes the app’s own', async () => {
    const evil = await post({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await evil.json()).toMatchObject({ code: ErrorCode.CROSS_ORIGIN });
    expect(evil.headers.get('set-cookie')).toBeNull();
    const own = await post({ origin: stack.urls.web, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(202);
  });

  it('emits the generator’s metrics as EMF: job started, images per model, model time, queue age, cost; and the BFF’s with the request id', async () => {
    // Given a worker with nothing left of the first test's job
    await until('the worker to be idle', () => workerIdle(stack));
    const before = emfDocuments().length;
    const res = await post({ origin: stack.urls.web, 'x-request-id': 'req-emf-1' });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Generation;
    const cookie = String(res.headers.get('set-cookie')).split(';')[0];
    await until('the job to end', async () => {
      const now = (await (
        await fetch(`${stack.urls.web}/api/generations/${job.id}`, { headers: { cookie } })
      ).json()) as Generation;
      return now.status === 'succeeded';
    });
    await until('the cost metric', () => withMetric('CostUsd', before).length > 0);
    expect(emfDocuments().length).toBeGreaterThan(before);

    for (const doc of emfDocuments()) expect(doc['_aws'].CloudWatchMetrics[0].Namespace).toBe('imagegen');
    const generator = (name: string) => withMetric(name, before).filter((d) => d['service'] === 'generator');
    // One job started, as a total and per model
    expect(generator('JobsStarted').map(dimensionsOf)).toEqual(
      expect.arrayContaining([[['service']], [['service', 'model']]]),
    );
    // Two images made, each counted under its model
    const made = generator('ImagesMade').filter((d) => d['model'] === CORE);
    expect(made.map((d) => d['ImagesMade'])).toEqual([1, 1]);
    // …under the request id the browser sent, end to end (BFF → generator API → worker)
    expect(made.map((d) => d['requestId'])).toEqual(['req-emf-1', 'req-emf-1']);
    // Model time per call (milliseconds), the wait in the queue, and the catalog price of two Core images
    const times = generator('ModelTime').filter((d) => d['model'] === CORE);
    expect(times).toHaveLength(2);
    expect(times[0]['_aws'].CloudWatchMetrics[0].Metrics[0].Unit).toBe('Milliseconds');
    expect(generator('QueueAge').length).toBeGreaterThanOrEqual(2);
    expect(generator('CostUsd').map((d) => d['CostUsd'])).toEqual([0.08]);
    expect(generator('JobsFailed')).toEqual([]);
    // The BFF: that POST answered, under the request id the browser sent (the same as its logs)
    const bff = withMetric('Requests', before).filter(
      (d) => d['service'] === 'bff' && d['requestId'] === 'req-emf-1',
    );
    expect(bff).toHaveLength(1);
    expect(bff[0]['Latency']).toEqual(expect.any(Number));
  });
});
