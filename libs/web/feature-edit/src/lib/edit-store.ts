import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { firstValueFrom, from, map, Observable, of, Subscription, switchMap } from 'rxjs';

import {
  catalogEta,
  ErrorCode,
  estimateServiceCostUsd,
  findImageService,
  FitMode,
  Generation,
  IMAGE_SERVICES,
  ImageRef,
  ImageServiceEntry,
  inputLimitViolations,
  isGeneratedImageRef,
  isUploadRef,
  JobInputName,
  ModelEta,
  OutputFormat,
  OwnerSummary,
  problem,
  ProblemDetails,
  UploadedImage,
} from '@imagegen/contracts';
import { GenerationsApi, GenerationStore, problemFrom } from '@imagegen/web/data-access';
import {
  budgetLeft,
  formatUsd,
  jobTiming,
  passesBudget,
  queueWaitSeconds,
  UNKNOWN_JOB_TIMING,
} from '@imagegen/web/util-jobs';
import { FieldErrors, fieldErrorsOf } from '@imagegen/web/util-validation';

import {
  carryValues,
  editFormErrors,
  editRequest,
  expectedOutputSize,
  initialValues,
  limitViolations,
  ParamValue,
  ParamValues,
  serviceGroups,
  Size,
  takesMask,
  takesStyleImage,
} from './edit-form';
import { EDITS_CLIENT } from './edits-client';

/** An image the editor works on: where it is (for the request) and how to draw it. */
export interface EditSource {
  readonly ref: ImageRef;
  readonly url: string;
  readonly width: number;
  readonly height: number;
  /** Transparent pixels: what inpaint and erase edit when no mask is painted. */
  readonly hasAlpha?: boolean;
}

/** Where the mask comes from when sending (the page's mask canvas). */
export interface MaskSource {
  hasMask(): boolean;
  exportMask(): Promise<Blob>;
}

/** The first service offered: inpaint, the one most people come for. */
const FIRST_SERVICE = IMAGE_SERVICES[0];

export function sourceOfUpload(u: UploadedImage): EditSource {
  return {
    ref: { uploadId: u.uploadId },
    url: u.url,
    width: u.width,
    height: u.height,
    hasAlpha: u.hasAlpha,
  };
}

/**
 * The editor page's state (provide it in the page, with GenerationStore): the image being edited and the
 * style image, the service and its fields, the checks before sending, and sending (mask upload, then the
 * edit). Following the job it made is GenerationStore's, as on the create page.
 */
@Injectable()
export class EditStore {
  private readonly client = inject(EDITS_CLIENT);
  private readonly api = inject(GenerationsApi);
  readonly jobs = inject(GenerationStore);
  private readonly life = new Subscription();
  /** Stops an upload in flight when the page goes. */
  private readonly leaving = new AbortController();
  /** Links already re-read once after a load error (no loop when an image is really gone). */
  private readonly reopened = new Set<string>();

  readonly groups = serviceGroups();
  readonly source = signal<EditSource | undefined>(undefined);
  readonly styleSource = signal<EditSource | undefined>(undefined);
  /** Upload progress 0..1 of the image (or the style image) being sent; undefined when none is. */
  readonly progress = signal<number | undefined>(undefined);
  readonly uploadingStyle = signal(false);
  /** Problems of loading or uploading an image (the job's own are the GenerationStore's). */
  readonly problem = signal<ProblemDetails | undefined>(undefined);
  readonly serviceId = signal(FIRST_SERVICE.id);
  readonly values = signal<ParamValues>(initialValues(FIRST_SERVICE));
  readonly seed = signal('');
  readonly count = signal(1);
  readonly outputFormat = signal<OutputFormat>(FIRST_SERVICE.outputFormats[0]);
  readonly fit = signal<FitMode>('reject');
  readonly errors = signal<FieldErrors>({});
  /** Mask upload and the edit request in flight. */
  readonly sending = signal(false);
  readonly summary = signal<OwnerSummary | undefined>(undefined);
  /**
   * Each service's ETA as the deployment answers it (`GET /api/services`: measured, or the catalog's until enough
   * edits ran); empty until read, or when it cannot be.
   */
  readonly serviceEtas = signal<ReadonlyMap<string, ModelEta>>(new Map());

  readonly service = computed(() => findImageService(this.serviceId()) ?? FIRST_SERVICE);
  readonly size = computed<Size | undefined>(() => {
    const s = this.source();
    return s ? { width: s.width, height: s.height } : undefined;
  });
  readonly violations = computed(() => limitViolations(this.service(), this.size()));
  readonly styleViolations = computed(() => {
    const s = this.styleSource();
    const limits = this.service().inputs.styleImage?.limits;
    return s && limits ? inputLimitViolations(s, limits) : [];
  });
  /** Some of the mask is painted (the mask canvas says so after each change). */
  readonly maskPainted = signal(false);
  readonly outputSize = computed(() => expectedOutputSize(this.service(), this.size(), this.values()));
  readonly costUsd = computed(() => estimateServiceCostUsd(this.service(), this.count()));
  readonly cost = computed(() => formatUsd(this.costUsd()));
  readonly budgetLeft = computed(() => budgetLeft(this.summary()));
  readonly overBudget = computed(() => passesBudget(this.summary(), this.costUsd()));
  private readonly eta = computed(() => this.etaOf(this.service()));
  /** Seconds before the results, behind the images already queued. */
  readonly expectedSeconds = computed(
    () => jobTiming(this.eta(), this.count()).expectedSeconds + queueWaitSeconds(this.summary(), this.eta()),
  );
  /** The running job's timing: its own service and count. */
  readonly jobTiming = computed(() => {
    const job = this.jobs.job();
    const service = job ? findImageService(job.modelId) : undefined;
    return job && service ? jobTiming(this.etaOf(service), job.request.count) : UNKNOWN_JOB_TIMING;
  });
  readonly counts = computed(() => Array.from({ length: this.service().maxCount }, (_, i) => i + 1));
  /** What stops sending, in words (empty: ready). */
  readonly blockers = computed(() => {
    const out: string[] = [];
    if (!this.source()) out.push('Choose an image to edit.');
    if (this.violations().length > 0 && this.fit() === 'reject')
      out.push('The image is outside this service’s limits: pick a fit.');
    if (takesStyleImage(this.service()) && !this.styleSource()) out.push('Choose a style image.');
    // Without a mask these services edit the image's transparent pixels: an opaque image needs one.
    if (takesMask(this.service()) && this.source() && !this.maskPainted() && !this.source()?.hasAlpha)
      out.push('Paint over the area to change.');
    if (this.styleViolations().length > 0) out.push('The style image is outside this service’s limits.');
    return out;
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.life.unsubscribe();
      this.leaving.abort();
    });
  }

  /** Shows an image to edit (or none): a new image starts with no mask painted. */
  show(source: EditSource | undefined): void {
    this.source.set(source);
    this.maskPainted.set(false);
  }

  /** The owner's budgets and queue (at start and after each job). */
  readSummary(): void {
    this.life.add(this.api.summary().subscribe({ next: (s) => this.summary.set(s), error: () => undefined }));
  }

  /** Each service's ETA (once, at start): until it answers, or if it fails, the catalog's figures stand. */
  readServices(): void {
    this.life.add(
      this.api.services().subscribe({
        next: (services) => this.serviceEtas.set(new Map(services.map((s) => [s.id, s.eta]))),
        error: () => undefined,
      }),
    );
  }

  /** A service's ETA: what the deployment answered for it (measured, or its catalog figure), else the catalog's. */
  private etaOf(service: ImageServiceEntry): ModelEta {
    return this.serviceEtas().get(service.id) ?? catalogEta(service, this.summary()?.queue?.parallelism ?? 1);
  }

  selectService(id: string): void {
    const service = findImageService(id);
    if (!service) return;
    this.serviceId.set(id);
    this.values.set(carryValues(service, this.values()));
    if (this.count() > service.maxCount) this.count.set(service.maxCount);
    if (!service.outputFormats.includes(this.outputFormat())) this.outputFormat.set(service.outputFormats[0]);
    this.errors.set({});
  }

  setValue(name: string, value: ParamValue): void {
    this.values.update((v) => ({ ...v, [name]: value }));
    this.errors.update((e) => {
      const { [`params.${name}`]: _gone, ...rest } = e;
      return rest;
    });
  }

  /** The upload named in the URL (a reload): checked again, which answers its size and a fresh link. */
  openUpload(uploadId: string, known?: UploadedImage): void {
    if (known?.uploadId === uploadId) {
      this.show(sourceOfUpload(known));
      return;
    }
    this.problem.set(undefined);
    this.show(undefined);
    this.life.add(
      this.client.check(uploadId).subscribe({
        next: (u) => this.show(sourceOfUpload(u)),
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  /** The image shown did not load (an expired link): read it again for a fresh one, once per link. */
  reopen(): void {
    const source = this.source();
    if (!source || this.reopened.has(source.url)) return;
    this.reopened.add(source.url);
    const ref = source.ref;
    if (isUploadRef(ref)) this.openUpload(ref.uploadId);
    else this.open(ref);
  }

  /** One of the owner's generated images (an "Edit" button): read from its job. */
  openGenerated(generationId: string, imageId: string): void {
    this.open({ generationId, imageId });
  }

  /** Shows the image a ref names (its job read, or `known`, for a fresh link), or says why it cannot. */
  private open(ref: ImageRef, known?: Generation): void {
    this.problem.set(undefined);
    this.show(undefined);
    this.life.add(
      this.load(ref, known).subscribe({
        next: (source) => this.show(source),
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  /** Sets the style image a ref names, or says why it cannot. */
  private openStyle(ref: ImageRef, known?: Generation): void {
    this.life.add(
      this.load(ref, known).subscribe({
        next: (source) => this.styleSource.set(source),
        error: (err: unknown) => this.problem.set(problemFrom(err)),
      }),
    );
  }

  /**
   * Where a ref points and how to draw it: an upload checked again; a generated image or an earlier
   * edit's kept input from its job (read again unless `known` is that job). A kept input's size is
   * measured by the browser from its link; whether it has transparent pixels is not known (a mask is painted).
   */
  private load(ref: ImageRef, known?: Generation): Observable<EditSource> {
    if (isUploadRef(ref)) return this.client.check(ref.uploadId).pipe(map(sourceOfUpload));
    const job$ = known?.id === ref.generationId ? of(known) : this.api.get(ref.generationId);
    if (isGeneratedImageRef(ref))
      return job$.pipe(
        map((job) => {
          const image = job.images.find((i) => i.id === ref.imageId);
          if (!image) throw problem(ErrorCode.NOT_FOUND, 'This image is not in that job.');
          return { ref, url: image.url, width: image.width, height: image.height };
        }),
      );
    return job$.pipe(
      switchMap((job) => {
        const kept = job.inputs?.[ref.input];
        if (!kept) throw problem(ErrorCode.NOT_FOUND, 'The image this edit was made from is no longer kept.');
        return from(this.client.measure(kept.url)).pipe(map((size) => ({ ref, url: kept.url, ...size })));
      }),
    );
  }

  /**
   * What Reuse names for an input of `job`: a generated image as it was (its lineage stays); an upload
   * (or an earlier job's kept input) by this job's own kept copy while it has one, since an upload is
   * deleted after a day and the copy lives as long as the job.
   */
  private reusedRef(job: Generation, name: JobInputName, ref: ImageRef): ImageRef {
    if (isGeneratedImageRef(ref) || !job.inputs?.[name]) return ref;
    return { generationId: job.id, input: name };
  }

  /** Sends a file straight to storage with progress, then has it checked; answers the checked image. */
  async upload(file: Blob, asStyle = false): Promise<UploadedImage | undefined> {
    this.problem.set(undefined);
    this.progress.set(0);
    this.uploadingStyle.set(asStyle);
    try {
      const uploaded = await this.client.upload(file, (f) => this.progress.set(f), this.leaving.signal);
      if (asStyle) this.styleSource.set(sourceOfUpload(uploaded));
      else this.show(sourceOfUpload(uploaded));
      return uploaded;
    } catch (err: unknown) {
      if ((err as { name?: unknown })?.name !== 'AbortError') this.problem.set(problemFrom(err));
      return undefined;
    } finally {
      this.progress.set(undefined);
      this.uploadingStyle.set(false);
    }
  }

  /** The style image from one of the owner's generated images. */
  useStyleImage(source: EditSource | undefined): void {
    this.styleSource.set(source);
  }

  /** Fills the form from an earlier edit ("Reuse"): the same service, fields, image and style image. */
  reuse(job: Generation, keepSeed: boolean): void {
    const edit = job.request.edit;
    if (!edit) return;
    this.selectService(edit.serviceId);
    this.values.set({ ...initialValues(this.service()), ...edit.params });
    this.count.set(job.request.count);
    this.outputFormat.set(job.request.outputFormat);
    this.fit.set(edit.fit);
    this.seed.set(keepSeed && job.request.seed !== undefined ? String(job.request.seed) : '');
    this.open(this.reusedRef(job, 'image', edit.image), job);
    this.styleSource.set(undefined);
    if (edit.styleImage && takesStyleImage(this.service()))
      this.openStyle(this.reusedRef(job, 'styleImage', edit.styleImage), job);
  }

  /**
   * Checks the form, uploads the painted mask (if the service takes one and some is painted), sends the
   * edit and follows the job; `created` hears of the job (the page puts its id in the URL).
   */
  async send(mask: MaskSource | undefined, created: (job: Generation) => void): Promise<void> {
    const source = this.source();
    if (this.sending() || !source || this.blockers().length > 0) return;
    const service = this.service();
    const styleImage = takesStyleImage(service) ? this.styleSource()?.ref : undefined;
    const base = {
      service,
      image: source.ref,
      values: this.values(),
      ...(styleImage ? { styleImage } : {}),
      seed: this.seed(),
      count: this.count(),
      outputFormat: this.outputFormat(),
      fit: this.violations().length > 0 ? this.fit() : ('reject' as FitMode),
    };
    const errors = editFormErrors(editRequest(base));
    this.errors.set(errors);
    if (Object.keys(errors).length > 0) return;

    this.sending.set(true);
    this.problem.set(undefined);
    this.jobs.problem.set(undefined);
    try {
      let maskRef: { uploadId: string } | undefined;
      if (takesMask(service) && mask?.hasMask()) {
        const uploaded = await this.client.upload(await mask.exportMask(), undefined, this.leaving.signal);
        maskRef = { uploadId: uploaded.uploadId };
      }
      const request = editRequest({ ...base, ...(maskRef ? { mask: maskRef } : {}) });
      // One key per click: a double click or a retried request never makes two jobs.
      const job = await firstValueFrom(this.client.create(request, crypto.randomUUID()));
      created(job);
      this.jobs.resume(job.id);
      this.readSummary();
    } catch (err: unknown) {
      const p = problemFrom(err);
      if (p.code === ErrorCode.VALIDATION_FAILED && p.errors?.length) this.errors.set(fieldErrorsOf(p));
      else this.problem.set(p);
    } finally {
      this.sending.set(false);
      this.progress.set(undefined);
    }
  }
}
