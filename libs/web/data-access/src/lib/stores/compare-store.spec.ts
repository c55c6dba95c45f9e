import { HttpTestingController } from '@angular/common/http/testing';
import { EnvironmentInjector } from '@angular/core';

import { ErrorCode, problem } from '@imagegen/contracts';

import { CompareStore } from './compare-store';
import { image, job, openPage, openRequests, T0 } from './store-testing';

const SD35 = 'stability.sd3-5-large-v1:0';
const CORE = 'stability.stable-image-core-v1:1';
const request = (modelId: string) => ({ modelId, prompt: 'a fox', count: 1 });

let page: EnvironmentInjector;
let store: CompareStore;
let http: HttpTestingController;
let pageGone = false;

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
  pageGone = false;
  ({ page, store, http } = openPage(CompareStore));
});

afterEach(() => {
  http.verify();
  // The page's end, unless the test ended it already.
  if (!pageGone) page.destroy();
  jest.useRealTimers();
});

describe(CompareStore.name, () => {
  it('sends one job per model with its own key, says which were made once all have answered, and follows them', () => {
    const settled: string[][] = [];
    store.compare([request(CORE), request(SD35)], (ids) => settled.push(ids));
    expect(store.columns().map((c) => c.modelId)).toEqual([CORE, SD35]);
    const [core, sd35] = http.match('/api/generations');
    expect(core.request.headers.get('Idempotency-Key')).not.toBe(sd35.request.headers.get('Idempotency-Key'));
    core.flush(job('c1'));
    expect(settled).toEqual([]);
    sd35.flush(problem(ErrorCode.MODEL_ACCESS_DENIED), { status: 403, statusText: 'x' });
    expect(settled).toEqual([['c1']]);
    expect(store.submitting()).toBe(false);
    expect(store.columns()[1].problem?.code).toBe(ErrorCode.MODEL_ACCESS_DENIED);

    // WHEN a second passes, the clock ticks and the running job is read; once it ends, the clock stops
    jest.advanceTimersByTime(1000);
    expect(store.elapsedOf(job('c1'))).toBe(1);
    http.expectOne('/api/generations/c1').flush(job('c1', { status: 'succeeded', images: [image('c1')] }));
    expect(store.columns()[0].job?.status).toBe('succeeded');
    jest.advanceTimersByTime(10_000);
    expect(store.elapsedOf(job('c1'))).toBe(2);
    expect(openRequests(http)).toBe(0);
  });

  it('shows the jobs of a reload again, following those still running', () => {
    store.resume(['c1', 'c2']);
    http.expectOne('/api/generations/c1').flush(job('c1', { status: 'succeeded' }));
    http.expectOne('/api/generations/c2').flush(job('c2', { modelId: SD35 }));
    expect(store.columns().map((c) => c.job?.id)).toEqual(['c1', 'c2']);
    jest.advanceTimersByTime(1000);
    http.expectOne('/api/generations/c2').flush(job('c2', { modelId: SD35, status: 'succeeded' }));
    expect(store.columns()[1].job?.status).toBe('succeeded');
  });

  it('ends with its page: running jobs are no longer read, and the clock stops', () => {
    // GIVEN two running jobs being followed
    store.compare([request(CORE), request(SD35)]);
    const [core, sd35] = http.match('/api/generations');
    core.flush(job('c1'));
    sd35.flush(job('c2', { modelId: SD35 }));
    const now = store.now();
    // WHEN the page goes, and a minute passes
    page.destroy();
    pageGone = true;
    jest.advanceTimersByTime(60_000);
    // THEN nothing was read, and the clock stood still
    expect(openRequests(http)).toBe(0);
    expect(store.now()).toBe(now);
  });

  it('re-reads a job once per broken image link, and never takes an ended job back to running', () => {
    store.resume(['c1']);
    const done = job('c1', { status: 'succeeded', images: [image('c1')] });
    http.expectOne('/api/generations/c1').flush(done);
    store.imageFailed(done, done.images[0]);
    http.expectOne('/api/generations/c1').flush(job('c1', { status: 'running' }));
    expect(store.columns()[0].job?.status).toBe('succeeded');
    store.imageFailed(done, done.images[0]);
    http.expectNone('/api/generations/c1');
  });
});
