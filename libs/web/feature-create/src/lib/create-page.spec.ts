import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { ActivatedRoute, convertToParamMap, provideRouter, Router } from '@angular/router';

import {
  catalogEta,
  ErrorCode,
  Generation,
  MODEL_CATALOG,
  ModelInfo,
  OwnerSummary,
  problem,
  UploadedImage,
} from '@imagegen/contracts';
import { EditsApi } from '@imagegen/web/data-access';

import CreatePage from './create-page';

const MODELS: ModelInfo[] = MODEL_CATALOG.map((m) => {
  const retired = m.lifecycle.state === 'retired';
  return {
    ...m,
    available: !retired,
    availability: retired ? 'retired' : 'available',
    eta: catalogEta(m, 4),
  };
});
const CORE = 'stability.stable-image-core-v1:1';
const ULTRA = 'stability.stable-image-ultra-v1:1';
const SD35 = 'stability.sd3-5-large-v1:0';
const NO_ACCESS =
  'Not available to this AWS account: Amazon Bedrock says it is not authorized to use Stable Image Ultra.';

let fixture: ComponentFixture<CreatePage>;
let http: HttpTestingController;
let el: HTMLElement;

const byId = (id: string) => el.querySelector(`[data-testid="${id}"]`) as HTMLElement | null;

async function setup(models: ModelInfo[] = MODELS, query: Record<string, string> = {}) {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([]),
      ...(Object.keys(query).length > 0
        ? [{ provide: ActivatedRoute, useValue: { snapshot: { queryParamMap: convertToParamMap(query) } } }]
        : []),
    ],
  });
  fixture = TestBed.createComponent(CreatePage);
  http = TestBed.inject(HttpTestingController);
  el = fixture.nativeElement;
  fixture.detectChanges();
  http.expectOne('/api/models').flush(models);
  flushSummaries();
  await fixture.whenStable();
}

/** The owner's summary: budgets and the queue, as the generator answers it. */
let summary: OwnerSummary = {
  retentionDays: 30,
  presignExpirySeconds: 900,
  month: '2026-12',
  spentUsd: 0,
  images: 0,
};
/** Answers every summary the page asked for (at start and after each new job). */
function flushSummaries() {
  for (const r of http.match('/api/summary')) if (!r.cancelled) r.flush(summary);
}

async function type(prompt: string) {
  const box = byId('prompt') as HTMLTextAreaElement;
  box.value = prompt;
  box.dispatchEvent(new Event('input'));
  await fixture.whenStable();
}

async function clickGenerate() {
  (byId('generate') as HTMLButtonElement).click();
  await fixture.whenStable();
}

function queued(over: Partial<Generation> = {}): Generation {
  return {
    id: 'g1',
    status: 'queued',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    modelId: CORE,
    request: { modelId: CORE, prompt: 'a cat', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    images: [],
    estimatedCostUsd: 0.04,
    ...over,
  };
}

function withAvailability(
  id: string,
  availability: ModelInfo['availability'],
  unavailableReason?: string,
): ModelInfo[] {
  return MODELS.map((m) =>
    m.id === id ? { ...m, availability, available: availability === 'available', unavailableReason } : m,
  );
}

async function openModelList() {
  (el.querySelector('[data-testid="model-select"] .mat-mdc-select-trigger') as HTMLElement).click();
  await fixture.whenStable();
  return Array.from(document.querySelectorAll('[data-testid="model-option"]')) as HTMLElement[];
}

afterEach(() => {
  http.match('/api/assistant'); // the prompt assistant's status (its own spec: web-ui prompt-assistant)
  flushSummaries();
  http.verify();
  jest.useRealTimers();
});

/** The text as a browser shows it: runs of white space collapse to one, none at the ends. */
const shown = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim();

describe(CreatePage.name, () => {
  it('sends nothing while the model list has not come, then generates once it has (a quick click is never lost silently)', async () => {
    // GIVEN the model list is still on its way
    Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])],
    });
    fixture = TestBed.createComponent(CreatePage);
    http = TestBed.inject(HttpTestingController);
    el = fixture.nativeElement;
    fixture.detectChanges();
    const models = http.expectOne('/api/models');
    await type('a quick click');
    // THEN Generate is disabled, and neither a click nor Ctrl+Enter sends anything
    expect((byId('generate') as HTMLButtonElement).disabled).toBe(true);
    await clickGenerate();
    byId('prompt')?.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }),
    );
    await fixture.whenStable();
    http.expectNone('/api/generations');
    // WHEN the list comes, Generate works
    models.flush(MODELS);
    await fixture.whenStable();
    expect((byId('generate') as HTMLButtonElement).disabled).toBe(false);
    await clickGenerate();
    expect(http.expectOne('/api/generations').request.body).toMatchObject({
      modelId: CORE,
      prompt: 'a quick click',
    });
  });

  it('picks the first available model and shows its controls, limit and cost', async () => {
    await setup();
    expect(el.querySelector('form[aria-label="Describe the image"] h1')?.textContent).toBe(
      'Describe an image',
    );
    expect(byId('model-select')?.textContent).toContain('Stable Image Core');
    expect(byId('negative-prompt')).not.toBeNull();
    expect(byId('prompt-count')?.textContent).toContain('0 / 10000');
    expect(byId('cost')?.textContent).toContain('0.04');
    expect(byId('eta')?.textContent).toBe('about 6 s');
  });

  it('does not offer retired models, and lists models without access disabled, with how to enable them', async () => {
    // GIVEN Ultra is not enabled for this account and SD3.5 is served in another region
    await setup(
      withAvailability(ULTRA, 'no-access', NO_ACCESS).map((m) =>
        m.id === SD35 ? { ...m, availability: 'wrong-region' as const, available: false } : m,
      ),
    );
    // WHEN the model list opens
    const options = await openModelList();
    // THEN the retired model is absent, and the unavailable ones are disabled with a reason a person can act on
    expect(options.map((o) => o.getAttribute('data-model-id'))).toEqual([CORE, SD35, ULTRA]);
    const ultra = options.find((o) => o.getAttribute('data-model-id') === ULTRA) as HTMLElement;
    expect(ultra.getAttribute('aria-disabled')).toBe('true');
    expect(ultra.textContent).toContain('not authorized');
    expect(options[1].textContent).toMatch(/region/);
    expect(options[0].getAttribute('aria-disabled')).toBe('false');
    expect(byId('unavailable-models')?.textContent).toContain('2 models are not available here');
  });

  it('treats a model of unknown availability as callable', async () => {
    await setup(withAvailability(CORE, 'unknown'));
    await type('a cat');
    expect((byId('generate') as HTMLButtonElement).disabled).toBe(false);
    expect(byId('model-unavailable')).toBeNull();
  });

  it('never sends a request for a model this deployment cannot call', async () => {
    // GIVEN "reuse" of a job made with Ultra, which this account has no access to (any more)
    await setup(withAvailability(ULTRA, 'no-access', NO_ACCESS), { reuse: 'g0' });
    http.expectOne('/api/generations/g0').flush(
      queued({
        id: 'g0',
        status: 'succeeded',
        modelId: ULTRA,
        request: { ...queued().request, modelId: ULTRA },
      }),
    );
    await fixture.whenStable();
    // THEN Generate is disabled and the page says why and what to do
    expect((byId('generate') as HTMLButtonElement).disabled).toBe(true);
    expect(byId('model-unavailable')?.textContent).toContain(NO_ACCESS);
    // AND Ctrl+Enter sends nothing either
    byId('prompt')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true }));
    http.expectNone('/api/generations');
  });

  it('says about how long the job will take before Generate, for the model and image count', async () => {
    const measured = MODELS.map((m) =>
      m.id === CORE
        ? {
            ...m,
            eta: { p50Seconds: 5, p90Seconds: 8, samples: 40, source: 'measured' as const, parallelism: 2 },
          }
        : m,
    );
    await setup(measured);
    expect(byId('eta')?.textContent).toBe('about 5 s');
    fixture.componentInstance['count'].set(4);
    await fixture.whenStable();
    // 4 images, 2 at a time: two rounds of the median
    expect(byId('eta')?.textContent).toBe('about 10 s');
    expect(byId('cost')?.textContent).toContain('0.16');
  });

  it('counts the prompt against the model limit as you type', async () => {
    await setup(MODELS.map((m) => ({ ...m, prompt: { minLength: 1, maxLength: 10 } })));
    await type('a cat');
    expect(byId('prompt-count')?.textContent).toContain('5 / 10');
    await type('a cat on a sofa');
    expect(shown(byId('prompt-count'))).toContain('15 / 10 · too long for Stable Image Core');
  });

  it('warns (without blocking) when the prompt is not English for a Stability model', async () => {
    await setup();
    await type('a black cat on a roof');
    expect(byId('prompt-language-warning')).toBeNull();
    await type('Un chat noir sur un toit, peinture à l’huile');
    expect(byId('prompt-language-warning')?.textContent).toContain('does not look English');
    await clickGenerate();
    http.expectOne('/api/generations').flush(queued());
    await fixture.whenStable();
  });

  it('does not warn about the language for a model that is not a Stability model', async () => {
    await setup(MODELS.map((m) => ({ ...m, family: 'amazon-canvas' as const })));
    await type('Un chat noir sur un toit, peinture à l’huile');
    expect(byId('prompt-language-warning')).toBeNull();
  });

  it('reuses a job’s parameters with a new random seed', async () => {
    await setup(MODELS, { reuse: 'g0' });
    http.expectOne('/api/generations/g0').flush(
      queued({
        id: 'g0',
        status: 'succeeded',
        request: { ...queued().request, prompt: 'an owl', count: 2 },
        images: [
          {
            id: 'i',
            index: 0,
            url: 'u',
            urlExpiresAt: 'x',
            width: 1,
            height: 1,
            seed: 1234,
            bytes: 1,
            format: 'png',
          },
        ],
      }),
    );
    await fixture.whenStable();
    expect((byId('prompt') as HTMLTextAreaElement).value).toBe('an owl');
    expect((byId('seed') as HTMLInputElement).value).toBe('');
  });

  it('reuses a job’s parameters with the same seed when asked', async () => {
    await setup(MODELS, { reuse: 'g0', seed: 'keep' });
    http.expectOne('/api/generations/g0').flush(
      queued({
        id: 'g0',
        status: 'succeeded',
        images: [
          {
            id: 'i',
            index: 0,
            url: 'u',
            urlExpiresAt: 'x',
            width: 1,
            height: 1,
            seed: 1234,
            bytes: 1,
            format: 'png',
          },
        ],
      }),
    );
    await fixture.whenStable();
    expect((byId('seed') as HTMLInputElement).value).toBe('1234');
  });

  it('shows a progress bar against the expected time while waiting, and says when it takes longer than usual', async () => {
    // GIVEN Core at 6 s (p90 9 s) per image, and a fake clock from the moment Generate is pressed
    await setup();
    await type('a cat');
    jest.useFakeTimers({ now: Date.parse('2026-11-24T10:00:00Z') });
    (byId('generate') as HTMLButtonElement).click();
    const createdAt = new Date().toISOString();
    http.expectOne('/api/generations').flush(queued({ status: 'running', createdAt }));
    fixture.detectChanges();
    const answerPolls = () =>
      http
        .match('/api/generations/g1')
        .forEach((r) =>
          r.flush(queued({ status: 'running', createdAt, updatedAt: new Date().toISOString() })),
        );

    // WHEN 3 s pass
    jest.advanceTimersByTime(3000);
    answerPolls();
    fixture.detectChanges();
    // THEN the bar is about half way, and nothing says it is slow
    expect(Number(byId('progress')?.getAttribute('aria-valuenow'))).toBe(45);
    expect(byId('slow-notice')).toBeNull();

    // WHEN it runs past the p90-based time
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(1000);
      answerPolls();
    }
    fixture.detectChanges();
    // THEN the page says so, and the bar still does not claim to be done
    expect(byId('slow-notice')?.textContent).toContain('longer than usual');
    expect(Number(byId('progress')?.getAttribute('aria-valuenow'))).toBeLessThan(100);

    // WHEN it ends, THEN the real cost shows and the bar goes away
    jest.advanceTimersByTime(5000);
    http.match('/api/generations/g1').forEach((r) =>
      r.flush(
        queued({
          status: 'succeeded',
          createdAt,
          updatedAt: new Date().toISOString(),
          costUsd: 0.04,
          images: [
            {
              id: 'i',
              index: 0,
              url: 'u',
              urlExpiresAt: 'x',
              width: 1,
              height: 1,
              seed: 1,
              bytes: 1,
              format: 'png',
            },
          ],
        }),
      ),
    );
    fixture.detectChanges();
    expect(byId('progress')).toBeNull();
    expect(byId('job-cost')?.textContent).toBe('US$ 0.04');
  });

  it('shows a partial success in the result, and a job with no image as failed with its reason', async () => {
    await setup();
    await type('a cat');
    await clickGenerate();
    http.expectOne('/api/generations').flush(
      queued({
        status: 'succeeded',
        request: { ...queued().request, count: 4 },
        images: [0, 1, 3].map((index) => ({
          id: `i${index}`,
          index,
          url: `http://s3/${index}.png`,
          urlExpiresAt: 'x',
          width: 1,
          height: 1,
          seed: index,
          bytes: 1,
          format: 'png' as const,
        })),
        failures: [{ index: 2, seed: 5, error: problem(ErrorCode.CONTENT_FILTERED) }],
        costUsd: 0.12,
      }),
    );
    await fixture.whenStable();
    expect(byId('outcome')?.textContent).toBe('3 of 4 made · 1 blocked by the content filter');
    expect(byId('image-failure')?.textContent).toContain('Blocked by the content filter');
    expect(byId('job-cost')?.textContent).toBe('US$ 0.12');
    expect(byId('error-banner')).toBeNull();
    expect(byId('job-detail-link')?.getAttribute('href')).toBe('/gallery/g1');

    await clickGenerate();
    http.expectOne('/api/generations').flush(
      queued({
        id: 'g2',
        status: 'failed',
        failures: [{ index: 0, seed: 5, error: problem(ErrorCode.CONTENT_FILTERED) }],
        costUsd: 0,
      }),
    );
    await fixture.whenStable();
    expect(byId('error-banner')?.textContent).toContain('content filter');
  });

  it('tries a busy model once more by itself after the Retry-After it asked for', async () => {
    // GIVEN a job that failed because the model was busy, asking for 10 s
    await setup();
    await type('a crowded harbour');
    jest.useFakeTimers();
    (byId('generate') as HTMLButtonElement).click();
    const throttled = problem(ErrorCode.MODEL_THROTTLED, undefined, { retryAfterSeconds: 10 });
    http.expectOne('/api/generations').flush(queued({ status: 'failed', error: throttled }));
    fixture.detectChanges();
    // THEN the page says it will retry, and does not send at once
    expect(byId('error-banner')?.textContent).toContain('retrying in 10 s');
    jest.advanceTimersByTime(9_000);
    http.expectNone('/api/generations');
    // WHEN the wait has passed, the same request goes again (once: a second refusal is not retried)
    jest.advanceTimersByTime(1_000);
    const again = http.expectOne('/api/generations');
    expect(again.request.body).toMatchObject({ prompt: 'a crowded harbour' });
    again.flush(queued({ id: 'g2', status: 'failed', error: throttled }));
    jest.advanceTimersByTime(60_000);
    http.expectNone('/api/generations');
  });

  it('forgets a pending auto-retry when the page goes: no request after the user has left', async () => {
    // GIVEN a busy model's retry is pending (10 s)
    await setup();
    await type('a crowded harbour');
    jest.useFakeTimers();
    (byId('generate') as HTMLButtonElement).click();
    http.expectOne('/api/generations').flush(
      queued({
        status: 'failed',
        error: problem(ErrorCode.MODEL_THROTTLED, undefined, { retryAfterSeconds: 10 }),
      }),
    );
    fixture.detectChanges();
    // WHEN the user leaves the page, and the wait passes
    fixture.destroy();
    jest.advanceTimersByTime(60_000);
    // THEN nothing is sent
    http.expectNone('/api/generations');
  });

  it('offers Stable Image Core only the formats its AWS page lists (PNG and JPEG, no WebP)', async () => {
    // GIVEN the catalog's models, Stable Image Core first
    await setup();
    // WHEN the format list opens
    (el.querySelector('[data-testid="output-format"] .mat-mdc-select-trigger') as HTMLElement).click();
    await fixture.whenStable();
    // THEN WebP is not offered
    const formats = Array.from(document.querySelectorAll('mat-option')).map((o) => shown(o));
    expect(formats).toEqual(['PNG', 'JPEG']);
  });

  it('hides the negative prompt for a model that does not take one', async () => {
    await setup(MODELS.map((m) => ({ ...m, negativePrompt: { supported: false, maxLength: 0 } })));
    expect(byId('negative-prompt')).toBeNull();
  });

  it('shows the validation message next to the prompt and sends nothing when the prompt is blank', async () => {
    await setup();
    await type('   ');
    await clickGenerate();
    expect(byId('field-error-prompt')?.textContent).toContain('The prompt needs words');
    http.expectNone('/api/generations');
  });

  it('sends the request, then shows the job status', async () => {
    await setup();
    await type('a cat');
    await clickGenerate();
    const post = http.expectOne('/api/generations');
    expect(post.request.body).toEqual({
      modelId: CORE,
      prompt: 'a cat',
      aspectRatio: '1:1',
      count: 1,
      outputFormat: 'png',
    });
    expect(post.request.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    post.flush(queued());
    await fixture.whenStable();
    expect(byId('status')?.textContent).toBe('Queued');
  });

  it('submits with Ctrl+Enter from the prompt box', async () => {
    await setup();
    await type('a dog');
    byId('prompt')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true }));
    http.expectOne('/api/generations').flush(queued());
    await fixture.whenStable();
  });

  it.each([
    [ErrorCode.CONTENT_FILTERED, 422, 'content filter: edit the prompt'],
    [ErrorCode.MODEL_ACCESS_DENIED, 403, 'starts an AWS Marketplace subscription'],
    [ErrorCode.RATE_LIMITED, 429, 'Too many requests'],
  ])('says what a %s answer means', async (code, status, text) => {
    await setup();
    await type('a cat');
    await clickGenerate();
    http.expectOne('/api/generations').flush(problem(code), { status, statusText: 'x' });
    await fixture.whenStable();
    expect(byId('error-banner')?.textContent).toContain(text);
  });

  it('puts server-side field errors next to their fields', async () => {
    await setup();
    await type('a cat');
    await clickGenerate();
    http.expectOne('/api/generations').flush(
      problem(ErrorCode.VALIDATION_FAILED, 'seed', {
        errors: [{ field: 'seed', rule: 'max', message: 'seed must not be greater than 4294967294' }],
      }),
      { status: 400, statusText: 'Bad Request' },
    );
    await fixture.whenStable();
    expect(byId('field-error-seed')?.textContent).toContain('Seed must not be greater than 4294967294.');
  });

  it('fills the seed with the dice', async () => {
    await setup();
    (byId('dice') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(Number((byId('seed') as HTMLInputElement).value)).toBeGreaterThan(0);
  });
});

describe('CreatePage budgets and queue (ADR 0015)', () => {
  const base = summary;
  afterEach(() => (summary = base));

  it('shows what is left of the tightest budget next to the cost, flagged when the job would pass it', async () => {
    // GIVEN US$ 0.06 left today
    summary = {
      ...base,
      budgets: [
        {
          name: 'owner-daily',
          limitUsd: 2,
          usedUsd: 1.94,
          remainingUsd: 0.06,
          resetsAt: '2026-12-03T00:00:00.000Z',
        },
        {
          name: 'owner-monthly',
          limitUsd: 20,
          usedUsd: 1.94,
          remainingUsd: 18.06,
          resetsAt: '2027-01-01T00:00:00.000Z',
        },
      ],
    };
    await setup();
    fixture.detectChanges();
    // THEN it is shown beside the cost of one image (US$ 0.04), not flagged
    expect(shown(byId('budget-left'))).toBe('US$ 0.06 left today');
    expect(byId('budget-left')?.classList.contains('over-budget')).toBe(false);
  });

  it('counts the images queued ahead in the ETA before Generate', async () => {
    // GIVEN nothing queued: the model's own time
    await setup();
    fixture.detectChanges();
    const alone = Number(/about (\d+) s/.exec(shown(byId('eta')) ?? '')?.[1]);
    // WHEN 8 images are queued ahead (4 made at once)
    summary = { ...base, queue: { imagesAhead: 8, ownerImages: 0, ownerLimit: 8, parallelism: 4 } };
    fixture.destroy();
    TestBed.resetTestingModule();
    await setup();
    fixture.detectChanges();
    const behind = Number(/about (\d+) s/.exec(shown(byId('eta')) ?? '')?.[1]);
    // THEN the ETA grows by two rounds of the model's time
    const p50 = catalogEta(
      MODEL_CATALOG.find((m) => m.id === CORE) as (typeof MODEL_CATALOG)[number],
      4,
    ).p50Seconds;
    expect(behind - alone).toBe(Math.ceil(2 * p50));
  });

  it('uploads a file picked under "Upload an image" with its progress, then opens the editor on it', async () => {
    // GIVEN an upload that reports its progress, then answers the checked image
    const checked: UploadedImage = {
      uploadId: 'up0123456789',
      width: 1024,
      height: 768,
      format: 'png',
      hasAlpha: false,
      bytes: 8,
      url: 'http://s3/uploads/up0123456789',
      urlExpiresAt: '2026-11-24T10:15:00Z',
    };
    let report: ((f: number) => void) | undefined;
    let finish: ((u: UploadedImage) => void) | undefined;
    const upload = jest.fn((_file: Blob, onProgress?: (f: number) => void) => {
      report = onProgress;
      return new Promise<UploadedImage>((resolve) => (finish = resolve));
    });
    TestBed.overrideProvider(EditsApi, { useValue: { upload } });
    await setup();
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);

    // WHEN a file is picked
    const input = byId('upload-input') as HTMLInputElement;
    const file = new File([new Uint8Array(8)], 'photo.png', { type: 'image/png' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    report?.(0.5);
    await fixture.whenStable();

    // THEN its progress shows, then its size once checked, and the editor opens on it
    expect(upload.mock.calls[0][0]).toBe(file);
    expect(byId('upload-progress')?.getAttribute('aria-label')).toBe('Uploading: 50 %');
    finish?.(checked);
    await new Promise((r) => setTimeout(r, 0));
    await fixture.whenStable();
    expect(byId('upload-size')?.textContent).toContain('1024 × 768 px');
    expect(navigate).toHaveBeenCalledWith(['/edit'], {
      queryParams: { upload: 'up0123456789' },
      state: { uploaded: checked },
    });
  });

  it('says why an upload was refused, and stays on the page', async () => {
    const upload = jest.fn().mockRejectedValue(problem(ErrorCode.INPUT_IMAGE_ANIMATED));
    TestBed.overrideProvider(EditsApi, { useValue: { upload } });
    await setup();
    const navigate = jest.spyOn(TestBed.inject(Router), 'navigate');
    const input = byId('upload-input') as HTMLInputElement;
    Object.defineProperty(input, 'files', {
      value: [new File([new Uint8Array(8)], 'anim.webp', { type: 'image/webp' })],
      configurable: true,
    });
    input.dispatchEvent(new Event('change'));
    await new Promise((r) => setTimeout(r, 0));
    await fixture.whenStable();
    expect(byId('upload-error')?.textContent).toContain('Animated images cannot be edited');
    expect(navigate).not.toHaveBeenCalled();
  });

  it('offers Edit on each image of the result', async () => {
    await setup();
    await type('a cat');
    await clickGenerate();
    const image = {
      id: 'im0000000001',
      index: 0,
      url: 'http://s3/im.png?X-Amz-Signature=1',
      urlExpiresAt: '2026-11-24T10:15:00Z',
      width: 1536,
      height: 1536,
      seed: 7,
      bytes: 10,
      format: 'png' as const,
    };
    http.expectOne('/api/generations').flush(queued({ status: 'succeeded', images: [image] }));
    flushSummaries();
    await fixture.whenStable();
    expect(byId('edit-image')?.getAttribute('href')).toBe('/edit?generation=g1&image=im0000000001');
  });
});
