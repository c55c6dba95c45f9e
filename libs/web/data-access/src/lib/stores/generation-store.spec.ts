import { HttpTestingController } from '@angular/common/http/testing';
import { EnvironmentInjector } from '@angular/core';

import { ErrorCode, Generation, problem } from '@imagegen/contracts';

import { GenerationStore } from './generation-store';
import { image, job, openPage, openRequests, T0 } from './store-testing';

const REQUEST = { modelId: 'stability.stable-image-core-v1:1', prompt: 'a harbour', count: 1 };
const THROTTLED = problem(ErrorCode.MODEL_THROTTLED, undefined, { retryAfterSeconds: 10 });

let page: EnvironmentInjector;
let store: GenerationStore;
let http: HttpTestingController;
let pageGone = false;

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
  pageGone = false;
  ({ page, store, http } = openPage(GenerationStore));
});

afterEach(() => {
  http.verify();
  // The page's end, unless the test ended it already.
  if (!pageGone) page.destroy();
  jest.useRealTimers();
});

describe(GenerationStore.name, () => {
  it('sends a request, tells the page the job it made, and follows it with a ticking clock until it ends', () => {
    const created: string[] = [];
    store.start(REQUEST, (j) => created.push(j.id));
    expect(store.submitting()).toBe(true);
    const post = http.expectOne('/api/generations');
    expect(post.request.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    post.flush(job('g1'));
    expect(created).toEqual(['g1']);
    expect(store.running()).toBe(true);
    expect(store.elapsed()).toBe(0);

    jest.advanceTimersByTime(1000);
    expect(store.elapsed()).toBe(1);
    http.expectOne('/api/generations/g1').flush(job('g1', { status: 'succeeded', images: [image('g1')] }));
    expect(store.job()?.status).toBe('succeeded');
    expect(store.running()).toBe(false);
    // THEN the clock stops and nothing is read any more
    jest.advanceTimersByTime(10_000);
    expect(store.elapsed()).toBe(1);
    expect(openRequests(http)).toBe(0);
  });

  it('tries a busy model once more after its Retry-After, and only once', () => {
    const created: string[] = [];
    store.start(REQUEST, (j) => created.push(j.id));
    http.expectOne('/api/generations').flush(job('g1', { status: 'failed', error: THROTTLED }));
    expect(store.problem()?.code).toBe(ErrorCode.MODEL_THROTTLED);
    jest.advanceTimersByTime(9_999);
    http.expectNone('/api/generations');
    jest.advanceTimersByTime(1);
    const again = http.expectOne('/api/generations');
    expect(again.request.body).toEqual(REQUEST);
    again.flush(job('g2', { status: 'failed', error: THROTTLED }));
    expect(created).toEqual(['g1', 'g2']);
    jest.advanceTimersByTime(60_000);
    http.expectNone('/api/generations');
  });

  it('ends with its page: a running job is no longer read, and its clock stops', () => {
    // GIVEN a running job being followed
    store.resume('g0');
    http.expectOne('/api/generations/g0').flush(job('g0'));
    jest.advanceTimersByTime(1000);
    http.expectOne('/api/generations/g0').flush(job('g0', { updatedAt: 't1' }));
    const elapsed = store.elapsed();
    // WHEN the page goes, and a minute passes
    page.destroy();
    pageGone = true;
    jest.advanceTimersByTime(60_000);
    // THEN nothing was read, and the clock stood still
    expect(openRequests(http)).toBe(0);
    expect(store.elapsed()).toBe(elapsed);
  });

  it('ends with its page: a pending auto-retry is never sent', () => {
    // GIVEN a busy model's retry pending (10 s)
    store.start(REQUEST);
    http.expectOne('/api/generations').flush(job('g1', { status: 'failed', error: THROTTLED }));
    // WHEN the page goes, and the wait passes
    page.destroy();
    pageGone = true;
    jest.advanceTimersByTime(60_000);
    // THEN nothing is sent
    expect(openRequests(http)).toBe(0);
  });

  it('drops a pending retry when the person sends another request', () => {
    store.start(REQUEST);
    http.expectOne('/api/generations').flush(job('g1', { status: 'failed', error: THROTTLED }));
    store.start({ ...REQUEST, prompt: 'another' });
    http.expectOne('/api/generations').flush(job('g2', { status: 'succeeded' }));
    jest.advanceTimersByTime(60_000);
    http.expectNone('/api/generations');
  });

  it('hands the server’s field errors to the form, and other problems to the banner', () => {
    store.start(REQUEST);
    http.expectOne('/api/generations').flush(
      problem(ErrorCode.VALIDATION_FAILED, 'seed', {
        errors: [{ field: 'seed', rule: 'max', message: 'seed must not be greater than 4294967294' }],
      }),
      { status: 400, statusText: 'Bad Request' },
    );
    expect(store.fieldErrors()['seed']).toContain('4294967294');
    expect(store.problem()).toBeUndefined();
    expect(store.submitting()).toBe(false);

    store.start(REQUEST);
    http
      .expectOne('/api/generations')
      .flush(problem(ErrorCode.RATE_LIMITED), { status: 429, statusText: 'x' });
    expect(store.fieldErrors()).toEqual({});
    expect(store.problem()?.code).toBe(ErrorCode.RATE_LIMITED);
  });

  it('tells the page when a job in the URL cannot be read', () => {
    let missing = false;
    store.resume('gone', () => (missing = true));
    http
      .expectOne('/api/generations/gone')
      .flush(problem(ErrorCode.NOT_FOUND), { status: 404, statusText: 'x' });
    expect(missing).toBe(true);
    expect(store.job()).toBeUndefined();
  });

  it('re-reads the job once per broken image link, and takes its fresh links', () => {
    store.resume('g1');
    const done: Generation = job('g1', { status: 'succeeded', images: [image('g1')] });
    http.expectOne('/api/generations/g1').flush(done);
    store.imageFailed(done.images[0]);
    http
      .expectOne('/api/generations/g1')
      .flush({ ...done, images: [image('g1', { url: 'http://s3/g1.png?X-Amz-Signature=2' })] });
    expect(store.job()?.images[0].url).toContain('Signature=2');
    store.imageFailed(done.images[0]);
    http.expectNone('/api/generations/g1');
  });
});
