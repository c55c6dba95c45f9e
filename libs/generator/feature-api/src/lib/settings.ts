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
  /** Images made at once (the worker's reserved concurrency): the parallelism of ETAs. */
  workerConcurrency: setting.int({
    name: 'WORKER_CONCURRENCY',
    min: 1,
    max: 1000,
    default: 4,
    description:
      "images made at once (the worker's reserved concurrency; infra sets it): the parallelism of the ETAs",
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
});

/** Only the API handler reads it: the worker it invokes asynchronously per job. */
export const API_SETTINGS = defineSettings({
  ...GENERATOR_SETTINGS.fields,
  workerFunctionName: setting.string({
    name: 'WORKER_FUNCTION_NAME',
    required: true,
    docDefault: '— (required by the API handler)',
    description: 'worker Lambda invoked asynchronously per job',
  }),
});

/** The generator's settings, read from the environment once per container and checked. */
export type GeneratorSettings = SettingsOf<typeof GENERATOR_SETTINGS> & {
  /** Required by the API handler only. */
  readonly workerFunctionName?: string;
  /**
   * Explicit credentials for every AWS client (never read from the environment: in Lambda the role's
   * come from the SDK's chain). The local cloud sets them so each function signs as its own role.
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
};

export class SettingsError extends BaseSettingsError {
  override readonly name = 'SettingsError';
}

export function loadGeneratorSettings(env: NodeJS.ProcessEnv, role: 'api' | 'worker'): GeneratorSettings {
  const options = { error: SettingsError, title: `generator ${role} settings` };
  return role === 'api'
    ? parseSettings(API_SETTINGS, env, options)
    : parseSettings(GENERATOR_SETTINGS, env, options);
}
