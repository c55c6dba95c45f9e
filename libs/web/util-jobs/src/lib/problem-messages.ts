import { ErrorCode, ProblemDetails } from '@imagegen/contracts';

/** A problem said the way a person understands it. */
export interface UserMessage {
  readonly title: string;
  readonly message: string;
  /** The same request can work later (the UI may offer or perform a retry). */
  readonly retryable: boolean;
}

const MESSAGES: Partial<Record<ErrorCode, (p: ProblemDetails) => UserMessage>> = {
  CONTENT_FILTERED: () => ({
    title: 'Blocked by the content filter',
    message: 'Blocked by the content filter: edit the prompt and try again.',
    retryable: false,
  }),
  MODEL_THROTTLED: (p) => ({
    title: 'The model is busy',
    message: `The model is busy: retrying${p.retryAfterSeconds ? ` in ${p.retryAfterSeconds} s` : ''}…`,
    retryable: true,
  }),
  MODEL_ACCESS_DENIED: () => ({
    title: 'Model not enabled',
    message:
      'This model refused your AWS account. Its first use starts an AWS Marketplace subscription (up to 15 minutes) that needs the Marketplace permissions of the deployment and a payment method: check those, then try again in a few minutes.',
    retryable: false,
  }),
  MODEL_RETIRED: (p) => ({
    title: 'Model retired',
    message: p.detail ?? 'This model has been retired: choose another model.',
    retryable: false,
  }),
  MODEL_TIMEOUT: () => ({
    title: 'The model took too long',
    message: 'The model took too long to answer: try again.',
    retryable: true,
  }),
  MODEL_UNAVAILABLE: (p) => ({
    title: 'The model is unavailable',
    message: p.detail ?? 'The model is unavailable right now: try again in a moment.',
    retryable: true,
  }),
  RATE_LIMITED: (p) => ({
    title: 'Slow down',
    message: `Too many requests: wait${p.retryAfterSeconds ? ` ${p.retryAfterSeconds} s` : ' a moment'} and try again.`,
    retryable: true,
  }),
  BUDGET_EXCEEDED: (p) => ({
    title: 'Budget used up',
    message: p.detail
      ? `${p.detail.charAt(0).toUpperCase()}${p.detail.slice(1)}.`
      : 'This job would pass the spending budget: try fewer images, or wait until it resets.',
    retryable: false,
  }),
  QUEUE_FULL: (p) => ({
    title: 'Your images are still being made',
    message: `You have as many images waiting as allowed: send this job when some are done${p.retryAfterSeconds ? ` (about ${p.retryAfterSeconds} s)` : ''}.`,
    retryable: true,
  }),
  VALIDATION_FAILED: (p) => ({
    title: 'Check the form',
    message: p.detail ?? 'Some fields need a look.',
    retryable: false,
  }),
  PAYLOAD_TOO_LARGE: () => ({
    title: 'Too long',
    message: 'The request is too large: shorten the prompt.',
    retryable: false,
  }),
  NOT_FOUND: () => ({
    title: 'Not found',
    message: 'This generation does not exist (or is not yours).',
    retryable: false,
  }),
  SERVICE_UNAVAILABLE: (p) => ({
    title: 'Unavailable for a moment',
    message: `Part of the service is unavailable for a moment: try again${p.retryAfterSeconds ? ` in ${p.retryAfterSeconds} s` : ' shortly'}.`,
    retryable: true,
  }),
  // Images given to edit (issue 12): the server's detail says what is wrong with this one.
  INPUT_IMAGE_UNREADABLE: (p) => ({
    title: 'The image could not be read',
    message: p.detail ?? 'The file is not a whole image (damaged or cut short): choose another file.',
    retryable: false,
  }),
  INPUT_IMAGE_TYPE: (p) => ({
    title: 'Not an image that can be edited',
    message: p.detail ?? 'Only PNG, JPEG and WebP images can be edited, whatever the file is called.',
    retryable: false,
  }),
  INPUT_IMAGE_TOO_LARGE: (p) => ({
    title: 'The image is too large',
    message: p.detail ?? 'The image has too many pixels to be edited: choose a smaller one.',
    retryable: false,
  }),
  INPUT_IMAGE_ANIMATED: () => ({
    title: 'Animated images cannot be edited',
    message: 'Animated images cannot be edited: choose a still image.',
    retryable: false,
  }),
  INPUT_IMAGE_OUT_OF_LIMITS: (p) => ({
    title: 'The image does not fit this service',
    message: p.detail ?? "The image is outside this service's limits: pick a fit (downscale, crop or pad).",
    retryable: false,
  }),
  INPUT_IMAGE_FILTERED: () => ({
    title: 'Your image was blocked',
    message: 'Your image was blocked by the content filter: try another image.',
    retryable: false,
  }),
  UNSUPPORTED_MEDIA_TYPE: () => ({
    title: 'Not an image that can be edited',
    message: 'Only PNG, JPEG and WebP images can be uploaded.',
    retryable: false,
  }),
  CONFLICT: (p) => ({
    title: 'Not possible now',
    message: p.detail ?? 'This cannot be done in the job’s current state.',
    retryable: false,
  }),
};

export function userMessage(p: ProblemDetails): UserMessage {
  return (
    MESSAGES[p.code]?.(p) ?? {
      title: 'Something went wrong',
      message: 'Something went wrong on our side: try again.',
      retryable: true,
    }
  );
}

const REASONS: Partial<Record<ErrorCode, string>> = {
  CONTENT_FILTERED: 'blocked by the content filter',
  MODEL_THROTTLED: 'the model was busy',
  MODEL_TIMEOUT: 'the model took too long',
  MODEL_ACCESS_DENIED: 'the model is not enabled',
  MODEL_RETIRED: 'the model is retired',
  MODEL_UNAVAILABLE: 'the model was unavailable',
  INPUT_IMAGE_FILTERED: 'your image was blocked',
};

/** Why one image was not made, in a few words (for "3 of 4 made · 1 blocked by the content filter"). */
export function failureReason(p: ProblemDetails): string {
  return REASONS[p.code] ?? 'failed';
}
