import { Logger } from '@nestjs/common';

import { ProblemError } from '@imagegen/contracts';

export interface SharedAnswerOptions {
  /** How long the generator's answer is kept, shared by every user. */
  readonly ttlMs: number;
  /** How long the catalog's stand-in answer is kept when the generator cannot answer. */
  readonly fallbackTtlMs: number;
  /** How long a request waits for the generator before it gets the stand-in answer. */
  readonly waitMs: number;
  readonly now?: () => number;
}

export const DEFAULT_SHARED_ANSWER: SharedAnswerOptions = {
  ttlMs: 30_000,
  fallbackTtlMs: 5_000,
  waitMs: 3_000,
};

/** What a SharedAnswer asks, how it knows a good answer, and what it says when the generator cannot. */
export interface SharedAnswerSource<T> {
  /** Named in the logs: "the generator could not list the <what>". */
  readonly what: string;
  readonly ask: (requestId: string) => Promise<unknown>;
  readonly isAnswer: (value: unknown) => value is T;
  /** The catalog's own answer. */
  readonly fallback: () => T;
}

/**
 * An answer of the generator that is the same for every user (the models, the Image Services, with their
 * measured ETAs), kept for a short while and asked once however many users ask meanwhile. When the generator
 * cannot answer (down, slow, nonsense), the catalog's own answer for a shorter while: such a route never fails.
 */
export class SharedAnswer<T> {
  private readonly now: () => number;
  private cached?: { readonly value: T; readonly until: number };
  private pending?: Promise<T>;

  constructor(
    private readonly source: SharedAnswerSource<T>,
    private readonly options: SharedAnswerOptions,
    private readonly logger: Logger,
  ) {
    this.now = options.now ?? Date.now;
  }

  get(requestId: string): Promise<T> {
    if (this.cached && this.now() < this.cached.until) return Promise.resolve(this.cached.value);
    // One question to the generator at a time, whoever asks meanwhile gets its answer.
    this.pending ??= this.refresh(requestId).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async refresh(requestId: string): Promise<T> {
    const { what } = this.source;
    const asked = this.source.ask(requestId).then((value) => {
      if (!this.source.isAnswer(value))
        throw new Error(`the generator answered something that is not a ${what} list`);
      this.cached = { value, until: this.now() + this.options.ttlMs };
      return value;
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), this.options.waitMs)),
    );
    try {
      const value = await Promise.race([asked, waited]);
      if (value !== undefined) return value;
      // (the request's logger already binds the request id)
      this.logger.warn(
        { waitMs: this.options.waitMs },
        `the generator did not list the ${what} in time: answering the catalog`,
      );
    } catch (err) {
      const code = err instanceof ProblemError ? err.problem.code : undefined;
      this.logger.warn(
        { code, err: code ? undefined : err },
        `the generator could not list the ${what}: answering the catalog`,
      );
    } finally {
      clearTimeout(timer);
    }
    asked.catch(() => undefined); // a late failure changes nothing; a late answer replaces the stand-in
    const fallback = this.source.fallback();
    this.cached = { value: fallback, until: this.now() + this.options.fallbackTtlMs };
    return fallback;
  }
}
