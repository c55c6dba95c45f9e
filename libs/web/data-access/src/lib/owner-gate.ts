import { HttpInterceptorFn } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { finalize, from, Observable, switchMap } from 'rxjs';

/**
 * A browser's owner is its owner cookie, which the BFF sets on the first API answer that finds none. Requests sent
 * at once before any answer each arrive without a cookie and each make a new owner; the last cookie wins, so an
 * upload made under the first owner is then "not found" under the last. So the page's first API request goes alone,
 * and the others wait for its answer (whatever it is) and carry the cookie it set; after that nothing waits.
 */
@Injectable({ providedIn: 'root' })
export class OwnerGate {
  private first: Promise<void> | undefined;
  private open = false;

  pass<T>(send: () => Observable<T>): Observable<T> {
    if (this.open) return send();
    if (!this.first) {
      let opened!: () => void;
      this.first = new Promise<void>((resolve) => (opened = resolve));
      return send().pipe(
        finalize(() => {
          this.open = true;
          opened();
        }),
      );
    }
    return from(this.first).pipe(switchMap(() => send()));
  }
}

/** Puts every `/api` request through the OwnerGate (other origins, e.g. S3, go straight). */
export const ownerGateInterceptor: HttpInterceptorFn = (req, next) => {
  const path = req.url.startsWith('http') ? new URL(req.url).pathname : req.url;
  if (!(path === '/api' || path.startsWith('/api/'))) return next(req);
  return inject(OwnerGate).pass(() => next(req));
};
