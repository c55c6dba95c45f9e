/** The generator's settings, read from the environment once per container and checked. */
export interface GeneratorSettings {
  readonly table: string;
  readonly bucket: string;
  /** The worker queue's URL (one message per image): required by the API handler only. */
  readonly workerQueueUrl?: string;
  readonly region?: string;
  readonly bedrockRegion: string;
  readonly presignExpirySeconds: number;
  /** Days a job and its images are kept (record TTL; S3 lifecycle in infra). */
  readonly retentionDays: number;
  readonly bedrockTimeoutMs: number;
  /** A running job untouched this long lost its worker; a retry takes it over (worker timeout + margin). */
  readonly staleAfterSeconds: number;
  readonly bedrockMaxAttempts: number;
  readonly s3ForcePathStyle: boolean;
  readonly logLevel: string;
  /** Images made at once (the worker queue mapping's MaximumConcurrency): the parallelism of ETAs. */
  readonly workerConcurrency: number;
  /** How long the control plane's answer on model access is kept. */
  readonly modelAccessCacheSeconds: number;
  /**
   * Explicit credentials for every AWS client (never read from the environment: in Lambda the role's
   * come from the SDK's chain). The local cloud sets them so each function signs as its own role.
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Spending budgets (dollars at catalog prices) and the per-owner queue cap (ADR 0015). */
  readonly budgets: BudgetSettings;
}

// --- Budgets and fair sharing (ADR 0015): a block of its own, to merge into the shared loader. ---

export interface BudgetSettings {
  /** BUDGET_DEPLOYMENT_MONTHLY_USD: every owner's jobs together, per calendar month (UTC). */
  readonly deploymentMonthlyUsd: number;
  /** BUDGET_OWNER_DAILY_USD: one owner's jobs per day (UTC). */
  readonly ownerDailyUsd: number;
  /** BUDGET_OWNER_MONTHLY_USD: one owner's jobs per calendar month (UTC). */
  readonly ownerMonthlyUsd: number;
  /** MAX_IMAGES_IN_FLIGHT_PER_OWNER: images one owner may have queued or being made. */
  readonly ownerImagesInFlight: number;
}

export const BUDGET_DEFAULTS: BudgetSettings = {
  deploymentMonthlyUsd: 200,
  ownerDailyUsd: 2,
  ownerMonthlyUsd: 20,
  ownerImagesInFlight: 8,
};

function dollars(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!/^\d+(\.\d{1,2})?$/.test(raw) || n <= 0 || n > 1_000_000) {
    throw new SettingsError(
      `setting ${name} must be an amount in dollars from 0.01 to 1000000 (got "${raw}")`,
    );
  }
  return n;
}

export function loadBudgetSettings(env: NodeJS.ProcessEnv): BudgetSettings {
  return {
    deploymentMonthlyUsd: dollars(env, 'BUDGET_DEPLOYMENT_MONTHLY_USD', BUDGET_DEFAULTS.deploymentMonthlyUsd),
    ownerDailyUsd: dollars(env, 'BUDGET_OWNER_DAILY_USD', BUDGET_DEFAULTS.ownerDailyUsd),
    ownerMonthlyUsd: dollars(env, 'BUDGET_OWNER_MONTHLY_USD', BUDGET_DEFAULTS.ownerMonthlyUsd),
    ownerImagesInFlight: integer(
      env,
      'MAX_IMAGES_IN_FLIGHT_PER_OWNER',
      BUDGET_DEFAULTS.ownerImagesInFlight,
      1,
      10_000,
    ),
  };
}

// --- end of budgets ---

/** The longest presigned-link life asked: links signed with role credentials cannot outlive them. */
export const MAX_PRESIGN_EXPIRY_SECONDS = 3600;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new SettingsError(`setting ${name} is missing`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingsError(`setting ${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return false;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new SettingsError(`setting ${name} must be true or false (got "${raw}")`);
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function loadGeneratorSettings(env: NodeJS.ProcessEnv, role: 'api' | 'worker'): GeneratorSettings {
  const logLevel = env['LOG_LEVEL']?.trim() || 'info';
  if (!LEVELS.includes(logLevel))
    throw new SettingsError(`setting LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  return {
    table: required(env, 'GENERATIONS_TABLE'),
    bucket: required(env, 'IMAGES_BUCKET'),
    ...(role === 'api' ? { workerQueueUrl: required(env, 'WORKER_QUEUE_URL') } : {}),
    ...(env['AWS_REGION'] ? { region: env['AWS_REGION'] } : {}),
    bedrockRegion: env['BEDROCK_REGION']?.trim() || 'us-west-2',
    // Links are signed with the Lambda role's temporary credentials and die with them whatever expiry
    // they ask (S3 user guide, presigned URLs): at most an hour is asked (ADR 0009); a read mints new ones.
    presignExpirySeconds: integer(env, 'PRESIGN_EXPIRY_SECONDS', 900, 1, MAX_PRESIGN_EXPIRY_SECONDS),
    retentionDays: integer(env, 'RETENTION_DAYS', 30, 1, 3650),
    bedrockTimeoutMs: integer(env, 'BEDROCK_TIMEOUT_MS', 60_000, 1_000, 900_000),
    bedrockMaxAttempts: integer(env, 'BEDROCK_MAX_ATTEMPTS', 3, 1, 10),
    staleAfterSeconds: integer(env, 'JOB_STALE_AFTER_SECONDS', 300, 10, 86_400),
    s3ForcePathStyle: flag(env, 'S3_FORCE_PATH_STYLE'),
    logLevel,
    workerConcurrency: integer(env, 'WORKER_CONCURRENCY', 4, 1, 1000),
    modelAccessCacheSeconds: integer(env, 'MODEL_ACCESS_CACHE_SECONDS', 300, 0, 86_400),
    budgets: loadBudgetSettings(env),
  };
}
