import { DEFAULT_ASSISTANT_MODEL_ID, TEXT_MODEL_CATALOG } from '@imagegen/contracts';
import {
  defineSettings,
  parseSettings,
  setting,
  SettingsError,
  type SettingsOf,
} from '@imagegen/shared/util-config';

/** API Gateway REST's default integration timeout (29 s): the generator API answers within it. */
export const API_GATEWAY_TIMEOUT_MS = 29_000;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ALB_ARN = /^arn:aws[\w-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[\w-]+\/[0-9a-f]+$/;

/**
 * The BFF's settings (environment variables), validated at start-up: every one in this one place, its
 * description the README's "what it does" (bff.spec.ts checks the README's table against it).
 */
export const BFF_SETTINGS = defineSettings(
  {
    PORT: setting.int({
      min: 0,
      max: 65535,
      default: 3333,
      description: 'port the BFF listens on (`0`: any free port, logged)',
    }),
    HOST: setting.string({
      default: '127.0.0.1',
      description: 'address it binds (`0.0.0.0` in the container image)',
    }),
    GENERATOR_API_URL: setting.url({
      required: true,
      description: 'the generator API invoke URL, stage included (API Gateway, or the local stand-in)',
    }),
    GENERATOR_API_REGION: setting.string({
      pattern: REGION,
      expected: 'an AWS region such as us-west-2',
      default: 'us-west-2',
      description: 'region used to SigV4-sign calls to the generator API (`execute-api`)',
    }),
    COOKIE_SECRET: setting.string({
      minLength: 32,
      expected: 'at least 32 characters (use a random secret from Secrets Manager)',
      required: true,
      secret: true,
      docDefault: '— (required, ≥ 32 characters)',
      description:
        'signs the anonymous owner cookie; from Secrets Manager in AWS, made once and kept in `.local-cloud/cookie-secret` locally',
    }),
    PUBLIC_ORIGIN: setting.url({
      description:
        "the public URL of the app (infra sets the CloudFront or domain URL; the local cloud its front). `POST`/`PUT`/`PATCH`/`DELETE` from a browser must come from it (`Origin`, or `Sec-Fetch-Site: same-origin`): else 403 `CROSS_ORIGIN`; unset, the request's own host. An `https` origin makes the owner cookie `__Host-imagegen_owner`, `Secure`, and sends HSTS (ADR 0016)",
    }),
    /** Set when the ALB signs users in (Cognito/OIDC): the ALB whose x-amzn-oidc-data tokens are accepted. */
    OIDC_ALB_ARN: setting.string({
      pattern: ALB_ARN,
      expected: 'the ARN of an application load balancer',
      description:
        "set by infra when `cognito` is on: the owner is then the signed-in user from the ALB's `x-amzn-oidc-data` token, verified with AWS's `aws-jwt-verify` (`AlbJwtVerifier`: ES256 with this ALB's regional key, `signer`, `iss`, `client` and expiry checked); requests without a valid token get 403",
    }),
    /** With OIDC_ALB_ARN: the tokens' issuer (Cognito: https://cognito-idp.<region>.amazonaws.com/<user pool id>). */
    OIDC_ISSUER: setting.url({
      protocols: ['https'],
      expected: 'the https URL of the sign-in issuer (set with OIDC_ALB_ARN)',
      docDefault: 'unset (required with `OIDC_ALB_ARN`)',
      description:
        "the tokens' issuer: `https://cognito-idp.<region>.amazonaws.com/<user pool id>` (set by infra)",
    }),
    /** With OIDC_ALB_ARN: the app client id the ALB signs users in with. */
    OIDC_CLIENT_ID: setting.string({
      pattern: /^[\w+=,.@-]{1,128}$/,
      expected: 'the app client id (set with OIDC_ALB_ARN)',
      docDefault: 'unset (required with `OIDC_ALB_ARN`)',
      description: 'the Cognito app client the ALB signs users in with (set by infra)',
    }),
    LOG_LEVEL: setting.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      default: 'info',
      description:
        '`trace` … `silent`; logs are JSON lines with a `requestId`; each API answer also writes an EMF metric line (Requests, Latency, RateLimited, ServerErrors, StreamsOpen; namespace `imagegen`, `service=bff`) whatever the level but `silent`',
    }),
    BODY_LIMIT: setting.string({
      pattern: /^\d+(b|kb|mb)?$/i,
      expected: 'a size such as 64kb',
      default: '64kb',
      description: 'largest request body (413 above it)',
    }),
    /**
     * How long the BFF waits for the generator API: longer than API Gateway's 29 s integration timeout,
     * so the gateway's own answer (504) comes back rather than the BFF giving up first (ADR 0009).
     */
    GENERATOR_TIMEOUT_MS: setting.int({
      min: API_GATEWAY_TIMEOUT_MS + 1,
      max: 120_000,
      expected: `more than ${API_GATEWAY_TIMEOUT_MS} (API Gateway's integration timeout) and at most 120000, or the BFF gives up before the gateway answers`,
      default: 31_000,
      description:
        "how long the BFF waits for the generator API; more than 29,000 (API Gateway's integration timeout), so the gateway's answer comes back before the BFF gives up",
    }),
    SSE_POLL_MAX_MS: setting.int({
      min: 100,
      max: 60_000,
      default: 3_000,
      description: "longest wait between the BFF's polls of a job it streams to the browser",
    }),
    MODELS_CACHE_SECONDS: setting.int({
      min: 1,
      max: 3_600,
      default: 30,
      description:
        "how long the generator's model list (availability, ETA) and Image Service list (ETA) are kept, shared by all users; if the generator is down the catalog is answered (availability `unknown`) and kept 5 s",
    }),
    RATE_LIMIT_WINDOW_SECONDS: setting.int({
      min: 1,
      max: 3_600,
      default: 60,
      description:
        'the window of the limits below (fixed windows when counted in `RATE_LIMIT_TABLE`, sliding in memory)',
    }),
    RATE_LIMIT_PER_IP: setting.int({
      min: 1,
      max: 1_000_000,
      default: 600,
      description:
        'API requests per client address per window (behind the ALB: `X-Forwarded-For`); then 429 `RATE_LIMITED` with `Retry-After`',
    }),
    RATE_LIMIT_PER_OWNER: setting.int({
      min: 1,
      max: 1_000_000,
      default: 300,
      description: 'API requests per owner per window',
    }),
    RATE_LIMIT_JOBS_PER_OWNER: setting.int({
      min: 1,
      max: 1_000_000,
      default: 30,
      description:
        'new jobs (`POST /api/generations`, `POST /api/edits`) per owner per window; a request without an owner cookie counts as one owner per client address',
    }),
    RATE_LIMIT_UPLOADS_PER_OWNER: setting.int({
      min: 1,
      max: 1_000_000,
      default: 60,
      description:
        'upload tickets (`POST /api/uploads`: a presigned POST of one image straight to S3) per owner per window; an edit with a mask takes two; a request without an owner cookie counts as one owner per client address',
    }),
    // Longer than GENERATOR_TIMEOUT_MS, so a job POST in progress at SIGTERM can still get its answer
    // (within ECS's 90 s stop timeout for the BFF container).
    SHUTDOWN_DEADLINE_MS: setting.int({
      min: 1_000,
      max: 120_000,
      default: 35_000,
      description:
        'on SIGTERM it stops taking connections, answers requests on kept-alive ones 503 (`Retry-After: 1`), ends event streams and lets requests in progress finish; past this it exits 1, logging what it cut (longer than `GENERATOR_TIMEOUT_MS`, so a request in progress can finish)',
    }),

    // ── HTTPS (ADR 0016) ──
    TRUST_PROXY_HOPS: setting.int({
      min: 0,
      max: 5,
      default: 1,
      description:
        'proxies whose `X-Forwarded-For` entries are trusted: 1 behind the ALB, 2 behind CloudFront and the ALB (infra sets it)',
    }),
    // ── The prompt assistant (ADR 0014) ──
    ASSISTANT_MODEL_ID: setting.oneOf(
      TEXT_MODEL_CATALOG.map((m) => m.id),
      {
        default: DEFAULT_ASSISTANT_MODEL_ID,
        description:
          "the prompt assistant's text model (a text model of the catalog; called through its `us.` inference profile)",
      },
    ),
    ASSISTANT_BEDROCK_REGION: setting.string({
      pattern: REGION,
      expected: 'an AWS region such as us-west-2',
      default: 'us-west-2',
      description:
        "the Region the BFF calls Bedrock Runtime ConverseStream in (the profile's source Region; infra sets the image models' Bedrock region)",
    }),
    ASSISTANT_TIMEOUT_MS: setting.int({
      min: 1_000,
      max: 120_000,
      default: 20_000,
      description: 'a whole suggestion, or it is cut (`MODEL_TIMEOUT`)',
    }),
    ASSISTANT_HEARTBEAT_MS: setting.int({
      min: 1_000,
      max: 55_000,
      expected: "at most 55000 (the ALB's idle timeout is 60 s)",
      default: 15_000,
      description:
        "a keep-alive comment this often while a suggestion streams (at most 55,000: the ALB's idle timeout is 60 s)",
    }),
    ASSISTANT_RATE_PER_OWNER: setting.int({
      min: 1,
      max: 10_000,
      default: 10,
      description:
        'prompt suggestions per owner per window (seconds); then 429 `RATE_LIMITED` with `Retry-After`',
    }),
    ASSISTANT_RATE_WINDOW_SECONDS: setting.int({
      min: 1,
      max: 3_600,
      default: 60,
      description:
        'prompt suggestions per owner per window (seconds); then 429 `RATE_LIMITED` with `Retry-After`',
    }),
    // ── Abuse limits and fair sharing (ADR 0015) ──
    RATE_LIMIT_JOBS_PER_IP: setting.int({
      min: 1,
      max: 1_000_000,
      default: 20,
      description: 'new jobs per client address per window, whatever the owners',
    }),
    RATE_LIMIT_TABLE: setting.string({
      pattern: /^[\w.-]{3,255}$/,
      expected: 'a DynamoDB table name',
      description:
        "the deployment's DynamoDB table (infra and the local cloud set it): the limits' counters live there (fixed windows, `ratelimit | …` items with TTL), shared by every BFF task; unset, in the process's memory",
    }),
    SSE_STREAMS_PER_OWNER: setting.int({
      min: 1,
      max: 1_000,
      default: 6,
      description:
        "live job streams open at once per owner / per client address, across every BFF task when `RATE_LIMIT_TABLE` is set (leased places a dead task gives back within a minute); then 429 `RATE_LIMITED`. A stream polls the generator at most once a second, and no sooner than half its model's time per image",
    }),
    SSE_STREAMS_PER_IP: setting.int({
      min: 1,
      max: 10_000,
      default: 20,
      description:
        "live job streams open at once per owner / per client address, across every BFF task when `RATE_LIMIT_TABLE` is set (leased places a dead task gives back within a minute); then 429 `RATE_LIMITED`. A stream polls the generator at most once a second, and no sooner than half its model's time per image",
    }),
    READY_CACHE_SECONDS: setting.int({
      min: 0,
      max: 300,
      default: 5,
      description:
        "how long `/api/ready` keeps the generator's answer (one question at a time): readiness checks are no lever for load",
    }),
  },
  // The ALB's tokens are checked against its issuer and app client: the three go together.
  ({ OIDC_ALB_ARN, OIDC_ISSUER, OIDC_CLIENT_ID }) =>
    OIDC_ALB_ARN === undefined
      ? []
      : [
          ...(OIDC_ISSUER === undefined
            ? ['setting OIDC_ISSUER must be the https URL of the sign-in issuer (set with OIDC_ALB_ARN)']
            : []),
          ...(OIDC_CLIENT_ID === undefined
            ? ['setting OIDC_CLIENT_ID must be the app client id (set with OIDC_ALB_ARN)']
            : []),
        ],
);

/** The BFF's settings, typed. */
export type BffConfig = SettingsOf<typeof BFF_SETTINGS>;

export class BffConfigError extends SettingsError {
  override readonly name = 'BffConfigError';
}

/** Reads and checks the settings; a missing or malformed one stops start-up with its name. */
export function loadBffConfig(env: NodeJS.ProcessEnv): BffConfig {
  return parseSettings(BFF_SETTINGS, env, { error: BffConfigError, title: 'BFF settings' });
}
