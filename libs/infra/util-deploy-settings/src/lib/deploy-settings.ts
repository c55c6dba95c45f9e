import {
  defineSettings,
  parseSettings,
  setting,
  SettingsError,
  type SettingsOf,
} from '@imagegen/shared/util-config';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const REGION_EXPECTED = 'an AWS region such as us-west-2';
/** AWS::Cognito::UserPoolDomain `Domain` (CloudFormation reference). */
const COGNITO_DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const DOMAIN_DESCRIPTION =
  "e.g. `images.example.com` in zone `example.com`: ACM certificate, HTTPS listener, HTTP→HTTPS redirect, Route 53 alias. Unset: HTTPS on CloudFront's default name (`https://d….cloudfront.net`, HTTP redirected, HSTS), the ALB reachable from CloudFront only (its origin-facing prefix list and a secret origin header; ADR 0016)";
const TASKS_DESCRIPTION = 'Fargate tasks per service (autoscaling on CPU and requests)';
const API_THROTTLE_DESCRIPTION =
  'API Gateway stage throttle (all users together: the BFF reads each followed job every 1–3 s)';

/**
 * Every deployment setting, in one place: read by infra (the CDK app) and by the deploy preflight
 * (doctor), from the `imagegen` context of infra/cdk.json and `IMAGEGEN_*` variables. The description
 * is docs/deploy.md's "meaning" (infra's config.spec.ts checks the table against it).
 */
export const DEPLOY_SETTINGS = defineSettings(
  {
    /** Unset: the account of the current credentials, resolved at deploy. */
    account: setting.string({
      pattern: /^\d{12}$/,
      expected: 'a 12-digit AWS account id',
      docDefault: "the credentials' account",
      description: 'AWS account (12 digits); needed with a domain (hosted-zone lookup)',
    }),
    /** Region of the stacks (VPC, ALB, API, Lambda, S3, DynamoDB). */
    region: setting.string({
      pattern: REGION,
      expected: REGION_EXPECTED,
      default: 'us-west-2',
      description: 'region of every stack',
    }),
    bedrockRegion: setting.string({
      pattern: REGION,
      expected: REGION_EXPECTED,
      default: 'us-west-2',
      description: 'region of Bedrock Runtime calls (Stability models live there)',
    }),
    /** Public domain name; with `hostedZoneName` it gets HTTPS and an alias record. */
    domainName: setting.string({ description: DOMAIN_DESCRIPTION }),
    /** The Route 53 hosted zone that holds `domainName` (e.g. example.com). */
    hostedZoneName: setting.string({ description: DOMAIN_DESCRIPTION }),
    /** Needs a domain: the ALB authenticates over HTTPS. */
    cognito: setting.boolean({
      default: false,
      description: 'Cognito sign-in on the ALB (needs a domain); users are created by an admin',
    }),
    /**
     * The Cognito sign-in domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`, unique in the
     * region across AWS). Unset: `imagegen-` and a hash of the account and region (infra's cognitoDomainPrefixOf).
     */
    cognitoDomainPrefix: setting.string({
      pattern: COGNITO_DOMAIN_PREFIX,
      expected: '1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen',
      docDefault: '`imagegen-` + 12 hex digits of a hash of account and region',
      description:
        'the sign-in domain `<prefix>.auth.<region>.amazoncognito.com`: unique per account and region by default; set it for a name of your own (1–63 lowercase letters, digits and hyphens, no hyphen first or last)',
    }),
    maxAzs: setting.int({ min: 2, max: 6, default: 2, description: 'availability zones' }),
    natGateways: setting.int({
      min: 1,
      max: 6,
      default: 1,
      description: 'NAT gateways: 1 for dev, one per AZ for production',
    }),
    /**
     * How many Bedrock calls may run at once (the Bedrock budget): the MaximumConcurrency of the worker
     * queue's event source mapping (AWS's range: 2 to 1,000), which reserves no account concurrency (ADR 0011).
     */
    bedrockConcurrency: setting.int({
      min: 2,
      max: 1000,
      default: 4,
      description:
        "Bedrock calls at once: the `MaximumConcurrency` (2–1,000) of the worker queue's event source mapping; reserves no account concurrency, so a new account (quota 10) deploys",
    }),
    /** Reserved concurrency for the worker (0: none). Only on an account with room; at least bedrockConcurrency. */
    workerReservedConcurrency: setting.int({
      min: 0,
      max: 1000,
      default: 0,
      description:
        'reserved concurrency for the worker, 0 = none; only on an account with room (Lambda keeps 100 unreserved), at least `bedrockConcurrency`',
    }),
    minTasks: setting.int({ min: 1, max: 100, default: 2, description: TASKS_DESCRIPTION }),
    maxTasks: setting.int({ min: 1, max: 100, default: 6, description: TASKS_DESCRIPTION }),
    retentionDays: setting.int({
      min: 1,
      max: 3650,
      default: 30,
      description: "S3 lifecycle expiry of images and thumbnails; the job records' TTL",
    }),
    imageVersioning: setting.boolean({
      default: false,
      description: 'S3 versioning of images (old versions expire after 7 days)',
    }),
    // Links are signed with the API Lambda role's temporary credentials and die with them, whatever
    // expiry they ask: an hour at most (the generator refuses more; ADR 0009).
    presignExpirySeconds: setting.int({
      min: 60,
      max: 3_600,
      default: 900,
      description:
        "lifetime of image links, 60 to 3,600 s: links are signed with the API role's temporary credentials and die with them whatever they ask",
    }),
    /** A flood guard above the BFF's own per-IP limit, so people see the BFF's 429 first. */
    wafRateLimit: setting.int({
      min: 10,
      max: 2_000_000_000,
      default: 4000,
      description:
        "requests per 5 minutes per IP (pages, assets and API together) before the WAF blocks (403); at least 5 × `rateLimitIpPerMinute`, so people see the BFF's 429 first",
    }),
    /** The BFF's RATE_LIMIT_PER_IP. */
    rateLimitIpPerMinute: setting.int({
      min: 1,
      max: 1_000_000,
      default: 600,
      description:
        'BFF: API requests per minute from one client address, then 429 `RATE_LIMITED` with `Retry-After`',
    }),
    /** The BFF's RATE_LIMIT_PER_OWNER. */
    rateLimitOwnerPerMinute: setting.int({
      min: 1,
      max: 1_000_000,
      default: 300,
      description: 'BFF: API requests per minute from one owner',
    }),
    /** The BFF's RATE_LIMIT_JOBS_PER_OWNER. */
    rateLimitCreatePerMinute: setting.int({
      min: 1,
      max: 10_000,
      default: 30,
      description: 'BFF: jobs one owner may create per minute',
    }),
    // Shared by every user: the BFF reads each followed job every 1-3 s (SSE), so ~100 people following jobs is ~50 rps.
    /** Steady requests per second from the BFF to the generator API, all users together. */
    apiRateLimit: setting.int({ min: 1, max: 10_000, default: 100, description: API_THROTTLE_DESCRIPTION }),
    /** Requests at once above the steady rate (token bucket size). */
    apiBurstLimit: setting.int({ min: 1, max: 5_000, default: 200, description: API_THROTTLE_DESCRIPTION }),
    logRetentionDays: setting.int({
      min: 1,
      max: 3653,
      default: 30,
      description: 'CloudWatch log retention',
    }),
    // ── Budgets and fair sharing (ADR 0015) ──
    /** The BFF's RATE_LIMIT_JOBS_PER_IP. */
    rateLimitCreatePerIpPerMinute: setting.int({
      min: 1,
      max: 1_000_000,
      default: 20,
      description:
        'BFF: jobs one client address may create per minute, whatever the owners; a request without an owner cookie counts its jobs as one owner per address (ADR 0015)',
    }),
    budgetMonthlyUsd: setting.number({
      min: 0.01,
      max: 1_000_000,
      default: 200,
      description:
        "dollars (catalog prices) every owner's jobs may cost together per calendar month (UTC); a job that would pass it is refused 429 `BUDGET_EXCEEDED`, naming the budget, what is left and when it resets",
    }),
    budgetOwnerDailyUsd: setting.number({
      min: 0.01,
      max: 1_000_000,
      default: 2,
      description: "dollars one owner's jobs may cost per day (UTC); at most `budgetOwnerMonthlyUsd`",
    }),
    budgetOwnerMonthlyUsd: setting.number({
      min: 0.01,
      max: 1_000_000,
      default: 20,
      description: "dollars one owner's jobs may cost per calendar month (UTC)",
    }),
    maxImagesInFlightPerOwner: setting.int({
      min: 1,
      max: 10_000,
      default: 8,
      description:
        'images one owner may have queued or being made at once, so one backlog cannot starve the others; then 429 `QUEUE_FULL`',
    }),
    // ── Operator: dashboard and alarms (ADR 0016) ──
    alarmSpendUsdPerDay: setting.int({
      min: 1,
      max: 1_000_000,
      default: 50,
      description: 'alarm when the catalog price of the images made in a day passes this many dollars',
    }),
    alarmSpendSharePercent: setting.int({
      min: 1,
      max: 100,
      default: 80,
      description:
        "alarm when the deployment's spending this month passes this share of `budgetMonthlyUsd` (checked each time a job ends)",
    }),
    alarmErrorRatePercent: setting.int({
      min: 1,
      max: 100,
      default: 10,
      description: 'alarm when more than this share of the jobs of 15 minutes failed',
    }),
    alarmQueueAgeSeconds: setting.int({
      min: 60,
      max: 21_600,
      default: 600,
      description:
        'alarm when the oldest message in the worker queue (an image waiting for the worker) is older than this',
    }),
    alarmEmail: setting.string({
      pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
      expected: 'an email address',
      description:
        "mail address subscribed to the alarms' SNS topic (confirm the subscription from the first mail); unset: the topic alone",
    }),
  },
  ({ domainName, hostedZoneName, account, cognito }) => [
    ...((domainName === undefined) !== (hostedZoneName === undefined)
      ? ['domainName and hostedZoneName go together']
      : []),
    ...(domainName !== undefined && account === undefined
      ? [
          'domainName needs account (IMAGEGEN_ACCOUNT): the Route 53 hosted-zone lookup runs at synth and needs a stack with an explicit account and region',
        ]
      : []),
    ...(cognito === true && domainName === undefined
      ? ['cognito needs domainName (the ALB authenticates over HTTPS only)']
      : []),
  ],
  ({ natGateways, maxAzs, minTasks, maxTasks }) => [
    ...(natGateways !== undefined && maxAzs !== undefined && natGateways > maxAzs
      ? ['natGateways cannot be more than maxAzs']
      : []),
    ...(minTasks !== undefined && maxTasks !== undefined && minTasks > maxTasks
      ? ['minTasks cannot be more than maxTasks']
      : []),
  ],
  ({ workerReservedConcurrency, bedrockConcurrency }) =>
    workerReservedConcurrency !== undefined &&
    bedrockConcurrency !== undefined &&
    workerReservedConcurrency > 0 &&
    workerReservedConcurrency < bedrockConcurrency
      ? [
          'workerReservedConcurrency, when set, must be at least bedrockConcurrency (or Lambda throttles the queue’s deliveries)',
        ]
      : [],
  ({ budgetMonthlyUsd, budgetOwnerDailyUsd, budgetOwnerMonthlyUsd }) => [
    ...[
      ['budgetMonthlyUsd', budgetMonthlyUsd],
      ['budgetOwnerDailyUsd', budgetOwnerDailyUsd],
      ['budgetOwnerMonthlyUsd', budgetOwnerMonthlyUsd],
    ].flatMap(([name, v]) =>
      typeof v === 'number' && Math.round(v * 100) !== v * 100
        ? [`${name} must be an amount in dollars to the cent`]
        : [],
    ),
    ...(budgetOwnerDailyUsd !== undefined &&
    budgetOwnerMonthlyUsd !== undefined &&
    budgetOwnerDailyUsd > budgetOwnerMonthlyUsd
      ? ['budgetOwnerDailyUsd cannot be more than budgetOwnerMonthlyUsd']
      : []),
  ],
  ({ wafRateLimit, rateLimitIpPerMinute }) =>
    wafRateLimit !== undefined &&
    rateLimitIpPerMinute !== undefined &&
    wafRateLimit < 5 * rateLimitIpPerMinute
      ? [
          'wafRateLimit (per 5 minutes) must be at least 5 × rateLimitIpPerMinute, or the WAF blocks (403) before the BFF answers 429 with Retry-After',
        ]
      : [],
);

/** The deployment settings, typed. */
export type DeploySettings = SettingsOf<typeof DEPLOY_SETTINGS>;

export class DeploySettingsError extends SettingsError {
  override readonly name: string = 'DeploySettingsError';
}

/** The variable that overrides a setting: `IMAGEGEN_` and its name in upper snake case (`natGateways`: `IMAGEGEN_NAT_GATEWAYS`). */
export const deployEnvName = (key: string): string =>
  `IMAGEGEN_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export interface DeploySettingsOptions {
  /** The error class thrown (each caller keeps its own). */
  readonly error?: new (message: string, problems: readonly string[]) => SettingsError;
}

/**
 * Merges the defaults, the `imagegen` context of infra/cdk.json and `IMAGEGEN_*` variables (in that
 * order), and checks the result: every problem at once, by name; a context key that is no setting too.
 */
export function loadDeploySettings(
  context: Readonly<Record<string, unknown>> | undefined,
  env: Readonly<Record<string, string | undefined>> = {},
  options: DeploySettingsOptions = {},
): DeploySettings {
  const fromEnv: Record<string, unknown> = {};
  for (const key of Object.keys(DEPLOY_SETTINGS.fields)) {
    const raw = env[deployEnvName(key)];
    if (raw !== undefined && raw.trim() !== '') fromEnv[key] = raw;
  }
  return parseSettings(
    DEPLOY_SETTINGS,
    { ...(context ?? {}), ...fromEnv },
    { refuseUnknown: true, title: 'imagegen settings', error: options.error ?? DeploySettingsError },
  );
}

/** Every setting's default (what synth uses with no context and no variables). */
export const DEFAULT_DEPLOY_SETTINGS: DeploySettings = loadDeploySettings(undefined, {});
