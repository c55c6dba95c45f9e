import { ErrorCode, ProblemError } from '@imagegen/contracts';

const TRANSIENT_NAMES = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalError',
  'InternalFailure',
  'SlowDown',
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'TimeoutError',
  'RequestTimeout',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Seconds a caller is asked to wait when a store of ours is down. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * True when an AWS SDK error means the service (S3, DynamoDB, Lambda) is down or overloaded for a
 * moment, after the SDK's own retries: worth trying again, and never the caller's fault.
 */
export function isAwsUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    cause?: unknown;
  };
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return e.cause !== undefined && e.cause !== err && isAwsUnavailable(e.cause);
}

/** The problem a caller gets when one of our stores is down: 503 with a Retry-After, no AWS internals. */
export function unavailableProblem(what: string): ProblemError {
  return ProblemError.of(
    ErrorCode.SERVICE_UNAVAILABLE,
    `${what} is unavailable for a moment: try again shortly.`,
    {
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    },
  );
}

/** Runs an AWS call; a transient failure becomes SERVICE_UNAVAILABLE naming `what`, anything else passes on. */
export async function orUnavailable<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isAwsUnavailable(err)) throw unavailableProblem(what);
    throw err;
  }
}
