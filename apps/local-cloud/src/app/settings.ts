import { resolve } from 'node:path';

import { BedrockFaults, DEFAULT_FAULTS, faultProblems } from '@imagegen/local-cloud/feature-bedrock';
import {
  defineSettings,
  parseSettings,
  setting,
  SettingsError,
  type Coerced,
  type SettingsOf,
} from '@imagegen/shared/util-config';

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

export class LocalSettingsError extends SettingsError {
  override readonly name = 'LocalSettingsError';
}

/** The spread of the realistic profile: each image within ±20 % of its model's time. */
const DEFAULT_REALISTIC_JITTER = 0.2;

const PORT_DESCRIPTIONS: Readonly<Record<keyof LocalPorts, string>> = {
  web: 'the URL to open: the web app and `/api` on one origin',
  bff: 'the BFF',
  apiGateway: 'API Gateway stand-in',
  bedrock: 'Bedrock Runtime stand-in',
  s3: 'S3 (verifying front)',
  dynamodb: 'DynamoDB (dynalite)',
  lambda: 'Lambda Invoke stand-in',
  sqs: 'SQS stand-in',
};
const portSetting = (key: keyof LocalPorts) =>
  setting.int({
    name: PORT_SETTINGS[key][0],
    min: 0,
    max: 65535,
    default: PORT_SETTINGS[key][1],
    description: PORT_DESCRIPTIONS[key],
  });

const LATENCY_EXPECTED =
  '"realistic", a number of ms (0..600000), or a JSON map of model id to ms with "default"';

/**
 * LOCAL_BEDROCK_LATENCY_MS: `realistic` (each model its own time, with jitter), a number of ms for
 * every model (`0`: none, what tests and benchmarks use), or a JSON map of model id to ms with `default`.
 */
function latency(raw: unknown): Coerced<BedrockFaults['latencyMs']> {
  const text = String(raw);
  let latencyMs: unknown;
  if (text === 'realistic') latencyMs = 'realistic';
  else if (text.startsWith('{')) {
    try {
      latencyMs = JSON.parse(text);
    } catch {
      return { problem: 'is not valid JSON' };
    }
  } else latencyMs = Number(text);
  return faultProblems({ latencyMs }).length
    ? { problem: '' }
    : { value: latencyMs as BedrockFaults['latencyMs'] };
}

const rate = (name: string, description: string, docDefault?: string) =>
  setting.number({ name, min: 0, max: 1, description, ...(docDefault ? { docDefault } : {}) });

/**
 * The local cloud's settings (environment variables), each declared once here; the description is the
 * README's "what it does" (settings.spec.ts checks the README's table against it).
 */
export const LOCAL_CLOUD_SETTINGS = defineSettings({
  webPort: portSetting('web'),
  bffPort: portSetting('bff'),
  apiGatewayPort: portSetting('apiGateway'),
  bedrockPort: portSetting('bedrock'),
  s3Port: portSetting('s3'),
  dynamodbPort: portSetting('dynamodb'),
  lambdaPort: portSetting('lambda'),
  sqsPort: portSetting('sqs'),
  iam: setting.oneOf(['enforce', 'off'], {
    name: 'LOCAL_IAM',
    default: 'enforce',
    description:
      "every call reaching a stand-in is authorized against the calling role's statements in the synthesized template (each function and the BFF sign with keys of their own; refusals in the service's own AccessDenied shape, ADR 0008); `off` lets any call signed with the local keys through",
  }),
  apiThrottle: setting.oneOf(['template', 'off'], {
    name: 'LOCAL_API_THROTTLE',
    default: 'template',
    description:
      "the API stage's throttle from the template (rate and burst; 429 `Too Many Requests` past it, ADR 0012); `off` lifts it (the end-to-end suites do)",
  }),
  dataDir: setting.string({
    name: 'LOCAL_CLOUD_DATA_DIR',
    default: '.local-cloud',
    description: "where images, jobs, the worker's queue journal and the local cookie secret are kept",
  }),
  workerConcurrency: setting.int({
    name: 'LOCAL_WORKER_CONCURRENCY',
    min: 1,
    max: 100,
    docDefault: "the template's (`4`)",
    description: "a local override of the worker queue mapping's `MaximumConcurrency`: images made at once",
  }),
  // The same range as the generator's own RETENTION_DAYS.
  retentionDays: setting.int({
    name: 'RETENTION_DAYS',
    min: 1,
    max: 3650,
    docDefault: "the template's (`30`)",
    description:
      "a local override of the days jobs and images are kept (the generator's record TTL and the bucket lifecycle the sweeper stands in for)",
  }),
  templateCacheDir: setting.string({
    name: 'LOCAL_TEMPLATE_CACHE_DIR',
    default: '.local-cloud/template-cache',
    description:
      'where the synthesized infra templates are kept; synthesized again (without bundling) only when infra/src, cdk.json or libs/contracts change',
  }),
  retentionSweepSeconds: setting.int({
    name: 'LOCAL_RETENTION_SWEEP_SECONDS',
    min: 0,
    max: 86_400,
    default: 300,
    description:
      'how often the sweeper standing in for DynamoDB TTL and the S3 lifecycle runs; `0` turns it off',
  }),
  shutdownGraceSeconds: setting.int({
    name: 'LOCAL_SHUTDOWN_GRACE_SECONDS',
    min: 0,
    max: 600,
    default: 20,
    description:
      'on Ctrl+C / SIGTERM: new requests get 503, the worker finishes the images it holds for up to this long, the rest are settled failed; exit 0',
  }),
  latencyMs: setting.custom<BedrockFaults['latencyMs']>({
    name: 'LOCAL_BEDROCK_LATENCY_MS',
    type: 'latency',
    expected: LATENCY_EXPECTED,
    default: 'realistic',
    coerce: latency,
    description:
      'time per image in the Bedrock stand-in: `realistic` (Core ~2 s, SD3.5 Large ~3.5 s, Ultra ~5 s), a number of ms for every model (`0`: none), or JSON `{"model-id": ms, "default": ms}`',
  }),
  latencyJitter: rate(
    'LOCAL_BEDROCK_LATENCY_JITTER',
    "share by which each call's time varies (0..1)",
    `\`${DEFAULT_REALISTIC_JITTER}\` with \`realistic\`, else \`0\``,
  ),
  throttleRate: rate(
    'LOCAL_BEDROCK_THROTTLE_RATE',
    'share of invokes answered `ThrottlingException` (0..1)',
    `\`${DEFAULT_FAULTS.throttleRate}\``,
  ),
  errorRate: rate(
    'LOCAL_BEDROCK_ERROR_RATE',
    'share answered `InternalServerException` (0..1)',
    `\`${DEFAULT_FAULTS.errorRate}\``,
  ),
  contentFilterPattern: setting.string({
    name: 'LOCAL_BEDROCK_CONTENT_FILTER',
    docDefault: `\`${DEFAULT_FAULTS.contentFilterPattern}\``,
    description: 'prompts matching this regular expression are "blocked by the content filter"',
  }),
  accessDeniedModels: setting.list({
    name: 'LOCAL_BEDROCK_ACCESS_DENIED',
    docDefault: 'empty',
    description: 'comma-separated model ids this "account" has no access to',
  }),
  logLevel: setting.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    name: 'LOG_LEVEL',
    default: 'info',
    description: 'the local cloud’s log level (passed on to the BFF and the generator)',
  }),
});

type Values = SettingsOf<typeof LOCAL_CLOUD_SETTINGS>;

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** Reads the local cloud's settings from the environment (README lists them all). */
export function loadLocalCloudSettings(env: NodeJS.ProcessEnv, cwd = process.cwd()): LocalCloudSettings {
  const v: Values = parseSettings(LOCAL_CLOUD_SETTINGS, env, {
    error: LocalSettingsError,
    title: 'local cloud settings',
  });
  // An explicit latency has no jitter unless LOCAL_BEDROCK_LATENCY_JITTER says so.
  const jitter = v.latencyJitter ?? (v.latencyMs === 'realistic' ? DEFAULT_REALISTIC_JITTER : undefined);
  const faults: Partial<BedrockFaults> = {
    latencyMs: v.latencyMs,
    ...optional('latencyJitter', jitter),
    ...optional('throttleRate', v.throttleRate),
    ...optional('errorRate', v.errorRate),
    ...optional('contentFilterPattern', v.contentFilterPattern),
    ...optional('accessDeniedModels', v.accessDeniedModels?.length ? [...v.accessDeniedModels] : undefined),
  };
  const problems = faultProblems(faults);
  if (problems.length)
    throw new LocalSettingsError(`Bedrock stand-in settings: ${problems.join('; ')}`, problems);
  return {
    ports: {
      web: v.webPort,
      bff: v.bffPort,
      apiGateway: v.apiGatewayPort,
      bedrock: v.bedrockPort,
      s3: v.s3Port,
      dynamodb: v.dynamodbPort,
      lambda: v.lambdaPort,
      sqs: v.sqsPort,
    },
    dataDir: resolve(cwd, v.dataDir),
    templateCacheDir: resolve(cwd, v.templateCacheDir),
    ...optional('workerConcurrency', v.workerConcurrency),
    faults: faults as BedrockFaults,
    ...optional('retentionDays', v.retentionDays),
    retentionSweepSeconds: v.retentionSweepSeconds,
    shutdownGraceSeconds: v.shutdownGraceSeconds,
    logLevel: v.logLevel,
    enforceIam: v.iam === 'enforce',
    apiThrottle: v.apiThrottle === 'template',
  };
}
