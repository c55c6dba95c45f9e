import { HttpClient, HttpHeaders } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { defer, Observable, timer } from 'rxjs';
import { filter, map, switchMap, takeWhile } from 'rxjs/operators';

import {
  Generation,
  GenerationPage,
  isTerminal,
  ModelInfo,
  OwnerSummary,
  ProblemDetails,
  ServiceInfo,
} from '@imagegen/contracts';

const API = '/api';

/** An error pushed by the job stream (the job could not be read). */
export class FollowProblem extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
  }
}

/** The BFF, same origin: models, jobs, and following a job until it ends. */
@Injectable({ providedIn: 'root' })
export class GenerationsApi {
  private readonly http = inject(HttpClient);

  models(): Observable<ModelInfo[]> {
    return this.http.get<ModelInfo[]>(`${API}/models`);
  }

  /** Each Image Service's expected time per image: measured by this deployment, or the catalog's. */
  services(): Observable<ServiceInfo[]> {
    return this.http.get<ServiceInfo[]>(`${API}/services`);
  }

  /** How long things are kept, and what the owner spent this month. */
  summary(): Observable<OwnerSummary> {
    return this.http.get<OwnerSummary>(`${API}/summary`);
  }

  create(request: Record<string, unknown>, idempotencyKey: string): Observable<Generation> {
    return this.http.post<Generation>(`${API}/generations`, request, {
      headers: new HttpHeaders({ 'Idempotency-Key': idempotencyKey }),
    });
  }

  get(id: string): Observable<Generation> {
    return this.http.get<Generation>(`${API}/generations/${encodeURIComponent(id)}`);
  }

  /** The owner's jobs, newest first, a page at a time. */
  list(cursor?: string, limit = 24): Observable<GenerationPage> {
    const params: Record<string, string> = { limit: String(limit), ...(cursor ? { cursor } : {}) };
    return this.http.get<GenerationPage>(`${API}/generations`, { params });
  }

  cancel(id: string): Observable<Generation> {
    return this.http.post<Generation>(`${API}/generations/${encodeURIComponent(id)}/cancel`, null);
  }

  remove(id: string): Observable<void> {
    return this.http.delete<void>(`${API}/generations/${encodeURIComponent(id)}`);
  }

  /**
   * The job each time it changes, until it ends: server-sent events, or polling with backoff
   * (1 s growing to 5 s) when the browser has no EventSource or the stream breaks.
   */
  follow(id: string): Observable<Generation> {
    return new Observable<Generation>((subscriber) => {
      let inner = { unsubscribe: () => undefined as void };
      const fallBack = () => {
        inner.unsubscribe();
        inner = this.poll(id).subscribe(subscriber);
      };
      if (typeof EventSource === 'undefined') {
        fallBack();
        return () => inner.unsubscribe();
      }
      const source = new EventSource(`${API}/generations/${encodeURIComponent(id)}/events`);
      let ended = false;
      source.addEventListener('generation', (e) => {
        const job = JSON.parse((e as MessageEvent<string>).data) as Generation;
        subscriber.next(job);
        if (isTerminal(job.status)) {
          ended = true;
          source.close();
          subscriber.complete();
        }
      });
      source.addEventListener('problem', (e) => {
        ended = true;
        source.close();
        subscriber.error(new FollowProblem(JSON.parse((e as MessageEvent<string>).data) as ProblemDetails));
      });
      source.onerror = () => {
        if (ended) return;
        source.close();
        fallBack();
      };
      return () => {
        source.close();
        inner.unsubscribe();
      };
    });
  }

  private poll(id: string): Observable<Generation> {
    let delay = 1_000;
    let last = '';
    const once = defer(() => this.get(id));
    return new Observable<Generation>((subscriber) => {
      const tick = (): { unsubscribe(): void } =>
        timer(delay)
          .pipe(switchMap(() => once))
          .subscribe({
            next: (job) => {
              const signature = `${job.status}|${job.updatedAt}`;
              if (signature !== last) subscriber.next(job);
              delay = signature === last ? Math.min(5_000, delay * 1.5) : 1_000;
              last = signature;
              if (isTerminal(job.status)) subscriber.complete();
              else current = tick();
            },
            error: (err) => subscriber.error(err),
          });
      let current = tick();
      return () => current.unsubscribe();
    }).pipe(
      filter((job) => !!job),
      map((job) => job),
      takeWhile((job) => !isTerminal(job.status), true),
    );
  }
}
