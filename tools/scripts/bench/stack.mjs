// The built local stack as a child process, on a port block of its own, for benchmarks and load runs.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process, in MiB (Linux `ps`). */
export function rssMiB(pid) {
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * Starts dist/apps/local-cloud/main.js (what `npm start` runs) with a fresh data folder and the given
 * settings; answers its URLs, its pid and the BFF child's pid, and a stop function.
 */
export async function startStack(root, { base, env = {}, name = 'bench' }) {
  const ports = {
    PORT: base,
    BFF_PORT: base + 1,
    LOCAL_APIGW_PORT: base + 2,
    LOCAL_BEDROCK_PORT: base + 3,
    LOCAL_S3_PORT: base + 4,
    LOCAL_DYNAMODB_PORT: base + 6,
    LOCAL_LAMBDA_PORT: base + 7,
    LOCAL_SQS_PORT: base + 8,
  };
  const dataDir = join(root, 'tmp', `${name}-local-cloud-${base}`);
  rmSync(dataDir, { recursive: true, force: true });
  const child = spawn(process.execPath, ['dist/apps/local-cloud/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      LOCAL_CLOUD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      LOCAL_BEDROCK_LATENCY_MS: '0',
      LOCAL_RETENTION_SWEEP_SECONDS: '0',
      // One client address and a handful of owners make every request here: the BFF's limits are not what is measured.
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_OWNER: '1000000',
      RATE_LIMIT_JOBS_PER_OWNER: '1000000',
      RATE_LIMIT_JOBS_PER_IP: '1000000',
      RATE_LIMIT_UPLOADS_PER_OWNER: '1000000',
      // Nor are the budgets and the per-owner queue cap (ADR 0015): a load run spends far more than a person would.
      BUDGET_DEPLOYMENT_MONTHLY_USD: '1000000',
      BUDGET_OWNER_DAILY_USD: '1000000',
      BUDGET_OWNER_MONTHLY_USD: '1000000',
      MAX_IMAGES_IN_FLIGHT_PER_OWNER: '10000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${base}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the local stack exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 60_000) throw new Error('the local stack was not ready within 60 s');
    await sleep(100);
  }
  const readyMs = Date.now() - started;
  const bffPid = () =>
    Number(
      execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')[0],
    );
  const admin = (port) => ({
    get: async (path) => (await fetch(`http://127.0.0.1:${port}${path}`)).json(),
    post: async (path, body = {}) =>
      (
        await fetch(`http://127.0.0.1:${port}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json(),
  });
  return {
    url,
    ports,
    readyMs,
    pid: child.pid,
    bffPid,
    bedrock: admin(ports.LOCAL_BEDROCK_PORT),
    lambda: admin(ports.LOCAL_LAMBDA_PORT),
    s3: admin(ports.LOCAL_S3_PORT),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
