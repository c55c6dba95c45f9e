import { expectedJobSeconds, Generation, ModelEta, ModelInfo } from '@imagegen/contracts';

import { etaOf } from './models';

/** How long a job should take, and past when it is "taking longer than usual". */
export interface JobTiming {
  readonly expectedSeconds: number;
  readonly slowAfterSeconds: number;
}

/** The expected time (p50) and the slow mark (p90) of `count` images, in rounds of the model's parallelism. */
export function jobTiming(eta: ModelEta, count: number): JobTiming {
  const expectedSeconds = expectedJobSeconds(eta, count);
  const rounds = Math.ceil(Math.max(1, count) / Math.max(1, eta.parallelism));
  const slowAfterSeconds = Math.max(expectedSeconds + 1, Math.ceil(eta.p90Seconds * rounds));
  return { expectedSeconds, slowAfterSeconds };
}

/** What a job is measured against when its model is not known. */
export const UNKNOWN_JOB_TIMING: JobTiming = { expectedSeconds: 10, slowAfterSeconds: 15 };

/**
 * A job's timing: its model's ETA for its image count (`UNKNOWN_JOB_TIMING` without the model), after the
 * `queueWaitSeconds` the images queued ahead of it were expected to take when it was sent: a job that waits its
 * turn is not "taking longer than usual".
 */
export function timingOfJob(
  job: Pick<Generation, 'request'>,
  model: ModelInfo | undefined,
  queueWaitSeconds = 0,
): JobTiming {
  const own = model ? jobTiming(etaOf(model), job.request.count) : UNKNOWN_JOB_TIMING;
  const wait = Math.max(0, Math.round(queueWaitSeconds));
  return { expectedSeconds: own.expectedSeconds + wait, slowAfterSeconds: own.slowAfterSeconds + wait };
}

export interface JobProgress {
  /** 0..99: never 100 while the job runs, however long it takes. */
  readonly percent: number;
  /** Past the slow mark: say "taking longer than usual". */
  readonly slow: boolean;
}

const AT_EXPECTED = 90;
const CEILING = 99;

/**
 * A progress bar's value for a job that is still running: linear up to 90 % at the expected time,
 * then creeping towards (never reaching) 99 %, so it never claims to be done before the job is.
 */
export function jobProgress(elapsedSeconds: number, timing: JobTiming): JobProgress {
  const elapsed = Math.max(0, elapsedSeconds);
  const expected = Math.max(1, timing.expectedSeconds);
  const raw =
    elapsed <= expected
      ? (AT_EXPECTED * elapsed) / expected
      : AT_EXPECTED + (CEILING - AT_EXPECTED) * (1 - Math.exp(-(elapsed - expected) / expected));
  return { percent: Math.min(CEILING, Math.floor(raw)), slow: elapsed > timing.slowAfterSeconds };
}
