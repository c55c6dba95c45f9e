import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  OnInit,
  signal,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';

import {
  ASPECT_RATIOS,
  estimateCostUsd,
  GeneratedImage,
  Generation,
  ModelInfo,
  OwnerSummary,
  ProblemDetails,
} from '@imagegen/contracts';
import {
  CompareStore,
  GenerationsApi,
  injectModelList,
  problemMessage,
  PromptAssistantStore,
  userMessage,
} from '@imagegen/web/data-access';
import {
  GenerationForm,
  GenerationView,
  ProblemBanner,
  PromptAssistant,
  PromptChange,
} from '@imagegen/web/ui';
import {
  etaOf,
  formatUsd,
  isCallable,
  JobTiming,
  jobTiming,
  queueWaitSeconds,
  timingOfJob,
  wantsEnglish,
} from '@imagegen/web/util-jobs';
import { FieldErrors, validateForm } from '@imagegen/web/util-validation';

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 3;

/**
 * Compare: one prompt sent to two or three models at once, each a normal job (own Idempotency-Key,
 * in the gallery), shown side by side as they arrive. Each model gets only the parameters it takes.
 * The page holds the form; sending and following the jobs are its store's.
 */
@Component({
  selector: 'ig-compare-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, RouterLink, GenerationForm, GenerationView, ProblemBanner, PromptAssistant],
  providers: [CompareStore, PromptAssistantStore],
  templateUrl: './compare-page.html',
  styleUrl: './compare-page.scss',
})
export default class ComparePage implements OnInit {
  private readonly store = inject(CompareStore);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly models = injectModelList();
  private readonly api = inject(GenerationsApi);
  private readonly destroyRef = inject(DestroyRef);
  /** The worker's queue (read at start and after each comparison): the jobs wait behind it. */
  private readonly summary = signal<OwnerSummary | undefined>(undefined);
  /** Per model: what the images queued ahead were expected to take when the comparison was sent. */
  private readonly queueWaitAtSubmit = signal<Readonly<Record<string, number>>>({});

  protected readonly selected = signal<readonly string[]>([]);
  protected readonly prompt = signal('');
  /** "Improve prompt": its suggestion reaches the form only when accepted (applyPrompt). */
  protected readonly assistant = inject(PromptAssistantStore);
  protected readonly negativePrompt = signal('');
  protected readonly aspectRatio = signal('1:1');
  protected readonly seed = signal('');
  protected readonly errors = signal<FieldErrors>({});
  protected readonly problem = this.store.problem;
  protected readonly columns = this.store.columns;
  protected readonly submitting = this.store.submitting;

  protected readonly choices = this.models.pickable;
  protected readonly chosen = computed(() => this.choices().filter((m) => this.selected().includes(m.id)));
  protected readonly ready = computed(
    () => this.chosen().length >= MIN_COMPARED && this.chosen().every(isCallable),
  );
  protected readonly promptLimit = computed(() =>
    Math.min(...this.chosen().map((m) => m.prompt.maxLength), 10_000),
  );
  protected readonly takesNegative = computed(() => this.chosen().some((m) => m.negativePrompt.supported));
  /** The assistant writes for the picked model with the tightest prompt limit, so it fits every one. */
  protected readonly assistantModelId = computed(
    () => [...this.chosen()].sort((a, b) => a.prompt.maxLength - b.prompt.maxLength)[0]?.id ?? '',
  );
  /** Ratios any chosen model takes; a model that does not take the one picked uses its own default. */
  protected readonly aspectRatios = computed(() =>
    ASPECT_RATIOS.filter((r) => this.chosen().some((m) => m.aspectRatios.includes(r))),
  );
  protected readonly anyWantsEnglish = computed(() => this.chosen().some(wantsEnglish));
  protected readonly cost = computed(() =>
    formatUsd(this.chosen().reduce((sum, m) => sum + estimateCostUsd(m, 1), 0)),
  );
  /** The models run side by side, behind the images already queued: the comparison takes as long as the slowest. */
  protected readonly eta = computed(() =>
    Math.max(
      0,
      ...this.chosen().map(
        (m) => jobTiming(etaOf(m), 1).expectedSeconds + queueWaitSeconds(this.summary(), etaOf(m)),
      ),
    ),
  );
  protected readonly message = problemMessage(this.problem);
  protected readonly maxCompared = MAX_COMPARED;

  private readSummary(): void {
    const sub = this.api.summary().subscribe({ next: (s) => this.summary.set(s), error: () => undefined });
    this.destroyRef.onDestroy(() => sub.unsubscribe());
  }

  ngOnInit(): void {
    this.readSummary();
    this.models.load(this.problem, () => {
      if (this.selected().length === 0)
        this.selected.set(
          this.models
            .pickable()
            .filter(isCallable)
            .slice(0, MIN_COMPARED)
            .map((m) => m.id),
        );
    });
    // A reload keeps the comparison: its job ids are in the URL.
    const ids = (this.route.snapshot.queryParamMap.get('jobs') ?? '')
      .split(',')
      .filter(Boolean)
      .slice(0, MAX_COMPARED);
    this.store.resume(ids);
  }

  protected modelName(id: string): string {
    return this.models.find(id)?.displayName ?? id;
  }

  protected toggle(id: string, checked: boolean): void {
    this.selected.update((ids) =>
      checked
        ? ids.includes(id) || ids.length >= MAX_COMPARED
          ? ids
          : [...ids, id]
        : ids.filter((i) => i !== id),
    );
    this.errors.set({});
  }

  /** The request for one model: only what it takes (negative prompt, ratio, seed range, format). */
  private requestFor(model: ModelInfo): Record<string, unknown> {
    const seed = this.seed().trim();
    const seedValue = /^\d+$/.test(seed) ? Number(seed) : seed;
    const seedFits =
      typeof seedValue === 'number' && seedValue >= model.seed.min && seedValue <= model.seed.max;
    return {
      modelId: model.id,
      prompt: this.prompt(),
      ...(model.negativePrompt.supported && this.negativePrompt().trim()
        ? { negativePrompt: this.negativePrompt() }
        : {}),
      ...(model.aspectRatios.includes(this.aspectRatio() as never)
        ? { aspectRatio: this.aspectRatio() }
        : {}),
      ...(seed && (seedFits || typeof seedValue !== 'number') ? { seed: seedValue } : {}),
      count: 1,
      ...(model.outputFormats.includes('png') ? { outputFormat: 'png' } : {}),
    };
  }

  protected compare(): void {
    if (this.submitting() || !this.ready()) return;
    const requests = this.chosen().map((m) => this.requestFor(m));
    const errors: Record<string, string> = {};
    const lookup = (id: string) => this.models.find(id);
    for (const r of requests)
      for (const [field, text] of Object.entries(validateForm(r, lookup))) errors[field] ??= text;
    this.errors.set(errors);
    if (Object.keys(errors).length > 0) return;
    this.queueWaitAtSubmit.set(
      Object.fromEntries(this.chosen().map((m) => [m.id, queueWaitSeconds(this.summary(), etaOf(m))])),
    );
    // The job ids go into the URL, so a reload keeps the comparison.
    this.store.compare(requests, (ids) => {
      void this.router.navigate([], { queryParams: { jobs: ids.join(',') || null }, replaceUrl: true });
      // The new jobs changed the queue: read it again for the next comparison's estimate.
      this.readSummary();
    });
  }

  protected elapsedOf(job: Generation): number {
    return this.store.elapsedOf(job);
  }

  protected timingOf(job: Generation): JobTiming {
    return timingOfJob(job, this.models.find(job.modelId), this.queueWaitAtSubmit()[job.modelId]);
  }

  protected messageOf(p: ProblemDetails): string {
    return userMessage(p).message;
  }

  protected download(job: Generation, image: GeneratedImage): void {
    this.store.download(job, image);
  }

  protected imageFailed(job: Generation, image: GeneratedImage): void {
    this.store.imageFailed(job, image);
  }

  /** An accepted suggestion (or Undo): the form takes it. */
  protected applyPrompt(change: PromptChange): void {
    this.prompt.set(change.prompt);
    this.negativePrompt.set(change.negativePrompt);
  }
}
