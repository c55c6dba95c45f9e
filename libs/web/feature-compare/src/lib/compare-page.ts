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
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { interval, Subscription } from 'rxjs';

import {
  ASPECT_RATIOS,
  estimateCostUsd,
  GeneratedImage,
  Generation,
  isTerminal,
  ModelInfo,
  ProblemDetails,
} from '@imagegen/contracts';
import {
  downloadName,
  FollowProblem,
  FreshLinks,
  GenerationsApi,
  injectModelList,
  problemFrom,
  problemMessage,
  saveImage,
  userMessage,
} from '@imagegen/web/data-access';
import { GenerationView, ProblemBanner, PromptField } from '@imagegen/web/ui';
import {
  etaOf,
  formatUsd,
  isCallable,
  JobTiming,
  jobTiming,
  timingOfJob,
  unavailableText,
  wantsEnglish,
} from '@imagegen/web/util-jobs';
import { FieldErrors, validateForm } from '@imagegen/web/util-validation';

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 3;

/** One model's side of a comparison: its job once sent, or why it could not be sent. */
interface Column {
  readonly modelId: string;
  readonly job?: Generation;
  readonly problem?: ProblemDetails;
}

/**
 * Compare: one prompt sent to two or three models at once, each a normal job (own Idempotency-Key,
 * in the gallery), shown side by side as they arrive. Each model gets only the parameters it takes.
 */
@Component({
  selector: 'ig-compare-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    MatButtonModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    RouterLink,
    GenerationView,
    ProblemBanner,
    PromptField,
  ],
  templateUrl: './compare-page.html',
  styleUrl: './compare-page.scss',
})
export default class ComparePage implements OnInit {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly destroyRef = inject(DestroyRef);
  private readonly models = injectModelList();
  private readonly following = new Map<string, Subscription>();
  private readonly retried = new Set<string>();
  private ticker?: Subscription;

  protected readonly selected = signal<readonly string[]>([]);
  protected readonly prompt = signal('');
  protected readonly negativePrompt = signal('');
  protected readonly aspectRatio = signal('1:1');
  protected readonly seed = signal('');
  protected readonly errors = signal<FieldErrors>({});
  protected readonly problem = signal<ProblemDetails | undefined>(undefined);
  protected readonly columns = signal<readonly Column[]>([]);
  protected readonly submitting = signal(false);
  protected readonly now = signal(Date.now());

  protected readonly choices = this.models.pickable;
  protected readonly chosen = computed(() => this.choices().filter((m) => this.selected().includes(m.id)));
  protected readonly full = computed(() => this.selected().length >= MAX_COMPARED);
  protected readonly ready = computed(
    () => this.chosen().length >= MIN_COMPARED && this.chosen().every(isCallable),
  );
  protected readonly promptLimit = computed(() =>
    Math.min(...this.chosen().map((m) => m.prompt.maxLength), 10_000),
  );
  protected readonly takesNegative = computed(() => this.chosen().some((m) => m.negativePrompt.supported));
  /** Ratios any chosen model takes; a model that does not take the one picked uses its own default. */
  protected readonly aspectRatios = computed(() =>
    ASPECT_RATIOS.filter((r) => this.chosen().some((m) => m.aspectRatios.includes(r))),
  );
  protected readonly anyWantsEnglish = computed(() => this.chosen().some(wantsEnglish));
  protected readonly cost = computed(() =>
    formatUsd(this.chosen().reduce((sum, m) => sum + estimateCostUsd(m, 1), 0)),
  );
  /** The models run side by side: the comparison takes as long as the slowest. */
  protected readonly eta = computed(() =>
    Math.max(0, ...this.chosen().map((m) => jobTiming(etaOf(m), 1).expectedSeconds)),
  );
  protected readonly message = problemMessage(this.problem);

  protected readonly callable = isCallable;
  protected readonly whyUnavailable = unavailableText;

  ngOnInit(): void {
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
    for (const id of ids) {
      this.api.get(id).subscribe({
        next: (job) => {
          this.columns.update((cols) => [...cols, { modelId: job.modelId, job }]);
          this.track(job);
        },
        error: () => undefined,
      });
    }
    this.destroyRef.onDestroy(() => {
      this.following.forEach((s) => s.unsubscribe());
      this.ticker?.unsubscribe();
    });
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

  protected valueOf(event: Event): string {
    return (event.target as HTMLInputElement | HTMLTextAreaElement).value;
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

  protected compare(event?: Event): void {
    event?.preventDefault();
    if (this.submitting() || !this.ready()) return;
    const requests = this.chosen().map((m) => this.requestFor(m));
    const errors: Record<string, string> = {};
    const lookup = (id: string) => this.models.find(id);
    for (const r of requests)
      for (const [field, text] of Object.entries(validateForm(r, lookup))) errors[field] ??= text;
    this.errors.set(errors);
    if (Object.keys(errors).length > 0) return;

    this.problem.set(undefined);
    this.following.forEach((s) => s.unsubscribe());
    this.following.clear();
    this.columns.set(requests.map((r) => ({ modelId: r['modelId'] as string })));
    this.submitting.set(true);
    let pending = requests.length;
    const settled = () => {
      if (--pending > 0) return;
      this.submitting.set(false);
      const ids = this.columns().flatMap((c) => (c.job ? [c.job.id] : []));
      void this.router.navigate([], { queryParams: { jobs: ids.join(',') || null }, replaceUrl: true });
    };
    // Each model's job is a request of its own, with its own key: a retry of one never duplicates another.
    for (const request of requests) {
      const modelId = request['modelId'] as string;
      this.api.create(request, crypto.randomUUID()).subscribe({
        next: (job) => {
          this.setColumn(modelId, { modelId, job });
          this.track(job);
          settled();
        },
        error: (err: unknown) => {
          this.setColumn(modelId, { modelId, problem: problemFrom(err) });
          settled();
        },
      });
    }
  }

  private setColumn(modelId: string, column: Column): void {
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
  private track(job: Generation): void {
    if (isTerminal(job.status)) return;
    this.startTicker();
    this.following.set(
      job.id,
      this.api.follow(job.id).subscribe({
        next: (next) => this.update(next),
        error: (err: unknown) =>
          this.setColumn(job.modelId, {
            modelId: job.modelId,
            job,
            problem: err instanceof FollowProblem ? err.problem : problemFrom(err),
          }),
      }),
    );
  }

  private startTicker(): void {
    if (this.ticker && !this.ticker.closed) return;
    this.now.set(Date.now());
    this.ticker = interval(1000).subscribe(() => {
      this.now.set(Date.now());
      if (this.columns().every((c) => !c.job || isTerminal(c.job.status))) this.ticker?.unsubscribe();
    });
  }

  protected elapsedOf(job: Generation): number {
    return Math.max(0, Math.round((this.now() - Date.parse(job.createdAt)) / 1000));
  }

  protected timingOf(job: Generation): JobTiming {
    return timingOfJob(job, this.models.find(job.modelId));
  }

  protected messageOf(p: ProblemDetails): string {
    return userMessage(p).message;
  }

  protected download(job: Generation, image: GeneratedImage): void {
    this.links.ensure(job).subscribe({
      next: (fresh) => {
        if (fresh !== job) this.update(fresh);
        const live = fresh.images.find((i) => i.id === image.id) ?? image;
        saveImage(live.url, downloadName(fresh.request.prompt, live)).catch((err: unknown) =>
          this.problem.set(problemFrom(err)),
        );
      },
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }

  protected imageFailed(job: Generation, image: GeneratedImage): void {
    if (this.retried.has(image.url)) return;
    this.retried.add(image.url);
    this.links.reread(job.id).subscribe({ next: (fresh) => this.update(fresh), error: () => undefined });
  }
}
