import { DOCUMENT } from '@angular/common';
import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject, InjectionToken } from '@angular/core';
import { catchError, throwError } from 'rxjs';

/** Reloads the page (a token so tests can watch it). */
export const RELOAD_PAGE = new InjectionToken<() => void>('reload the page', {
  providedIn: 'root',
  factory: () => {
    const doc = inject(DOCUMENT);
    return () => doc.defaultView?.location.reload();
  },
});

/** Where the last reload for a 401 is remembered (this tab only), so a 401 that persists cannot loop. */
export const SESSION_RELOAD_KEY = 'imagegen.reloadedForSignIn';
/** A second 401 this soon after a reload is shown as an error, not reloaded again. */
export const SESSION_RELOAD_QUIET_MS = 60_000;

/**
 * With Cognito on, the ALB answers an `/api/*` call without a valid session 401 (it cannot send a
 * fetch to the sign-in page); a page load is redirected to sign in. So a 401 from the API reloads
 * the page once, which signs in again and comes back here (ADR 0009).
 */
export const sessionExpiredInterceptor: HttpInterceptorFn = (req, next) => {
  const reload = inject(RELOAD_PAGE);
  const storage = inject(DOCUMENT).defaultView?.sessionStorage;
  return next(req).pipe(
    catchError((err: unknown) => {
      if (err instanceof HttpErrorResponse && err.status === 401 && isApi(req.url)) {
        const last = Number(storage?.getItem(SESSION_RELOAD_KEY) ?? 0);
        if (!(Date.now() - last < SESSION_RELOAD_QUIET_MS)) {
          storage?.setItem(SESSION_RELOAD_KEY, String(Date.now()));
          reload();
        }
      }
      return throwError(() => err);
    }),
  );
};

function isApi(url: string): boolean {
  const path = url.startsWith('http') ? new URL(url).pathname : url;
  return path === '/api' || path.startsWith('/api/');
}
