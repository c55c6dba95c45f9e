import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { interval, Subscription, timer } from 'rxjs';

import { ErrorCode, GeneratedImage, Generation, isTerminal, ProblemDetails } from '@imagegen/contracts';
import { FieldErrors, fieldErrorsOf } from '@imagegen/web/util-validation';

import { downloadName, saveImage } from '../download';
import { FreshLinks } from '../fresh-links';
import { FollowProblem, GenerationsApi } from '../generations-api';
import { problemFrom } from '../problem-messages';
import { secondsSince } from './clock';

/** A busy model is worth this many more tries, after the wait it asked for. */
export const MAX_AUTO_RETRIES = 1;
/** The wait when a busy model did not say how long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * The create page's job (provide it in the page: it lives and dies with the page): sends a request,
 * follows the job it made (stream or polling) with a ticking clock, tries a busy model once more after
 * its Retry-After, and keeps image links live. Everything it started stops when the page goes.
 */
@Injectable()
export class GenerationStore {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  /** Every subscription and timer of the page: closed when the page goes. */
  private readonly life = new Subscription();
  private following?: Subscription;
  private ticker?: Subscription;
  private retry?: Subscription;
  private autoRetries = 0;
  private created?: (job: Generation) => void;
  /** Image links already re-fetched once after a load error (no loop when an image is really gone). */
  private readonly retried = new Set<string>();

  /** The job shown: the one just made, or the one in the URL. */
  readonly job = signal<Generation | undefined>(undefined);
  /** Seconds since the job was created, ticking while it runs. */
  readonly elapsed = signal(0);
  /** What the banner says (the page's other problems, e.g. the model list's, go here too). */
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  /** The server's field errors for the last request. */
  readonly fieldErrors = signal<FieldErrors>({});
  readonly submitting = signal(false);
  readonly running = computed(() => {
    const job = this.job();
    return !!job && !isTerminal(job.status);
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.life.unsubscribe());
  }

  /**
   * Sends a (validated) request as a new job and follows it; `created` hears of each job made (the
   * page puts its id in the URL), an automatic retry's too.
   */
  start(request: Record<string, unknown>, created?: (job: Generation) => void): void {
    this.autoRetries = 0;
    this.created = created;
    this.submit(request);
  }

  /** Shows and follows a job by id (a reload); `missing` is told when it cannot be read. */
  resume(id: string, missing?: () => void): void {
    this.track(
      this.api.get(id).subscribe({
        next: (job) => this.show(job),
        error: () => missing?.(),
      }),
    );
  }

  /** Reads a job once (e.g. to fill the form from it); a failure goes into the banner. */
  read(id: string, use: (job: Generation) => void): void {
    this.track(
      this.api.get(id).subscribe({
        next: use,
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  private submit(request: Record<string, unknown>): void {
    this.retry?.unsubscribe();
    this.problem.set(undefined);
    this.fieldErrors.set({});
    this.submitting.set(true);
    // One key per click: a double click or a retried request never makes two jobs.
    this.track(
      this.api.create(request, crypto.randomUUID()).subscribe({
        next: (job) => {
          this.submitting.set(false);
          this.created?.(job);
          this.show(job, request);
        },
        error: (err: unknown) => {
          this.submitting.set(false);
          const problem = problemFrom(err);
          if (problem.code === ErrorCode.VALIDATION_FAILED && problem.errors?.length)
            this.fieldErrors.set(fieldErrorsOf(problem));
          else this.problem.set(problem);
        },
      }),
    );
  }

  private show(job: Generation, request?: Record<string, unknown>): void {
    this.job.set(job);
    this.following?.unsubscribe();
    this.ticker?.unsubscribe();
    if (isTerminal(job.status)) return this.settle(job, request);
    this.tick(job);
    this.ticker = this.track(interval(1000).subscribe(() => this.tick(this.job() ?? job)));
    this.following = this.track(
      this.api.follow(job.id).subscribe({
        next: (next) => {
          this.job.set(next);
          if (isTerminal(next.status)) this.settle(next, request);
        },
        error: (err: unknown) => {
          this.ticker?.unsubscribe();
          this.problem.set(err instanceof FollowProblem ? err.problem : problemFrom(err));
        },
      }),
    );
  }

  private tick(job: Generation): void {
    this.elapsed.set(secondsSince(job.createdAt));
  }

  private settle(job: Generation, request?: Record<string, unknown>): void {
    this.ticker?.unsubscribe();
    // A job with no image at all failed: say why (its own error, else the first image's).
    const error = job.status === 'failed' ? (job.error ?? job.failures?.[0]?.error) : undefined;
    if (!error) return;
    this.problem.set(error);
    // A busy model is worth one more try after the wait it asked for (forgotten if the page goes first).
    if (error.code === ErrorCode.MODEL_THROTTLED && request && this.autoRetries < MAX_AUTO_RETRIES) {
      this.autoRetries++;
      const wait = (error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) * 1000;
      this.retry = this.track(timer(wait).subscribe(() => this.submit(request)));
    }
  }

  /** Downloads with a live link: the job is read again first when its links are about to expire. */
  download(image: GeneratedImage): void {
    const job = this.job();
    if (!job) return;
    this.track(
      this.links.ensure(job).subscribe({
        next: (fresh) => {
          this.adopt(fresh);
          const live = fresh.images.find((i) => i.id === image.id) ?? image;
          saveImage(live.url, downloadName(fresh.request.prompt, live)).catch((err: unknown) =>
            this.problem.set(problemFrom(err)),
          );
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  /** An image that does not load probably has an expired link: read the job again, once per link. */
  imageFailed(image: GeneratedImage): void {
    const job = this.job();
    if (!job || this.retried.has(image.url)) return;
    this.retried.add(image.url);
    this.track(
      this.links.reread(job.id).subscribe({ next: (fresh) => this.adopt(fresh), error: () => undefined }),
    );
  }

  /** Takes a re-read job unless another one is shown by now (a newer status from the stream wins too). */
  private adopt(fresh: Generation): void {
    const current = this.job();
    if (current?.id === fresh.id && (isTerminal(fresh.status) || !isTerminal(current.status)))
      this.job.set(fresh);
  }

  private track(subscription: Subscription): Subscription {
    this.life.add(subscription);
    return subscription;
  }
}
