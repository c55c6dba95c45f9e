import { createHash } from 'node:crypto';

/** Every deployment setting, in one typed place, checked before anything is built. */
export interface ImagegenConfig {
  /** AWS account to deploy to (unset: the account of the current credentials, resolved at deploy). */
  readonly account?: string;
  /** Region of the stacks (VPC, ALB, API, Lambda, S3, DynamoDB). */
  readonly region: string;
  /** Region of Bedrock Runtime (Stability models: us-west-2). */
  readonly bedrockRegion: string;
  /** Public domain name (e.g. images.example.com); with `hostedZoneName` it gets HTTPS and an alias record. */
  readonly domainName?: string;
  /** The Route 53 hosted zone that holds `domainName` (e.g. example.com). */
  readonly hostedZoneName?: string;
  /** Availability zones to span (2 or more). */
  readonly maxAzs: number;
  /** NAT gateways: 1 for dev, one per AZ for production. */
  readonly natGateways: number;
  /**
   * How many Bedrock calls may run at once (the Bedrock budget): the MaximumConcurrency of the worker
   * queue's event source mapping (2 to 1,000, AWS's range), which reserves no account concurrency (ADR 0011).
   */
  readonly bedrockConcurrency: number;
  /**
   * Reserved concurrency for the worker (0: none, the default). Reserving fails the deploy on an account
   * whose concurrency quota leaves less than 100 unreserved (new accounts have 10); set it (at least
   * `bedrockConcurrency`) only on an account with room, to guarantee the worker its slots.
   */
  readonly workerReservedConcurrency: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Put Amazon Cognito sign-in in front of the app (needs a domain: the ALB authenticates over HTTPS). */
  readonly cognito: boolean;
  /**
   * The Cognito sign-in domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`, unique in the
   * region across AWS). Unset: `imagegen-` and a hash of the account and region (cognitoDomainPrefixOf).
   */
  readonly cognitoDomainPrefix?: string;
  /** Days images and job records are kept. */
  readonly retentionDays: number;
  /** Keep previous versions of images in S3. */
  readonly imageVersioning: boolean;
  /**
   * Requests per 5 minutes from one IP (pages, assets and API together) before the WAF blocks it
   * (403). A flood guard above the BFF's own per-IP limit, so people see the BFF's 429 first.
   */
  readonly wafRateLimit: number;
  /** API Gateway stage throttle: steady requests per second from the BFF to the generator API, all users together. */
  readonly apiRateLimit: number;
  /** API Gateway stage throttle: requests at once above the steady rate (token bucket size). */
  readonly apiBurstLimit: number;
  /** BFF: API requests per minute from one client address, then 429 RATE_LIMITED (its RATE_LIMIT_PER_IP). */
  readonly rateLimitIpPerMinute: number;
  /** BFF: API requests per minute from one owner (its RATE_LIMIT_PER_OWNER). */
  readonly rateLimitOwnerPerMinute: number;
  /** BFF: jobs one owner may create per minute (its RATE_LIMIT_JOBS_PER_OWNER). */
  readonly rateLimitCreatePerMinute: number;
  /** Lifetime of presigned image links, seconds (60 to 3,600: links die with the signing role's credentials). */
  readonly presignExpirySeconds: number;
  /** Days logs are kept. */
  readonly logRetentionDays: number;

  // ── Operator: dashboard and alarms (ADR 0016) ──

  /** Where the alarms' SNS topic mails (a subscription to confirm from the mail); unset: the topic alone. */
  readonly alarmEmail?: string;
  /** Alarm when the catalog price of the images made in one day passes this many dollars. */
  readonly alarmSpendUsdPerDay: number;
  /** Alarm when more than this share of the jobs of 15 minutes failed (percent). */
  readonly alarmErrorRatePercent: number;
  /** Alarm when a queued job waited longer than this before the worker started it (seconds). */
  readonly alarmQueueAgeSeconds: number;
  // --- Budgets and fair sharing (ADR 0015): a block of its own, to merge into the shared loader. ---

  /** Dollars (catalog prices) every owner's jobs may cost together per calendar month (UTC); then 429 BUDGET_EXCEEDED. */
  readonly budgetMonthlyUsd: number;
  /** Dollars one owner's jobs may cost per day (UTC). */
  readonly budgetOwnerDailyUsd: number;
  /** Dollars one owner's jobs may cost per calendar month (UTC). */
  readonly budgetOwnerMonthlyUsd: number;
  /** Images one owner may have queued or being made at once; then 429 QUEUE_FULL. */
  readonly maxImagesInFlightPerOwner: number;
  /** BFF: jobs one client address may create per minute, whatever the owners (its RATE_LIMIT_JOBS_PER_IP). */
  readonly rateLimitCreatePerIpPerMinute: number;
}

export const DEFAULT_CONFIG: ImagegenConfig = {
  region: 'us-west-2',
  bedrockRegion: 'us-west-2',
  maxAzs: 2,
  natGateways: 1,
  bedrockConcurrency: 4,
  workerReservedConcurrency: 0,
  minTasks: 2,
  maxTasks: 6,
  cognito: false,
  retentionDays: 30,
  imageVersioning: false,
  wafRateLimit: 4000,
  // Shared by every user: the BFF reads each followed job every 1-3 s (SSE), so ~100 people following jobs is ~50 rps.
  apiRateLimit: 100,
  apiBurstLimit: 200,
  rateLimitIpPerMinute: 600,
  rateLimitOwnerPerMinute: 300,
  rateLimitCreatePerMinute: 30,
  presignExpirySeconds: 900,
  logRetentionDays: 30,
  alarmSpendUsdPerDay: 50,
  alarmErrorRatePercent: 10,
  alarmQueueAgeSeconds: 600,
  budgetMonthlyUsd: 200,
  budgetOwnerDailyUsd: 2,
  budgetOwnerMonthlyUsd: 20,
  maxImagesInFlightPerOwner: 8,
  rateLimitCreatePerIpPerMinute: 20,
};

/** The budget settings: dollars to the cent (the generator's BUDGET_* settings). */
const DOLLAR_SETTINGS = ['budgetMonthlyUsd', 'budgetOwnerDailyUsd', 'budgetOwnerMonthlyUsd'] as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const OPTIONAL_KEYS = ['account', 'domainName', 'hostedZoneName', 'cognitoDomainPrefix', 'alarmEmail'];
/** AWS::Cognito::UserPoolDomain `Domain` (CloudFormation reference). */
const COGNITO_DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The Cognito domain prefix: the setting, else `imagegen-` and 12 hex digits of a hash of the
 * account and region, so each deployer gets their own (a fixed prefix is taken by the first
 * deployer in a region). Cognito needs a domain, a domain needs the account: it is always known here.
 */
export function cognitoDomainPrefixOf(config: ImagegenConfig): string {
  if (config.cognitoDomainPrefix) return config.cognitoDomainPrefix;
  if (!config.account) throw new ConfigError('cognitoDomainPrefix needs account (or set it)');
  const hash = createHash('sha256').update(`${config.account}:${config.region}`).digest('hex');
  return `imagegen-${hash.slice(0, 12)}`;
}
const INTEGER_RANGES: Readonly<Partial<Record<keyof ImagegenConfig, [number, number]>>> = {
  maxAzs: [2, 6],
  natGateways: [1, 6],
  // AWS::Lambda::EventSourceMapping ScalingConfig MaximumConcurrency: minimum 2, maximum 1000.
  bedrockConcurrency: [2, 1000],
  workerReservedConcurrency: [0, 1000],
  minTasks: [1, 100],
  maxTasks: [1, 100],
  retentionDays: [1, 3650],
  wafRateLimit: [10, 2_000_000_000],
  apiRateLimit: [1, 10_000],
  apiBurstLimit: [1, 5_000],
  rateLimitIpPerMinute: [1, 1_000_000],
  rateLimitOwnerPerMinute: [1, 1_000_000],
  rateLimitCreatePerMinute: [1, 10_000],
  // Links are signed with the API Lambda role's temporary credentials and die with them, whatever
  // expiry they ask: an hour at most (the generator refuses more; ADR 0009).
  presignExpirySeconds: [60, 3_600],
  logRetentionDays: [1, 3653],
  alarmSpendUsdPerDay: [1, 1_000_000],
  alarmErrorRatePercent: [1, 100],
  alarmQueueAgeSeconds: [60, 21_600],
  maxImagesInFlightPerOwner: [1, 10_000],
  rateLimitCreatePerIpPerMinute: [1, 1_000_000],
};

/**
 * Merges defaults, the `imagegen` context of cdk.json and `IMAGEGEN_*` overrides, and checks the
 * result: every problem is reported at once, by name.
 */
export function loadConfig(
  context: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = {},
): ImagegenConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_CONFIG).concat(OPTIONAL_KEYS)) {
    const name = `IMAGEGEN_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const sample = (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
    fromEnv[key] =
      typeof sample === 'number' ? Number(raw) : typeof sample === 'boolean' ? raw === 'true' : raw;
  }
  const merged = { ...DEFAULT_CONFIG, ...(context ?? {}), ...fromEnv } as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set(Object.keys(DEFAULT_CONFIG).concat(OPTIONAL_KEYS));
  for (const key of Object.keys(merged)) if (!known.has(key)) problems.push(`unknown setting ${key}`);
  for (const [key, [min, max]] of Object.entries(INTEGER_RANGES) as [string, [number, number]][]) {
    const v = merged[key];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
      problems.push(`${key} must be a whole number from ${min} to ${max}`);
  }
  for (const key of DOLLAR_SETTINGS) {
    const v = merged[key];
    if (typeof v !== 'number' || !(v >= 0.01 && v <= 1_000_000) || Math.round(v * 100) !== v * 100)
      problems.push(`${key} must be an amount in dollars from 0.01 to 1000000 (to the cent)`);
  }
  if ((merged['budgetOwnerDailyUsd'] as number) > (merged['budgetOwnerMonthlyUsd'] as number))
    problems.push('budgetOwnerDailyUsd cannot be more than budgetOwnerMonthlyUsd');
  for (const key of ['region', 'bedrockRegion']) {
    if (typeof merged[key] !== 'string' || !REGION.test(merged[key] as string))
      problems.push(`${key} must be an AWS region such as us-west-2`);
  }
  if (merged['account'] !== undefined && !/^\d{12}$/.test(String(merged['account'])))
    problems.push('account must be a 12-digit AWS account id');
  if ((merged['domainName'] === undefined) !== (merged['hostedZoneName'] === undefined))
    problems.push('domainName and hostedZoneName go together');
  if (merged['domainName'] !== undefined && merged['account'] === undefined)
    problems.push(
      'domainName needs account (IMAGEGEN_ACCOUNT): the Route 53 hosted-zone lookup runs at synth and needs a stack with an explicit account and region',
    );
  if (merged['cognito'] === true && merged['domainName'] === undefined)
    problems.push('cognito needs domainName (the ALB authenticates over HTTPS only)');
  if (
    merged['cognitoDomainPrefix'] !== undefined &&
    !COGNITO_DOMAIN_PREFIX.test(String(merged['cognitoDomainPrefix']))
  )
    problems.push(
      'cognitoDomainPrefix must be 1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen',
    );
  if (merged['alarmEmail'] !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(merged['alarmEmail'])))
    problems.push('alarmEmail must be an email address');
  if ((merged['natGateways'] as number) > (merged['maxAzs'] as number))
    problems.push('natGateways cannot be more than maxAzs');
  const reserved = merged['workerReservedConcurrency'] as number;
  if (reserved > 0 && reserved < (merged['bedrockConcurrency'] as number))
    problems.push(
      'workerReservedConcurrency, when set, must be at least bedrockConcurrency (or Lambda throttles the queue’s deliveries)',
    );
  if ((merged['minTasks'] as number) > (merged['maxTasks'] as number))
    problems.push('minTasks cannot be more than maxTasks');
  if ((merged['wafRateLimit'] as number) < 5 * (merged['rateLimitIpPerMinute'] as number)) {
    problems.push(
      'wafRateLimit (per 5 minutes) must be at least 5 × rateLimitIpPerMinute, or the WAF blocks (403) before the BFF answers 429 with Retry-After',
    );
  }
  for (const key of ['cognito', 'imageVersioning'])
    if (typeof merged[key] !== 'boolean') problems.push(`${key} must be true or false`);
  if (problems.length) throw new ConfigError(`imagegen settings:\n- ${problems.join('\n- ')}`);
  return merged as unknown as ImagegenConfig;
}
