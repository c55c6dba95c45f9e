import { HttpErrorResponse } from '@angular/common/http';

import { ErrorCode, ProblemDetails, isProblemDetails, problem } from '@imagegen/contracts';

/** Problems in words (the mapping lives in web-util-jobs, where the presentational components reach it too). */
export { userMessage } from '@imagegen/web/util-jobs';
export type { UserMessage } from '@imagegen/web/util-jobs';

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
