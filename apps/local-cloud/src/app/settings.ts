import { resolve } from 'node:path';

import { BedrockFaults, faultProblems } from '@imagegen/local-cloud/feature-bedrock';

/** Fixed local credentials: the stand-ins accept only these (never real AWS keys). */
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
} as const;
export const LOCAL_REGION = 'us-west-2';
/** The account every ARN of the template is resolved for locally. */
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalPorts {
  readonly web: number;
  readonly bff: number;
  readonly apiGateway: number;
  readonly bedrock: number;
  readonly s3: number;
  readonly dynamodb: number;
  readonly lambda: number;
  readonly sqs: number;
}

/** Which setting picks each port: named in every "port taken" message. */
export const PORT_SETTINGS: Readonly<Record<keyof LocalPorts, [string, number]>> = {
  web: ['PORT', 4200],
  bff: ['BFF_PORT', 3333],
  apiGateway: ['LOCAL_APIGW_PORT', 4010],
  bedrock: ['LOCAL_BEDROCK_PORT', 4011],
  s3: ['LOCAL_S3_PORT', 4012],
  dynamodb: ['LOCAL_DYNAMODB_PORT', 4014],
  lambda: ['LOCAL_LAMBDA_PORT', 4015],
  sqs: ['LOCAL_SQS_PORT', 4016],
};

export interface LocalCloudSettings {
  readonly ports: LocalPorts;
  readonly dataDir: string;
  /** Where the synthesized templates are cached (LOCAL_TEMPLATE_CACHE_DIR; default `.local-cloud/template-cache`). */
  readonly templateCacheDir: string;
  /**
   * LOCAL_WORKER_CONCURRENCY: a local override of the worker queue mapping's MaximumConcurrency (the
   * template's, the Bedrock budget, when unset).
   */
  readonly workerConcurrency?: number;
  readonly faults: BedrockFaults;
  /**
   * RETENTION_DAYS: a local override of the days jobs and images are kept (the generator's
   * RETENTION_DAYS and the bucket's lifecycle expiration in the template, when unset).
   */
  readonly retentionDays?: number;
  /** Seconds between retention sweeps (standing in for DynamoDB TTL and the S3 lifecycle); 0: off. */
  readonly retentionSweepSeconds: number;
  /**
   * On SIGTERM or Ctrl+C: seconds the worker keeps making the images it holds; those still
   * unfinished then are settled failed (LOCAL_SHUTDOWN_GRACE_SECONDS).
   */
  readonly shutdownGraceSeconds: number;
  readonly logLevel: string;
  /**
   * LOCAL_IAM: `enforce` (the default) authorizes every call to a stand-in against the calling role's
   * statements in the synthesized template (ADR 0008); `off` lets any call signed with the local keys through.
   */
  readonly enforceIam: boolean;
  /**
   * LOCAL_API_THROTTLE: `template` (the default) holds the API stage's throttle from the template (429 past
   * the burst, ADR 0012); `off` lifts it, as the end-to-end suites lift the BFF's rate limits.
   */
  readonly apiThrottle: boolean;
}

export class LocalSettingsError extends Error {
  override readonly name = 'LocalSettingsError';
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number;
function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: undefined,
  min: number,
  max: number,
): number | undefined;
function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new LocalSettingsError(
      `setting ${name} must be a whole number from ${min} to ${max} (got "${raw}")`,
    );
  return n;
}

function rate(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!(n >= 0 && n <= 1))
    throw new LocalSettingsError(`setting ${name} must be a number from 0 to 1 (got "${raw}")`);
  return n;
}

/** The spread of the realistic profile: each image within ±20 % of its model's time. */
const DEFAULT_REALISTIC_JITTER = 0.2;

/**
 * LOCAL_BEDROCK_LATENCY_MS: `realistic` (the default: each model its own time, with jitter), a
 * number of ms for every model (`0`: none, what tests and benchmarks use), or a JSON map of model id
 * to ms with `default` for the rest. An explicit value has no jitter unless LOCAL_BEDROCK_LATENCY_JITTER says so.
 */
function latencySettings(env: NodeJS.ProcessEnv): Pick<BedrockFaults, 'latencyMs' | 'latencyJitter'> {
  const raw = env['LOCAL_BEDROCK_LATENCY_MS']?.trim() || 'realistic';
  const jitter = rate(env, 'LOCAL_BEDROCK_LATENCY_JITTER');
  let latencyMs: BedrockFaults['latencyMs'];
  if (raw === 'realistic') latencyMs = 'realistic';
  else if (raw.startsWith('{')) {
    try {
      latencyMs = JSON.parse(raw);
    } catch {
      throw new LocalSettingsError(`setting LOCAL_BEDROCK_LATENCY_MS is not valid JSON (got "${raw}")`);
    }
  } else latencyMs = Number(raw);
  if (faultProblems({ latencyMs }).length) {
    throw new LocalSettingsError(
      `setting LOCAL_BEDROCK_LATENCY_MS must be "realistic", a number of ms (0..600000), or a JSON map of model id to ms with "default" (got "${raw}")`,
    );
  }
  const spread = jitter ?? (latencyMs === 'realistic' ? DEFAULT_REALISTIC_JITTER : undefined);
  return { latencyMs, ...(spread !== undefined ? { latencyJitter: spread } : {}) };
}

const optional = <K extends string>(key: K, value: number | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;

function iamSetting(env: NodeJS.ProcessEnv): boolean {
  const raw = env['LOCAL_IAM']?.trim() || 'enforce';
  if (raw !== 'enforce' && raw !== 'off')
    throw new LocalSettingsError(`setting LOCAL_IAM must be "enforce" or "off" (got "${raw}")`);
  return raw === 'enforce';
}

function apiThrottleSetting(env: NodeJS.ProcessEnv): boolean {
  const raw = env['LOCAL_API_THROTTLE']?.trim() || 'template';
  if (raw !== 'template' && raw !== 'off')
    throw new LocalSettingsError(`setting LOCAL_API_THROTTLE must be "template" or "off" (got "${raw}")`);
  return raw === 'template';
}

/** Reads the local cloud's settings from the environment (README lists them all). */
export function loadLocalCloudSettings(env: NodeJS.ProcessEnv, cwd = process.cwd()): LocalCloudSettings {
  const ports = Object.fromEntries(
    Object.entries(PORT_SETTINGS).map(([key, [name, fallback]]) => [key, int(env, name, fallback, 0, 65535)]),
  ) as unknown as LocalPorts;
  const faults: Record<string, unknown> = {
    ...latencySettings(env),
    ...(rate(env, 'LOCAL_BEDROCK_THROTTLE_RATE') !== undefined
      ? { throttleRate: rate(env, 'LOCAL_BEDROCK_THROTTLE_RATE') }
      : {}),
    ...(rate(env, 'LOCAL_BEDROCK_ERROR_RATE') !== undefined
      ? { errorRate: rate(env, 'LOCAL_BEDROCK_ERROR_RATE') }
      : {}),
    ...(env['LOCAL_BEDROCK_CONTENT_FILTER']
      ? { contentFilterPattern: env['LOCAL_BEDROCK_CONTENT_FILTER'] }
      : {}),
    ...(env['LOCAL_BEDROCK_ACCESS_DENIED']
      ? { accessDeniedModels: env['LOCAL_BEDROCK_ACCESS_DENIED'].split(',').map((s) => s.trim()) }
      : {}),
  };
  const problems = faultProblems(faults);
  if (problems.length) throw new LocalSettingsError(`Bedrock stand-in settings: ${problems.join('; ')}`);
  return {
    ports,
    dataDir: resolve(cwd, env['LOCAL_CLOUD_DATA_DIR'] ?? '.local-cloud'),
    templateCacheDir: resolve(cwd, env['LOCAL_TEMPLATE_CACHE_DIR'] ?? '.local-cloud/template-cache'),
    ...optional('workerConcurrency', int(env, 'LOCAL_WORKER_CONCURRENCY', undefined, 1, 100)),
    faults: faults as BedrockFaults,
    // The same range as the generator's own RETENTION_DAYS.
    ...optional('retentionDays', int(env, 'RETENTION_DAYS', undefined, 1, 3650)),
    retentionSweepSeconds: int(env, 'LOCAL_RETENTION_SWEEP_SECONDS', 300, 0, 86_400),
    shutdownGraceSeconds: int(env, 'LOCAL_SHUTDOWN_GRACE_SECONDS', 20, 0, 600),
    logLevel: env['LOG_LEVEL']?.trim() || 'info',
    enforceIam: iamSetting(env),
    apiThrottle: apiThrottleSetting(env),
  };
}
