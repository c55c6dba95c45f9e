import { HttpTestingController } from '@angular/common/http/testing';
import { EnvironmentInjector } from '@angular/core';

import { ErrorCode } from '@imagegen/contracts';

import { DetailStore } from './detail-store';
import { image, job, openPage, openRequests, T0 } from './store-testing';

const ID = 'g0000000001';
const OTHER = 'g0000000002';

let page: EnvironmentInjector;
let store: DetailStore;
let http: HttpTestingController;
let pageGone = false;

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
  pageGone = false;
  ({ page, store, http } = openPage(DetailStore));
});

afterEach(() => {
  http.verify();
  // The page's end, unless the test ended it already.
  if (!pageGone) page.destroy();
  jest.useRealTimers();
});

describe(DetailStore.name, () => {
  it('follows a running job with a ticking clock and the models’ ETAs, until it ends', () => {
    store.load(ID);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID));
    http.expectOne('/api/models').flush([]);
    jest.advanceTimersByTime(1000);
    expect(store.elapsed()).toBe(1);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID, { status: 'succeeded' }));
    jest.advanceTimersByTime(10_000);
    expect(store.job()?.status).toBe('succeeded');
    expect(store.elapsed()).toBe(1);
    expect(openRequests(http)).toBe(0);
  });

  it('reads the job again a minute before its links expire', () => {
    store.load(ID);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID, { status: 'succeeded', images: [image(ID)] }));
    jest.advanceTimersByTime(14 * 60_000 - 1);
    http.expectNone(`/api/generations/${ID}`);
    jest.advanceTimersByTime(1);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID, { status: 'succeeded', images: [image(ID)] }));
  });

  it('ends with its page: no stream, clock or link refresh after the page has gone', () => {
    // GIVEN a running job with image links, followed
    store.load(ID);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID, { images: [image(ID)] }));
    http.expectOne('/api/models').flush([]);
    const elapsed = store.elapsed();
    // WHEN the page goes, and an hour passes
    page.destroy();
    pageGone = true;
    jest.advanceTimersByTime(60 * 60_000);
    // THEN nothing was read, and the clock stood still
    expect(openRequests(http)).toBe(0);
    expect(store.elapsed()).toBe(elapsed);
  });

  it('forgets the job shown before when another is loaded', () => {
    store.load(ID);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID, { images: [image(ID)] }));
    http.expectOne('/api/models').flush([]);
    store.load(OTHER);
    http.expectOne(`/api/generations/${OTHER}`).flush(job(OTHER, { status: 'succeeded' }));
    jest.advanceTimersByTime(60 * 60_000);
    expect(store.job()?.id).toBe(OTHER);
    expect(openRequests(http)).toBe(0);
  });

  it('sends nothing for an id that cannot be one', () => {
    store.load('..%2Fetc');
    expect(store.problem()?.code).toBe(ErrorCode.NOT_FOUND);
    expect(openRequests(http)).toBe(0);
  });

  it('deletes the job and then tells the page', () => {
    store.load(ID);
    http.expectOne(`/api/generations/${ID}`).flush(job(ID, { status: 'succeeded' }));
    let deleted = false;
    store.remove(() => (deleted = true));
    expect(store.busy()).toBe(true);
    http.expectOne(`/api/generations/${ID}`).flush(null, { status: 204, statusText: 'No Content' });
    expect(deleted).toBe(true);
  });
});
