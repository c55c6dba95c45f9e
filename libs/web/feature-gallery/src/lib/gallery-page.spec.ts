import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { ErrorCode, GeneratedImage, Generation, OwnerSummary, problem } from '@imagegen/contracts';
import { MAX_CONCURRENT_REREADS } from '@imagegen/web/data-access';

import GalleryPage from './gallery-page';

const MINTED = Date.parse('2026-11-24T10:00:00Z');

function image(id: string, over: Partial<GeneratedImage> = {}): GeneratedImage {
  return {
    id: `${id}-i`,
    index: 0,
    url: `http://s3/${id}.png?X-Amz-Signature=1`,
    thumbnailUrl: `http://s3/${id}.thumb.webp?X-Amz-Signature=1`,
    urlExpiresAt: '2026-11-24T10:15:00Z',
    width: 1536,
    height: 1536,
    seed: 7,
    bytes: 10,
    format: 'png',
    ...over,
  };
}

function job(id: string, over: Partial<Generation> = {}): Generation {
  return {
    id,
    status: 'succeeded',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:05Z',
    modelId: 'stability.stable-image-core-v1:1',
    request: {
      modelId: 'stability.stable-image-core-v1:1',
      prompt: `prompt ${id}`,
      aspectRatio: '1:1',
      count: 1,
      outputFormat: 'png',
    },
    images: [image(id)],
    estimatedCostUsd: 0.04,
    costUsd: 0.04,
    durationMs: 1200,
    ...over,
  };
}

const SUMMARY: OwnerSummary = {
  retentionDays: 30,
  presignExpirySeconds: 900,
  month: '2026-11',
  spentUsd: 1.24,
  images: 31,
};

let fixture: ComponentFixture<GalleryPage>;
let http: HttpTestingController;
const el = () => fixture.nativeElement as HTMLElement;
const items = () => Array.from(el().querySelectorAll('[data-testid="gallery-item"]'));
const byId = (item: Element, id: string) => item.querySelector(`[data-testid="${id}"]`) as HTMLElement;

async function open(first: Generation[] = [job('b'), job('a')], nextCursor: string | undefined = 'g1.a') {
  TestBed.configureTestingModule({
    providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
  });
  fixture = TestBed.createComponent(GalleryPage);
  http = TestBed.inject(HttpTestingController);
  fixture.detectChanges();
  http
    .expectOne((r) => r.url === '/api/generations' && !r.params.has('cursor'))
    .flush({ items: first, ...(nextCursor ? { nextCursor } : {}) });
  http.expectOne('/api/summary').flush(SUMMARY);
  await fixture.whenStable();
}

afterEach(() => {
  http.verify();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe(GalleryPage.name, () => {
  it('lists the jobs newest first with their images, and loads the next page on demand', async () => {
    await open();
    expect(items().map((i) => i.querySelector('.tile__prompt')?.textContent)).toEqual([
      'prompt b',
      'prompt a',
    ]);
    (el().querySelector('[data-testid="load-more"]') as HTMLButtonElement).click();
    http
      .expectOne((r) => r.params.get('cursor') === 'g1.a')
      .flush({
        items: [job('0', { status: 'failed', images: [], error: problem(ErrorCode.CONTENT_FILTERED) })],
      });
    await fixture.whenStable();
    expect(items()).toHaveLength(3);
    expect(items()[2].textContent).toContain('Blocked by the content filter');
    expect(el().querySelector('[data-testid="load-more"]')).toBeNull();
  });

  it('draws tiles from thumbnails, never the full image, falling back to the image on older jobs', async () => {
    await open([job('b'), job('a', { images: [image('a', { thumbnailUrl: undefined })] })]);
    const srcs = items().map((i) => (byId(i, 'gallery-image') as HTMLImageElement).src);
    expect(srcs).toEqual(['http://s3/b.thumb.webp?X-Amz-Signature=1', 'http://s3/a.png?X-Amz-Signature=1']);
  });

  it('shows how long images are kept and what was spent this month', async () => {
    await open();
    expect(el().querySelector('[data-testid="retention-note"]')?.textContent).toContain(
      'Images are kept for 30 days, then deleted.',
    );
    expect(el().querySelector('[data-testid="month-spent"]')?.textContent?.replace(/\s+/g, ' ')).toContain(
      'Spent in November 2026: US$ 1.24 · 31 images made',
    );
  });

  it('shows a partial success, the real cost, a free repeat, and a cancelled job as such', async () => {
    await open([
      job('p', {
        request: { ...job('p').request, count: 4 },
        images: [image('p'), image('q', { index: 1 }), image('r', { index: 3 })],
        failures: [{ index: 2, seed: 9, error: problem(ErrorCode.CONTENT_FILTERED) }],
        costUsd: 0.12,
        estimatedCostUsd: 0.16,
      }),
      job('s', { source: 'store', repeatOf: 'p', costUsd: 0 }),
      job('c', { status: 'cancelled', images: [], costUsd: undefined }),
    ]);
    const [partial, repeat, cancelled] = items();
    expect(byId(partial, 'tile-outcome').textContent).toBe('3 of 4 made · 1 blocked by the content filter');
    expect(byId(partial, 'tile-cost').textContent).toBe('US$ 0.12');
    expect(byId(repeat, 'tile-repeat').textContent).toContain('no model call, cost 0');
    expect(byId(repeat, 'tile-cost').textContent).toBe('US$ 0.00 (no model call)');
    expect(byId(cancelled, 'tile-status').textContent).toBe('Cancelled');
    expect(cancelled.getAttribute('data-status')).toBe('cancelled');
    expect(byId(cancelled, 'cancel')).toBeNull();
  });

  it('opens a job’s detail view from its tile', async () => {
    await open();
    expect(byId(items()[0], 'open-detail').getAttribute('href')).toBe('/gallery/b');
  });

  it('offers Edit on a tile with an image, opening the editor on its first image; an edit is reused in the editor', async () => {
    const EDIT = 'stability.stable-image-erase-object-v1:0';
    const erase = job('c', {
      modelId: EDIT,
      request: {
        modelId: EDIT,
        prompt: '',
        aspectRatio: '1:1',
        count: 1,
        outputFormat: 'png',
        edit: { serviceId: EDIT, image: { uploadId: 'up0123456789' }, params: {}, fit: 'reject' },
      },
    });
    await open([erase, job('b', { status: 'running', images: [] })]);
    const [edited, running] = items();
    expect(byId(edited, 'edit-image').getAttribute('href')).toBe(`/edit?generation=c&image=${image('c').id}`);
    expect(byId(edited, 'reuse').getAttribute('href')).toBe('/edit?reuse=c');
    expect(edited.textContent).toContain('Erase');
    expect(byId(running, 'edit-image')).toBeNull();
    expect(byId(running, 'reuse').getAttribute('href')).toBe('/?reuse=b');
  });

  it('cancels a running job and shows it cancelled', async () => {
    await open([job('r', { status: 'running', images: [], costUsd: undefined })]);
    byId(items()[0], 'cancel').click();
    const post = http.expectOne('/api/generations/r/cancel');
    expect(post.request.method).toBe('POST');
    post.flush(job('r', { status: 'cancelled', images: [] }));
    await fixture.whenStable();
    expect(byId(items()[0], 'tile-status').textContent).toBe('Cancelled');
    expect(byId(items()[0], 'cancel')).toBeNull();
  });

  it('deletes a job after confirmation', async () => {
    await open();
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    byId(items()[0], 'delete').click();
    const del = http.expectOne('/api/generations/b');
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(items()).toHaveLength(1);
  });

  it('keeps a job when the deletion is not confirmed', async () => {
    await open();
    jest.spyOn(window, 'confirm').mockReturnValue(false);
    byId(items()[0], 'delete').click();
    http.expectNone('/api/generations/b');
  });

  it('fetches fresh links when an image link has expired, once per link', async () => {
    await open();
    byId(items()[0], 'gallery-image').dispatchEvent(new Event('error'));
    http
      .expectOne('/api/generations/b')
      .flush(
        job('b', { images: [image('b', { thumbnailUrl: 'http://s3/b.thumb.webp?X-Amz-Signature=2' })] }),
      );
    await fixture.whenStable();
    expect((byId(items()[0], 'gallery-image') as HTMLImageElement).src).toContain('Signature=2');
    // an image that is really gone does not loop
    byId(items()[0], 'gallery-image').dispatchEvent(new Event('error'));
    http
      .expectOne('/api/generations/b')
      .flush(
        job('b', { images: [image('b', { thumbnailUrl: 'http://s3/b.thumb.webp?X-Amz-Signature=2' })] }),
      );
    await fixture.whenStable();
    byId(items()[0], 'gallery-image').dispatchEvent(new Event('error'));
    http.expectNone('/api/generations/b');
  });

  it('re-reads expired links a few jobs at a time when many tiles fail at once', async () => {
    // GIVEN 12 tiles whose links all expired while the page was open
    await open(
      Array.from({ length: 12 }, (_, i) => job(`j${i}`)),
      undefined,
    );
    // WHEN every image fails to load
    for (const item of items()) byId(item, 'gallery-image').dispatchEvent(new Event('error'));
    // THEN only a few reads run at once, and every tile gets its fresh link
    let reads = 0;
    for (
      let open = http.match((r) => r.url.startsWith('/api/generations/'));
      open.length > 0;
      open = http.match((r) => r.url.startsWith('/api/generations/'))
    ) {
      expect(open.length).toBeLessThanOrEqual(MAX_CONCURRENT_REREADS);
      for (const r of open) {
        const id = r.request.url.split('/').pop() as string;
        r.flush(
          job(id, {
            images: [image(id, { thumbnailUrl: `http://s3/${id}.thumb.webp?X-Amz-Signature=fresh` })],
          }),
        );
        reads++;
      }
    }
    await fixture.whenStable();
    expect(reads).toBe(12);
    expect(items().every((i) => (byId(i, 'gallery-image') as HTMLImageElement).src.endsWith('fresh'))).toBe(
      true,
    );
  });

  it('copies a live link after an hour open: the job is read again first, and the expiry is shown', async () => {
    // GIVEN a gallery opened at 10:00 (links until 10:15), still open at 11:00 (a fake clock)
    await open();
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    jest.useFakeTimers({
      now: MINTED + 60 * 60_000,
      doNotFake: ['queueMicrotask', 'nextTick', 'setTimeout', 'requestAnimationFrame', 'setInterval'],
    });
    // WHEN copy link is pressed
    byId(items()[0], 'copy-link').click();
    // THEN the job is read again and its fresh link copied, with when it stops working
    http.expectOne('/api/generations/b').flush(
      job('b', {
        images: [
          image('b', {
            url: 'http://s3/b.png?X-Amz-Signature=fresh',
            urlExpiresAt: '2026-11-24T11:15:00Z',
          }),
        ],
      }),
    );
    await fixture.whenStable();
    expect(writeText).toHaveBeenCalledWith('http://s3/b.png?X-Amz-Signature=fresh');
    expect(el().querySelector('[data-testid="gallery-notice"]')?.textContent).toMatch(
      /Link copied: it works until .+/,
    );
  });

  it('copies the link at once while it is still live', async () => {
    await open();
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    jest.useFakeTimers({
      now: MINTED + 5 * 60_000,
      doNotFake: ['queueMicrotask', 'nextTick', 'setTimeout', 'requestAnimationFrame', 'setInterval'],
    });
    byId(items()[0], 'copy-link').click();
    await fixture.whenStable();
    http.expectNone('/api/generations/b');
    expect(writeText).toHaveBeenCalledWith('http://s3/b.png?X-Amz-Signature=1');
  });

  it('downloads with a live link, named after the prompt and seed', async () => {
    await open();
    const fetchMock = jest.fn().mockResolvedValue({ ok: true, blob: async () => new Blob(['x']) });
    Object.defineProperty(globalThis, 'fetch', { value: fetchMock, configurable: true });
    Object.defineProperty(URL, 'createObjectURL', { value: () => 'blob:x', configurable: true });
    Object.defineProperty(URL, 'revokeObjectURL', { value: () => undefined, configurable: true });
    const names: string[] = [];
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    jest.useFakeTimers({
      now: MINTED + 60 * 60_000,
      doNotFake: ['queueMicrotask', 'nextTick', 'setTimeout', 'requestAnimationFrame', 'setInterval'],
    });
    byId(items()[0], 'download').click();
    http.expectOne('/api/generations/b').flush(
      job('b', {
        images: [
          image('b', {
            url: 'http://s3/b.png?X-Amz-Signature=fresh',
            urlExpiresAt: '2026-11-24T11:15:00Z',
          }),
        ],
      }),
    );
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r, 0));
    // Never from the cache: the <img> may have cached this URL without CORS headers
    expect(fetchMock).toHaveBeenCalledWith('http://s3/b.png?X-Amz-Signature=fresh', {
      mode: 'cors',
      cache: 'no-store',
    });
    expect(names).toEqual(['prompt-b-7.png']);
  });
});
