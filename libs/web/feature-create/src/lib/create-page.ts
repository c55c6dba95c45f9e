import { ChangeDetectionStrategy, Component, DestroyRef, OnInit, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ActivatedRoute, Router } from '@angular/router';
import { Subscription, interval } from 'rxjs';

import {
  ASPECT_RATIOS,
  ErrorCode,
  GeneratedImage,
  Generation,
  ModelInfo,
  OUTPUT_FORMATS,
  OutputFormat,
  ProblemDetails,
  estimateCostUsd,
  isTerminal,
} from '@imagegen/contracts';
import { FollowProblem, GenerationsApi, downloadName, problemFrom, saveImage, userMessage } from '@imagegen/web/data-access';
import { GenerationView, ProblemBanner } from '@imagegen/web/ui';
import { FieldErrors, fieldErrorsOf, validateForm } from '@imagegen/web/util-validation';

const MAX_AUTO_RETRIES = 1;

/** The create page: a prompt, a model and its knobs, then the job as it runs and its images. */
@Component({
  selector: 'ig-create-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, GenerationView, ProblemBanner],
  templateUrl: './create-page.html',
  styleUrl: './create-page.scss',
})
export default class CreatePage implements OnInit {
  private readonly api = inject(GenerationsApi);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly destroyRef = inject(DestroyRef);
  private following?: Subscription;
  private ticker?: Subscription;
  private autoRetries = 0;

  protected readonly models = signal<ModelInfo[]>([]);
  protected readonly modelId = signal('');
  protected readonly prompt = signal('');
  protected readonly negativePrompt = signal('');
  protected readonly aspectRatio = signal('1:1');
  protected readonly seed = signal('');
  protected readonly count = signal(1);
  protected readonly outputFormat = signal<OutputFormat>('png');
  protected readonly errors = signal<FieldErrors>({});
  protected readonly problem = signal<ProblemDetails | undefined>(undefined);
  protected readonly job = signal<Generation | undefined>(undefined);
  protected readonly submitting = signal(false);
  protected readonly elapsed = signal(0);

  protected readonly model = computed(() => this.models().find((m) => m.id === this.modelId()));
  protected readonly aspectRatios = computed(() => this.model()?.aspectRatios ?? ASPECT_RATIOS);
  protected readonly formats = computed(() => this.model()?.outputFormats ?? OUTPUT_FORMATS);
  protected readonly counts = computed(() => Array.from({ length: this.model()?.maxCount ?? 1 }, (_, i) => i + 1));
  protected readonly promptLimit = computed(() => this.model()?.prompt.maxLength ?? 10_000);
  protected readonly cost = computed(() => {
    const model = this.model();
    return model ? estimateCostUsd(model, this.count()).toFixed(2) : '';
  });
  protected readonly expectedSeconds = computed(() => {
    const job = this.job();
    const model = this.models().find((m) => m.id === (job?.modelId ?? this.modelId()));
    return Math.round((model?.expectedSecondsPerImage ?? 10) * (job?.request.count ?? this.count()));
  });
  protected readonly running = computed(() => {
    const status = this.job()?.status;
    return status === 'queued' || status === 'running';
  });
  protected readonly message = computed(() => {
    const p = this.problem();
    return p ? userMessage(p) : undefined;
  });

  ngOnInit(): void {
    this.api
      .models()
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (models) => {
          this.models.set(models);
          if (!this.modelId()) this.selectModel(models.find((m) => m.available)?.id ?? '');
        },
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      });
    const reuse = this.route.snapshot.queryParamMap.get('reuse');
    if (reuse) {
      // "Reuse" from the gallery: the same parameters, seed included (clear it for a new variation).
      this.api.get(reuse).subscribe({ next: (job) => this.fill(job), error: (err: unknown) => this.problem.set(problemFrom(err)) });
    }
    const jobId = this.route.snapshot.queryParamMap.get('job');
    if (jobId) {
      this.api.get(jobId).subscribe({
        next: (job) => this.show(job),
        error: () => void this.router.navigate([], { queryParams: { job: null }, replaceUrl: true }),
      });
    }
  }

  private fill(job: Generation): void {
    const r = job.request;
    this.selectModel(r.modelId);
    this.modelId.set(r.modelId);
    this.prompt.set(r.prompt);
    this.negativePrompt.set(r.negativePrompt ?? '');
    this.aspectRatio.set(r.aspectRatio);
    this.count.set(r.count);
    this.outputFormat.set(r.outputFormat);
    this.seed.set(String(job.images[0]?.seed ?? r.seed ?? ''));
  }

  protected selectModel(id: string): void {
    this.modelId.set(id);
    const model = this.models().find((m) => m.id === id);
    if (!model) return;
    if (!model.aspectRatios.includes(this.aspectRatio() as never)) this.aspectRatio.set(model.defaultAspectRatio);
    if (this.count() > model.maxCount) this.count.set(model.maxCount);
    if (!model.outputFormats.includes(this.outputFormat())) this.outputFormat.set(model.outputFormats[0] ?? 'png');
    this.errors.set({});
  }

  protected rollSeed(): void {
    const max = this.model()?.seed.max ?? 4_294_967_294;
    const [n] = crypto.getRandomValues(new Uint32Array(1));
    this.seed.set(String(1 + (n % max)));
  }

  protected onPromptKeydown(event: KeyboardEvent): void {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.generate();
    }
  }

  protected valueOf(event: Event): string {
    return (event.target as HTMLInputElement | HTMLTextAreaElement).value;
  }

  /** The request as the contracts define it: optional fields only when set. */
  private request(): Record<string, unknown> {
    const seed = this.seed().trim();
    const model = this.model();
    return {
      modelId: this.modelId(),
      prompt: this.prompt(),
      ...(model?.negativePrompt.supported && this.negativePrompt().trim() ? { negativePrompt: this.negativePrompt() } : {}),
      aspectRatio: this.aspectRatio(),
      ...(seed ? { seed: /^\d+$/.test(seed) ? Number(seed) : seed } : {}),
      count: this.count(),
      outputFormat: this.outputFormat(),
    };
  }

  protected generate(event?: Event): void {
    event?.preventDefault();
    if (this.submitting()) return;
    const request = this.request();
    const errors = validateForm(request);
    this.errors.set(errors);
    if (Object.keys(errors).length > 0) return;
    this.autoRetries = 0;
    this.submit(request);
  }

  private submit(request: Record<string, unknown>): void {
    this.problem.set(undefined);
    this.submitting.set(true);
    // One key per click: a double click or a retried request never makes two jobs.
    this.api.create(request, crypto.randomUUID()).subscribe({
      next: (job) => {
        this.submitting.set(false);
        void this.router.navigate([], { queryParams: { job: job.id }, replaceUrl: true });
        this.show(job, request);
      },
      error: (err: unknown) => {
        this.submitting.set(false);
        const problem = problemFrom(err);
        if (problem.code === ErrorCode.VALIDATION_FAILED && problem.errors?.length) this.errors.set(fieldErrorsOf(problem));
        else this.problem.set(problem);
      },
    });
  }

  private show(job: Generation, request?: Record<string, unknown>): void {
    this.job.set(job);
    this.following?.unsubscribe();
    this.ticker?.unsubscribe();
    if (isTerminal(job.status)) return this.settle(job, request);
    this.tick(job);
    this.ticker = interval(1000)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe(() => this.tick(this.job() ?? job));
    this.following = this.api
      .follow(job.id)
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (next) => {
          this.job.set(next);
          if (isTerminal(next.status)) this.settle(next, request);
        },
        error: (err: unknown) => {
          this.ticker?.unsubscribe();
          this.problem.set(err instanceof FollowProblem ? err.problem : problemFrom(err));
        },
      });
  }

  private tick(job: Generation): void {
    this.elapsed.set(Math.max(0, Math.round((Date.now() - Date.parse(job.createdAt)) / 1000)));
  }

  private settle(job: Generation, request?: Record<string, unknown>): void {
    this.ticker?.unsubscribe();
    if (job.status !== 'failed' || !job.error) return;
    this.problem.set(job.error);
    // A busy model is worth one more try after the wait it asked for.
    if (job.error.code === ErrorCode.MODEL_THROTTLED && request && this.autoRetries < MAX_AUTO_RETRIES) {
      this.autoRetries++;
      setTimeout(() => this.submit(request), (job.error.retryAfterSeconds ?? 5) * 1000);
    }
  }

  protected async download(image: GeneratedImage): Promise<void> {
    const job = this.job();
    if (!job) return;
    try {
      await saveImage(image.url, downloadName(job.request.prompt, image));
    } catch (err) {
      this.problem.set(problemFrom(err));
    }
  }
}
