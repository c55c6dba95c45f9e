import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The workspace root (this file is apps/local-cloud/src/app/testing/child-stack.ts). */
export const ROOT = resolve(__dirname, '../../../../..');
/** What `npm start` runs once it has built: the tests run the same file. */
export const LOCAL_CLOUD_MAIN = join(ROOT, 'dist/apps/local-cloud/main.js');

export interface ChildStack {
  readonly process: ChildProcess;
  readonly urls: {
    readonly web: string;
    readonly bff: string;
    readonly apiGateway: string;
    readonly bedrock: string;
    readonly s3: string;
    readonly dynamodb: string;
    readonly lambda: string;
  };
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** What it printed (stdout and stderr), for a failing test to show. */
  output(): string;
}

/** `n` ports free right now on loopback (held open together so they differ, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => ok(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Starts the built local cloud (dist/apps/local-cloud/main.js, BFF and web front included) as a
 * child process on free ports, as `npm start` runs it, and resolves once it says it is ready.
 */
export async function startChildStack(
  dataDir: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ChildStack> {
  if (!existsSync(LOCAL_CLOUD_MAIN))
    throw new Error(
      `${LOCAL_CLOUD_MAIN} is missing: build first (npx nx run-many -t build -p local-cloud bff web)`,
    );
  const [web, bff, apiGateway, bedrock, s3, dynamodb, lambda, sqs] = await freePorts(8);
  const ports = {
    PORT: web,
    BFF_PORT: bff,
    LOCAL_APIGW_PORT: apiGateway,
    LOCAL_BEDROCK_PORT: bedrock,
    LOCAL_S3_PORT: s3,
    LOCAL_DYNAMODB_PORT: dynamodb,
    LOCAL_LAMBDA_PORT: lambda,
    LOCAL_SQS_PORT: sqs,
  };
  const child = spawn(process.execPath, [LOCAL_CLOUD_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      LOCAL_CLOUD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      LOCAL_RETENTION_SWEEP_SECONDS: '0',
      LOCAL_BEDROCK_LATENCY_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('imagegen is ready')) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the local cloud exited while starting:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the local cloud was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (port: number) => `http://127.0.0.1:${port}`;
  return {
    process: child,
    urls: {
      web: url(web),
      bff: url(bff),
      // The stage the template names (GENERATOR_STAGE in infra).
      apiGateway: `${url(apiGateway)}/prod`,
      bedrock: url(bedrock),
      s3: url(s3),
      dynamodb: url(dynamodb),
      lambda: url(lambda),
    },
    exited,
    output: () => output,
  };
}

/** The worker of a child stack has nothing queued, retrying or running (its Lambda stand-in's /__stats). */
export async function workerIdle(stack: ChildStack): Promise<boolean> {
  const stats = (await (await fetch(`${stack.urls.lambda}/__stats`)).json()) as {
    running: number;
    queued: number;
    retrying: number;
  };
  return stats.running + stats.queued + stats.retrying === 0;
}
