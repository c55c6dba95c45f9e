import {
  SettingsError as BaseSettingsError,
  defineSettings,
  parseSettings,
  setting,
  type SettingsOf,
} from '@imagegen/shared/util-config';

/** The longest presigned-link life asked: links signed with role credentials cannot outlive them. */
export const MAX_PRESIGN_EXPIRY_SECONDS = 3600;

/**
 * The generator's settings (environment variables of both Lambda functions), each declared once here;
 * the description is the README's "what it does" (settings.spec.ts checks the README against it).
 */
export const GENERATOR_SETTINGS = defineSettings({
  table: setting.string({ name: 'GENERATIONS_TABLE', required: true, description: 'DynamoDB table of jobs' }),
  bucket: setting.string({ name: 'IMAGES_BUCKET', required: true, description: 'S3 bucket of images' }),
  /** Set by the Lambda runtime. */
  region: setting.string({ name: 'AWS_REGION', description: 'the Lambda runtime’s region' }),
  bedrockRegion: setting.string({
    name: 'BEDROCK_REGION',
    default: 'us-west-2',
    description: 'region of the Bedrock Runtime client',
  }),
  // Links are signed with the Lambda role's temporary credentials and die with them whatever expiry
  // they ask (S3 user guide, presigned URLs): at most an hour is asked (ADR 0009); a read mints new ones.
  presignExpirySeconds: setting.int({
    name: 'PRESIGN_EXPIRY_SECONDS',
    min: 1,
    max: MAX_PRESIGN_EXPIRY_SECONDS,
    default: 900,
    description:
      "lifetime of presigned image links (minted on every read, never stored); 1 to 3,600: a link signed with the Lambda role's temporary credentials expires when they do, whatever it asks ([S3: presigned URLs](https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html)), so more than an hour is refused",
  }),
  /** Days a job and its images are kept (record TTL; S3 lifecycle in infra). */
  retentionDays: setting.int({
    name: 'RETENTION_DAYS',
    min: 1,
    max: 3650,
    default: 30,
    description:
      'days a job record is kept (DynamoDB TTL `expiresAt`; expired jobs are hidden at once); S3 lifecycle keeps images as long',
  }),
  bedrockTimeoutMs: setting.int({
    name: 'BEDROCK_TIMEOUT_MS',
    min: 1_000,
    max: 900_000,
    default: 60_000,
    description: 'per-attempt InvokeModel timeout',
  }),
  bedrockMaxAttempts: setting.int({
    name: 'BEDROCK_MAX_ATTEMPTS',
    min: 1,
    max: 10,
    default: 3,
    description: 'InvokeModel attempts (standard retry: exponential backoff with jitter)',
  }),
  /** A running job untouched this long lost its worker; a retry takes it over (worker timeout + margin). */
  staleAfterSeconds: setting.int({
    name: 'JOB_STALE_AFTER_SECONDS',
    min: 10,
    max: 86_400,
    default: 300,
    description:
      'an image whose worker has not been heard of for this long lost it (crash, timeout): a later delivery takes it over, and a read settles the job (infra sets worker timeout + 60 s)',
  }),
  /** Images made at once (the worker queue mapping's MaximumConcurrency): the parallelism of ETAs. */
  workerConcurrency: setting.int({
    name: 'WORKER_CONCURRENCY',
    min: 1,
    max: 1000,
    default: 4,
    description:
      "images made at once (the worker queue mapping's `MaximumConcurrency`; infra sets it): the parallelism of the ETAs",
  }),
  /** How long the control plane's answer on model access is kept. */
  modelAccessCacheSeconds: setting.int({
    name: 'MODEL_ACCESS_CACHE_SECONDS',
    min: 0,
    max: 86_400,
    default: 300,
    description:
      "how long Bedrock's control-plane answer on model access is kept (per model; `unknown` answers 30 s at most)",
  }),
  s3ForcePathStyle: setting.boolean({
    name: 'S3_FORCE_PATH_STYLE',
    default: false,
    description: 'path-style S3 URLs (the local cloud sets `true`)',
  }),
  logLevel: setting.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    name: 'LOG_LEVEL',
    default: 'info',
    description: '`debug`, `info`, `warn`, `error`',
  }),
  // ── Budgets and fair sharing (ADR 0015) ──
  budgetDeploymentMonthlyUsd: setting.number({
    name: 'BUDGET_DEPLOYMENT_MONTHLY_USD',
    min: 0.01,
    max: 1_000_000,
    default: 200,
    description:
      "dollars (catalog prices) every owner's jobs may cost together per calendar month (UTC); infra sets it from `budgetMonthlyUsd`. A job that would pass any budget is refused before anything is queued: 429 `BUDGET_EXCEEDED` with `budget` (which, what is left, when it resets) and `Retry-After` until then (ADR 0015)",
  }),
  budgetOwnerDailyUsd: setting.number({
    name: 'BUDGET_OWNER_DAILY_USD',
    min: 0.01,
    max: 1_000_000,
    default: 2,
    description: "dollars one owner's jobs may cost per day (UTC)",
  }),
  budgetOwnerMonthlyUsd: setting.number({
    name: 'BUDGET_OWNER_MONTHLY_USD',
    min: 0.01,
    max: 1_000_000,
    default: 20,
    description: "dollars one owner's jobs may cost per calendar month (UTC)",
  }),
  maxImagesInFlightPerOwner: setting.int({
    name: 'MAX_IMAGES_IN_FLIGHT_PER_OWNER',
    min: 1,
    max: 10_000,
    default: 8,
    description:
      "images one owner may have queued or being made; then 429 `QUEUE_FULL` with `Retry-After` (about one image's time)",
  }),
});

/** Only the API handler reads it: the queue it sends one message per image to. */
export const API_SETTINGS = defineSettings({
  ...GENERATOR_SETTINGS.fields,
  workerQueueUrl: setting.string({
    name: 'WORKER_QUEUE_URL',
    required: true,
    docDefault: '— (required by the API handler)',
    description: 'the worker queue: one message per image (ADR 0011)',
  }),
});

/** The generator's settings, read from the environment once per container and checked. */
export type GeneratorSettings = SettingsOf<typeof GENERATOR_SETTINGS> & {
  /** The worker queue's URL (one message per image): required by the API handler only. */
  readonly workerQueueUrl?: string;
  /** Spending budgets (dollars at catalog prices) and the per-owner queue cap (ADR 0015). */
  readonly budgets: BudgetSettings;
  /**
   * Explicit credentials for every AWS client (never read from the environment: in Lambda the role's
   * come from the SDK's chain). The local cloud sets them so each function signs as its own role.
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
};

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

export class SettingsError extends BaseSettingsError {
  override readonly name = 'SettingsError';
}

export function loadGeneratorSettings(env: NodeJS.ProcessEnv, role: 'api' | 'worker'): GeneratorSettings {
  const options = { error: SettingsError, title: `generator ${role} settings` };
  const parsed =
    role === 'api'
      ? parseSettings(API_SETTINGS, env, options)
      : parseSettings(GENERATOR_SETTINGS, env, options);
  const cents = (
    ['budgetDeploymentMonthlyUsd', 'budgetOwnerDailyUsd', 'budgetOwnerMonthlyUsd'] as const
  ).filter((k) => Math.round(parsed[k] * 100) !== parsed[k] * 100);
  if (cents.length)
    throw new SettingsError(
      `${options.title}:\n${cents.map((k) => `- setting ${GENERATOR_SETTINGS.fields[k].name} must be an amount in dollars to the cent`).join('\n')}`,
      cents.map(
        (k) => `setting ${GENERATOR_SETTINGS.fields[k].name} must be an amount in dollars to the cent`,
      ),
    );
  return {
    ...parsed,
    budgets: {
      deploymentMonthlyUsd: parsed.budgetDeploymentMonthlyUsd,
      ownerDailyUsd: parsed.budgetOwnerDailyUsd,
      ownerMonthlyUsd: parsed.budgetOwnerMonthlyUsd,
      ownerImagesInFlight: parsed.maxImagesInFlightPerOwner,
    },
  };
}
