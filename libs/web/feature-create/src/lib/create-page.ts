import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  inject,
  linkedSignal,
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
  OUTPUT_FORMATS,
  OutputFormat,
  OwnerSummary,
} from '@imagegen/contracts';
import {
  GenerationsApi,
  GenerationStore,
  injectModelList,
  problemMessage,
  PromptAssistantStore,
  UploadStore,
} from '@imagegen/web/data-access';
import {
  GenerationForm,
  GenerationView,
  ImageDrop,
  ProblemBanner,
  PromptAssistant,
  PromptChange,
} from '@imagegen/web/ui';
import {
  budgetLeft,
  etaOf,
  formatUsd,
  imagesByIndex,
  isCallable,
  jobTiming,
  passesBudget,
  queueWaitSeconds,
  timingOfJob,
  UNKNOWN_JOB_TIMING,
  wantsEnglish,
} from '@imagegen/web/util-jobs';
import { FieldErrors, validateForm } from '@imagegen/web/util-validation';

/**
 * The create page: a prompt, a model and its knobs, then the job as it runs and its images.
 * The page holds the form; sending, following the job, retrying and link refresh are its store's.
 */
@Component({
  selector: 'ig-create-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    MatButtonModule,
    RouterLink,
    GenerationForm,
    GenerationView,
    ImageDrop,
    ProblemBanner,
    PromptAssistant,
  ],
  providers: [GenerationStore, PromptAssistantStore, UploadStore],
  templateUrl: './create-page.html',
  styleUrl: './create-page.scss',
})
export default class CreatePage implements OnInit {
  private readonly store = inject(GenerationStore);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  private readonly models = injectModelList();
  private readonly api = inject(GenerationsApi);
  private readonly destroyRef = inject(DestroyRef);
  /** The owner's budgets and the worker's queue (read at start and after each new job). */
  private readonly summary = signal<OwnerSummary | undefined>(undefined);
  /** What the images queued ahead were expected to take when the job was sent: its progress allows for it. */
  private readonly queueWaitAtSubmit = signal(0);

  /** "Improve prompt": its suggestion reaches the form only when accepted (applyPrompt). */
  protected readonly assistant = inject(PromptAssistantStore);
  /** "Upload an image": the file straight to storage, checked, then the editor opens on it. */
  protected readonly upload = inject(UploadStore);
  protected readonly uploadProgress = computed(() =>
    this.upload.busy() ? this.upload.progress() : undefined,
  );
  protected readonly modelId = signal('');
  protected readonly prompt = signal('');
  protected readonly negativePrompt = signal('');
  protected readonly aspectRatio = signal('1:1');
  protected readonly seed = signal('');
  protected readonly count = signal(1);
  protected readonly outputFormat = signal<OutputFormat>('png');
  /** The form's field messages: its own validation, or the server's for the last request. */
  protected readonly errors = linkedSignal<FieldErrors>(() => this.store.fieldErrors());
  protected readonly problem = this.store.problem;
  protected readonly job = this.store.job;
  protected readonly submitting = this.store.submitting;
  protected readonly elapsed = this.store.elapsed;
  protected readonly running = this.store.running;

  /** Retired models are not offered; models this deployment cannot call are listed, disabled, with why. */
  protected readonly choices = this.models.pickable;
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
  /** The dice roll within the model's seed range. */
  protected readonly seedMax = computed(() => this.model()?.seed.max ?? 4_294_967_294);
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
  /** What is left of the tightest budget, shown next to the cost (ADR 0015). */
  protected readonly budgetLeft = computed(() => budgetLeft(this.summary()));
  /** The job as set would pass a budget: the server would refuse it. */
  protected readonly overBudget = computed(() => {
    const model = this.model();
    return !!model && passesBudget(this.summary(), estimateCostUsd(model, this.count()));
  });
  /** Before Generate: the selected model and count, behind the images already queued. */
  protected readonly eta = computed(() => {
    const model = this.model();
    if (!model) return undefined;
    const eta = etaOf(model);
    return jobTiming(eta, this.count()).expectedSeconds + queueWaitSeconds(this.summary(), eta);
  });
  /** While waiting: the running job's own model and count. */
  protected readonly jobTiming = computed(() => {
    const job = this.job();
    return job
      ? timingOfJob(job, this.models.find(job.modelId), this.queueWaitAtSubmit())
      : UNKNOWN_JOB_TIMING;
  });
  protected readonly message = problemMessage(this.problem);

  constructor() {
    // A new job changes the budgets and the queue: read them again.
    let lastJob: string | undefined;
    effect(() => {
      const id = this.job()?.id;
      if (id && id !== lastJob) {
        lastJob = id;
        this.readSummary();
      }
    });
  }

  private readSummary(): void {
    const sub = this.api.summary().subscribe({ next: (s) => this.summary.set(s), error: () => undefined });
    this.destroyRef.onDestroy(() => sub.unsubscribe());
  }

  ngOnInit(): void {
    this.readSummary();
    this.models.load(this.problem, () => {
      if (!this.modelId()) this.selectModel(this.models.pickable().find(isCallable)?.id ?? '');
      else this.selectModel(this.modelId());
    });
    const params = this.route.snapshot.queryParamMap;
    const reuse = params.get('reuse');
    // "Reuse" from the gallery: the same parameters; the seed too only when asked (`&seed=keep`).
    if (reuse) this.store.read(reuse, (job) => this.fill(job, params.get('seed') === 'keep'));
    const jobId = params.get('job');
    if (jobId)
      this.store.resume(
        jobId,
        () => void this.router.navigate([], { queryParams: { job: null }, replaceUrl: true }),
      );
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

  protected generate(): void {
    // Nothing is sent before the model list has come (the button is disabled until then), nor for a
    // model this deployment cannot call (the button is disabled and the page says why).
    if (this.submitting() || !this.model() || this.modelBlocked()) return;
    const request = this.request();
    const errors = validateForm(request, (id) => this.models.find(id));
    this.errors.set(errors);
    if (Object.keys(errors).length > 0) return;
    const model = this.model();
    this.queueWaitAtSubmit.set(model ? queueWaitSeconds(this.summary(), etaOf(model)) : 0);
    // The job id goes into the URL, so a reload follows the same job.
    this.store.start(
      request,
      (job) => void this.router.navigate([], { queryParams: { job: job.id }, replaceUrl: true }),
    );
  }

  protected download(image: GeneratedImage): void {
    this.store.download(image);
  }

  protected imageFailed(image: GeneratedImage): void {
    this.store.imageFailed(image);
  }

  /** "Upload an image": sent and checked here (progress, then its size), then the editor opens on it. */
  protected async editFile(file: File): Promise<void> {
    const uploaded = await this.upload.upload(file);
    // The checked image goes along, so the editor need not check it again.
    if (uploaded)
      await this.router.navigate(['/edit'], {
        queryParams: { upload: uploaded.uploadId },
        state: { uploaded },
      });
  }

  /** An accepted suggestion (or Undo): the form takes it. */
  protected applyPrompt(change: PromptChange): void {
    this.prompt.set(change.prompt);
    this.negativePrompt.set(change.negativePrompt);
  }
}
