import { TestBed } from '@angular/core/testing';

import { Generation } from '@imagegen/contracts';

import { GenerationView } from './generation-view';

const JOB: Generation = {
  id: 'g1',
  status: 'running',
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:01Z',
  modelId: 'stability.stable-image-core-v1:1',
  request: { modelId: 'stability.stable-image-core-v1:1', prompt: '<b>bold</b> cat', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
  images: [],
  estimatedCostUsd: 0.04,
};

function render(generation: Generation, elapsed = 3) {
  const fixture = TestBed.createComponent(GenerationView);
  fixture.componentRef.setInput('generation', generation);
  fixture.componentRef.setInput('elapsedSeconds', elapsed);
  fixture.componentRef.setInput('expectedSeconds', 6);
  fixture.detectChanges();
  return fixture;
}

const q = (el: HTMLElement, id: string) => el.querySelector(`[data-testid="${id}"]`);

describe(GenerationView.name, () => {
  it('shows the status and the elapsed time against the expected time while a job runs', () => {
    const el = render(JOB).nativeElement as HTMLElement;
    expect(q(el, 'status')?.textContent).toBe('Generating');
    expect(q(el, 'elapsed')?.textContent).toContain('3 s of about 6 s');
    expect(el.querySelector('mat-progress-bar')).not.toBeNull();
  });

  it('shows each image from its URL with seed, size and format, and the offline badge', () => {
    const done: Generation = {
      ...JOB,
      status: 'succeeded',
      engine: 'offline',
      durationMs: 2400,
      images: [{ id: 'i1', url: 'http://s3.local/img.png?X-Amz-Signature=abc', urlExpiresAt: 'x', width: 1536, height: 1536, seed: 42, bytes: 10, format: 'png' }],
    };
    const el = render(done).nativeElement as HTMLElement;
    const img = q(el, 'result-image') as HTMLImageElement;
    expect(img.src).toBe('http://s3.local/img.png?X-Amz-Signature=abc');
    expect(img.alt).toBe('Generated image for: <b>bold</b> cat');
    expect(el.textContent).toContain('seed 42');
    expect(el.textContent).toContain('1536×1536');
    expect(q(el, 'offline-badge')).not.toBeNull();
    expect(el.querySelector('b')).toBeNull();
  });

  it('emits download with the image', () => {
    const image = { id: 'i1', url: 'u', urlExpiresAt: 'x', width: 1, height: 1, seed: 1, bytes: 1, format: 'png' as const };
    const fixture = render({ ...JOB, status: 'succeeded', images: [image] });
    const emitted: unknown[] = [];
    fixture.componentInstance.download.subscribe((i) => emitted.push(i));
    (q(fixture.nativeElement, 'download') as HTMLButtonElement).click();
    expect(emitted).toEqual([image]);
  });
});
