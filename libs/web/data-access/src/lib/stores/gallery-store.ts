import { DestroyRef, inject, Injectable, signal } from '@angular/core';
import { interval, Subscription } from 'rxjs';

import { GeneratedImage, Generation, isTerminal, OwnerSummary, ProblemDetails } from '@imagegen/contracts';
import { formatTime, imagesByIndex } from '@imagegen/web/util-jobs';

import { downloadName, saveImage } from '../download';
import { FreshLinks } from '../fresh-links';
import { GenerationsApi } from '../generations-api';
import { problemFrom } from '../problem-messages';

/** Jobs still running are read again this often (through the bounded queue of `FreshLinks`). */
export const GALLERY_LIVE_STATUS_MS = 3000;

/**
 * The gallery page's list (provide it in the page): the owner's jobs a page at a time, the live status
 * of those still running, fresh links for tiles whose images fail, and the actions on a job. Its
 * polling and requests stop when the page goes.
 */
@Injectable()
export class GalleryStore {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  private readonly life = new Subscription();
  private cursor?: string;
  private started = false;
  /** Image links already re-fetched once after a load error (no loop when an image is really gone). */
  private readonly retried = new Set<string>();

  readonly items = signal<readonly Generation[]>([]);
  readonly loading = signal(false);
  readonly done = signal(false);
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  readonly notice = signal('');
  readonly summary = signal<OwnerSummary | undefined>(undefined);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.life.unsubscribe());
  }

  /** The first page, the owner's summary, and the live status of running jobs (once; later calls do nothing). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.loadMore();
    this.track(this.api.summary().subscribe({ next: (s) => this.summary.set(s), error: () => undefined }));
    this.track(
      interval(GALLERY_LIVE_STATUS_MS).subscribe(() =>
        this.items()
          .filter((g) => !isTerminal(g.status))
          .forEach((g) => this.refresh(g.id)),
      ),
    );
  }

  /** The next page of jobs (nothing while one is loading, or after the last). */
  loadMore(): void {
    if (this.loading() || this.done()) return;
    this.loading.set(true);
    this.track(
      this.api.list(this.cursor).subscribe({
        next: (page) => {
          this.items.update((items) => [
            ...items,
            ...page.items.filter((g) => !items.some((i) => i.id === g.id)),
          ]);
          this.cursor = page.nextCursor;
          this.done.set(!page.nextCursor);
          this.loading.set(false);
        },
        error: (err: unknown) => {
          this.loading.set(false);
          this.problem.set(problemFrom(err));
        },
      }),
    );
  }

  /** Reads a job again: new status, and fresh links (an expired link is re-fetched this way). */
  refresh(id: string): void {
    this.track(
      this.links.reread(id).subscribe({ next: (fresh) => this.replace(fresh), error: () => undefined }),
    );
  }

  /** A tile's image did not load: its link has probably expired. Re-read the job once per link. */
  imageFailed(g: Generation, image: GeneratedImage): void {
    const src = image.thumbnailUrl ?? image.url;
    if (this.retried.has(src)) return;
    this.retried.add(src);
    this.refresh(g.id);
  }

  /** Downloads the tile's image with a live link (the job is read again first when its links are about to expire). */
  download(g: Generation): void {
    this.withLiveCover(g, (job, image) => {
      saveImage(image.url, downloadName(job.request.prompt, image)).catch((err: unknown) =>
        this.problem.set(problemFrom(err)),
      );
    });
  }

  /** Copies a live link to the tile's image, and says until when it works. */
  copyLink(g: Generation): void {
    this.withLiveCover(g, (_job, image) => void this.copy(image));
  }

  /** Deletes a job (the page asks first). */
  remove(g: Generation): void {
    this.track(
      this.api.remove(g.id).subscribe({
        next: () => {
          this.items.update((items) => items.filter((i) => i.id !== g.id));
          this.notice.set('Deleted.');
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  cancel(g: Generation): void {
    this.track(
      this.api.cancel(g.id).subscribe({
        next: (fresh) => {
          this.replace(fresh);
          this.notice.set('Cancelled.');
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  private replace(fresh: Generation): void {
    this.items.update((items) => items.map((g) => (g.id === fresh.id ? fresh : g)));
  }

  private withLiveCover(g: Generation, use: (job: Generation, image: GeneratedImage) => void): void {
    this.track(
      this.links.ensure(g).subscribe({
        next: (fresh) => {
          if (fresh !== g) this.replace(fresh);
          const image = imagesByIndex(fresh)[0];
          if (image) use(fresh, image);
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  private async copy(image: GeneratedImage): Promise<void> {
    const until = formatTime(image.urlExpiresAt);
    try {
      await navigator.clipboard.writeText(image.url);
      this.notice.set(`Link copied: it works until ${until}.`);
    } catch {
      this.notice.set(`Copy this link (it works until ${until}): ${image.url}`);
    }
  }

  private track(subscription: Subscription): Subscription {
    this.life.add(subscription);
    return subscription;
  }
}
