import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';

import {
  catalogEta,
  ErrorCode,
  GeneratedImage,
  Generation,
  MODEL_CATALOG,
  ModelInfo,
  problem,
} from '@imagegen/contracts';

import GenerationDetailPage from './generation-detail-page';

const ID = 'g0000000001';
const CORE = 'stability.stable-image-core-v1:1';
const ERASE = 'stability.stable-image-erase-object-v1:0';
const MINTED = Date.parse('2026-11-24T10:00:00Z');
const MODELS: ModelInfo[] = MODEL_CATALOG.map((m) => ({
  ...m,
  available: true,
  availability: 'available',
  eta: catalogEta(m, 4),
}));

function image(index: number, over: Partial<GeneratedImage> = {}): GeneratedImage {
  return {
    id: `i${index}`,
    index,
    url: `http://s3/${index}.png?X-Amz-Signature=1`,
    thumbnailUrl: `http://s3/${index}.webp?X-Amz-Signature=1`,
    urlExpiresAt: '2026-11-24T10:15:00Z',
    width: 1536,
    height: 1536,
    seed: 100 + index,
    bytes: 10,
    format: 'png',
    ...over,
  };
}

function job(over: Partial<Generation> = {}): Generation {
  return {
    id: ID,
    status: 'succeeded',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:09Z',
    modelId: CORE,
    request: {
      modelId: CORE,
      prompt: 'a <i>kite</i> over the sea',
      negativePrompt: 'blurry',
      aspectRatio: '16:9',
      count: 2,
      outputFormat: 'png',
    },
    images: [image(1), image(0)],
    estimatedCostUsd: 0.08,
    costUsd: 0.08,
    durationMs: 8400,
    source: 'model',
    expiresAt: '2026-12-24T10:00:00Z',
    ...over,
  };
}

let fixture: ComponentFixture<GenerationDetailPage>;
let http: HttpTestingController;
const el = () => fixture.nativeElement as HTMLElement;
const q = (id: string) => el().querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
const all = (id: string) => Array.from(el().querySelectorAll(`[data-testid="${id}"]`)) as HTMLElement[];

/** Opens the page without waiting on timers (works under fake timers too). */
function openNow(answer: Generation | null = job(), id = ID, lineage: Generation[] = []) {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  TestBed.configureTestingModule({
    providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
  });
  fixture = TestBed.createComponent(GenerationDetailPage);
  http = TestBed.inject(HttpTestingController);
  fixture.componentRef.setInput('id', id);
  fixture.detectChanges();
  if (answer) http.expectOne(`/api/generations/${id}`).flush(answer);
  fixture.detectChanges();
  flushLineage(lineage);
}

/** The edits made from the job (lineage): none, unless a test says otherwise. */
function flushLineage(items: Generation[] = []) {
  for (const r of http.match((r) => r.params.has('parent'))) if (!r.cancelled) r.flush({ items });
}

async function open(answer: Generation | null = job(), id = ID) {
  openNow(answer, id);
  await fixture.whenStable();
}

afterEach(() => {
  fixture.destroy();
  http.verify();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

/** The text as a browser shows it: runs of white space collapse to one, none at the ends. */
const shown = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim();

describe(GenerationDetailPage.name, () => {
  it('shows the full images by index with the prompt (as text), parameters, model, seeds, time, costs and retention', async () => {
    await open();
    expect(all('result-image').map((i) => (i as HTMLImageElement).src)).toEqual([
      'http://s3/0.png?X-Amz-Signature=1',
      'http://s3/1.png?X-Amz-Signature=1',
    ]);
    expect(all('image-seed').map((s) => s.textContent)).toEqual(['seed 100', 'seed 101']);
    expect(shown(q('detail-prompt'))).toBe('a <i>kite</i> over the sea');
    expect(el().querySelector('i')).toBeNull();
    expect(shown(q('detail-negative-prompt'))).toBe('blurry');
    expect(shown(q('detail-model'))).toBe('Stable Image Core');
    expect(shown(q('detail-aspect-ratio'))).toBe('16:9');
    expect(shown(q('detail-format'))).toBe('PNG');
    expect(shown(q('detail-count'))).toBe('2 of 2');
    expect(shown(q('detail-seed'))).toBe('100, 101 (random)');
    expect(shown(q('detail-duration'))).toBe('8.4 s');
    expect(shown(q('detail-estimated-cost'))).toBe('US$ 0.08');
    expect(shown(q('detail-cost'))).toBe('US$ 0.08');
    expect(shown(q('detail-expires'))).toBe(
      new Date('2026-12-24T10:00:00Z').toLocaleDateString(undefined, { dateStyle: 'medium' }),
    );
    expect(el().textContent).toContain('1536×1536');
  });

  it('shows a repeat from the store as such, with a link to the earlier job', async () => {
    await open(
      job({ source: 'store', repeatOf: 'g0000000000', costUsd: 0, request: { ...job().request, seed: 42 } }),
    );
    expect(q('detail-source')?.textContent).toContain('no model call, cost 0');
    expect(q('detail-repeat-of')?.getAttribute('href')).toBe('/gallery/g0000000000');
    expect(shown(q('detail-cost'))).toBe('US$ 0.00');
    expect(shown(q('detail-seed'))).toBe('42');
  });

  it('says which image failed and why', async () => {
    await open(
      job({
        images: [image(0)],
        failures: [{ index: 1, seed: 7, error: problem(ErrorCode.CONTENT_FILTERED) }],
        costUsd: 0.04,
      }),
    );
    expect(q('outcome')?.textContent).toBe('1 of 2 made · 1 blocked by the content filter');
    expect(q('image-failure')?.textContent).toContain('Blocked by the content filter: edit the prompt');
    expect(shown(q('detail-cost'))).toBe('US$ 0.04');
  });

  it('follows a running job live, images arriving by index, until it ends', () => {
    jest.useFakeTimers({ now: MINTED + 2000 });
    openNow(job({ status: 'running', images: [], costUsd: undefined, durationMs: undefined }));
    http.expectOne('/api/models').flush(MODELS);
    fixture.detectChanges();
    expect(q('status')?.textContent).toBe('Generating');
    expect(all('image-pending')).toHaveLength(2);
    expect(q('cancel')).not.toBeNull();
    expect(shown(q('detail-cost'))).toBe('known when it ends');
    expect(q('elapsed')?.textContent).toContain('2 s of about 6 s');

    // WHEN the second image arrives first, then the job ends
    jest.advanceTimersByTime(1000);
    http
      .expectOne(`/api/generations/${ID}`)
      .flush(job({ status: 'running', images: [image(1)], costUsd: undefined, updatedAt: 't2' }));
    fixture.detectChanges();
    expect(all('image-slot').map((s) => s.getAttribute('data-state'))).toEqual(['pending', 'made']);
    expect(q('elapsed')?.textContent).toContain('3 s of about 6 s');
    jest.advanceTimersByTime(1000);
    http.expectOne(`/api/generations/${ID}`).flush(job({ updatedAt: 't3' }));
    fixture.detectChanges();
    // THEN it shows as done, with both images and nothing left to cancel
    expect(q('status')?.textContent).toBe('Done');
    expect(all('result-image')).toHaveLength(2);
    expect(q('cancel')).toBeNull();
  });

  it('copies a share link and shows until when it works', async () => {
    jest.useFakeTimers({
      now: MINTED + 60_000,
      doNotFake: ['queueMicrotask', 'nextTick', 'setTimeout', 'requestAnimationFrame', 'setInterval'],
    });
    await open();
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    expect(all('link-expiry')[0].textContent).toMatch(/Link works until \d/);
    all('copy-link')[1].click();
    await fixture.whenStable();
    expect(writeText).toHaveBeenCalledWith('http://s3/1.png?X-Amz-Signature=1');
    expect(q('detail-notice')?.textContent).toMatch(/Link to image 2 copied: it works until .+\./);
  });

  it('reads the job again before its links expire, so a page left open keeps live links', () => {
    // GIVEN a fake clock at 10:00, links until 10:15
    jest.useFakeTimers({ now: MINTED });
    openNow();

    // WHEN 13 minutes pass, nothing is read; at a minute before expiry the job is read again
    jest.advanceTimersByTime(13 * 60_000);
    http.expectNone(`/api/generations/${ID}`);
    jest.advanceTimersByTime(60_000);
    http.expectOne(`/api/generations/${ID}`).flush(
      job({
        images: [
          image(0, { url: 'http://s3/0.png?X-Amz-Signature=2', urlExpiresAt: '2026-11-24T10:29:00Z' }),
          image(1, { urlExpiresAt: '2026-11-24T10:29:00Z' }),
        ],
      }),
    );
    fixture.detectChanges();
    // THEN the page shows the fresh link, and does it again before those expire
    expect((all('result-image')[0] as HTMLImageElement).src).toContain('Signature=2');
    jest.advanceTimersByTime(14 * 60_000);
    http.expectOne(`/api/generations/${ID}`).flush(job());
  });

  it('offers reuse with a new seed or the same seed', async () => {
    await open();
    expect(q('reuse')?.getAttribute('href')).toBe(`/?reuse=${ID}`);
    expect(q('reuse-seed')?.getAttribute('href')).toBe(`/?reuse=${ID}&seed=keep`);
  });

  it('shows where an edit came from, the edits made from a job, and reuses an edit in the editor', async () => {
    // GIVEN an inpaint of image i0 of another job
    const INPAINT = 'stability.stable-image-inpaint-v1:0';
    const edit = job({
      modelId: INPAINT,
      request: {
        modelId: INPAINT,
        prompt: 'a red kite',
        aspectRatio: '1:1',
        count: 1,
        outputFormat: 'png',
        edit: {
          serviceId: INPAINT,
          image: { generationId: 'g0000000000', imageId: 'i0' },
          mask: { uploadId: 'up0123456789' },
          params: { prompt: 'a red kite' },
          fit: 'reject',
        },
      },
      images: [image(0)],
    });
    // AND one edit made from it since
    openNow(edit, ID, [
      job({ id: 'g0000000002', modelId: 'stability.stable-fast-upscale-v1:0', images: [image(0)] }),
    ]);
    await fixture.whenStable();

    // THEN the page links to the parent job, lists the edit by its service, and Reuse opens the editor
    expect(q('made-from-link')?.getAttribute('href')).toBe('/gallery/g0000000000');
    expect(all('lineage-edit').map((a) => [shown(a), a.getAttribute('href')])).toEqual([
      ['Fast upscale', '/gallery/g0000000002'],
    ]);
    expect(shown(q('detail-model'))).toBe('Inpaint');
    expect(q('reuse')?.getAttribute('href')).toBe(`/edit?reuse=${ID}`);
    // AND each image can be edited
    expect(q('edit-image')?.getAttribute('href')).toBe(`/edit?generation=${ID}&image=i0`);
  });

  it('shows the upload an edit was made from, by the copy the job keeps', async () => {
    // GIVEN an erase of an upload (the upload itself is deleted after a day; the job keeps a copy)
    await open(
      job({
        modelId: ERASE,
        request: {
          modelId: ERASE,
          prompt: '',
          aspectRatio: '1:1',
          count: 1,
          outputFormat: 'png',
          edit: { serviceId: ERASE, image: { uploadId: 'up0123456789' }, params: {}, fit: 'reject' },
        },
        inputs: { image: { url: 'http://s3/kept-image?sig', urlExpiresAt: '2026-11-24T10:15:00Z' } },
      }),
    );
    // THEN it says so with that copy as a decorative thumbnail, and links to no parent
    expect(shown(q('made-from-upload'))).toBe('Made from your upload');
    const thumb = q('made-from-upload')?.querySelector('img');
    expect([thumb?.getAttribute('src'), thumb?.getAttribute('alt')]).toEqual([
      'http://s3/kept-image?sig',
      '',
    ]);
    expect(q('made-from')).toBeNull();
  });

  it('says nothing of lineage for a generation nothing was made from', async () => {
    await open();
    expect(q('made-from')).toBeNull();
    expect(q('lineage-edits')).toBeNull();
  });

  it('cancels a running job', async () => {
    await open(job({ status: 'queued', images: [], costUsd: undefined }));
    http.expectOne('/api/models').flush(MODELS);
    q('cancel')?.click();
    const post = http.expectOne(`/api/generations/${ID}/cancel`);
    expect(post.request.method).toBe('POST');
    post.flush(job({ status: 'cancelled', images: [], costUsd: 0 }));
    await fixture.whenStable();
    expect(q('status')?.textContent).toBe('Cancelled');
    expect(shown(q('detail-notice'))).toBe('Cancelled.');
  });

  it('deletes after a confirmation, then goes back to the gallery', async () => {
    await open();
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    jest.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    q('delete')?.click();
    http.expectNone(`/api/generations/${ID}`);
    q('delete')?.click();
    const del = http.expectOne(`/api/generations/${ID}`);
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    expect(navigate).toHaveBeenCalledWith(['/gallery']);
  });

  it('says so when the job does not exist', async () => {
    await open(null);
    http
      .expectOne(`/api/generations/${ID}`)
      .flush(problem(ErrorCode.NOT_FOUND), { status: 404, statusText: 'Not Found' });
    await fixture.whenStable();
    expect(q('error-banner')?.textContent).toContain('does not exist');
  });

  it('sends nothing for an id that cannot be one', async () => {
    await open(null, '..%2Fetc');
    expect(q('error-banner')?.textContent).toContain('does not exist');
  });
});
