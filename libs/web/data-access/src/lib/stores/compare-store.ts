import { DestroyRef, inject, Injectable, signal } from '@angular/core';
import { interval, Subscription } from 'rxjs';

import { GeneratedImage, Generation, isTerminal, ProblemDetails } from '@imagegen/contracts';

import { downloadName, saveImage } from '../download';
import { FreshLinks } from '../fresh-links';
import { FollowProblem, GenerationsApi } from '../generations-api';
import { problemFrom } from '../problem-messages';
import { secondsSince } from './clock';

/** One model's side of a comparison: its job once sent, or why it could not be sent. */
export interface CompareColumn {
  readonly modelId: string;
  readonly job?: Generation;
  readonly problem?: ProblemDetails;
}

/**
 * The compare page's jobs (provide it in the page): one job per model, each sent with its own key and
 * followed until it ends, a clock that ticks while any runs, and live image links. Everything it
 * started stops when the page goes.
 */
@Injectable()
export class CompareStore {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  private readonly life = new Subscription();
  private readonly following = new Map<string, Subscription>();
  private readonly retried = new Set<string>();
  private ticker?: Subscription;

  readonly columns = signal<readonly CompareColumn[]>([]);
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  readonly submitting = signal(false);
  /** The clock the columns' elapsed times are read against (ticks while a job runs). */
  readonly now = signal(Date.now());

  constructor() {
    inject(DestroyRef).onDestroy(() => this.life.unsubscribe());
  }

  /** Shows jobs by id again (a reload: their ids are in the URL), following those still running. */
  resume(ids: readonly string[]): void {
    for (const id of ids)
      this.track(
        this.api.get(id).subscribe({
          next: (job) => {
            this.columns.update((cols) => [...cols, { modelId: job.modelId, job }]);
            this.follow(job);
          },
          error: () => undefined,
        }),
      );
  }

  /**
   * Sends one (validated) request per model, each a job of its own with its own Idempotency-Key (a retry
   * of one never duplicates another); `settled` gets the ids of the jobs made once every answer is in.
   */
  compare(requests: readonly Record<string, unknown>[], settled?: (ids: string[]) => void): void {
    this.problem.set(undefined);
    this.following.forEach((s) => s.unsubscribe());
    this.following.clear();
    this.columns.set(requests.map((r) => ({ modelId: r['modelId'] as string })));
    this.submitting.set(true);
    let pending = requests.length;
    const answered = () => {
      if (--pending > 0) return;
      this.submitting.set(false);
      settled?.(this.columns().flatMap((c) => (c.job ? [c.job.id] : [])));
    };
    for (const request of requests) {
      const modelId = request['modelId'] as string;
      this.track(
        this.api.create(request, crypto.randomUUID()).subscribe({
          next: (job) => {
            this.setColumn(modelId, { modelId, job });
            this.follow(job);
            answered();
          },
          error: (err: unknown) => {
            this.setColumn(modelId, { modelId, problem: problemFrom(err) });
            answered();
          },
        }),
      );
    }
  }

  /** Seconds a job has been running, by the store's clock. */
  elapsedOf(job: Generation): number {
    return secondsSince(job.createdAt, this.now());
  }

  download(job: Generation, image: GeneratedImage): void {
    this.track(
      this.links.ensure(job).subscribe({
        next: (fresh) => {
          if (fresh !== job) this.update(fresh);
          const live = fresh.images.find((i) => i.id === image.id) ?? image;
          saveImage(live.url, downloadName(fresh.request.prompt, live)).catch((err: unknown) =>
            this.problem.set(problemFrom(err)),
          );
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  /** An image that does not load probably has an expired link: read its job again, once per link. */
  imageFailed(job: Generation, image: GeneratedImage): void {
    if (this.retried.has(image.url)) return;
    this.retried.add(image.url);
    this.track(
      this.links.reread(job.id).subscribe({ next: (fresh) => this.update(fresh), error: () => undefined }),
    );
  }

  private setColumn(modelId: string, column: CompareColumn): void {
    this.columns.update((cols) => cols.map((c) => (c.modelId === modelId ? column : c)));
  }

  /** A newer view of a job replaces the shown one (a re-read never takes an ended job back to running). */
  private update(job: Generation): void {
    this.columns.update((cols) =>
      cols.map((c) =>
        c.job?.id === job.id && !(isTerminal(c.job.status) && !isTerminal(job.status)) ? { ...c, job } : c,
      ),
    );
  }

  /** Follows a job until it ends; the clock ticks while any job runs. */
  private follow(job: Generation): void {
    if (isTerminal(job.status)) return;
    this.startTicker();
    this.following.set(
      job.id,
      this.track(
        this.api.follow(job.id).subscribe({
          next: (next) => this.update(next),
          error: (err: unknown) =>
            this.setColumn(job.modelId, {
              modelId: job.modelId,
              job,
              problem: err instanceof FollowProblem ? err.problem : problemFrom(err),
            }),
        }),
      ),
    );
  }

  private startTicker(): void {
    if (this.ticker && !this.ticker.closed) return;
    this.now.set(Date.now());
    this.ticker = this.track(
      interval(1000).subscribe(() => {
        this.now.set(Date.now());
        if (this.columns().every((c) => !c.job || isTerminal(c.job.status))) this.ticker?.unsubscribe();
      }),
    );
  }

  private track(subscription: Subscription): Subscription {
    this.life.add(subscription);
    return subscription;
  }
}
