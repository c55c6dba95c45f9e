import { ErrorCode, ProblemDetails, UPLOAD_MAX_BYTES } from '@imagegen/contracts';

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
  PAYLOAD_TOO_LARGE: (p) =>
    // An upload names its size (`bytes`); any other body too large is a prompt too long.
    p.errors?.some((e) => e.field === 'bytes')
      ? {
          title: 'Image too large',
          message: `This image is larger than ${UPLOAD_MAX_BYTES / (1024 * 1024)} MB: make it smaller (or save it as JPEG or WebP) and try again.`,
          retryable: false,
        }
      : {
          title: 'Too long',
          message: 'The request is too large: shorten the prompt.',
          retryable: false,
        },
  // The app sends JSON only: its one 415 is an image of another type.
  UNSUPPORTED_MEDIA_TYPE: () => ({
    title: 'Not an image we can edit',
    message: 'Only JPEG, PNG and WebP images can be edited: save it as one of those and try again.',
    retryable: false,
  }),
  UNAUTHORIZED: (p) => ({
    title: 'Not allowed',
    message: p.detail ?? 'This was refused: reload the page and try again.',
    retryable: false,
  }),
  INPUT_IMAGE_UNREADABLE: () => ({
    title: 'The image could not be read',
    message:
      'This file is empty, cut short or damaged: open it in an image app, save it again, and upload that.',
    retryable: false,
  }),
  INPUT_IMAGE_TYPE: () => ({
    title: 'Not a JPEG, PNG or WebP image',
    message:
      'This file is not a JPEG, PNG or WebP image, whatever its name says: save it as one of those and try again.',
    retryable: false,
  }),
  INPUT_IMAGE_TOO_LARGE: () => ({
    title: 'Too many pixels',
    message: 'This image has too many pixels to edit: make it smaller and try again.',
    retryable: false,
  }),
  INPUT_IMAGE_ANIMATED: () => ({
    title: 'Animated image',
    message: 'Animated images cannot be edited: choose a still image.',
    retryable: false,
  }),
  INPUT_IMAGE_OUT_OF_LIMITS: (p) => ({
    title: 'Outside the size limits',
    message: p.detail
      ? `${sentence(p.detail)} Let the app fit the image, or choose another one.`
      : "This image is outside this service's size limits: let the app fit it, or choose another image.",
    retryable: false,
  }),
  INPUT_IMAGE_FILTERED: () => ({
    title: 'Your image was blocked',
    message: 'Your image was blocked by the content filter: choose another image.',
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
  CONFLICT: (p) => ({
    title: 'Not possible now',
    message: p.detail ?? 'This cannot be done in the job’s current state.',
    retryable: false,
  }),
};

/** A detail from the server as a sentence: capital first, full stop last. */
function sentence(text: string): string {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}

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
  INPUT_IMAGE_UNREADABLE: 'the image could not be read',
  INPUT_IMAGE_TYPE: 'not a JPEG, PNG or WebP image',
  INPUT_IMAGE_TOO_LARGE: 'the image has too many pixels',
  INPUT_IMAGE_ANIMATED: 'the image is animated',
  INPUT_IMAGE_OUT_OF_LIMITS: 'the image is outside the size limits',
};

/** Why one image was not made, in a few words (for "3 of 4 made · 1 blocked by the content filter"). */
export function failureReason(p: ProblemDetails): string {
  return REASONS[p.code] ?? 'failed';
}
