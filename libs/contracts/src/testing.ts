import { ProblemDetails, ProblemError } from './lib/errors/problem-details';

/** For tests: the problem a promise was refused with (it must be a ProblemError), or a thrown failure. */
export async function problemOf(promise: Promise<unknown>): Promise<ProblemDetails> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(err)}`);
  return err.problem;
}
