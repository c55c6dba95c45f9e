import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  ElementRef,
  inject,
  OnInit,
  signal,
  viewChild,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import { interval } from 'rxjs';

import {
  findModel,
  GeneratedImage,
  Generation,
  isTerminal,
  OwnerSummary,
  ProblemDetails,
} from '@imagegen/contracts';
import {
  downloadName,
  FreshLinks,
  GenerationsApi,
  problemFrom,
  saveImage,
  userMessage,
} from '@imagegen/web/data-access';
import { ProblemBanner } from '@imagegen/web/ui';
import {
  costText,
  formatTime,
  formatUsd,
  imagesByIndex,
  outcomeSummary,
  statusLabel,
} from '@imagegen/web/util-jobs';

/** The owner's jobs, newest first, loaded a page at a time as the list scrolls. */
@Component({
  selector: 'ig-gallery-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, RouterLink, ProblemBanner],
  templateUrl: './gallery-page.html',
  styleUrl: './gallery-page.scss',
})
export default class GalleryPage implements OnInit {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  private readonly destroyRef = inject(DestroyRef);
  private readonly sentinel = viewChild<ElementRef<HTMLElement>>('sentinel');
  private cursor?: string;
  /** Image links already re-fetched once after a load error (no loop when an image is really gone). */
  private readonly retried = new Set<string>();

  protected readonly items = signal<Generation[]>([]);
  protected readonly loading = signal(false);
  protected readonly done = signal(false);
  protected readonly problem = signal<ProblemDetails | undefined>(undefined);
  protected readonly notice = signal('');
  protected readonly summary = signal<OwnerSummary | undefined>(undefined);
  protected readonly spent = computed(() => {
    const s = this.summary();
    return s ? formatUsd(s.spentUsd) : '';
  });
  protected readonly month = computed(() => {
    const s = this.summary();
    return s
      ? new Date(`${s.month}-01T00:00:00Z`).toLocaleDateString('en', {
          month: 'long',
          year: 'numeric',
          timeZone: 'UTC',
        })
      : '';
  });

  protected readonly linkMinutes = computed(() =>
    Math.max(1, Math.round((this.summary()?.presignExpirySeconds ?? 900) / 60)),
  );

  protected readonly statusLabel = statusLabel;
  protected readonly outcome = outcomeSummary;
  protected readonly cost = costText;

  ngOnInit(): void {
    this.loadMore();
    this.api
      .summary()
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({ next: (s) => this.summary.set(s), error: () => undefined });
    // Jobs still running show their live status, and their images as they arrive (through the bounded queue).
    interval(3000)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() =>
        this.items()
          .filter((g) => !isTerminal(g.status))
          .forEach((g) => this.refresh(g.id)),
      );
    if (typeof IntersectionObserver !== 'undefined') {
      const observer = new IntersectionObserver(
        (entries) => entries.some((e) => e.isIntersecting) && this.loadMore(),
      );
      queueMicrotask(() => {
        const el = this.sentinel()?.nativeElement;
        if (el) observer.observe(el);
      });
      this.destroyRef.onDestroy(() => observer.disconnect());
    }
  }

  protected loadMore(): void {
    if (this.loading() || this.done()) return;
    this.loading.set(true);
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
    });
  }

  /** The image a tile draws: the first by index. */
  protected cover(g: Generation): GeneratedImage | undefined {
    return imagesByIndex(g)[0];
  }

  protected modelName(g: Generation): string {
    return findModel(g.modelId)?.displayName ?? g.modelId;
  }

  /** Reads a job again: new status, and fresh links (an expired link is re-fetched this way). */
  protected refresh(id: string): void {
    this.links.reread(id).subscribe({ next: (fresh) => this.replace(fresh), error: () => undefined });
  }

  /** A tile's image did not load: its link has probably expired. Re-read the job once per link. */
  protected imageFailed(g: Generation, image: GeneratedImage): void {
    const src = image.thumbnailUrl ?? image.url;
    if (this.retried.has(src)) return;
    this.retried.add(src);
    this.refresh(g.id);
  }

  private replace(fresh: Generation): void {
    this.items.update((items) => items.map((g) => (g.id === fresh.id ? fresh : g)));
  }

  protected message(g: Generation): string {
    const error = g.status === 'failed' ? (g.error ?? g.failures?.[0]?.error) : undefined;
    return error ? userMessage(error).message : '';
  }

  /** Download and copy link always use a live link: the job is read again first when its links are about to expire. */
  protected download(g: Generation): void {
    this.withLiveCover(g, (job, image) => {
      saveImage(image.url, downloadName(job.request.prompt, image)).catch((err: unknown) =>
        this.problem.set(problemFrom(err)),
      );
    });
  }

  protected copyLink(g: Generation): void {
    this.withLiveCover(g, (_job, image) => void this.copy(image));
  }

  private withLiveCover(g: Generation, use: (job: Generation, image: GeneratedImage) => void): void {
    this.links.ensure(g).subscribe({
      next: (fresh) => {
        if (fresh !== g) this.replace(fresh);
        const image = this.cover(fresh);
        if (image) use(fresh, image);
      },
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
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

  protected remove(g: Generation): void {
    if (!confirm(`Delete “${g.request.prompt.slice(0, 60)}” and its images? This cannot be undone.`)) return;
    this.api.remove(g.id).subscribe({
      next: () => {
        this.items.update((items) => items.filter((i) => i.id !== g.id));
        this.notice.set('Deleted.');
      },
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }

  protected cancel(g: Generation): void {
    this.api.cancel(g.id).subscribe({
      next: (fresh) => {
        this.replace(fresh);
        this.notice.set('Cancelled.');
      },
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }
}
