import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { ErrorCode, GeneratedImage, Generation, problem } from '@imagegen/contracts';

import { GenerationView } from './generation-view';

const CORE = 'stability.stable-image-core-v1:1';

const JOB: Generation = {
  id: 'g1',
  status: 'running',
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:01Z',
  modelId: CORE,
  request: { modelId: CORE, prompt: '<b>bold</b> cat', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
  images: [],
  estimatedCostUsd: 0.04,
};

function image(index: number, over: Partial<GeneratedImage> = {}): GeneratedImage {
  return {
    id: `i${index}`,
    index,
    url: `http://s3.local/${index}.png?X-Amz-Signature=abc`,
    thumbnailUrl: `http://s3.local/${index}.webp?X-Amz-Signature=abc`,
    urlExpiresAt: '2026-11-24T10:15:00Z',
    width: 1536,
    height: 1536,
    seed: 40 + index,
    bytes: 10,
    format: 'png',
    ...over,
  };
}

function render(generation: Generation, inputs: Record<string, unknown> = {}) {
  TestBed.configureTestingModule({ providers: [provideRouter([])] });
  const fixture = TestBed.createComponent(GenerationView);
  fixture.componentRef.setInput('generation', generation);
  fixture.componentRef.setInput('elapsedSeconds', 3);
  fixture.componentRef.setInput('expectedSeconds', 6);
  for (const [k, v] of Object.entries(inputs)) fixture.componentRef.setInput(k, v);
  fixture.detectChanges();
  return fixture;
}

const q = (el: HTMLElement, id: string) => el.querySelector(`[data-testid="${id}"]`);
const all = (el: HTMLElement, id: string) => Array.from(el.querySelectorAll(`[data-testid="${id}"]`));

describe(GenerationView.name, () => {
  it('shows the status, the elapsed time against the expected time and a progress bar while a job runs', () => {
    const el = render(JOB).nativeElement as HTMLElement;
    expect(q(el, 'status')?.textContent).toBe('Generating');
    expect(q(el, 'elapsed')?.textContent).toContain('3 s of about 6 s');
    expect(q(el, 'progress')?.getAttribute('aria-valuenow')).toBe('45');
    expect(q(el, 'slow-notice')).toBeNull();
    expect(q(el, 'job-cost')?.textContent).toBe('≈ US$ 0.04');
  });

  it('says "taking longer than usual" past the slow mark, with the bar still short of 100 %', () => {
    const el = render(JOB, { elapsedSeconds: 600, slowAfterSeconds: 9 }).nativeElement as HTMLElement;
    expect(q(el, 'slow-notice')?.textContent).toContain('Taking longer than usual');
    expect(Number(q(el, 'progress')?.getAttribute('aria-valuenow'))).toBeLessThan(100);
  });

  it('shows images by index as they arrive, in any order, with a place for those still coming', () => {
    // GIVEN a 3-image job where images 3 and 1 have arrived
    const running: Generation = {
      ...JOB,
      request: { ...JOB.request, count: 3 },
      images: [image(2), image(0)],
    };
    const el = render(running).nativeElement as HTMLElement;
    // THEN the slots are in index order, the second one still coming
    expect(all(el, 'image-slot').map((s) => s.getAttribute('data-state'))).toEqual([
      'made',
      'pending',
      'made',
    ]);
    expect(all(el, 'result-image').map((i) => (i as HTMLImageElement).src)).toEqual([
      image(0).url,
      image(2).url,
    ]);
    expect(q(el, 'outcome')?.textContent).toBe('2 of 3 made so far');
  });

  it('shows a partial success: what was made, which image was blocked and why, and the real cost', () => {
    // GIVEN 3 of 4 made, 1 blocked by the content filter
    const partial: Generation = {
      ...JOB,
      status: 'succeeded',
      request: { ...JOB.request, count: 4 },
      images: [image(0), image(1), image(3)],
      failures: [{ index: 2, seed: 77, error: problem(ErrorCode.CONTENT_FILTERED) }],
      durationMs: 8400,
      costUsd: 0.12,
      estimatedCostUsd: 0.16,
    };
    const el = render(partial).nativeElement as HTMLElement;
    // THEN
    expect(q(el, 'outcome')?.textContent).toBe('3 of 4 made · 1 blocked by the content filter');
    const failure = q(el, 'image-failure')?.textContent ?? '';
    expect(failure).toContain('Image 3 of 4 not made');
    expect(failure).toContain('Blocked by the content filter: edit the prompt');
    expect(failure).toContain('seed 77');
    expect(q(el, 'job-cost')?.textContent).toBe('US$ 0.12');
    expect(q(el, 'duration')?.textContent).toContain('took 8.4 s');
    expect(q(el, 'progress')).toBeNull();
  });

  it('shows each full image (not its thumbnail) with seed, size and format, the offline badge, and the prompt as text', () => {
    const done: Generation = {
      ...JOB,
      status: 'succeeded',
      engine: 'offline',
      durationMs: 2400,
      images: [image(0, { seed: 42 })],
    };
    const el = render(done).nativeElement as HTMLElement;
    const img = q(el, 'result-image') as HTMLImageElement;
    expect(img.src).toBe('http://s3.local/0.png?X-Amz-Signature=abc');
    expect(img.alt).toBe('Generated image for: <b>bold</b> cat');
    expect(el.textContent).toContain('seed 42');
    expect(el.textContent).toContain('1536×1536');
    expect(q(el, 'offline-badge')).not.toBeNull();
    expect(el.querySelector('b')).toBeNull();
  });

  it('marks a repeat from the store: no model call, cost 0, with a link to the earlier job', () => {
    const repeat: Generation = {
      ...JOB,
      status: 'succeeded',
      images: [image(0)],
      source: 'store',
      repeatOf: 'g0',
      costUsd: 0,
    };
    const el = render(repeat).nativeElement as HTMLElement;
    expect(q(el, 'repeat-note')?.textContent).toContain('no model call, cost 0');
    expect(q(el, 'repeat-of')?.getAttribute('href')).toBe('/gallery/g0');
    expect(q(el, 'job-cost')?.textContent).toBe('US$ 0.00 (no model call)');
  });

  it('emits download, copy link (when shareable) and image errors with the image', () => {
    const fixture = render({ ...JOB, status: 'succeeded', images: [image(0)] }, { shareable: true });
    const el = fixture.nativeElement as HTMLElement;
    const emitted: [string, GeneratedImage][] = [];
    fixture.componentInstance.download.subscribe((i) => emitted.push(['download', i]));
    fixture.componentInstance.copyLink.subscribe((i) => emitted.push(['copy', i]));
    fixture.componentInstance.imageError.subscribe((i) => emitted.push(['error', i]));
    (q(el, 'download') as HTMLButtonElement).click();
    (q(el, 'copy-link') as HTMLButtonElement).click();
    q(el, 'result-image')?.dispatchEvent(new Event('error'));
    expect(emitted).toEqual([
      ['download', image(0)],
      ['copy', image(0)],
      ['error', image(0)],
    ]);
    expect(q(el, 'link-expiry')?.textContent).toMatch(/Link works until \d/);
  });

  it('offers no copy link unless asked to', () => {
    const el = render({ ...JOB, status: 'succeeded', images: [image(0)] }).nativeElement as HTMLElement;
    expect(q(el, 'copy-link')).toBeNull();
  });

  it('offers Edit on each image when asked, opening the editor on that image', () => {
    const done = { ...JOB, status: 'succeeded' as const, images: [image(0), image(1)] };
    expect(all(render(done).nativeElement, 'edit-image')).toEqual([]);
    TestBed.resetTestingModule();
    const el = render(done, { editable: true, editLabel: 'Edit again' }).nativeElement as HTMLElement;
    const links = all(el, 'edit-image');
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      '/edit?generation=g1&image=i0',
      '/edit?generation=g1&image=i1',
    ]);
    expect(links[1].textContent?.replace(/\s+/g, ' ').trim()).toBe('Edit again image 2');
  });

  it('draws images on a checkerboard when they may be transparent, an edit without a prompt named as such', () => {
    const done = {
      ...JOB,
      status: 'succeeded' as const,
      request: { ...JOB.request, prompt: '' },
      images: [image(0)],
    };
    const el = render(done, { transparent: true }).nativeElement as HTMLElement;
    const img = el.querySelector(
      '.job__images--transparent [data-testid="result-image"]',
    ) as HTMLImageElement;
    expect(img.alt).toBe('Edited image');
  });
});
