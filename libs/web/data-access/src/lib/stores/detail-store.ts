import { DestroyRef, inject, Injectable, signal } from '@angular/core';
import { interval, Subscription, timer } from 'rxjs';

import {
  ErrorCode,
  GeneratedImage,
  Generation,
  GENERATION_ID_PATTERN,
  isTerminal,
  ModelInfo,
  problem,
  ProblemDetails,
} from '@imagegen/contracts';
import { formatTime, LINK_REFRESH_MARGIN_MS, linksExpireAt } from '@imagegen/web/util-jobs';

import { downloadName, saveImage } from '../download';
import { FreshLinks } from '../fresh-links';
import { FollowProblem, GenerationsApi } from '../generations-api';
import { problemFrom } from '../problem-messages';
import { secondsSince } from './clock';

/** Never re-read a job for its links more often than this, whatever the expiry says. */
export const MIN_LINK_REFRESH_MS = 30_000;

/**
 * The detail page's job (provide it in the page): reads it, follows it live while it runs (stream, a
 * ticking clock, the models' ETAs), re-reads it shortly before its links expire so the page can stay
 * open, and the actions on it. Its stream and timers stop when the page goes (or shows another job).
 */
@Injectable()
export class DetailStore {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  /** What belongs to the job shown (its stream, clock and link timer): closed on each `load` and at the end. */
  private current = new Subscription();
  private readonly life = new Subscription();
  private following?: Subscription;
  private ticker?: Subscription;
  private linkTimer?: Subscription;
  private id = '';
  private readonly retried = new Set<string>();

  readonly job = signal<Generation | undefined>(undefined);
  /** The models as the server lists them (for a running job's ETA); empty until a job runs. */
  readonly models = signal<readonly ModelInfo[]>([]);
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  readonly notice = signal('');
  /** Seconds since the job was created, ticking while it runs. */
  readonly elapsed = signal(0);
  /** A cancel or delete is on its way. */
  readonly busy = signal(false);

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.current.unsubscribe();
      this.life.unsubscribe();
    });
  }

  /** Shows the job with this id (forgetting the one shown before); an id that cannot be one sends nothing. */
  load(id: string): void {
    this.stop();
    this.id = id;
    this.job.set(undefined);
    this.problem.set(undefined);
    this.notice.set('');
    if (!GENERATION_ID_PATTERN.test(id)) {
      this.problem.set(problem(ErrorCode.NOT_FOUND));
      return;
    }
    this.track(
      this.api.get(id).subscribe({
        next: (job) => this.show(job),
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  /** An image that does not load probably has an expired link: read the job again, once per link. */
  imageFailed(image: GeneratedImage): void {
    const job = this.job();
    if (!job || this.retried.has(image.url)) return;
    this.retried.add(image.url);
    this.reread(job.id);
  }

  /** Downloads with a live link (the job is read again first when its links are about to expire). */
  download(image: GeneratedImage): void {
    this.withLive(image, (job, live) =>
      saveImage(live.url, downloadName(job.request.prompt, live)).catch((err: unknown) =>
        this.problem.set(problemFrom(err)),
      ),
    );
  }

  /** Copies a live link to an image, and says until when it works. */
  copyLink(image: GeneratedImage): void {
    this.withLive(image, (_job, live) => void this.copy(live));
  }

  cancel(): void {
    const job = this.job();
    if (!job) return;
    this.busy.set(true);
    this.track(
      this.api.cancel(job.id).subscribe({
        next: (fresh) => {
          this.busy.set(false);
          this.notice.set('Cancelled.');
          this.show(fresh);
        },
        error: (err: unknown) => {
          this.busy.set(false);
          this.problem.set(problemFrom(err));
        },
      }),
    );
  }

  /** Deletes the job (the page asks first); `deleted` is told once it is gone. */
  remove(deleted?: () => void): void {
    const job = this.job();
    if (!job) return;
    this.busy.set(true);
    this.life.add(
      this.api.remove(job.id).subscribe({
        next: () => {
          this.stop();
          deleted?.();
        },
        error: (err: unknown) => {
          this.busy.set(false);
          this.problem.set(problemFrom(err));
        },
      }),
    );
  }

  private show(job: Generation): void {
    if (job.id !== this.id) return;
    this.job.set(job);
    this.scheduleLinkRefresh(job);
    if (isTerminal(job.status)) {
      this.ticker?.unsubscribe();
      return;
    }
    if (!this.following || this.following.closed) this.follow(job);
  }

  /** Live status while the job runs: the stream, a ticking clock, and the model's ETA for the progress bar. */
  private follow(job: Generation): void {
    if (this.models().length === 0)
      this.track(
        this.api.models().subscribe({ next: (models) => this.models.set(models), error: () => undefined }),
      );
    const tick = () => this.elapsed.set(secondsSince(job.createdAt));
    tick();
    this.ticker?.unsubscribe();
    this.ticker = this.track(interval(1000).subscribe(tick));
    this.following = this.track(
      this.api.follow(job.id).subscribe({
        next: (next) => this.show(next),
        error: (err: unknown) =>
          this.problem.set(err instanceof FollowProblem ? err.problem : problemFrom(err)),
      }),
    );
  }

  /** Reads the job again shortly before its links expire, so every link on the page stays live. */
  private scheduleLinkRefresh(job: Generation): void {
    this.linkTimer?.unsubscribe();
    const at = linksExpireAt(job);
    if (at === undefined) return;
    const delay = Math.max(MIN_LINK_REFRESH_MS, at - LINK_REFRESH_MARGIN_MS - Date.now());
    this.linkTimer = this.track(timer(delay).subscribe(() => this.reread(job.id)));
  }

  private reread(id: string): void {
    this.track(
      this.links.reread(id).subscribe({ next: (fresh) => this.adopt(fresh), error: () => undefined }),
    );
  }

  /** A re-read job replaces the shown one unless it is older news (the stream may be ahead). */
  private adopt(fresh: Generation): void {
    const current = this.job();
    if (!current || current.id !== fresh.id) return;
    if (isTerminal(current.status) && !isTerminal(fresh.status)) return;
    this.show(fresh);
  }

  private withLive(image: GeneratedImage, use: (job: Generation, live: GeneratedImage) => void): void {
    const job = this.job();
    if (!job) return;
    this.track(
      this.links.ensure(job).subscribe({
        next: (fresh) => {
          if (fresh !== job) this.adopt(fresh);
          use(fresh, fresh.images.find((i) => i.id === image.id) ?? image);
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  private async copy(image: GeneratedImage): Promise<void> {
    const until = formatTime(image.urlExpiresAt);
    try {
      await navigator.clipboard.writeText(image.url);
      this.notice.set(`Link to image ${image.index + 1} copied: it works until ${until}.`);
    } catch {
      this.notice.set(`Copy this link (it works until ${until}): ${image.url}`);
    }
  }

  /** Ends everything the shown job started. */
  private stop(): void {
    this.current.unsubscribe();
    this.current = new Subscription();
    this.following = undefined;
  }

  private track(subscription: Subscription): Subscription {
    this.current.add(subscription);
    return subscription;
  }
}
