import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ChangeDetectionStrategy, Component, input, model, output } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { of, throwError } from 'rxjs';

import {
  EditImageRequest,
  ErrorCode,
  GeneratedImage,
  Generation,
  IMAGE_SERVICES,
  OwnerSummary,
  problem,
  ServiceInfo,
  UploadedImage,
} from '@imagegen/contracts';
import { MaskCanvas, MaskChange, NO_EXTENTS, OutpaintExtents } from '@imagegen/web/ui';

import EditPage from './edit-page';
import { EDITS_CLIENT, EditsClient } from './edits-client';

const GEN = 'g0000000001';
const INPAINT = 'stability.stable-image-inpaint-v1:0';
const REMOVE_BG = 'stability.stable-image-remove-background-v1:0';
const FAST = 'stability.stable-fast-upscale-v1:0';
const STYLE_TRANSFER = 'stability.stable-style-transfer-v1:0';

function image(over: Partial<GeneratedImage> = {}): GeneratedImage {
  return {
    id: 'im0000000001',
    index: 0,
    url: 'http://s3/i0.png?X-Amz-Signature=1',
    urlExpiresAt: '2026-11-24T10:15:00Z',
    width: 800,
    height: 600,
    seed: 7,
    bytes: 10,
    format: 'png',
    ...over,
  };
}

function job(over: Partial<Generation> = {}): Generation {
  return {
    id: GEN,
    status: 'succeeded',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:09Z',
    modelId: 'stability.stable-image-core-v1:1',
    request: {
      modelId: 'stability.stable-image-core-v1:1',
      prompt: 'a kite',
      aspectRatio: '1:1',
      count: 1,
      outputFormat: 'png',
    },
    images: [image()],
    estimatedCostUsd: 0.04,
    ...over,
  };
}

function uploaded(over: Partial<UploadedImage> = {}): UploadedImage {
  return {
    uploadId: 'up0123456789',
    width: 1024,
    height: 768,
    format: 'png',
    hasAlpha: false,
    bytes: 2000,
    url: 'http://s3/uploads/up0123456789?X-Amz-Signature=1',
    urlExpiresAt: '2026-11-24T10:15:00Z',
    ...over,
  };
}

const SUMMARY: OwnerSummary = {
  retentionDays: 30,
  presignExpirySeconds: 900,
  month: '2026-11',
  spentUsd: 1,
  images: 3,
  budgets: [{ name: 'owner-daily', limitUsd: 2, spentUsd: 1.5, remainingUsd: 0.5 } as never],
};

/** The mask canvas as the page sees it (jsdom draws no canvas): "paint" marks a mask, whose PNG is MASK_PNG. */
const MASK_PNG = new Blob(['mask'], { type: 'image/png' });
@Component({
  selector: 'ig-mask-canvas',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<img data-testid="mask-image" [src]="imageUrl()" alt="" /><button
      type="button"
      data-testid="fake-paint"
      (click)="paint()"
    >
      paint</button
    ><span data-testid="fake-mode">{{ mode() }}</span>`,
})
class FakeMaskCanvas {
  readonly imageUrl = input.required<string>();
  readonly imageWidth = input.required<number>();
  readonly imageHeight = input.required<number>();
  readonly mode = input('mask');
  readonly extents = model<OutpaintExtents>(NO_EXTENTS);
  readonly maskChange = output<MaskChange>();
  readonly imageError = output<void>();
  private painted = false;
  hasMask(): boolean {
    return this.painted;
  }
  exportMask(): Promise<Blob> {
    return Promise.resolve(MASK_PNG);
  }
  protected paint(): void {
    this.painted = true;
    this.maskChange.emit({ hasMask: true, canUndo: true, canRedo: false });
  }
}

let fixture: ComponentFixture<EditPage>;
let http: HttpTestingController;
let client: jest.Mocked<EditsClient>;
let navigate: jest.SpyInstance;
const el = () => fixture.nativeElement as HTMLElement;
const q = <T extends HTMLElement = HTMLElement>(id: string) =>
  el().querySelector(`[data-testid="${id}"]`) as T | null;
/** An element the test needs: fails the test, with its id, when missing. */
function get<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = q<T>(id);
  if (!found) throw new Error(`no [data-testid="${id}"] on the page`);
  return found;
}
const shown = (e: Element | null | undefined) => e?.textContent?.replace(/\s+/g, ' ').trim();

/** What GET /api/services answers when the page opens (none measured: the catalog's figures). */
let servicesAnswer: ServiceInfo[] = [];

async function open(
  query: Record<string, string> = {},
  before?: (c: jest.Mocked<EditsClient>) => void,
  navigationState?: Record<string, unknown>,
) {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  client = {
    upload: jest.fn(),
    check: jest.fn(),
    create: jest.fn(),
    measure: jest.fn(),
  };
  before?.(client);
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([]),
      { provide: EDITS_CLIENT, useValue: client },
    ],
  });
  TestBed.overrideComponent(EditPage, {
    remove: { imports: [MaskCanvas] },
    add: { imports: [FakeMaskCanvas] },
  });
  const router = TestBed.inject(Router);
  navigate = jest.spyOn(router, 'navigate').mockResolvedValue(true);
  // The navigation that opens the page, with what the page before handed over.
  if (navigationState)
    Object.defineProperty(router, 'currentNavigation', {
      value: () => ({ extras: { state: navigationState } }),
      configurable: true,
    });
  fixture = TestBed.createComponent(EditPage);
  http = TestBed.inject(HttpTestingController);
  for (const [k, v] of Object.entries(query)) fixture.componentRef.setInput(k, v);
  fixture.detectChanges();
  for (const r of http.match('/api/summary')) r.flush(SUMMARY);
  for (const r of http.match('/api/services')) r.flush(servicesAnswer);
  await fixture.whenStable();
}

/** Opens the editor on generated image i0 (800 × 600) of job GEN. */
async function openOnImage(over: Partial<GeneratedImage> = {}) {
  await open({ generation: GEN, image: 'im0000000001' });
  http.expectOne(`/api/generations/${GEN}`).flush(job({ images: [image(over)] }));
  await fixture.whenStable();
}

async function pick(serviceId: string) {
  const select = get<HTMLSelectElement>('service-select');
  select.value = serviceId;
  select.dispatchEvent(new Event('change'));
  await fixture.whenStable();
}

async function type(testId: string, value: string) {
  const box = get<HTMLTextAreaElement>(testId);
  box.value = value;
  box.dispatchEvent(new Event('input'));
  await fixture.whenStable();
}

/** Lets the page's promises (upload, mask export, send) run, then renders. */
async function settle() {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  await fixture.whenStable();
}

afterEach(() => {
  servicesAnswer = [];
  fixture.destroy();
  http.verify();
  jest.restoreAllMocks();
});

describe(EditPage.name, () => {
  it('opens on a generated image and builds the form of the service picked from the catalog', async () => {
    await openOnImage();

    // THEN the image and its size show, with inpaint's fields, limits, cost, time and the budget left
    expect(shown(q('source-size'))).toBe('800 × 600 px');
    expect(q<HTMLSelectElement>('service-select')?.value).toBe(INPAINT);
    const groups = Array.from(el().querySelectorAll('optgroup')).map((g) => g.label);
    expect(groups).toEqual(['Edit', 'Control', 'Upscale']);
    expect(q('param-prompt')?.tagName).toBe('TEXTAREA');
    const grow = get<HTMLInputElement>('param-grow_mask');
    expect([grow.type, grow.min, grow.max, grow.step, grow.value]).toEqual(['range', '0', '20', '1', '5']);
    expect(q<HTMLSelectElement>('param-style_preset')?.options.length).toBe(18);
    expect(shown(q('input-limits'))).toContain('sides at least 64 px');
    expect(shown(q('cost'))).toBe('≈ US$ 0.07');
    expect(shown(q('eta'))).toBe('about 8 s');
    expect(shown(q('budget-left'))).toBe('US$ 0.50 left today');
    expect(shown(q('output-size'))).toBe('800 × 600 px');
  });

  it("shows the time this deployment measured for the service, the catalog's for one it has not", async () => {
    // GIVEN a deployment that measured inpaint at 3 s an image, and not fast upscale
    const fast = IMAGE_SERVICES.find((s) => s.id === FAST);
    servicesAnswer = [
      {
        id: INPAINT,
        eta: { p50Seconds: 3, p90Seconds: 4, samples: 20, source: 'measured', parallelism: 4 },
      },
    ];
    await openOnImage();
    // THEN inpaint's time is the measured one, fast upscale's its catalog figure
    expect(shown(q('eta'))).toBe('about 3 s');
    await pick(FAST);
    expect(shown(q('eta'))).toBe(`about ${fast?.expectedSecondsPerImage} s`);
  });

  it('shows the size an upscale will have, and the limits with a fit for an image outside them', async () => {
    await openOnImage();
    await pick(FAST);
    expect(shown(q('output-size'))).toBe('3200 × 2400 px');
    expect(q('param-prompt')).toBeNull();
    expect(shown(q('cost'))).toBe('≈ US$ 0.03');
    expect(q('limit-violations')).toBeNull();
  });

  it('offers to fit an image outside the limits, and sends only once a fit is picked', async () => {
    await openOnImage({ width: 2048, height: 2048 });
    client.create.mockReturnValue(of(job({ id: 'g0000000002', status: 'queued', images: [] })));
    await pick(FAST);

    expect(shown(q('limit-violations'))).toContain('each side must be at most 1,536 px');
    expect(q<HTMLButtonElement>('send-edit')?.disabled).toBe(true);

    get<HTMLInputElement>('fit-downscale').click();
    await fixture.whenStable();
    expect(q<HTMLButtonElement>('send-edit')?.disabled).toBe(false);
    get('send-edit').click();
    await settle();
    const [request] = client.create.mock.calls[0] as [EditImageRequest, string];
    expect(request).toMatchObject({ serviceId: FAST, fit: 'downscale', image: { generationId: GEN } });
    http.expectOne('/api/generations/g0000000002').flush(job({ id: 'g0000000002', modelId: FAST }));
    for (const r of http.match('/api/summary')) r.flush(SUMMARY);
  });

  it('keeps the prompt across services and says what a field needs, sending nothing', async () => {
    await openOnImage();
    await pick(REMOVE_BG);
    await pick('stability.stable-image-control-sketch-v1:0');
    get('send-edit').click();
    await settle();
    expect(shown(q('field-error-params.prompt'))).toBe('Prompt is needed for Sketch to image.');
    expect(client.create).not.toHaveBeenCalled();

    await type('param-prompt', 'a castle');
    await pick('stability.stable-image-control-structure-v1:0');
    expect(q<HTMLTextAreaElement>('param-prompt')?.value).toBe('a castle');
  });

  it('asks for a painted mask before an inpaint of an opaque image', async () => {
    await openOnImage();
    await type('param-prompt', 'a red kite');
    expect(shown(q('edit-blockers'))).toContain('Paint over the area to change.');
    expect(q<HTMLButtonElement>('send-edit')?.disabled).toBe(true);
  });

  it('sends an inpaint with the painted mask: the mask is uploaded first, then the edit names it', async () => {
    await openOnImage();
    expect(shown(q('fake-mode'))).toBe('mask');
    await type('param-prompt', 'a red kite');
    get('fake-paint').click();
    await fixture.whenStable();
    expect(q('edit-blockers')).toBeNull();
    client.upload.mockResolvedValue(uploaded({ uploadId: 'up5555555555' }));
    client.create.mockReturnValue(of(job({ id: 'g0000000005', status: 'queued', images: [] })));

    get('send-edit').click();
    await settle();

    expect(client.upload.mock.calls[0][0]).toBe(MASK_PNG);
    expect(client.create.mock.calls[0][0]).toMatchObject({
      serviceId: INPAINT,
      image: { generationId: GEN, imageId: 'im0000000001' },
      mask: { uploadId: 'up5555555555' },
      params: { prompt: 'a red kite', grow_mask: 5 },
    });
    http.expectOne('/api/generations/g0000000005').flush(job({ id: 'g0000000005' }));
    for (const r of http.match('/api/summary')) r.flush(SUMMARY);
  });

  it('starts another image ("Edit again") with no mask painted', async () => {
    await openOnImage();
    await type('param-prompt', 'a red kite');
    get('fake-paint').click();
    await fixture.whenStable();
    expect(q('edit-blockers')).toBeNull();

    fixture.componentRef.setInput('generation', 'g0000000002');
    fixture.componentRef.setInput('image', 'im0000000002');
    await fixture.whenStable();
    http
      .expectOne('/api/generations/g0000000002')
      .flush(job({ id: 'g0000000002', images: [image({ id: 'im0000000002', url: 'http://s3/r.png' })] }));
    await fixture.whenStable();
    expect(get<HTMLImageElement>('mask-image').src).toBe('http://s3/r.png');
    expect(shown(q('edit-blockers'))).toContain('Paint over the area to change.');
  });

  it('lets the canvas set the outpaint sides, and shows the grown size', async () => {
    await openOnImage();
    await pick('stability.stable-outpaint-v1:0');
    expect(shown(q('fake-mode'))).toBe('outpaint');
    // The sides are the canvas's (handles and boxes), not the form's.
    expect(q('param-left')).toBeNull();
    const canvas = fixture.debugElement.query((d) => d.componentInstance instanceof FakeMaskCanvas)
      .componentInstance as FakeMaskCanvas;
    canvas.extents.set({ left: 100, right: 0, up: 0, down: 50 });
    await fixture.whenStable();
    expect(shown(q('output-size'))).toBe('900 × 650 px');
  });

  it('sends a background removal, follows the job, and shows its result on a checkerboard with Edit again', async () => {
    await openOnImage();
    await pick(REMOVE_BG);
    client.create.mockReturnValue(
      of(job({ id: 'g0000000002', status: 'queued', modelId: REMOVE_BG, images: [] })),
    );
    get('send-edit').click();
    await settle();

    // THEN the edit is sent once with its own idempotency key, and the job goes into the URL
    expect(client.create).toHaveBeenCalledTimes(1);
    const [request, key] = client.create.mock.calls[0] as [EditImageRequest, string];
    expect(request).toEqual({
      serviceId: REMOVE_BG,
      image: { generationId: GEN, imageId: 'im0000000001' },
      params: {},
      count: 1,
      outputFormat: 'png',
    });
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(navigate).toHaveBeenCalledWith(
      [],
      expect.objectContaining({ queryParams: { job: 'g0000000002' } }),
    );

    // AND the result shows as it is made, on a checkerboard, with "Edit again" on it
    http
      .expectOne('/api/generations/g0000000002')
      .flush(job({ id: 'g0000000002', modelId: REMOVE_BG, images: [image({ id: 'im0000000002' })] }));
    for (const r of http.match('/api/summary')) r.flush(SUMMARY);
    await fixture.whenStable();
    expect(el().querySelector('.job__images--transparent [data-testid="result-image"]')).not.toBeNull();
    const again = q('edit-image');
    expect(shown(again)).toBe('Edit again image 1');
    expect(again?.getAttribute('href')).toBe('/edit?generation=g0000000002&image=im0000000002');
  });

  it('shows an upscale result with its new size', async () => {
    await openOnImage();
    await pick(FAST);
    client.create.mockReturnValue(of(job({ id: 'g0000000003', status: 'queued', images: [] })));
    get('send-edit').click();
    await settle();
    http
      .expectOne('/api/generations/g0000000003')
      .flush(job({ id: 'g0000000003', modelId: FAST, images: [image({ width: 3200, height: 2400 })] }));
    for (const r of http.match('/api/summary')) r.flush(SUMMARY);
    await fixture.whenStable();
    expect(shown(q('upscaled-size'))).toBe('Upscaled from 800 × 600 px to 3200 × 2400 px');
  });

  it('uploads a file with its progress, shows its checked size and names it in the URL', async () => {
    await open();
    let report: ((f: number) => void) | undefined;
    let finish: ((u: UploadedImage) => void) | undefined;
    client.upload.mockImplementation((_file, onProgress) => {
      report = onProgress;
      return new Promise((resolve) => (finish = resolve));
    });
    const input = get<HTMLInputElement>('upload-input');
    const file = new File([new Uint8Array(10)], 'photo.png', { type: 'image/png' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    await fixture.whenStable();

    report?.(0.4);
    await fixture.whenStable();
    expect(q('upload-progress')?.getAttribute('aria-label')).toBe('Uploading: 40 %');

    finish?.(uploaded());
    await settle();
    expect(client.upload.mock.calls[0][0]).toBe(file);
    expect(shown(q('source-size'))).toBe('1024 × 768 px');
    expect(navigate).toHaveBeenCalledWith(
      [],
      expect.objectContaining({ queryParams: { upload: 'up0123456789', generation: null, image: null } }),
    );
  });

  it('says clearly why an upload was refused', async () => {
    await open();
    client.upload.mockRejectedValue(
      problem(ErrorCode.INPUT_IMAGE_TYPE, 'The file is not a JPEG, PNG or WebP image.'),
    );
    const input = get<HTMLInputElement>('upload-input');
    Object.defineProperty(input, 'files', {
      value: [new File(['%PDF'], 'fake.png', { type: 'image/png' })],
      configurable: true,
    });
    input.dispatchEvent(new Event('change'));
    await settle();
    expect(q('error-banner')?.querySelector('strong')?.textContent).toBe('Not a JPEG, PNG or WebP image');
    expect(shown(q('error-banner'))).toContain('whatever its name says');
    expect(q('source-size')).toBeNull();
  });

  it('says a refused file is too large as a file, not as a prompt', async () => {
    await open();
    client.upload.mockRejectedValue(problem(ErrorCode.PAYLOAD_TOO_LARGE));
    const input = get<HTMLInputElement>('upload-input');
    Object.defineProperty(input, 'files', {
      value: [new File([new Uint8Array(4)], 'huge.png', { type: 'image/png' })],
      configurable: true,
    });
    input.dispatchEvent(new Event('change'));
    await settle();
    expect(shown(q('error-banner'))).toContain('Files up to 30 MB can be edited');
  });

  it('opens the image the create page has just uploaded and checked without checking it again', async () => {
    await open({ upload: 'up0123456789' }, undefined, { uploaded: uploaded({ width: 640, height: 480 }) });
    expect(client.check).not.toHaveBeenCalled();
    expect(shown(q('source-size'))).toBe('640 × 480 px');
  });

  it('opens an upload named in the URL by checking it again', async () => {
    await open({ upload: 'up0123456789' }, (c) => c.check.mockReturnValue(of(uploaded())));
    expect(client.check).toHaveBeenCalledWith('up0123456789');
    expect(shown(q('source-size'))).toBe('1024 × 768 px');
  });

  it('says when an upload in the URL is not found (another owner’s id is a plain 404)', async () => {
    await open({ upload: 'up0123456789' }, (c) =>
      c.check.mockReturnValue(throwError(() => problem(ErrorCode.NOT_FOUND))),
    );
    expect(shown(q('error-banner'))).toContain('Not found');
    expect(q('edit-canvas')).toBeNull();
  });

  it('needs a style image for style transfer, and sends it', async () => {
    await openOnImage();
    await pick(STYLE_TRANSFER);
    expect(shown(q('edit-blockers'))).toContain('Choose a style image.');
    client.upload.mockResolvedValue(uploaded({ uploadId: 'up9999999999' }));
    const input = get<HTMLInputElement>('style-upload-input');
    Object.defineProperty(input, 'files', {
      value: [new File([new Uint8Array(4)], 'style.png', { type: 'image/png' })],
      configurable: true,
    });
    input.dispatchEvent(new Event('change'));
    await settle();
    expect(q('style-preview')).not.toBeNull();
    // The main image stays the one being edited.
    expect(shown(q('source-size'))).toBe('800 × 600 px');

    client.create.mockReturnValue(of(job({ id: 'g0000000004', status: 'queued', images: [] })));
    get('send-edit').click();
    await settle();
    expect(client.create.mock.calls[0][0]).toMatchObject({
      serviceId: STYLE_TRANSFER,
      image: { generationId: GEN, imageId: 'im0000000001' },
      styleImage: { uploadId: 'up9999999999' },
    });
    http.expectOne('/api/generations/g0000000004').flush(job({ id: 'g0000000004' }));
    for (const r of http.match('/api/summary')) r.flush(SUMMARY);
  });
});
