import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { ErrorCode, Generation, MODEL_CATALOG, ModelInfo, problem } from '@imagegen/contracts';

import CreatePage from './create-page';

const MODELS: ModelInfo[] = MODEL_CATALOG.map((m) => ({ ...m, available: m.lifecycle.state !== 'retired' }));
const CORE = 'stability.stable-image-core-v1:1';

let fixture: ComponentFixture<CreatePage>;
let http: HttpTestingController;
let el: HTMLElement;

const byId = (id: string) => el.querySelector(`[data-testid="${id}"]`) as HTMLElement | null;

async function setup(models: ModelInfo[] = MODELS) {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
  fixture = TestBed.createComponent(CreatePage);
  http = TestBed.inject(HttpTestingController);
  el = fixture.nativeElement;
  fixture.detectChanges();
  http.expectOne('/api/models').flush(models);
  await fixture.whenStable();
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

function queued(): Generation {
  return {
    id: 'g1',
    status: 'queued',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    modelId: CORE,
    request: { modelId: CORE, prompt: 'a cat', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    images: [],
    estimatedCostUsd: 0.04,
  };
}

afterEach(() => http.verify());

describe(CreatePage.name, () => {
  it('picks the first available model and shows its controls, limit and cost', async () => {
    await setup();
    expect(byId('model-select')?.textContent).toContain('Stable Image Core');
    expect(byId('negative-prompt')).not.toBeNull();
    expect(byId('prompt-count')?.textContent).toContain('0 / 10000');
    expect(byId('cost')?.textContent).toContain('0.04');
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
    expect(post.request.body).toEqual({ modelId: CORE, prompt: 'a cat', aspectRatio: '1:1', count: 1, outputFormat: 'png' });
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
    [ErrorCode.MODEL_ACCESS_DENIED, 403, 'enable it in the Amazon Bedrock console'],
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
      problem(ErrorCode.VALIDATION_FAILED, 'seed', { errors: [{ field: 'seed', rule: 'max', message: 'seed must not be greater than 4294967294' }] }),
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
