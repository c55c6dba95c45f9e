import { HttpTestingController } from '@angular/common/http/testing';
import { EnvironmentInjector } from '@angular/core';

import { OwnerSummary } from '@imagegen/contracts';

import { GALLERY_LIVE_STATUS_MS, GalleryStore } from './gallery-store';
import { image, job, openPage, openRequests, T0 } from './store-testing';

const SUMMARY: OwnerSummary = {
  retentionDays: 30,
  presignExpirySeconds: 900,
  month: '2026-11',
  spentUsd: 1.24,
  images: 31,
};

let page: EnvironmentInjector;
let store: GalleryStore;
let http: HttpTestingController;
let pageGone = false;

/** Starts the store with a first page: one running job and one done. */
function start(nextCursor?: string) {
  store.start();
  http
    .expectOne((r) => r.url === '/api/generations' && !r.params.has('cursor'))
    .flush({
      items: [job('r'), job('d', { status: 'succeeded', images: [image('d')] })],
      ...(nextCursor ? { nextCursor } : {}),
    });
  http.expectOne('/api/summary').flush(SUMMARY);
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
  pageGone = false;
  ({ page, store, http } = openPage(GalleryStore));
});

afterEach(() => {
  http.verify();
  // The page's end, unless the test ended it already.
  if (!pageGone) page.destroy();
  jest.useRealTimers();
});

describe(GalleryStore.name, () => {
  it('loads the first page and the summary once, then the next pages on demand, each once', () => {
    start('c1');
    store.start();
    expect(store.items().map((g) => g.id)).toEqual(['r', 'd']);
    expect(store.summary()).toEqual(SUMMARY);
    store.loadMore();
    store.loadMore();
    http.expectOne((r) => r.params.get('cursor') === 'c1').flush({ items: [job('o', { status: 'failed' })] });
    expect(store.items().map((g) => g.id)).toEqual(['r', 'd', 'o']);
    expect(store.done()).toBe(true);
    store.loadMore();
    expect(openRequests(http)).toBe(0);
  });

  it('reads the running jobs again every few seconds for their live status, and only those', () => {
    start();
    jest.advanceTimersByTime(GALLERY_LIVE_STATUS_MS);
    http.expectOne('/api/generations/r').flush(job('r', { status: 'succeeded', images: [image('r')] }));
    expect(store.items()[0].status).toBe('succeeded');
    jest.advanceTimersByTime(GALLERY_LIVE_STATUS_MS);
    expect(openRequests(http)).toBe(0);
  });

  it('ends with its page: no live status is read after the page has gone', () => {
    // GIVEN a running job in the list
    start();
    // WHEN the page goes, and a minute passes
    page.destroy();
    pageGone = true;
    jest.advanceTimersByTime(60_000);
    // THEN nothing was read
    expect(openRequests(http)).toBe(0);
  });

  it('cancels and deletes jobs, saying so', () => {
    start();
    store.cancel(store.items()[0]);
    http.expectOne('/api/generations/r/cancel').flush(job('r', { status: 'cancelled' }));
    expect(store.items()[0].status).toBe('cancelled');
    expect(store.notice()).toBe('Cancelled.');
    store.remove(store.items()[1]);
    http.expectOne('/api/generations/d').flush(null, { status: 204, statusText: 'No Content' });
    expect(store.items().map((g) => g.id)).toEqual(['r']);
    expect(store.notice()).toBe('Deleted.');
  });
});
