import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

import { ErrorCode } from '@imagegen/contracts';
import { LOCAL_PRINCIPAL_KEYS } from '@imagegen/local-cloud/util-iam';
import { workspaceRoot } from '@imagegen/local-cloud/util-template';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_CREDENTIALS, LOCAL_REGION } from './settings';
import { generatorApi } from './testing/generator-api';
import { inProcessStackEnv } from './testing/stack-env';

// Budgets, fair sharing and the abuse limits (ADR 0015) through the whole local stack: the BFF as
// built (its counters in the DynamoDB stand-in), the API Gateway and Lambda stand-ins, the generator
// recording jobs and reservations in one TransactWriteItems, IAM enforced from the template.
const CORE = 'stability.stable-image-core-v1:1'; // $0.04 an image
const ROOT = workspaceRoot(__dirname);
const BFF_ENTRY = resolve(ROOT, 'dist/apps/bff/main.js');

/** Starts a local cloud with these settings in the environment (the generator's and the BFF's), restored after. */
async function stack(
  name: string,
  env: Record<string, string>,
  withBff = false,
): Promise<{ cloud: LocalCloud; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `imagegen-${name}-`));
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  let app: { bffEntry: string; webRoot: string } | undefined;
  if (withBff) {
    if (!existsSync(BFF_ENTRY))
      throw new Error(`build the BFF first: npx nx build bff (${BFF_ENTRY} is missing)`);
    const webRoot = join(dir, 'web');
    mkdirSync(webRoot, { recursive: true });
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>imagegen</title>');
    app = { bffEntry: BFF_ENTRY, webRoot };
  }
  const cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(
      inProcessStackEnv(dir, {
        LOCAL_RETENTION_SWEEP_SECONDS: '0',
        ...(withBff ? { PORT: String(await freePort()), BFF_PORT: String(await freePort()) } : {}),
        ...env,
      }),
    ),
    log: createLogger({ service: 'local-cloud', destination: quiet }),
    ...(app ? { app } : {}),
  });
  return {
    cloud,
    close: async () => {
      await cloud.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port free now (the web front and the BFF need real ones: the BFF's PUBLIC_ORIGIN names the front's). */
const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('abuse limits through the BFF (its counters in DynamoDB)', () => {
  let s: Awaited<ReturnType<typeof stack>>;
  // The limits as deployed (per minute: infra sets a 60 s window), but an hour's window here so the
  // test cannot straddle a window's end; the per-owner job limit low enough to tell it from the address's.
  const JOBS_PER_OWNER = 5;
  const JOBS_PER_IP = 20; // the default (rateLimitCreatePerIpPerMinute)
  beforeAll(async () => {
    s = await stack(
      'abuse',
      {
        LOCAL_BEDROCK_LATENCY_MS: '0',
        RATE_LIMIT_WINDOW_SECONDS: '3600',
        RATE_LIMIT_JOBS_PER_OWNER: String(JOBS_PER_OWNER),
        RATE_LIMIT_JOBS_PER_IP: String(JOBS_PER_IP),
        RATE_LIMIT_PER_IP: '600',
        RATE_LIMIT_PER_OWNER: '300',
      },
      true,
    );
    const toHourEnd = 3_600_000 - (Date.now() % 3_600_000);
    if (toHourEnd < 60_000) await sleep(toHourEnd + 100);
  }, 120_000);
  afterAll(() => s?.close());

  const bff = (path: string, init: RequestInit = {}) => fetch(`${s.cloud.urls.bff}${path}`, init);
  const post = (cookie?: string) =>
    bff('/api/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ modelId: CORE, prompt: 'a lighthouse', count: 1 }),
    });

  it('refuses a cookie-less flood from one address past the per-owner job limit, then the address past its own', async () => {
    // WHEN one address sends 12 jobs without a cookie (each would be a new owner)
    const cookieless: number[] = [];
    for (let i = 0; i < 12; i++) cookieless.push((await post()).status);
    // THEN only RATE_LIMIT_JOBS_PER_OWNER are accepted: dropping the cookie buys nothing
    expect(cookieless.filter((st) => st === 202)).toHaveLength(JOBS_PER_OWNER);
    expect(cookieless.slice(JOBS_PER_OWNER).every((st) => st === 429)).toBe(true);
    const refused = await post();
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      detail: expect.stringMatching(/too many new jobs/),
    });

    // WHEN the same address then sends jobs as owners with cookies, 5 each, until refused
    let accepted = cookieless.filter((st) => st === 202).length;
    for (let owner = 0; owner < 6; owner++) {
      const first = await bff('/api/models');
      const cookie = (first.headers.getSetCookie()[0] ?? '').split(';')[0];
      for (let i = 0; i < JOBS_PER_OWNER; i++) if ((await post(cookie)).status === 202) accepted++;
    }
    // THEN the address made RATE_LIMIT_JOBS_PER_IP jobs in the window, whatever the owners
    expect(accepted).toBe(JOBS_PER_IP);
    // MEASURED (ADR 0015): the most jobs one address can queue in a window, through the local stack
    process.stdout.write(
      `\nbudgets.int-spec: one address queued ${accepted} jobs in one window (RATE_LIMIT_JOBS_PER_IP ${JOBS_PER_IP})\n`,
    );

    // AND the counters are in the deployment's table, where every BFF task counts (the stand-in, as in AWS)
    const dynamo = new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: s.cloud.urls.dynamodb,
      credentials: LOCAL_CREDENTIALS,
    });
    const windowStart = String(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const addresses = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];
    const hits = [];
    for (const ip of addresses) {
      const item = await dynamo.send(
        new GetItemCommand({
          TableName: s.cloud.names.table,
          Key: { ownerId: { S: `ratelimit|jobs-ip|${ip}` }, id: { S: windowStart } },
          ConsistentRead: true,
        }),
      );
      if (item.Item) hits.push(Number(item.Item['hits']?.N));
    }
    dynamo.destroy();
    expect(hits).toEqual([JOBS_PER_IP]);
  }, 120_000);

  it("lets the BFF's role update its own ratelimit| counters and no other item of the table (IAM from the template)", async () => {
    const asBff = new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: s.cloud.urls.dynamodb,
      credentials: LOCAL_PRINCIPAL_KEYS.bff,
      maxAttempts: 1,
    });
    const bump = (partition: string) =>
      asBff.send(
        new UpdateItemCommand({
          TableName: s.cloud.names.table,
          Key: { ownerId: { S: partition }, id: { S: '0' } },
          UpdateExpression: 'ADD hits :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      );
    await expect(bump('ratelimit|ip|198.51.100.9')).resolves.toBeDefined();
    await expect(bump('spend|*')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(bump('anon-someone')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(
      asBff.send(
        new GetItemCommand({
          TableName: s.cloud.names.table,
          Key: { ownerId: { S: 'ratelimit|ip|x' }, id: { S: '0' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    asBff.destroy();
  });

  it('answers /api/ready from a few seconds’ cache, exempt from the limits', async () => {
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await bff('/api/ready')).status);
    expect(statuses.every((st) => st === 200)).toBe(true);
  });
});

describe('fair sharing and budgets through the generator API', () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack('fair', {
      // One image at a time, half a second each: what is queued stays queued while the test looks.
      LOCAL_WORKER_CONCURRENCY: '1',
      LOCAL_BEDROCK_LATENCY_MS: '500',
      MAX_IMAGES_IN_FLIGHT_PER_OWNER: '4',
      BUDGET_OWNER_DAILY_USD: '0.4',
      BUDGET_OWNER_MONTHLY_USD: '10',
      BUDGET_DEPLOYMENT_MONTHLY_USD: '100',
    });
  }, 120_000);
  afterAll(() => s?.close());

  const api = () => generatorApi(() => s.cloud.urls.apiGateway, 'anon-alice', LOCAL_PRINCIPAL_KEYS.bff);
  const job = (owner: string, count: number) =>
    api().call('POST', '/generations', { modelId: CORE, prompt: 'a lighthouse', count }, owner);

  it('lets two owners sharing the worker both progress: one owner’s backlog is capped, the other is queued behind it only', async () => {
    // GIVEN alice has 4 images queued (the cap)
    const aliceFirst = await job('anon-alice', 4);
    expect(aliceFirst.status).toBe(202);
    // WHEN she asks for more
    const aliceMore = await job('anon-alice', 1);
    // THEN QUEUE_FULL, with a Retry-After, and nothing recorded
    expect(aliceMore.status).toBe(429);
    expect(aliceMore.body).toMatchObject({ code: ErrorCode.QUEUE_FULL });
    expect(Number(aliceMore.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // AND bob sees alice's images ahead of him in the queue, and his job is taken
    const bobSummary = await api().call('GET', '/summary', undefined, 'anon-bob');
    expect(bobSummary.body.queue).toMatchObject({ ownerImages: 0, ownerLimit: 4, parallelism: 1 });
    expect(bobSummary.body.queue.imagesAhead).toBeGreaterThanOrEqual(1);
    expect(bobSummary.body.queue.imagesAhead).toBeLessThanOrEqual(4);
    const bob = await job('anon-bob', 1);
    expect(bob.status).toBe(202);
    // THEN both progress to the end
    const [aliceDone, bobDone] = await Promise.all([
      api().settled(aliceFirst.body.id, 'anon-alice', 60_000),
      api().settled(bob.body.id, 'anon-bob', 60_000),
    ]);
    expect(aliceDone.status).toBe('succeeded');
    expect(bobDone.status).toBe('succeeded');
    // AND once her images are made, alice may queue again, and nothing is held any more
    expect((await job('anon-alice', 4)).status).toBe(202);
    const summary = await api().call('GET', '/summary', undefined, 'anon-bob');
    expect(summary.body.queue.ownerImages).toBe(0);
  }, 120_000);

  it('refuses the job that would pass the daily budget, saying which, how much is left and when it resets', async () => {
    const carol = 'anon-carol';
    // GIVEN carol spent $0.32 of her $0.40 a day (two jobs of 4 images, made)
    for (let i = 0; i < 2; i++) {
      const made = await job(carol, 4);
      expect(made.status).toBe(202);
      expect((await api().settled(made.body.id, carol, 60_000)).costUsd).toBe(0.16);
    }
    // WHEN she asks for 3 more images ($0.12)
    const refused = await job(carol, 3);
    // THEN 429 BUDGET_EXCEEDED names the daily budget, $0.08 left, until midnight UTC (Retry-After until then)
    const midnight = new Date(
      Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1),
    );
    expect(refused.status).toBe(429);
    expect(refused.type).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: ErrorCode.BUDGET_EXCEEDED,
      budget: {
        name: 'owner-daily',
        limitUsd: 0.4,
        usedUsd: 0.32,
        remainingUsd: 0.08,
        resetsAt: midnight.toISOString(),
      },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // AND 2 images ($0.08) still fit, to the cent
    const last = await job(carol, 2);
    expect(last.status).toBe(202);
    await api().settled(last.body.id, carol, 60_000);
    const summary = await api().call('GET', '/summary', undefined, carol);
    expect(summary.body.spentUsd).toBe(0.4);
    expect(summary.body.budgets.find((b: { name: string }) => b.name === 'owner-daily')).toMatchObject({
      remainingUsd: 0,
    });
  }, 120_000);
});

describe("20 concurrent jobs at a budget's edge", () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack('edge', {
      LOCAL_BEDROCK_LATENCY_MS: '0',
      MAX_IMAGES_IN_FLIGHT_PER_OWNER: '100',
      BUDGET_OWNER_DAILY_USD: '0.3',
      BUDGET_OWNER_MONTHLY_USD: '10',
      BUDGET_DEPLOYMENT_MONTHLY_USD: '0.5',
    });
  }, 120_000);
  afterAll(() => s?.close());

  const api = () => generatorApi(() => s.cloud.urls.apiGateway, 'anon-edge', LOCAL_PRINCIPAL_KEYS.bff);
  const job = (owner: string) =>
    api().call('POST', '/generations', { modelId: CORE, prompt: 'a lighthouse', count: 1 }, owner);

  it("overshoots neither an owner's budget nor the deployment's: exactly the jobs that fit are taken", async () => {
    // WHEN one owner sends 20 one-image jobs at once against her $0.30 a day ($0.80 asked)
    const mine = await Promise.all(Array.from({ length: 20 }, () => job('anon-edge')));
    // THEN 7 are taken ($0.28), 13 refused BUDGET_EXCEEDED owner-daily
    expect(mine.filter((r) => r.status === 202)).toHaveLength(7);
    expect(mine.filter((r) => r.body?.budget?.name === 'owner-daily')).toHaveLength(13);
    // WHEN 20 owners send one each at once against the deployment's $0.50 a month ($0.22 left)
    const theirs = await Promise.all(Array.from({ length: 20 }, (_, i) => job(`anon-edge-${i}`)));
    // THEN 5 are taken ($0.20), 15 refused BUDGET_EXCEEDED deployment-monthly
    expect(theirs.filter((r) => r.status === 202)).toHaveLength(5);
    expect(theirs.filter((r) => r.body?.budget?.name === 'deployment-monthly')).toHaveLength(15);
    // AND once every job ended, what was spent is within each budget: the overshoot is nil
    const taken = [
      ...mine.map((r) => ({ r, owner: 'anon-edge' })),
      ...theirs.map((r, i) => ({ r, owner: `anon-edge-${i}` })),
    ].filter(({ r }) => r.status === 202);
    for (const { r, owner } of taken) await api().settled(r.body.id, owner, 60_000);
    const summary = await api().call('GET', '/summary', undefined, 'anon-edge');
    const budgets = Object.fromEntries(
      (summary.body.budgets as { name: string; usedUsd: number; limitUsd: number }[]).map((b) => [b.name, b]),
    );
    const ownerOvershoot = budgets['owner-daily'].usedUsd - budgets['owner-daily'].limitUsd;
    const deploymentOvershoot =
      budgets['deployment-monthly'].usedUsd - budgets['deployment-monthly'].limitUsd;
    process.stdout.write(
      `\nbudgets.int-spec: 20 concurrent at the edge: owner-daily used ${budgets['owner-daily'].usedUsd} of ${budgets['owner-daily'].limitUsd} ` +
        `(overshoot ${Math.max(0, ownerOvershoot)}), deployment-monthly used ${budgets['deployment-monthly'].usedUsd} of ${budgets['deployment-monthly'].limitUsd} ` +
        `(overshoot ${Math.max(0, deploymentOvershoot)})\n`,
    );
    expect(budgets['owner-daily'].usedUsd).toBe(0.28);
    expect(budgets['deployment-monthly'].usedUsd).toBe(0.48);
  }, 120_000);
});
