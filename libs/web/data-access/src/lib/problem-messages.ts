import { HttpErrorResponse } from '@angular/common/http';

import { ErrorCode, ProblemDetails, isProblemDetails, problem } from '@imagegen/contracts';

/** A problem said the way a person understands it. */
export interface UserMessage {
  readonly title: string;
  readonly message: string;
  /** The same request can work later (the UI may offer or perform a retry). */
  readonly retryable: boolean;
}

const MESSAGES: Partial<Record<ErrorCode, (p: ProblemDetails) => UserMessage>> = {
  CONTENT_FILTERED: () => ({ title: 'Blocked by the content filter', message: 'Blocked by the content filter: edit the prompt and try again.', retryable: false }),
  MODEL_THROTTLED: (p) => ({ title: 'The model is busy', message: `The model is busy: retrying${p.retryAfterSeconds ? ` in ${p.retryAfterSeconds} s` : ''}…`, retryable: true }),
  MODEL_ACCESS_DENIED: () => ({
    title: 'Model not enabled',
    message: 'This model is not enabled in your AWS account: enable it in the Amazon Bedrock console (Model access), then try again.',
    retryable: false,
  }),
  MODEL_RETIRED: (p) => ({ title: 'Model retired', message: p.detail ?? 'This model has been retired: choose another model.', retryable: false }),
  MODEL_TIMEOUT: () => ({ title: 'The model took too long', message: 'The model took too long to answer: try again.', retryable: true }),
  MODEL_UNAVAILABLE: (p) => ({ title: 'The model is unavailable', message: p.detail ?? 'The model is unavailable right now: try again in a moment.', retryable: true }),
  RATE_LIMITED: (p) => ({ title: 'Slow down', message: `Too many requests: wait${p.retryAfterSeconds ? ` ${p.retryAfterSeconds} s` : ' a moment'} and try again.`, retryable: true }),
  VALIDATION_FAILED: (p) => ({ title: 'Check the form', message: p.detail ?? 'Some fields need a look.', retryable: false }),
  PAYLOAD_TOO_LARGE: () => ({ title: 'Too long', message: 'The request is too large: shorten the prompt.', retryable: false }),
  NOT_FOUND: () => ({ title: 'Not found', message: 'This generation does not exist (or is not yours).', retryable: false }),
};

export function userMessage(p: ProblemDetails): UserMessage {
  return MESSAGES[p.code]?.(p) ?? { title: 'Something went wrong', message: 'Something went wrong on our side: try again.', retryable: true };
}

/** Reads the problem+json out of an HTTP error; offline and odd answers get problems of their own. */
export function problemFrom(error: unknown): ProblemDetails {
  if (error instanceof HttpErrorResponse) {
    if (isProblemDetails(error.error)) return error.error;
    if (error.status === 0) return problem(ErrorCode.MODEL_UNAVAILABLE, 'You seem to be offline, or the server cannot be reached: check the connection and try again.');
    if (error.status === 429) return problem(ErrorCode.RATE_LIMITED);
  }
  if (isProblemDetails(error)) return error;
  return problem(ErrorCode.INTERNAL, 'Something went wrong on our side: try again.');
}
