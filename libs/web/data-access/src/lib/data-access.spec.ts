import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { ErrorCode, Generation, problem } from '@imagegen/contracts';

import { downloadName } from './download';
import { FreshLinks, MAX_CONCURRENT_REREADS } from './fresh-links';
import { GenerationsApi } from './generations-api';
import { problemFrom, userMessage } from './problem-messages';

describe(downloadName.name, () => {
  it.each([
    [
      'A Lighthouse, at DUSK — oil painting!',
      { seed: 42, format: 'png' as const },
      'a-lighthouse-at-dusk-oil-painting-42.png',
    ],
    [
      '<script>alert(1)</script> café au lait',
      { seed: 7, format: 'jpeg' as const },
      'alert-1-cafe-au-lait-7.jpg',
    ],
    ['日本の庭', { seed: 1, format: 'webp' as const }, 'image-1.webp'],
  ])('names %p sensibly', (prompt, image, expected) => {
    expect(downloadName(prompt, image)).toBe(expected);
  });
});

describe(problemFrom.name, () => {
  it('reads problem+json from an HTTP error, and says so when offline', () => {
    const p = problem(ErrorCode.MODEL_RETIRED, 'gone');
    expect(problemFrom(new HttpErrorResponse({ status: 410, error: p }))).toEqual(p);
    expect(
      problemFrom(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') })).detail,
    ).toMatch(/offline/);
  });

  it('still says problems in words through the old export', () => {
    expect(userMessage(problem(ErrorCode.CONTENT_FILTERED)).message).toMatch(/content filter/);
  });
});

describe(GenerationsApi.name, () => {
  it('reads the owner summary', () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    const api = TestBed.inject(GenerationsApi);
    const http = TestBed.inject(HttpTestingController);
    let spent = -1;
    api.summary().subscribe((s) => (spent = s.spentUsd));
    http
      .expectOne('/api/summary')
      .flush({ retentionDays: 30, presignExpirySeconds: 900, month: '2026-11', spentUsd: 1.2, images: 30 });
    expect(spent).toBe(1.2);
  });

  it("reads each Image Service's ETA", () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    const api = TestBed.inject(GenerationsApi);
    const http = TestBed.inject(HttpTestingController);
    let p50 = -1;
    api.services().subscribe((s) => (p50 = s[0].eta.p50Seconds));
    const eta = { p50Seconds: 7, p90Seconds: 9, samples: 5, source: 'measured', parallelism: 2 };
    http
      .expectOne({ method: 'GET', url: '/api/services' })
      .flush([{ id: 'stability.stable-image-inpaint-v1:0', eta }]);
    expect(p50).toBe(7);
  });

  it('sends an idempotency key with each new job and polls a job until it ends when EventSource is missing', async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    const api = TestBed.inject(GenerationsApi);
    const http = TestBed.inject(HttpTestingController);

    api.create({ prompt: 'x' }, 'key-1').subscribe();
    const post = http.expectOne('/api/generations');
    expect(post.request.headers.get('Idempotency-Key')).toBe('key-1');

    jest.useFakeTimers();
    const seen: string[] = [];
    let done = false;
    api.follow('g1').subscribe({ next: (j) => seen.push(j.status), complete: () => (done = true) });
    const job = (status: Generation['status'], updatedAt: string) =>
      ({ id: 'g1', status, updatedAt }) as Generation;
    jest.advanceTimersByTime(1000);
    http.expectOne('/api/generations/g1').flush(job('running', 't1'));
    jest.advanceTimersByTime(1000);
    http.expectOne('/api/generations/g1').flush(job('succeeded', 't2'));
    jest.useRealTimers();
    expect(seen).toEqual(['running', 'succeeded']);
    expect(done).toBe(true);
    http.verify();
  });
});

describe(FreshLinks.name, () => {
  const NOW = Date.parse('2026-11-24T10:00:00Z');
  let links: FreshLinks;
  let http: HttpTestingController;

  function job(id: string, urlExpiresAt: string): Generation {
    return {
      id,
      status: 'succeeded',
      createdAt: '2026-11-24T09:59:00Z',
      updatedAt: '2026-11-24T09:59:05Z',
      modelId: 'stability.stable-image-core-v1:1',
      request: {
        modelId: 'stability.stable-image-core-v1:1',
        prompt: 'p',
        aspectRatio: '1:1',
        count: 1,
        outputFormat: 'png',
      },
      images: [
        {
          id: `${id}-i`,
          index: 0,
          url: `http://s3/${id}?sig=old`,
          urlExpiresAt,
          width: 1,
          height: 1,
          seed: 1,
          bytes: 1,
          format: 'png',
        },
      ],
      estimatedCostUsd: 0.04,
    };
  }

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    links = TestBed.inject(FreshLinks);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('hands back a job whose links still have time, without a request', () => {
    // GIVEN links valid for 15 more minutes
    const j = job('a', '2026-11-24T10:15:00Z');
    let got: Generation | undefined;
    // WHEN a link is about to be used
    links.ensure(j, NOW).subscribe((g) => (got = g));
    // THEN nothing is fetched
    http.expectNone('/api/generations/a');
    expect(got).toBe(j);
  });

  it('re-reads a job whose links are about to expire, and hands back the fresh links', () => {
    // GIVEN a page left open for an hour (a fake clock: links minted at 10:00 expire at 10:15)
    const j = job('a', '2026-11-24T10:15:00Z');
    const anHourLater = NOW + 60 * 60_000;
    let got: Generation | undefined;
    // WHEN a link is about to be used
    links.ensure(j, anHourLater).subscribe((g) => (got = g));
    // THEN the job is read again and its fresh link handed back
    http
      .expectOne('/api/generations/a')
      .flush({ ...j, images: [{ ...j.images[0], url: 'http://s3/a?sig=new' }] });
    expect(got?.images[0].url).toBe('http://s3/a?sig=new');
  });

  it('reads each job once however many ask, and never more than a few at a time', () => {
    // GIVEN 10 tiles whose links all failed at once, two of them asking twice
    const ids = Array.from({ length: 10 }, (_, i) => `g${i}`);
    const got: string[] = [];
    for (const id of [...ids, 'g0', 'g1']) links.reread(id).subscribe((g) => got.push(g.id));

    // THEN only a few reads are in flight at any time, and every job is read exactly once
    const seen: string[] = [];
    while (seen.length < ids.length) {
      const open = http.match((r) => r.url.startsWith('/api/generations/'));
      expect(open.length).toBeGreaterThan(0);
      expect(open.length).toBeLessThanOrEqual(MAX_CONCURRENT_REREADS);
      for (const req of open) {
        const id = req.request.url.split('/').pop() as string;
        seen.push(id);
        req.flush(job(id, '2026-11-24T11:15:00Z'));
      }
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(got.filter((id) => id === 'g0')).toHaveLength(2);
  });

  it('frees its place in the queue when a read fails', () => {
    const errors: unknown[] = [];
    for (let i = 0; i < MAX_CONCURRENT_REREADS + 1; i++)
      links.reread(`g${i}`).subscribe({ error: (e) => errors.push(e) });
    for (const req of http.match(() => true)) req.flush(null, { status: 500, statusText: 'x' });
    expect(errors).toHaveLength(MAX_CONCURRENT_REREADS);
    http.expectOne('/api/generations/g3').flush(job('g3', '2026-11-24T11:15:00Z'));
  });
});
