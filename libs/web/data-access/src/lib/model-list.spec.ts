import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { createEnvironmentInjector, EnvironmentInjector, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import {
  catalogEta,
  ErrorCode,
  MODEL_CATALOG,
  ModelInfo,
  problem,
  ProblemDetails,
} from '@imagegen/contracts';

import { injectModelList, ModelList } from './model-list';
import { problemMessage } from './problem-messages';

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
const SDXL = 'stability.stable-diffusion-xl-v1';

describe(injectModelList.name, () => {
  let http: HttpTestingController;
  let page: EnvironmentInjector;
  let list: ModelList;
  const problemSeen = signal<ProblemDetails | undefined>(undefined);

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    // The page: an injector of its own, destroyed when the page goes
    page = createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));
    list = page.runInContext(() => injectModelList());
    problemSeen.set(undefined);
  });

  afterEach(() => http.verify());

  it('is empty until the list arrives, then offers every model but the retired, and hands the list to the page', () => {
    const loaded: (readonly ModelInfo[])[] = [];
    list.load(problemSeen, (models) => loaded.push(models));
    expect(list.all()).toEqual([]);
    expect(list.find(CORE)).toBeUndefined();

    http.expectOne('/api/models').flush(MODELS);

    expect(list.all()).toEqual(MODELS);
    expect(list.pickable().map((m) => m.id)).not.toContain(SDXL);
    expect(list.pickable().map((m) => m.id)).toContain(CORE);
    expect(list.find(CORE)?.displayName).toBe('Stable Image Core');
    expect(list.find(undefined)).toBeUndefined();
    expect(loaded).toEqual([MODELS]);
    expect(problemSeen()).toBeUndefined();
  });

  it('puts a failure into the page’s problem, in words the banner can show', () => {
    const loaded: unknown[] = [];
    list.load(problemSeen, (models) => loaded.push(models));
    http
      .expectOne('/api/models')
      .flush(problem(ErrorCode.SERVICE_UNAVAILABLE), { status: 503, statusText: 'Unavailable' });
    expect(problemSeen()?.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    expect(problemMessage(problemSeen)()?.title).toBe('Unavailable for a moment');
    expect(list.all()).toEqual([]);
    expect(loaded).toEqual([]);
  });

  it('stops waiting for the list when the page goes', () => {
    const loaded: unknown[] = [];
    list.load(problemSeen, (models) => loaded.push(models));
    const request = http.expectOne('/api/models');
    page.destroy();
    expect(request.cancelled).toBe(true);
    expect(loaded).toEqual([]);
  });
});

describe(problemMessage.name, () => {
  it('says the page’s problem in words, and nothing once it is cleared', () => {
    const current = signal<ProblemDetails | undefined>(undefined);
    const message = problemMessage(current);
    expect(message()).toBeUndefined();
    current.set(problem(ErrorCode.CONTENT_FILTERED));
    expect(message()?.message).toBe('Blocked by the content filter: edit the prompt and try again.');
    current.set(undefined);
    expect(message()).toBeUndefined();
  });
});
