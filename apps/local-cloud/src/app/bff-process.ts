import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BffProcessOptions {
  /** dist/apps/bff/main.js */
  readonly entry: string;
  readonly port: number;
  readonly generatorApiUrl: string;
  /** The local Bedrock: the prompt assistant calls ConverseStream on it (AWS_ENDPOINT_URL_BEDROCK_RUNTIME). */
  readonly bedrockUrl?: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The table (on the DynamoDB stand-in) the BFF keeps its rate-limit counters in, shared as in AWS. */
  readonly rateLimits?: { readonly table: string; readonly dynamodbUrl: string };
  /** Folder where the local cookie-signing secret is kept across restarts. */
  readonly dataDir: string;
  readonly publicOrigin: string;
  readonly logLevel?: string;
  /** The BFF's own drain deadline on SIGTERM (its SHUTDOWN_DEADLINE_MS), unless the environment sets one. */
  readonly shutdownDeadlineMs?: number;
  /** Its stdout through this process's stdout (formatted there on a terminal), not straight to the terminal. */
  readonly pipeOutput?: boolean;
}

/**
 * Loaded into the BFF before its own code: when this process (its parent) dies without stopping it
 * (SIGKILL, a crash), the IPC channel closes and the BFF is asked to stop (SIGTERM: it drains and
 * exits), rather than live on as an orphan holding its port.
 */
export const STOP_WITH_PARENT = [
  'if (process.channel) {',
  '  process.channel.unref();',
  "  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));",
  '}',
].join('\n');

/**
 * The cookie-signing secret for `npm start`: made once at random and kept in the local data
 * folder, so anonymous owners (and their galleries) survive restarts. Never committed.
 */
export function localCookieSecret(dataDir: string): string {
  const file = join(dataDir, 'cookie-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Runs the built BFF as a child process wired to the local API Gateway stand-in; it stops when this process dies. */
export function startBffProcess(options: BffProcessOptions): ChildProcess {
  const preload = `data:text/javascript,${encodeURIComponent(STOP_WITH_PARENT)}`;
  const child = spawn(process.execPath, ['--enable-source-maps', '--import', preload, options.entry], {
    stdio: ['ignore', options.pipeOutput ? 'pipe' : 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      PORT: String(options.port),
      GENERATOR_API_URL: options.generatorApiUrl,
      GENERATOR_API_REGION: options.region,
      ...(options.bedrockUrl
        ? { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: options.bedrockUrl, ASSISTANT_BEDROCK_REGION: options.region }
        : {}),
      AWS_REGION: options.region,
      AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
      COOKIE_SECRET: process.env['COOKIE_SECRET'] ?? localCookieSecret(options.dataDir),
      PUBLIC_ORIGIN: options.publicOrigin,
      ...(options.rateLimits
        ? {
            RATE_LIMIT_TABLE: options.rateLimits.table,
            AWS_ENDPOINT_URL_DYNAMODB: options.rateLimits.dynamodbUrl,
          }
        : {}),
      LOG_LEVEL: options.logLevel ?? process.env['LOG_LEVEL'] ?? 'info',
      ...(options.shutdownDeadlineMs !== undefined && !process.env['SHUTDOWN_DEADLINE_MS']
        ? { SHUTDOWN_DEADLINE_MS: String(options.shutdownDeadlineMs) }
        : {}),
    },
  });
  // The channel only tells the child when this process is gone: it must not keep this one alive.
  child.channel?.unref();
  child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  return child;
}
