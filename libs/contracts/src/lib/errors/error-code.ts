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
  INPUT_IMAGE_UNREADABLE: 'INPUT_IMAGE_UNREADABLE',
  INPUT_IMAGE_TYPE: 'INPUT_IMAGE_TYPE',
  INPUT_IMAGE_TOO_LARGE: 'INPUT_IMAGE_TOO_LARGE',
  INPUT_IMAGE_ANIMATED: 'INPUT_IMAGE_ANIMATED',
  INPUT_IMAGE_OUT_OF_LIMITS: 'INPUT_IMAGE_OUT_OF_LIMITS',
  INPUT_IMAGE_FILTERED: 'INPUT_IMAGE_FILTERED',
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
  // Image editing inputs (issue 12): what the worker's and the upload check's decode of an image found.
  /** Zero bytes, truncated, or corrupt: no image could be decoded. */
  INPUT_IMAGE_UNREADABLE: { status: 422, title: 'The image could not be read', retryable: false },
  /** Not a JPEG, PNG or WebP image, whatever its name or declared type. */
  INPUT_IMAGE_TYPE: { status: 422, title: 'Only JPEG, PNG and WebP images can be edited', retryable: false },
  /** More pixels than the app decodes at all (a decompression bomb is refused before its pixels are decoded). */
  INPUT_IMAGE_TOO_LARGE: { status: 422, title: 'The image has too many pixels', retryable: false },
  INPUT_IMAGE_ANIMATED: { status: 422, title: 'Animated images cannot be edited', retryable: false },
  /** Outside the chosen service's side, pixel or aspect limits, and no fit was asked for. */
  INPUT_IMAGE_OUT_OF_LIMITS: {
    status: 422,
    title: "The image is outside the service's size limits",
    retryable: false,
  },
  /** Bedrock's "Filter reason: input image": the model refused the image given to it. */
  INPUT_IMAGE_FILTERED: {
    status: 422,
    title: 'Your image was blocked by the content filter',
    retryable: false,
  },
  INTERNAL: { status: 500, title: 'Something went wrong on our side', retryable: true },
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
