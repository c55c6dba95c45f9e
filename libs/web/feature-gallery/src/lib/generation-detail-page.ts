import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { Router, RouterLink } from '@angular/router';

import {
  catalogEta,
  editParent,
  findImageService,
  findModel,
  GeneratedImage,
  Generation,
  isTerminal,
} from '@imagegen/contracts';
import { DetailStore, EditsApi, problemMessage } from '@imagegen/web/data-access';
import { GenerationView, ProblemBanner } from '@imagegen/web/ui';
import {
  etaOf,
  formatDateTime,
  formatDay,
  formatUsd,
  jobTiming,
  UNKNOWN_JOB_TIMING,
} from '@imagegen/web/util-jobs';

/**
 * One job in full (/gallery/:id): its images by index, prompt, parameters, model, seeds, sizes, time,
 * estimated and real cost, where the images came from, what failed, how long it is kept; and the actions.
 * Following the job and re-reading it before its links expire (so the page can stay open) are its store's.
 */
@Component({
  selector: 'ig-generation-detail-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, RouterLink, GenerationView, ProblemBanner],
  providers: [DetailStore],
  templateUrl: './generation-detail-page.html',
  styleUrl: './generation-detail-page.scss',
})
export default class GenerationDetailPage {
  /** The job id, from the route (`/gallery/:id`). */
  readonly id = input.required<string>();

  private readonly store = inject(DetailStore);
  private readonly router = inject(Router);
  private readonly editsApi = inject(EditsApi);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly job = this.store.job;
  protected readonly problem = this.store.problem;
  protected readonly notice = this.store.notice;
  protected readonly elapsed = this.store.elapsed;
  protected readonly busy = this.store.busy;

  protected readonly message = problemMessage(this.problem);
  protected readonly model = computed(() => {
    const job = this.job();
    return job ? findModel(job.modelId) : undefined;
  });
  /** An edit's service (inpaint, upscale…): edits are named by it. */
  private readonly service = computed(() => {
    const job = this.job();
    return job ? findImageService(job.modelId) : undefined;
  });
  protected readonly modelName = computed(
    () => this.model()?.displayName ?? this.service()?.displayName ?? this.job()?.modelId ?? '',
  );
  /** Lineage: the image this edit was made from (undefined for a generation or an edit of an upload). */
  protected readonly parent = computed(() => {
    const job = this.job();
    return job ? editParent(job.request) : undefined;
  });
  /** What an edit of an upload started from: the copy the job keeps (while it keeps one), as a thumbnail. */
  protected readonly keptInput = computed(() => {
    const job = this.job();
    return job?.request.edit && !this.parent() ? job.inputs?.image : undefined;
  });
  /** Lineage: the owner's edits made from this job's images. */
  protected readonly edits = signal<readonly Generation[]>([]);
  /** Reuse opens the page that made the job: the editor for an edit. */
  protected readonly reuseRoute = computed(() => (this.job()?.request.edit ? '/edit' : '/'));
  /** A removed background: drawn on a checkerboard, so its transparency shows. */
  protected readonly transparent = computed(
    () => this.service()?.id === 'stability.stable-image-remove-background-v1:0',
  );
  protected readonly running = computed(() => {
    const job = this.job();
    return !!job && !isTerminal(job.status);
  });
  protected readonly timing = computed(() => {
    const job = this.job();
    if (!job) return UNKNOWN_JOB_TIMING;
    const info = this.store.models().find((m) => m.id === job.modelId);
    const catalog = this.model();
    const eta = info ? etaOf(info) : catalog ? catalogEta(catalog, 1) : undefined;
    return eta ? jobTiming(eta, job.request.count) : UNKNOWN_JOB_TIMING;
  });
  protected readonly seeds = computed(() => {
    const job = this.job();
    if (!job) return '';
    if (job.request.seed !== undefined) return String(job.request.seed);
    const seeds = [...job.images].sort((a, b) => a.index - b.index).map((i) => i.seed);
    return seeds.length > 0 ? `${seeds.join(', ')} (random)` : 'random';
  });
  protected readonly usd = formatUsd;
  protected readonly day = formatDay;
  protected readonly dateTime = formatDateTime;

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => this.store.load(id));
    });
    // Lineage once the job is known (an id that is no job asks nothing more).
    let lineageOf: string | undefined;
    effect(() => {
      const id = this.job()?.id;
      if (id && id !== lineageOf) {
        lineageOf = id;
        untracked(() => this.readEdits(id));
      }
    });
  }

  private readEdits(id: string): void {
    this.edits.set([]);
    // Lineage is extra: without it the page still shows the job.
    this.editsApi
      .edits(id)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({ next: (page) => this.edits.set(page.items), error: () => undefined });
  }

  protected nameOf(g: Generation): string {
    return findImageService(g.modelId)?.displayName ?? findModel(g.modelId)?.displayName ?? g.modelId;
  }

  protected coverOf(g: Generation): GeneratedImage | undefined {
    return [...g.images].sort((a, b) => a.index - b.index)[0];
  }

  protected imageFailed(image: GeneratedImage): void {
    this.store.imageFailed(image);
  }

  protected download(image: GeneratedImage): void {
    this.store.download(image);
  }

  protected copyLink(image: GeneratedImage): void {
    this.store.copyLink(image);
  }

  protected cancel(): void {
    this.store.cancel();
  }

  protected remove(): void {
    const job = this.job();
    if (!job) return;
    if (!confirm(`Delete “${job.request.prompt.slice(0, 60)}” and its images? This cannot be undone.`))
      return;
    this.store.remove(() => void this.router.navigate(['/gallery']));
  }
}
