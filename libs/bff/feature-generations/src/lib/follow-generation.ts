import { Observable } from 'rxjs';

import { Generation, isTerminal, problem, ProblemDetails, ProblemError } from '@imagegen/contracts';

export interface FollowOptions {
  /** First wait between polls of the generator; grows by `factor` up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** A comment-like heartbeat keeps proxies from closing a quiet stream. */
  readonly heartbeatMs: number;
  /** The stream ends (the browser reconnects or falls back to polling) after this long. */
  readonly maxDurationMs: number;
  /** The generator is never polled sooner than this after the last poll (one stream, one request a second at most). */
  readonly minDelayMs?: number;
  /**
   * The first wait after the job changed, for this job (e.g. half its model's time per image: it
   * cannot change much sooner); `initialDelayMs` when absent. Kept within minDelayMs and maxDelayMs.
   */
  readonly pace?: (job: Generation) => number;
}

export const DEFAULT_FOLLOW: FollowOptions = {
  initialDelayMs: 1_000,
  minDelayMs: 1_000,
  maxDelayMs: 3_000,
  factor: 1.5,
  heartbeatMs: 15_000,
  maxDurationMs: 10 * 60_000,
};

export type FollowEvent =
  | { readonly type: 'generation'; readonly data: Generation }
  | { readonly type: 'problem'; readonly data: ProblemDetails }
  | { readonly type: 'heartbeat'; readonly data: { readonly at: string } };

/**
 * Follows one job for the browser: polls the generator with backoff (so the browser does not
 * hammer it), pushes the job whenever it changes, and ends after the terminal state. `first`, the
 * job as just read (before the stream opened), is pushed at once instead of a first poll.
 */
export function followGeneration(
  load: () => Promise<Generation>,
  options: FollowOptions = DEFAULT_FOLLOW,
  first?: Generation,
): Observable<FollowEvent> {
  return new Observable<FollowEvent>((subscriber) => {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let last = '';
    const clamp = (ms: number) => Math.min(options.maxDelayMs, Math.max(options.minDelayMs ?? 0, ms));
    let delay = clamp(options.initialDelayMs);
    const started = Date.now();
    const heartbeat = setInterval(
      () => subscriber.next({ type: 'heartbeat', data: { at: new Date().toISOString() } }),
      options.heartbeatMs,
    );

    /** Pushes the job if it changed; false once the stream has ended. */
    const seen = (job: Generation): boolean => {
      const signature = `${job.status}|${job.updatedAt}`;
      if (signature !== last) {
        last = signature;
        subscriber.next({ type: 'generation', data: job });
        delay = clamp(options.pace?.(job) ?? options.initialDelayMs);
      } else {
        delay = clamp(delay * options.factor);
      }
      if (isTerminal(job.status) || Date.now() - started > options.maxDurationMs) {
        subscriber.complete();
        return false;
      }
      return true;
    };
    const poll = async () => {
      if (stopped) return;
      try {
        const job = await load();
        if (stopped || !seen(job)) return;
      } catch (err) {
        if (stopped) return;
        subscriber.next({
          type: 'problem',
          data:
            err instanceof ProblemError
              ? err.problem
              : problem('INTERNAL', 'the job could not be followed: reload the page'),
        });
        return subscriber.complete();
      }
      timer = setTimeout(() => void poll(), delay);
    };
    if (!first) void poll();
    else if (seen(first)) timer = setTimeout(() => void poll(), delay);

    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
    };
  });
}
