import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { ErrorCode, Generation, problem } from '@imagegen/contracts';

import GalleryPage from './gallery-page';

function job(id: string, over: Partial<Generation> = {}): Generation {
  return {
    id,
    status: 'succeeded',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:05Z',
    modelId: 'stability.stable-image-core-v1:1',
    request: { modelId: 'stability.stable-image-core-v1:1', prompt: `prompt ${id}`, aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    images: [{ id: `${id}-i`, url: `http://s3/${id}.png?X-Amz-Signature=1`, urlExpiresAt: '2026-11-24T10:15:00Z', width: 1536, height: 1536, seed: 7, bytes: 10, format: 'png' }],
    estimatedCostUsd: 0.04,
    durationMs: 1200,
    ...over,
  };
}

let fixture: ComponentFixture<GalleryPage>;
let http: HttpTestingController;
const items = () => Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[data-testid="gallery-item"]'));
const button = (item: Element, id: string) => item.querySelector(`[data-testid="${id}"]`) as HTMLElement;

beforeEach(async () => {
  TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
  fixture = TestBed.createComponent(GalleryPage);
  http = TestBed.inject(HttpTestingController);
  fixture.detectChanges();
  http.expectOne((r) => r.url === '/api/generations' && !r.params.has('cursor')).flush({ items: [job('b'), job('a')], nextCursor: 'g1.a' });
  await fixture.whenStable();
});

afterEach(() => http.verify());

describe(GalleryPage.name, () => {
  it('lists the jobs newest first with their images, and loads the next page on demand', async () => {
    expect(items().map((i) => i.querySelector('.tile__prompt')?.textContent)).toEqual(['prompt b', 'prompt a']);
    (fixture.nativeElement.querySelector('[data-testid="load-more"]') as HTMLButtonElement).click();
    http.expectOne((r) => r.params.get('cursor') === 'g1.a').flush({ items: [job('0', { status: 'failed', images: [], error: problem(ErrorCode.CONTENT_FILTERED) })] });
    await fixture.whenStable();
    expect(items()).toHaveLength(3);
    expect(items()[2].textContent).toContain('Blocked by the content filter');
    expect(fixture.nativeElement.querySelector('[data-testid="load-more"]')).toBeNull();
  });

  it('deletes a job after confirmation', async () => {
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    button(items()[0], 'delete').click();
    const del = http.expectOne('/api/generations/b');
    expect(del.request.method).toBe('DELETE');
    del.flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(items()).toHaveLength(1);
  });

  it('keeps a job when the deletion is not confirmed', () => {
    jest.spyOn(window, 'confirm').mockReturnValue(false);
    button(items()[0], 'delete').click();
    http.expectNone('/api/generations/b');
  });

  it('fetches fresh links when an image link has expired', async () => {
    items()[0].querySelector('img')?.dispatchEvent(new Event('error'));
    http.expectOne('/api/generations/b').flush(job('b', { images: [{ ...job('b').images[0], url: 'http://s3/b.png?X-Amz-Signature=2' }] }));
    await fixture.whenStable();
    expect((items()[0].querySelector('img') as HTMLImageElement).src).toContain('Signature=2');
  });
});
