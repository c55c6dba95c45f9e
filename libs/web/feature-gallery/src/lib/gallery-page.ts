import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  ElementRef,
  inject,
  OnInit,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';

import { findImageService, findModel, GeneratedImage, Generation } from '@imagegen/contracts';
import { GalleryStore, userMessage } from '@imagegen/web/data-access';
import { ProblemBanner } from '@imagegen/web/ui';
import { costText, formatUsd, imagesByIndex, outcomeSummary, statusLabel } from '@imagegen/web/util-jobs';

/**
 * The owner's jobs, newest first, loaded a page at a time as the list scrolls. The list, its live
 * status and link refresh are the store's; the page draws it, asks before deleting, and watches the scroll.
 */
@Component({
  selector: 'ig-gallery-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, RouterLink, ProblemBanner],
  providers: [GalleryStore],
  templateUrl: './gallery-page.html',
  styleUrl: './gallery-page.scss',
})
export default class GalleryPage implements OnInit {
  private readonly store = inject(GalleryStore);
  private readonly destroyRef = inject(DestroyRef);
  private readonly sentinel = viewChild<ElementRef<HTMLElement>>('sentinel');

  protected readonly items = this.store.items;
  protected readonly loading = this.store.loading;
  protected readonly done = this.store.done;
  protected readonly problem = this.store.problem;
  protected readonly notice = this.store.notice;
  protected readonly summary = this.store.summary;
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
    this.store.start();
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
    this.store.loadMore();
  }

  /** The image a tile draws: the first by index. */
  protected cover(g: Generation): GeneratedImage | undefined {
    return imagesByIndex(g)[0];
  }

  protected modelName(g: Generation): string {
    return findModel(g.modelId)?.displayName ?? findImageService(g.modelId)?.displayName ?? g.modelId;
  }

  protected imageFailed(g: Generation, image: GeneratedImage): void {
    this.store.imageFailed(g, image);
  }

  protected message(g: Generation): string {
    const error = g.status === 'failed' ? (g.error ?? g.failures?.[0]?.error) : undefined;
    return error ? userMessage(error).message : '';
  }

  protected download(g: Generation): void {
    this.store.download(g);
  }

  protected copyLink(g: Generation): void {
    this.store.copyLink(g);
  }

  protected remove(g: Generation): void {
    if (!confirm(`Delete “${g.request.prompt.slice(0, 60)}” and its images? This cannot be undone.`)) return;
    this.store.remove(g);
  }

  protected cancel(g: Generation): void {
    this.store.cancel(g);
  }
}
