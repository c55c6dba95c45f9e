import { KeyValuePipe } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  OnInit,
  untracked,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Router, RouterLink } from '@angular/router';

import { FitMode, GeneratedImage, OutputFormat, ServiceParam, UploadedImage } from '@imagegen/contracts';
import { GenerationStore, problemMessage } from '@imagegen/web/data-access';
import {
  GenerationView,
  ImageDrop,
  MaskCanvas,
  MaskChange,
  OutpaintExtents,
  ProblemBanner,
} from '@imagegen/web/ui';

import { extendsCanvas, FIT_CHOICES, limitsText, sizeText, takesMask, takesStyleImage } from './edit-form';
import { EditStore } from './edit-store';
import { editorMessage } from './editor-messages';

/** The outpaint sides: the canvas's edge handles and boxes set them, not the form. */
const SIDES = new Set(['left', 'right', 'up', 'down']);

/** The image the create page's "Upload an image" has just uploaded and checked (navigation state). */
interface UploadHandOver {
  readonly uploaded?: UploadedImage;
}

/**
 * The editor (/edit?upload=… or /edit?generation=…&image=…): the image on a canvas (a mask to paint, or
 * edges to extend), a service picked from the catalog with its fields, the limits, cost and time before
 * sending, then the job as it runs and its images, each of which can be edited again.
 */
@Component({
  selector: 'ig-edit-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [KeyValuePipe, MatButtonModule, RouterLink, GenerationView, ImageDrop, MaskCanvas, ProblemBanner],
  providers: [GenerationStore, EditStore],
  templateUrl: './edit-page.html',
  styleUrl: './edit-page.scss',
})
export default class EditPage implements OnInit {
  /** Query parameters (bound by the router): the image to edit, the job shown, an earlier edit to reuse. */
  readonly upload = input<string | undefined>(undefined);
  readonly generation = input<string | undefined>(undefined);
  readonly image = input<string | undefined>(undefined);
  readonly job = input<string | undefined>(undefined);
  readonly reuse = input<string | undefined>(undefined);
  readonly seed = input<string | undefined>(undefined);

  protected readonly store = inject(EditStore);
  private readonly jobs = inject(GenerationStore);
  private readonly router = inject(Router);
  /** The mask canvas (by its template name, so a test can stand in for it). */
  private readonly canvas = viewChild<MaskCanvas>('canvas');
  /** The upload just made here, so opening it needs no second check. */
  private justUploaded?: UploadedImage;

  protected readonly source = this.store.source;
  /** The image as a list of one, so that another image gets a canvas of its own (no mask carried over). */
  protected readonly shown = computed(() => {
    const s = this.source();
    return s ? [s] : [];
  });
  protected readonly service = this.store.service;
  protected readonly current = this.jobs.job;
  protected readonly elapsed = this.jobs.elapsed;
  protected readonly running = this.jobs.running;
  protected readonly jobMessage = problemMessage(this.jobs.problem);
  protected readonly message = computed(() => {
    const p = this.store.problem();
    return p ? editorMessage(p) : undefined;
  });
  protected readonly groups = this.store.groups;
  protected readonly fitChoices = FIT_CHOICES;
  protected readonly sizeText = sizeText;
  protected readonly limits = computed(() => limitsText(this.service()));
  protected readonly canvasMode = computed(() =>
    takesMask(this.service()) ? 'mask' : extendsCanvas(this.service()) ? 'outpaint' : 'none',
  );
  protected readonly takesStyle = computed(() => takesStyleImage(this.service()));
  /** The fields the form draws (the outpaint sides are the canvas's). */
  protected readonly fields = computed(() =>
    this.service().params.filter((p) => !(extendsCanvas(this.service()) && SIDES.has(p.name))),
  );
  protected readonly extents = computed<OutpaintExtents>(() => {
    const v = this.store.values();
    const n = (k: string) => (typeof v[k] === 'number' ? (v[k] as number) : 0);
    return { left: n('left'), right: n('right'), up: n('up'), down: n('down') };
  });
  protected readonly outputSize = computed(() => {
    const size = this.store.outputSize();
    return size ? sizeText(size) : undefined;
  });
  /** The shown job's service, for how its results are drawn. */
  private readonly jobService = computed(() => {
    const job = this.current();
    return job ? this.store.groups.flatMap((g) => g.services).find((s) => s.id === job.modelId) : undefined;
  });
  /** A removed background: the result is drawn on a checkerboard. */
  protected readonly transparentResult = computed(
    () => this.jobService()?.id === 'stability.stable-image-remove-background-v1:0',
  );
  /** An upscale: the result's new size next to the input's. */
  protected readonly upscaled = computed(() => {
    const job = this.current();
    const image = job?.images[0];
    const from = this.store.size();
    if (this.jobService()?.kind !== 'upscale' || !image || !from) return undefined;
    return `Upscaled from ${sizeText(from)} to ${sizeText(image)}`;
  });

  constructor() {
    const handOver = this.router.currentNavigation()?.extras.state as UploadHandOver | undefined;
    this.justUploaded = handOver?.uploaded;
    // The image named in the URL (a reload, an "Edit" button, "Edit again" on a result).
    effect(() => {
      const upload = this.upload();
      const generation = this.generation();
      const image = this.image();
      untracked(() => {
        if (upload) this.store.openUpload(upload, this.justUploaded);
        else if (generation && image) this.store.openGenerated(generation, image);
        // "Choose another image": the page asks for one again.
        else this.store.show(undefined);
      });
    });
    this.store.readSummary();
    this.store.readServices();
  }

  ngOnInit(): void {
    const reuse = this.reuse();
    if (reuse) this.jobs.read(reuse, (job) => this.store.reuse(job, this.seed() === 'keep'));
    const job = this.job();
    if (job) this.jobs.resume(job, () => this.setQuery({ job: null }));
  }

  protected selectService(event: Event): void {
    this.store.selectService((event.target as HTMLSelectElement).value);
  }

  protected setText(p: ServiceParam, event: Event): void {
    this.store.setValue(p.name, (event.target as HTMLInputElement).value);
  }

  protected setNumber(p: ServiceParam, event: Event): void {
    const value = Number((event.target as HTMLInputElement).value);
    if (Number.isFinite(value)) this.store.setValue(p.name, value);
  }

  protected valueOf(p: ServiceParam): string | number {
    return this.store.values()[p.name] ?? '';
  }

  protected setExtents(extents: OutpaintExtents): void {
    for (const [side, value] of Object.entries(extents)) this.store.setValue(side, value);
  }

  protected maskChanged(change: MaskChange): void {
    this.store.maskPainted.set(change.hasMask);
  }

  /** The image did not load (its link probably expired): open it again, once, for a fresh link. */
  protected sourceFailed(): void {
    this.store.reopen();
  }

  protected setFit(mode: FitMode): void {
    this.store.fit.set(mode);
  }

  protected setCount(event: Event): void {
    this.store.count.set(Number((event.target as HTMLSelectElement).value));
  }

  protected setFormat(event: Event): void {
    this.store.outputFormat.set((event.target as HTMLSelectElement).value as OutputFormat);
  }

  protected setSeed(event: Event): void {
    this.store.seed.set((event.target as HTMLInputElement).value);
  }

  /** A file to edit: uploaded here, then named in the URL (a reload opens it again). */
  protected async uploadFile(file: File | Blob): Promise<void> {
    const uploaded = await this.store.upload(file);
    if (!uploaded) return;
    this.justUploaded = uploaded;
    this.setQuery({ upload: uploaded.uploadId, generation: null, image: null });
  }

  protected async uploadStyle(file: File): Promise<void> {
    await this.store.upload(file, true);
  }

  protected send(event?: Event): void {
    event?.preventDefault();
    void this.store.send(this.canvas(), (job) => this.setQuery({ job: job.id }));
  }

  protected download(image: GeneratedImage): void {
    this.jobs.download(image);
  }

  protected imageFailed(image: GeneratedImage): void {
    this.jobs.imageFailed(image);
  }

  private setQuery(queryParams: Record<string, string | null>): void {
    void this.router.navigate([], { queryParams, queryParamsHandling: 'merge', replaceUrl: true });
  }
}
