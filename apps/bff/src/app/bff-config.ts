import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

import { DEFAULT_ASSISTANT_MODEL_ID, TEXT_MODEL_CATALOG } from '@imagegen/contracts';

/** API Gateway REST's default integration timeout (29 s): the generator API answers within it. */
export const API_GATEWAY_TIMEOUT_MS = 29_000;

/** The BFF's settings (environment variables), validated at start-up. */
export class BffConfig {
  /** 0 takes any free port (tests); the address is logged at start. */
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3333;

  @IsString()
  HOST = '127.0.0.1';

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  GENERATOR_API_URL!: string;

  @Matches(/^[a-z]{2}(-[a-z]+)+-\d$/, {
    message: 'GENERATOR_API_REGION must be an AWS region such as us-west-2',
  })
  GENERATOR_API_REGION = 'us-west-2';

  @IsString()
  @MinLength(32, {
    message: 'COOKIE_SECRET must be at least 32 characters (use a random secret from Secrets Manager)',
  })
  COOKIE_SECRET!: string;

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  PUBLIC_ORIGIN?: string;

  /** Set when the ALB signs users in (Cognito/OIDC): the ALB whose x-amzn-oidc-data tokens are accepted. */
  @IsOptional()
  @Matches(/^arn:aws[\w-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[\w-]+\/[0-9a-f]+$/, {
    message: 'OIDC_ALB_ARN must be the ARN of an application load balancer',
  })
  OIDC_ALB_ARN?: string;

  /** With OIDC_ALB_ARN: the tokens' issuer (Cognito: https://cognito-idp.<region>.amazonaws.com/<user pool id>). */
  @ValidateIf((c: BffConfig) => c.OIDC_ALB_ARN !== undefined)
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['https'] },
    {
      message: 'OIDC_ISSUER must be the https URL of the sign-in issuer (set with OIDC_ALB_ARN)',
    },
  )
  OIDC_ISSUER?: string;

  /** With OIDC_ALB_ARN: the app client id the ALB signs users in with. */
  @ValidateIf((c: BffConfig) => c.OIDC_ALB_ARN !== undefined)
  @Matches(/^[\w+=,.@-]{1,128}$/, {
    message: 'OIDC_CLIENT_ID must be the app client id (set with OIDC_ALB_ARN)',
  })
  OIDC_CLIENT_ID?: string;

  @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  LOG_LEVEL = 'info';

  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'BODY_LIMIT must be a size such as 64kb' })
  BODY_LIMIT = '64kb';

  /**
   * How long the BFF waits for the generator API: longer than API Gateway's 29 s integration timeout,
   * so the gateway's own answer (504) comes back rather than the BFF giving up first (ADR 0009).
   */
  @IsInt()
  @Min(API_GATEWAY_TIMEOUT_MS + 1, {
    message: `GENERATOR_TIMEOUT_MS must be more than ${API_GATEWAY_TIMEOUT_MS} (API Gateway's integration timeout), or the BFF gives up before the gateway answers`,
  })
  @Max(120_000)
  GENERATOR_TIMEOUT_MS = 31_000;

  @IsInt()
  @Min(100)
  @Max(60_000)
  SSE_POLL_MAX_MS = 3_000;

  /** How long the generator's model list (availability, ETA) is kept, shared by every user. */
  @IsInt()
  @Min(1)
  @Max(3_600)
  MODELS_CACHE_SECONDS = 30;

  /** The window of every rate limit below (a sliding window). */
  @IsInt()
  @Min(1)
  @Max(3_600)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** API requests per client address per window (health checks are not counted). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_IP = 600;

  /** API requests per owner per window. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_OWNER = 300;

  /** New jobs (POST /api/generations) per owner per window. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_JOBS_PER_OWNER = 30;

  // ── HTTPS and observability (ADR 0016) ──

  /**
   * Proxies in front of the BFF whose X-Forwarded-For entries are trusted: 1 behind the ALB alone,
   * 2 behind CloudFront and the ALB (the client's address is then the entry CloudFront added).
   */
  @IsInt()
  @Min(0)
  @Max(5)
  TRUST_PROXY_HOPS = 1;

  /** On SIGTERM, the hard deadline for the requests in progress; past it the BFF exits 1 and logs what it cut. */
  @IsInt()
  @Min(1_000)
  @Max(120_000)
  // Longer than GENERATOR_TIMEOUT_MS, so a job POST in progress at SIGTERM can still get its answer
  // (within ECS's 90 s stop timeout for the BFF container).
  SHUTDOWN_DEADLINE_MS = 35_000;

  // ---- The prompt assistant (docs/adr/0014-prompt-assistant.md): a separate block, kept together. ----

  /** The catalog text model the assistant streams from (libs/contracts TEXT_MODEL_CATALOG). */
  @IsIn(TEXT_MODEL_CATALOG.map((m) => m.id), {
    message: `ASSISTANT_MODEL_ID must be a text model of the catalog: ${TEXT_MODEL_CATALOG.map((m) => m.id).join(', ')}`,
  })
  ASSISTANT_MODEL_ID = DEFAULT_ASSISTANT_MODEL_ID;

  /** The Region the BFF calls Bedrock Runtime in (the inference profile's source Region). */
  @Matches(/^[a-z]{2}(-[a-z]+)+-\d$/, {
    message: 'ASSISTANT_BEDROCK_REGION must be an AWS region such as us-west-2',
  })
  ASSISTANT_BEDROCK_REGION = 'us-west-2';

  /** A whole suggestion, or it is cut with MODEL_TIMEOUT. */
  @IsInt()
  @Min(1_000)
  @Max(120_000)
  ASSISTANT_TIMEOUT_MS = 20_000;

  /** A keep-alive comment this often while a suggestion streams: under the ALB's 60 s idle timeout. */
  @IsInt()
  @Min(1_000)
  @Max(55_000, { message: "ASSISTANT_HEARTBEAT_MS must be at most 55000 (the ALB's idle timeout is 60 s)" })
  ASSISTANT_HEARTBEAT_MS = 15_000;

  /** Suggestions per owner per ASSISTANT_RATE_WINDOW_SECONDS. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  ASSISTANT_RATE_PER_OWNER = 10;

  @IsInt()
  @Min(1)
  @Max(3_600)
  ASSISTANT_RATE_WINDOW_SECONDS = 60;
  // --- Abuse limits and fair sharing (ADR 0015): a block of its own, to merge into the shared loader. ---

  /** New jobs (POST /api/generations) per client address per window, whatever the owner. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_JOBS_PER_IP = 20;

  /**
   * The deployment's DynamoDB table: the rate limiter's counters live there, shared by every BFF
   * task (`ratelimit|…` items with TTL). Unset: in the process's memory (a BFF run alone, tests).
   */
  @IsOptional()
  @Matches(/^[\w.-]{3,255}$/, { message: 'RATE_LIMIT_TABLE must be a DynamoDB table name' })
  RATE_LIMIT_TABLE?: string;

  /** Live job streams (SSE) open at once per owner, per BFF task. */
  @IsInt()
  @Min(1)
  @Max(1_000)
  SSE_STREAMS_PER_OWNER = 6;

  /** Live job streams (SSE) open at once per client address, per BFF task. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  SSE_STREAMS_PER_IP = 20;

  /** How long /api/ready keeps the generator's answer (a readiness check is no lever for load). */
  @IsInt()
  @Min(0)
  @Max(300)
  READY_CACHE_SECONDS = 5;
}

export class BffConfigError extends Error {
  override readonly name = 'BffConfigError';
}

const NUMBERS = new Set([
  'PORT',
  'GENERATOR_TIMEOUT_MS',
  'SSE_POLL_MAX_MS',
  'MODELS_CACHE_SECONDS',
  'RATE_LIMIT_WINDOW_SECONDS',
  'RATE_LIMIT_PER_IP',
  'RATE_LIMIT_PER_OWNER',
  'RATE_LIMIT_JOBS_PER_OWNER',
  'SHUTDOWN_DEADLINE_MS',
  'ASSISTANT_TIMEOUT_MS',
  'ASSISTANT_HEARTBEAT_MS',
  'ASSISTANT_RATE_PER_OWNER',
  'ASSISTANT_RATE_WINDOW_SECONDS',
  'TRUST_PROXY_HOPS',
  'RATE_LIMIT_JOBS_PER_IP',
  'SSE_STREAMS_PER_OWNER',
  'SSE_STREAMS_PER_IP',
  'READY_CACHE_SECONDS',
]);

/** Reads and checks the settings; a missing or malformed one stops start-up with its name. */
export function loadBffConfig(env: NodeJS.ProcessEnv): BffConfig {
  const known = Object.keys(new BffConfig()).concat([
    'GENERATOR_API_URL',
    'COOKIE_SECRET',
    'PUBLIC_ORIGIN',
    'OIDC_ALB_ARN',
    'OIDC_ISSUER',
    'OIDC_CLIENT_ID',
    'RATE_LIMIT_TABLE',
  ]);
  const raw: Record<string, unknown> = {};
  for (const key of known) {
    const value = env[key];
    // A number setting that is not all digits stays a string, so it fails as "must be an integer".
    if (value !== undefined && value !== '')
      raw[key] = NUMBERS.has(key) && /^\d+$/.test(value) ? Number(value) : value;
  }
  const config = plainToInstance(BffConfig, raw);
  const errors = validateSync(config);
  if (errors.length) {
    const lines = errors.map((e) => {
      const missing = raw[e.property] === undefined;
      return missing
        ? `setting ${e.property} is missing`
        : `setting ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    });
    throw new BffConfigError(lines.join('\n'));
  }
  return config;
}
