import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  OnInit,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { interval, Subscription } from 'rxjs';

import {
  ASPECT_RATIOS,
  ErrorCode,
  estimateCostUsd,
  GeneratedImage,
  Generation,
  isTerminal,
  OUTPUT_FORMATS,
  OutputFormat,
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
} from '@imagegen/web/data-access';
import { GenerationView, ProblemBanner, PromptField } from '@imagegen/web/ui';
import {
  etaOf,
  formatUsd,
  imagesByIndex,
  isCallable,
  jobTiming,
  timingOfJob,
  unavailableText,
  UNKNOWN_JOB_TIMING,
  wantsEnglish,
} from '@imagegen/web/util-jobs';
import { FieldErrors, fieldErrorsOf, validateForm } from '@imagegen/web/util-validation';

const MAX_AUTO_RETRIES = 1;

/** The create page: a prompt, a model and its knobs, then the job as it runs and its images. */
@Component({
  selector: 'ig-create-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    RouterLink,
    GenerationView,
    ProblemBanner,
    PromptField,
  ],
  templateUrl: './create-page.html',
  styleUrl: './create-page.scss',
})
export default class CreatePage implements OnInit {
  private readonly api = inject(GenerationsApi);
  private readonly links = inject(FreshLinks);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly destroyRef = inject(DestroyRef);
  private readonly models = injectModelList();
  private following?: Subscription;
  private ticker?: Subscription;
  private autoRetries = 0;
  /** Image links already re-fetched once after a load error (no loop when an image is really gone). */
  private readonly retried = new Set<string>();

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

  /** Retired models are not offered; models this deployment cannot call are listed, disabled, with why. */
  protected readonly choices = this.models.pickable;
  protected readonly unavailable = computed(() => this.choices().filter((m) => !isCallable(m)));
  protected readonly model = computed(() => this.models.find(this.modelId()));
  protected readonly modelBlocked = computed(() => {
    const model = this.model();
    return model && !isCallable(model) ? model : undefined;
  });
  protected readonly aspectRatios = computed(() => this.model()?.aspectRatios ?? ASPECT_RATIOS);
  protected readonly formats = computed(() => this.model()?.outputFormats ?? OUTPUT_FORMATS);
  protected readonly counts = computed(() =>
    Array.from({ length: this.model()?.maxCount ?? 1 }, (_, i) => i + 1),
  );
  protected readonly promptLimit = computed(() => this.model()?.prompt.maxLength ?? 10_000);
  protected readonly modelWantsEnglish = computed(() => {
    const model = this.model();
    return !!model && wantsEnglish(model);
  });
  protected readonly englishAdvice = computed(
    () =>
      `${this.model()?.displayName ?? ''} understands English best. Translating it usually gives better images.`,
  );
  protected readonly cost = computed(() => {
    const model = this.model();
    return model ? formatUsd(estimateCostUsd(model, this.count())) : '';
  });
  /** Before Generate: the selected model and count. */
  protected readonly eta = computed(() => {
    const model = this.model();
    return model ? jobTiming(etaOf(model), this.count()).expectedSeconds : undefined;
  });
  /** While waiting: the running job's own model and count. */
  protected readonly jobTiming = computed(() => {
    const job = this.job();
    return job ? timingOfJob(job, this.models.find(job.modelId)) : UNKNOWN_JOB_TIMING;
  });
  protected readonly running = computed(() => {
    const job = this.job();
    return !!job && !isTerminal(job.status);
  });
  protected readonly message = problemMessage(this.problem);

  protected readonly callable = isCallable;
  protected readonly whyUnavailable = unavailableText;

  ngOnInit(): void {
    this.models.load(this.problem, () => {
      if (!this.modelId()) this.selectModel(this.models.pickable().find(isCallable)?.id ?? '');
      else this.selectModel(this.modelId());
    });
    const params = this.route.snapshot.queryParamMap;
    const reuse = params.get('reuse');
    if (reuse) {
      // "Reuse" from the gallery: the same parameters; the seed too only when asked (`&seed=keep`).
      const keepSeed = params.get('seed') === 'keep';
      this.api.get(reuse).subscribe({
        next: (job) => this.fill(job, keepSeed),
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      });
    }
    const jobId = params.get('job');
    if (jobId) {
      this.api.get(jobId).subscribe({
        next: (job) => this.show(job),
        error: () => void this.router.navigate([], { queryParams: { job: null }, replaceUrl: true }),
      });
    }
  }

  private fill(job: Generation, keepSeed: boolean): void {
    const r = job.request;
    this.selectModel(r.modelId);
    this.prompt.set(r.prompt);
    this.negativePrompt.set(r.negativePrompt ?? '');
    this.aspectRatio.set(r.aspectRatio);
    this.count.set(r.count);
    this.outputFormat.set(r.outputFormat);
    this.seed.set(keepSeed ? String(r.seed ?? imagesByIndex(job)[0]?.seed ?? '') : '');
  }

  protected selectModel(id: string): void {
    this.modelId.set(id);
    const model = this.models.find(id);
    if (!model) return;
    if (!model.aspectRatios.includes(this.aspectRatio() as never))
      this.aspectRatio.set(model.defaultAspectRatio);
    if (this.count() > model.maxCount) this.count.set(model.maxCount);
    if (!model.outputFormats.includes(this.outputFormat()))
      this.outputFormat.set(model.outputFormats[0] ?? 'png');
    this.errors.set({});
  }

  protected rollSeed(): void {
    const max = this.model()?.seed.max ?? 4_294_967_294;
    const [n] = crypto.getRandomValues(new Uint32Array(1));
    this.seed.set(String(1 + (n % max)));
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
      ...(model?.negativePrompt.supported && this.negativePrompt().trim()
        ? { negativePrompt: this.negativePrompt() }
        : {}),
      aspectRatio: this.aspectRatio(),
      ...(seed ? { seed: /^\d+$/.test(seed) ? Number(seed) : seed } : {}),
      count: this.count(),
      outputFormat: this.outputFormat(),
    };
  }

  protected generate(event?: Event): void {
    event?.preventDefault();
    // Nothing is sent before the model list has come (the button is disabled until then), nor for a
    // model this deployment cannot call (the button is disabled and the page says why).
    if (this.submitting() || !this.model() || this.modelBlocked()) return;
    const request = this.request();
    const errors = validateForm(request, (id) => this.models.find(id));
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
        if (problem.code === ErrorCode.VALIDATION_FAILED && problem.errors?.length)
          this.errors.set(fieldErrorsOf(problem));
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
    // A job with no image at all failed: say why (its own error, else the first image's).
    const error = job.status === 'failed' ? (job.error ?? job.failures?.[0]?.error) : undefined;
    if (!error) return;
    this.problem.set(error);
    // A busy model is worth one more try after the wait it asked for.
    if (error.code === ErrorCode.MODEL_THROTTLED && request && this.autoRetries < MAX_AUTO_RETRIES) {
      this.autoRetries++;
      setTimeout(() => this.submit(request), (error.retryAfterSeconds ?? 5) * 1000);
    }
  }

  /** Downloads with a live link: the job is read again first when its links are about to expire. */
  protected download(image: GeneratedImage): void {
    const job = this.job();
    if (!job) return;
    this.links.ensure(job).subscribe({
      next: (fresh) => {
        this.adopt(fresh);
        const live = fresh.images.find((i) => i.id === image.id) ?? image;
        saveImage(live.url, downloadName(fresh.request.prompt, live)).catch((err: unknown) =>
          this.problem.set(problemFrom(err)),
        );
      },
      error: (err: unknown) => this.problem.set(problemFrom(err)),
    });
  }

  /** An image that does not load probably has an expired link: read the job again, once per link. */
  protected imageFailed(image: GeneratedImage): void {
    const job = this.job();
    if (!job || this.retried.has(image.url)) return;
    this.retried.add(image.url);
    this.links.reread(job.id).subscribe({ next: (fresh) => this.adopt(fresh), error: () => undefined });
  }

  /** Takes a re-read job unless another one is shown by now (a newer status from the stream wins too). */
  private adopt(fresh: Generation): void {
    const current = this.job();
    if (current?.id === fresh.id && (isTerminal(fresh.status) || !isTerminal(current.status)))
      this.job.set(fresh);
  }
}
