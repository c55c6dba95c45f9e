import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, OnInit, inject, signal, viewChild } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import { interval } from 'rxjs';

import { Generation, ProblemDetails, isTerminal } from '@imagegen/contracts';
import { GenerationsApi, downloadName, problemFrom, saveImage, userMessage } from '@imagegen/web/data-access';
import { ProblemBanner } from '@imagegen/web/ui';

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
  private readonly destroyRef = inject(DestroyRef);
  private readonly sentinel = viewChild<ElementRef<HTMLElement>>('sentinel');
  private cursor?: string;

  protected readonly items = signal<Generation[]>([]);
  protected readonly loading = signal(false);
  protected readonly done = signal(false);
  protected readonly problem = signal<ProblemDetails | undefined>(undefined);
  protected readonly notice = signal('');

  ngOnInit(): void {
    this.loadMore();
    // Jobs still running show their live status, and their images when done.
    interval(3000)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() => this.items().filter((g) => !isTerminal(g.status)).forEach((g) => this.refresh(g.id)));
    if (typeof IntersectionObserver !== 'undefined') {
      const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && this.loadMore());
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
        this.items.update((items) => [...items, ...page.items.filter((g) => !items.some((i) => i.id === g.id))]);
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

  /** Reads a job again: new status, and fresh links (an expired link is re-fetched this way). */
  protected refresh(id: string): void {
    this.api.get(id).subscribe({
      next: (fresh) => this.items.update((items) => items.map((g) => (g.id === id ? fresh : g))),
      error: () => undefined,
    });
  }

  protected message(g: Generation): string {
    return g.error ? userMessage(g.error).message : '';
  }

  protected async download(g: Generation): Promise<void> {
    const image = g.images[0];
    if (!image) return;
    try {
      await saveImage(image.url, downloadName(g.request.prompt, image));
    } catch (err) {
      this.problem.set(problemFrom(err));
    }
  }

  protected async copyLink(g: Generation): Promise<void> {
    const image = g.images[0];
    if (!image) return;
    const until = new Date(image.urlExpiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
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
      next: (fresh) => this.items.update((items) => items.map((i) => (i.id === g.id ? fresh : i))),
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }
}
