import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { RELOAD_PAGE, SESSION_RELOAD_KEY, sessionExpiredInterceptor } from './session-expired';

describe('sessionExpiredInterceptor', () => {
  let reload: jest.Mock;
  let http: HttpClient;
  let backend: HttpTestingController;

  beforeEach(() => {
    sessionStorage.clear();
    reload = jest.fn();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([sessionExpiredInterceptor])),
        provideHttpClientTesting(),
        { provide: RELOAD_PAGE, useValue: reload },
      ],
    });
    http = TestBed.inject(HttpClient);
    backend = TestBed.inject(HttpTestingController);
  });

  const call = (url: string, status: number) => {
    let failed = false;
    http.get(url).subscribe({ error: () => (failed = true) });
    backend.expectOne(url).flush('', { status, statusText: 'x' });
    return failed;
  };

  it('reloads the page once when the API answers 401 (the ALB’s answer to an expired sign-in)', () => {
    // GIVEN an expired session WHEN an API call answers 401 THEN the page reloads (to sign in) and the call still fails
    expect(call('/api/models', 401)).toBe(true);
    expect(reload).toHaveBeenCalledTimes(1);
    // AND a 401 again right after does not reload in a loop
    expect(call('/api/generations', 401)).toBe(true);
    expect(reload).toHaveBeenCalledTimes(1);
    expect(sessionStorage.getItem(SESSION_RELOAD_KEY)).toBeTruthy();
  });

  it('leaves other answers and other URLs alone', () => {
    call('/api/models', 403);
    call('/api/models', 500);
    call('/assets/x.json', 401);
    expect(reload).not.toHaveBeenCalled();
  });
});
