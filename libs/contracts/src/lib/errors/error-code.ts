/** Stable error codes: clients branch on these, never on messages. */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  CONTENT_FILTERED: 'CONTENT_FILTERED',
  MODEL_THROTTLED: 'MODEL_THROTTLED',
  MODEL_TIMEOUT: 'MODEL_TIMEOUT',
  MODEL_ACCESS_DENIED: 'MODEL_ACCESS_DENIED',
  MODEL_RETIRED: 'MODEL_RETIRED',
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  QUEUE_FULL: 'QUEUE_FULL',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  CROSS_ORIGIN: 'CROSS_ORIGIN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  SUGGESTION_REJECTED: 'SUGGESTION_REJECTED',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface ErrorCodeInfo {
  readonly status: number;
  readonly title: string;
  /** Whether trying the same request again later can succeed. */
  readonly retryable: boolean;
}

/** The one place an error code is mapped to HTTP. */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid', retryable: false },
  CONTENT_FILTERED: { status: 422, title: 'Blocked by the content filter', retryable: false },
  MODEL_THROTTLED: { status: 429, title: 'The model is busy', retryable: true },
  MODEL_TIMEOUT: { status: 504, title: 'The model took too long', retryable: true },
  MODEL_ACCESS_DENIED: {
    status: 403,
    title: 'The model is not enabled for this AWS account',
    retryable: false,
  },
  MODEL_RETIRED: { status: 410, title: 'The model has been retired', retryable: false },
  MODEL_UNAVAILABLE: { status: 503, title: 'The model is unavailable', retryable: true },
  NOT_FOUND: { status: 404, title: 'Not found', retryable: false },
  CONFLICT: { status: 409, title: 'Conflict', retryable: false },
  RATE_LIMITED: { status: 429, title: 'Too many requests', retryable: true },
  // 429, not 402: a budget is a limit on spending per day or month, a rate limit whose Retry-After
  // is when it resets (RFC 6585 §4); 402 is "reserved for future use" (RFC 9110 §15.5.3). Not
  // retryable: trying again before the reset cannot succeed (ADR 0015).
  BUDGET_EXCEEDED: { status: 429, title: 'The spending budget is used up', retryable: false },
  QUEUE_FULL: { status: 429, title: 'Too many images waiting', retryable: true },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type', retryable: false },
  UNAUTHORIZED: { status: 403, title: 'Forbidden', retryable: false },
  CROSS_ORIGIN: { status: 403, title: 'The request did not come from this app', retryable: false },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is unavailable for a moment', retryable: true },
  // The prompt assistant's answer failed the check before it is offered (not a prompt, too long, not English).
  SUGGESTION_REJECTED: {
    status: 422,
    title: "The assistant's answer was not a usable prompt",
    retryable: true,
  },
  INTERNAL: { status: 500, title: 'Something went wrong on our side', retryable: true },
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
