import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BffProcessOptions {
  /** dist/apps/bff/main.js */
  readonly entry: string;
  readonly port: number;
  readonly generatorApiUrl: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Folder where the local cookie-signing secret is kept across restarts. */
  readonly dataDir: string;
  readonly publicOrigin: string;
  readonly logLevel?: string;
}

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

/** Runs the built BFF as a child process wired to the local API Gateway stand-in. */
export function startBffProcess(options: BffProcessOptions): ChildProcess {
  return spawn(process.execPath, ['--enable-source-maps', options.entry], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PORT: String(options.port),
      GENERATOR_API_URL: options.generatorApiUrl,
      GENERATOR_API_REGION: options.region,
      AWS_REGION: options.region,
      AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
      COOKIE_SECRET: process.env['COOKIE_SECRET'] ?? localCookieSecret(options.dataDir),
      PUBLIC_ORIGIN: options.publicOrigin,
      LOG_LEVEL: options.logLevel ?? process.env['LOG_LEVEL'] ?? 'info',
    },
  });
}
