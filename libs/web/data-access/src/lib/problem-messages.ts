import { HttpErrorResponse } from '@angular/common/http';
import { computed, Signal } from '@angular/core';

import { ErrorCode, isProblemDetails, problem, ProblemDetails } from '@imagegen/contracts';
import { UserMessage, userMessage } from '@imagegen/web/util-jobs';

/** Problems in words (the mapping lives in web-util-jobs, where the presentational components reach it too). */
export { userMessage } from '@imagegen/web/util-jobs';
export type { UserMessage } from '@imagegen/web/util-jobs';

/** Reads the problem+json out of an HTTP error; offline and odd answers get problems of their own. */
export function problemFrom(error: unknown): ProblemDetails {
  if (error instanceof HttpErrorResponse) {
    if (isProblemDetails(error.error)) return error.error;
    if (error.status === 0)
      return problem(
        ErrorCode.MODEL_UNAVAILABLE,
        'You seem to be offline, or the server cannot be reached: check the connection and try again.',
      );
    if (error.status === 429) return problem(ErrorCode.RATE_LIMITED);
  }
  if (isProblemDetails(error)) return error;
  // An error that carries its problem (an upload's, a job stream's).
  const carried = (error as { problem?: unknown } | null)?.problem;
  if (error instanceof Error && isProblemDetails(carried)) return carried;
  return problem(ErrorCode.INTERNAL, 'Something went wrong on our side: try again.');
}

/** What a page's banner says about its problem, as a signal (undefined while there is none). */
export function problemMessage(problem: Signal<ProblemDetails | undefined>): Signal<UserMessage | undefined> {
  return computed(() => {
    const p = problem();
    return p ? userMessage(p) : undefined;
  });
}
