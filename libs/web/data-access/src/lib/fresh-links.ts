import { inject, Injectable } from '@angular/core';
import { Observable, of } from 'rxjs';
import { finalize, share } from 'rxjs/operators';

import { Generation } from '@imagegen/contracts';
import { needsFreshLinks } from '@imagegen/web/util-jobs';

import { GenerationsApi } from './generations-api';

/** At most this many jobs are re-read at once, however many tiles ask (no request storm for 200 tiles). */
export const MAX_CONCURRENT_REREADS = 3;

/**
 * Presigned links die (PRESIGN_EXPIRY_SECONDS): a job read again carries fresh ones. This re-reads jobs
 * through one queue: at most `MAX_CONCURRENT_REREADS` at a time, one read per job however many ask for it.
 */
@Injectable({ providedIn: 'root' })
export class FreshLinks {
  private readonly api = inject(GenerationsApi);
  private readonly inFlight = new Map<string, Observable<Generation>>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;

  /** The job as it is now (fresh links, new status), read through the queue. */
  reread(id: string): Observable<Generation> {
    const pending = this.inFlight.get(id);
    if (pending) return pending;
    const read = this.queued(() => this.api.get(id)).pipe(
      finalize(() => this.inFlight.delete(id)),
      share(),
    );
    this.inFlight.set(id, read);
    return read;
  }

  /** The job itself while its links have more than a minute to live; else the job read again. */
  ensure(job: Generation, nowMs = Date.now()): Observable<Generation> {
    return needsFreshLinks(job, nowMs) ? this.reread(job.id) : of(job);
  }

  private queued<T>(work: () => Observable<T>): Observable<T> {
    return new Observable<T>((subscriber) => {
      let started = false;
      let inner: { unsubscribe(): void } | undefined;
      const start = () => {
        started = true;
        this.active++;
        inner = work()
          .pipe(finalize(() => this.release()))
          .subscribe(subscriber);
      };
      if (this.active < MAX_CONCURRENT_REREADS) start();
      else this.waiting.push(start);
      return () => {
        if (started) inner?.unsubscribe();
        else if (this.waiting.includes(start)) this.waiting.splice(this.waiting.indexOf(start), 1);
      };
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
