import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../../..');
export const ARTIFACTS = join(ROOT, 'test-output', 'web-e2e');

/**
 * Ports of the stack under test: a block of its own so a running `npm start` does not collide
 * (E2E_PORT_BASE moves the whole block, e.g. to run two suites side by side).
 */
const BASE = Number(process.env['E2E_PORT_BASE'] ?? 4400);
export const E2E_PORTS = {
  PORT: BASE,
  BFF_PORT: BASE + 1,
  LOCAL_APIGW_PORT: BASE + 2,
  LOCAL_BEDROCK_PORT: BASE + 3,
  LOCAL_S3_PORT: BASE + 4,
  LOCAL_DYNAMODB_PORT: BASE + 6,
  LOCAL_LAMBDA_PORT: BASE + 7,
  LOCAL_SQS_PORT: BASE + 8,
} as const;

export const APP_URL = `http://127.0.0.1:${E2E_PORTS.PORT}`;
export const S3_ORIGIN = `http://127.0.0.1:${E2E_PORTS.LOCAL_S3_PORT}`;

/**
 * Every browser here comes from 127.0.0.1 and the suites make hundreds of jobs: the BFF's rate limits
 * (unit-tested in apps/bff) are raised, and the API stage's throttle lifted (tested in apps/local-cloud),
 * so they do not decide these tests.
 */
const HIGH_LIMITS = {
  LOCAL_API_THROTTLE: 'off',
  RATE_LIMIT_PER_IP: '100000',
  RATE_LIMIT_PER_OWNER: '100000',
  RATE_LIMIT_JOBS_PER_OWNER: '100000',
  RATE_LIMIT_JOBS_PER_IP: '100000',
  // The generator's budgets and queue cap (ADR 0015; tested in apps/local-cloud budgets.int-spec.ts).
  BUDGET_DEPLOYMENT_MONTHLY_USD: '100000',
  BUDGET_OWNER_DAILY_USD: '100000',
  BUDGET_OWNER_MONTHLY_USD: '100000',
  MAX_IMAGES_IN_FLIGHT_PER_OWNER: '10000',
};
/** Tests change the stand-ins' faults (e.g. model access) and want the BFF to see it at once. */
const FRESH_MODELS = { MODELS_CACHE_SECONDS: '1' };

/** Starts the built local cloud exactly as `npm start` does, on the e2e ports, with a fresh data folder. */
export async function startStack(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const dataDir = join(ROOT, 'tmp', `e2e-local-cloud-${BASE}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const env = Object.fromEntries(Object.entries(E2E_PORTS).map(([k, v]) => [k, String(v)]));
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps/local-cloud/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      LOCAL_CLOUD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      LOCAL_BEDROCK_LATENCY_MS: '0',
      LOCAL_RETENTION_SWEEP_SECONDS: '0',
      ...HIGH_LIMITS,
      ...FRESH_MODELS,
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForReady(`${APP_URL}/api/ready`, child, 60_000);
  return child;
}

async function waitForReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the local cloud exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the stack was not ready at ${url} within ${timeoutMs} ms (last: ${last})`);
}

/** The Bedrock stand-in answering at once, every time, for every model. */
export const NO_FAULTS = {
  latencyMs: 0,
  latencyJitter: 0,
  throttleRate: 0,
  errorRate: 0,
  timeoutRate: 0,
  throttleNext: 0,
  errorNext: 0,
  errorAfter: null,
  accessDeniedModels: [],
  contentFilterPattern: '\\bforbidden-content\\b',
} as const;

/** Changes the Bedrock stand-in's fault settings while the stack runs (fields not named keep their value). */
export async function setFaults(faults: Record<string, unknown>): Promise<void> {
  await adminCall(E2E_PORTS.LOCAL_BEDROCK_PORT, '/__faults', faults);
}

async function adminCall<T>(port: number, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${path} on port ${port}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** What the Bedrock stand-in has answered (invocations count every InvokeModel). */
export const bedrockStats = () =>
  adminCall<{ invocations: number; maxInFlight: number }>(E2E_PORTS.LOCAL_BEDROCK_PORT, '/__stats');
/** The worker's concurrency as the Lambda stand-in saw it. */
export const lambdaStats = () =>
  adminCall<{ maxRunning: number; concurrency: number; invocations: number }>(
    E2E_PORTS.LOCAL_LAMBDA_PORT,
    '/__stats',
  );
export const resetLambdaStats = () => adminCall(E2E_PORTS.LOCAL_LAMBDA_PORT, '/__stats/reset', {});
/** Keys stored on the S3 server under a prefix, read straight from its store. */
export async function objectsUnder(prefix: string): Promise<string[]> {
  const out = await adminCall<{ keys?: string[]; objects?: { key: string }[] } | string[]>(
    E2E_PORTS.LOCAL_S3_PORT,
    `/__objects?prefix=${encodeURIComponent(prefix)}`,
  );
  if (Array.isArray(out)) return out;
  return out.keys ?? (out.objects ?? []).map((o) => o.key);
}
/** Moves the time the S3 stand-in checks presigned links against (0 puts it back). */
export const setS3Clock = (offsetSeconds: number) =>
  adminCall(E2E_PORTS.LOCAL_S3_PORT, '/__clock', { offsetSeconds });
