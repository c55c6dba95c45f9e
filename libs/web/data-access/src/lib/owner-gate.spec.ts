import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';

import { ownerGateInterceptor } from './owner-gate';

describe('ownerGateInterceptor', () => {
  let http: HttpClient;
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([ownerGateInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpClient);
    backend = TestBed.inject(HttpTestingController);
  });
  afterEach(() => backend.verify());

  const flushMicrotasks = () => new Promise((r) => setTimeout(r, 0));

  it("sends the page's first API request alone, the others once it is answered (so they carry the owner cookie it set)", async () => {
    // GIVEN a page that asks for its models, its summary and an upload ticket at once
    void firstValueFrom(http.get('/api/models'));
    void firstValueFrom(http.get('/api/summary'));
    void firstValueFrom(http.post('/api/uploads', { contentType: 'image/png', bytes: 10 }));
    await flushMicrotasks();
    // THEN only the first went out
    expect(backend.match(() => true).map((r) => r.request.url)).toEqual(['/api/models']);
  });

  it('lets the waiting requests go when the first is answered, even with an error, and nothing waits after that', async () => {
    const models = firstValueFrom(http.get('/api/models')).catch(() => 'refused');
    const summary = firstValueFrom(http.get('/api/summary'));
    await flushMicrotasks();
    backend.expectOne('/api/models').flush({ code: 'INTERNAL' }, { status: 500, statusText: 'Error' });
    expect(await models).toBe('refused');
    await flushMicrotasks();
    backend.expectOne('/api/summary').flush({ month: '2026-12' });
    expect(await summary).toEqual({ month: '2026-12' });
    // Later requests go at once, side by side; another origin (S3) never waited
    void firstValueFrom(http.get('/api/generations'));
    void firstValueFrom(http.get('/api/models'));
    void firstValueFrom(http.get('https://bucket.s3.us-west-2.amazonaws.com/x'));
    expect(
      backend
        .match(() => true)
        .map((r) => r.request.url)
        .sort(),
    ).toEqual(['/api/generations', '/api/models', 'https://bucket.s3.us-west-2.amazonaws.com/x']);
  });
});
