import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { ErrorCode, Generation, problem } from '@imagegen/contracts';

import { downloadName } from './download';
import { GenerationsApi } from './generations-api';
import { problemFrom, userMessage } from './problem-messages';

describe(downloadName.name, () => {
  it.each([
    ['A Lighthouse, at DUSK — oil painting!', { seed: 42, format: 'png' as const }, 'a-lighthouse-at-dusk-oil-painting-42.png'],
    ['<script>alert(1)</script> café au lait', { seed: 7, format: 'jpeg' as const }, 'alert-1-cafe-au-lait-7.jpg'],
    ['日本の庭', { seed: 1, format: 'webp' as const }, 'image-1.webp'],
  ])('names %p sensibly', (prompt, image, expected) => {
    expect(downloadName(prompt, image)).toBe(expected);
  });
});

describe(userMessage.name, () => {
  it.each([
    [ErrorCode.CONTENT_FILTERED, /content filter: edit the prompt/],
    [ErrorCode.MODEL_THROTTLED, /busy: retrying/],
    [ErrorCode.MODEL_ACCESS_DENIED, /not enabled in your AWS account: enable it in the Amazon Bedrock console/],
    [ErrorCode.INTERNAL, /on our side/],
  ])('says %s in words a person understands', (code, message) => {
    expect(userMessage(problem(code)).message).toMatch(message);
  });

  it('reads problem+json from an HTTP error, and says so when offline', () => {
    const p = problem(ErrorCode.MODEL_RETIRED, 'gone');
    expect(problemFrom(new HttpErrorResponse({ status: 410, error: p }))).toEqual(p);
    expect(problemFrom(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') })).detail).toMatch(/offline/);
  });
});

describe(GenerationsApi.name, () => {
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
    const job = (status: Generation['status'], updatedAt: string) => ({ id: 'g1', status, updatedAt }) as Generation;
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
