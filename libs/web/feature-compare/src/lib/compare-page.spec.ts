import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { ActivatedRoute, convertToParamMap, provideRouter } from '@angular/router';

import { catalogEta, ErrorCode, Generation, MODEL_CATALOG, ModelInfo, problem } from '@imagegen/contracts';

import ComparePage from './compare-page';

const CORE = 'stability.stable-image-core-v1:1';
const SD35 = 'stability.sd3-5-large-v1:0';
const ULTRA = 'stability.stable-image-ultra-v1:1';
const SDXL = 'stability.stable-diffusion-xl-v1';
/** A model with fewer knobs: no negative prompt, square only, a small seed range (like Amazon's). */
const CANVAS: ModelInfo = {
  ...MODEL_CATALOG[0],
  id: 'amazon.nova-canvas-v1:0',
  family: 'amazon-canvas',
  displayName: 'Nova Canvas',
  negativePrompt: { supported: false, maxLength: 0 },
  aspectRatios: ['1:1'],
  defaultAspectRatio: '1:1',
  seed: { min: 0, max: 858_993_459 },
  available: true,
  availability: 'available',
  eta: { p50Seconds: 4, p90Seconds: 6, samples: 10, source: 'measured', parallelism: 4 },
};
const MODELS: ModelInfo[] = [
  ...MODEL_CATALOG.map((m): ModelInfo => {
    const retired = m.lifecycle.state === 'retired';
    return {
      ...m,
      available: !retired,
      availability: retired ? 'retired' : 'available',
      eta: catalogEta(m, 4),
    };
  }),
];

let fixture: ComponentFixture<ComparePage>;
let http: HttpTestingController;
const el = () => fixture.nativeElement as HTMLElement;
const q = (id: string) => el().querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
const all = (id: string) => Array.from(el().querySelectorAll(`[data-testid="${id}"]`)) as HTMLElement[];
const checkbox = (modelId: string) =>
  el().querySelector(`[data-testid="compare-model"][data-model-id="${modelId}"] input`) as HTMLInputElement;

async function open(models: ModelInfo[] = MODELS, query: Record<string, string> = {}) {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([]),
      { provide: ActivatedRoute, useValue: { snapshot: { queryParamMap: convertToParamMap(query) } } },
    ],
  });
  fixture = TestBed.createComponent(ComparePage);
  http = TestBed.inject(HttpTestingController);
  fixture.detectChanges();
  http.expectOne('/api/models').flush(models);
  fixture.detectChanges();
}

async function type(prompt: string) {
  const box = q('prompt') as HTMLTextAreaElement;
  box.value = prompt;
  box.dispatchEvent(new Event('input'));
  fixture.detectChanges();
}

async function toggle(modelId: string) {
  checkbox(modelId).click();
  fixture.detectChanges();
}

function queued(modelId: string, id: string, over: Partial<Generation> = {}): Generation {
  return {
    id,
    status: 'queued',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    modelId,
    request: { modelId, prompt: 'a fox', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    images: [],
    estimatedCostUsd: 0.04,
    ...over,
  };
}

afterEach(() => {
  fixture.destroy();
  http.match('/api/assistant'); // the prompt assistant's status (its own spec: web-ui prompt-assistant)
  http.match('/api/summary'); // the queue, read at start and after each comparison (answered where it matters)
  http.verify();
  jest.useRealTimers();
});

describe(ComparePage.name, () => {
  it('offers every model but the retired, picks two available ones, and shows the time and total cost before sending', async () => {
    await open();
    expect(el().querySelector('form[aria-labelledby="compare-title"] h1#compare-title')?.textContent).toBe(
      'Compare models',
    );
    expect(all('compare-model').map((m) => m.getAttribute('data-model-id'))).toEqual([CORE, SD35, ULTRA]);
    expect(all('compare-model').some((m) => m.getAttribute('data-model-id') === SDXL)).toBe(false);
    expect([CORE, SD35, ULTRA].map((id) => checkbox(id).checked)).toEqual([true, true, false]);
    // Core 0.04 + SD3.5 0.08; the slower of the two (10 s)
    expect(q('compare-estimate')?.textContent?.trim()).toBe('2 models · about 10 s · ≈ US$ 0.12');
    await toggle(ULTRA);
    expect(q('compare-estimate')?.textContent?.trim()).toBe('3 models · about 14 s · ≈ US$ 0.26');
  });

  it('counts the images queued ahead in the time before sending', async () => {
    await open();
    // 4 images ahead, made 2 at a time: two rounds of each model's p50 before these jobs start
    http.expectOne('/api/summary').flush({
      retentionDays: 30,
      presignExpirySeconds: 3600,
      month: '2026-12',
      spentUsd: 0,
      images: 0,
      queue: { imagesAhead: 4, ownerImages: 0, ownerLimit: 8, parallelism: 2 },
    });
    fixture.detectChanges();
    // SD3.5 Large: 10 s + 2 × 10 s queued ahead (Core: 6 s + 2 × 6 s)
    expect(q('compare-estimate')?.textContent?.trim()).toBe('2 models · about 30 s · ≈ US$ 0.12');
  });

  it('disables models this deployment cannot call, with how to enable them, and allows three at most', async () => {
    await open([
      ...MODELS.map((m) =>
        m.id === ULTRA
          ? {
              ...m,
              availability: 'no-access' as const,
              available: false,
              unavailableReason: 'Enable it in the Amazon Bedrock console.',
            }
          : m,
      ),
      CANVAS,
    ]);
    expect(checkbox(ULTRA).disabled).toBe(true);
    expect(q('compare-model-reason')?.textContent).toContain('Enable it in the Amazon Bedrock console.');
    await toggle(CANVAS.id);
    expect(checkbox(CANVAS.id).checked).toBe(true);
    // three picked: nothing else can be added
    expect(
      all('compare-model')
        .filter((m) => !(m.querySelector('input') as HTMLInputElement).checked)
        .every((m) => (m.querySelector('input') as HTMLInputElement).disabled),
    ).toBe(true);
  });

  it('sends nothing until two models are picked', async () => {
    await open();
    await toggle(SD35);
    await type('a fox');
    expect((q('compare-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(q('compare-hint')?.textContent).toContain('Pick 2 or 3');
    (q('compare-submit') as HTMLButtonElement).closest('form')?.dispatchEvent(new Event('submit'));
    http.expectNone('/api/generations');
  });

  it('sends one job per model, each with its own key and only the parameters that model takes', async () => {
    // GIVEN Core and a model without negative prompt, with square images only and a smaller seed range
    await open([...MODELS, CANVAS]);
    await toggle(SD35);
    await toggle(CANVAS.id);
    await type('a fox in the snow');
    (q('negative-prompt') as HTMLTextAreaElement).value = 'blurry';
    q('negative-prompt')?.dispatchEvent(new Event('input'));
    fixture.componentInstance['aspectRatio'].set('16:9');
    (q('seed') as HTMLInputElement).value = '4000000000';
    q('seed')?.dispatchEvent(new Event('input'));
    fixture.detectChanges();

    // WHEN Compare is pressed
    (q('compare-submit') as HTMLButtonElement).click();
    fixture.detectChanges();

    // THEN two jobs are sent, each with its own Idempotency-Key
    const posts = http.match('/api/generations');
    expect(posts).toHaveLength(2);
    const keys = posts.map((p) => p.request.headers.get('Idempotency-Key'));
    expect(new Set(keys).size).toBe(2);
    // AND each carries only what its model takes
    expect(posts[0].request.body).toEqual({
      modelId: CORE,
      prompt: 'a fox in the snow',
      negativePrompt: 'blurry',
      aspectRatio: '16:9',
      seed: 4_000_000_000,
      count: 1,
      outputFormat: 'png',
    });
    expect(posts[1].request.body).toEqual({
      modelId: CANVAS.id,
      prompt: 'a fox in the snow',
      count: 1,
      outputFormat: 'png',
    });
    posts[0].flush(queued(CORE, 'c1'));
    posts[1].flush(queued(CANVAS.id, 'c2'));
    fixture.detectChanges();
  });

  it('shows the results side by side as they arrive, each linking to its detail', async () => {
    jest.useFakeTimers();
    await open();
    await toggle(ULTRA);
    await type('a fox');
    (q('compare-submit') as HTMLButtonElement).click();
    fixture.detectChanges();
    const posts = http.match('/api/generations');
    expect(posts).toHaveLength(3);
    expect(all('compare-column').map((c) => c.getAttribute('data-model-id'))).toEqual([CORE, SD35, ULTRA]);

    // WHEN the second answers first, and the third is refused
    posts[1].flush(queued(SD35, 'c2'));
    fixture.detectChanges();
    expect(all('compare-column')[1].querySelector('[data-testid="status"]')?.textContent).toBe('Queued');
    expect(all('compare-column')[0].textContent).toContain('Sending…');
    posts[0].flush(queued(CORE, 'c1'));
    posts[2].flush(problem(ErrorCode.MODEL_ACCESS_DENIED), { status: 403, statusText: 'Forbidden' });
    fixture.detectChanges();

    // THEN each column shows its own job or why it could not be sent
    const [core, sd35, ultra] = all('compare-column');
    expect(core.querySelector('[data-testid="compare-detail-link"]')?.getAttribute('href')).toBe(
      '/gallery/c1',
    );
    expect(sd35.querySelector('[data-testid="compare-detail-link"]')?.getAttribute('href')).toBe(
      '/gallery/c2',
    );
    expect(ultra.querySelector('[data-testid="error-banner"]')?.textContent).toContain(
      'starts an AWS Marketplace subscription',
    );

    // WHEN a job ends, its column shows its image
    jest.advanceTimersByTime(1000);
    for (const r of http.match((req) => req.url.startsWith('/api/generations/'))) {
      const id = r.request.url.split('/').pop() as string;
      r.flush(
        queued(id === 'c1' ? CORE : SD35, id, {
          status: 'succeeded',
          updatedAt: 'done',
          costUsd: 0.04,
          images: [
            {
              id: `${id}-i`,
              index: 0,
              url: `http://s3/${id}.png`,
              urlExpiresAt: '2099-01-01T00:00:00Z',
              width: 1,
              height: 1,
              seed: 1,
              bytes: 1,
              format: 'png',
            },
          ],
        }),
      );
    }
    fixture.detectChanges();
    expect(all('result-image').map((i) => (i as HTMLImageElement).src)).toEqual([
      'http://s3/c1.png',
      'http://s3/c2.png',
    ]);
  });

  it('keeps the comparison across a reload (the job ids are in the URL)', async () => {
    await open(MODELS, { jobs: 'c1,c2' });
    http.expectOne('/api/generations/c1').flush(queued(CORE, 'c1', { status: 'succeeded', costUsd: 0.04 }));
    http
      .expectOne('/api/generations/c2')
      .flush(queued(SD35, 'c2', { status: 'failed', error: problem(ErrorCode.CONTENT_FILTERED) }));
    fixture.detectChanges();
    expect(all('compare-column').map((c) => c.querySelector('[data-testid="status"]')?.textContent)).toEqual([
      'Done',
      'Failed',
    ]);
  });

  it('counts the prompt against the smallest limit of the models picked, and warns about non-English prompts', async () => {
    await open(MODELS.map((m) => (m.id === SD35 ? { ...m, prompt: { minLength: 1, maxLength: 20 } } : m)));
    await type('Ein roter Apfel auf einem Holztisch');
    expect(q('prompt-count')?.textContent).toContain('35 / 20');
    expect(q('prompt-language-warning')?.textContent).toContain('does not look English');
  });

  it('says what is wrong and sends nothing when the prompt is blank', async () => {
    await open();
    await type('   ');
    (q('compare-submit') as HTMLButtonElement).click();
    fixture.detectChanges();
    expect(q('field-error-prompt')?.textContent).toContain('The prompt needs words');
    http.expectNone('/api/generations');
  });
});
