import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { finalize, map, merge, Observable, Subject, takeUntil } from 'rxjs';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import {
  findModel,
  GenerateImageRequest,
  Generation,
  GenerationPage,
  OwnerSummary,
  ProblemError,
  validateGenerateImageRequest,
} from '@imagegen/contracts';

import { followGeneration, type FollowOptions } from './follow-generation';
import { checkedId, checkedIdempotencyKey, checkedPageQuery, checkedParent } from './request-checks';
import { StreamCaps, type StreamCapsOptions } from './stream-caps';
import { DRAINING, FOLLOW_OPTIONS, STREAM_CAPS } from './tokens';

/**
 * How soon a followed job can change: a queued one waits for the worker, a running one makes an
 * image in about its model's time; half of that per poll at the soonest (kept within the follow
 * options' bounds), never the initial delay of a job that just changed.
 */
export function paceOf(job: Generation): number {
  const seconds = findModel(job.modelId)?.expectedSecondsPerImage ?? 2;
  return (seconds * 1000) / 2;
}

/** One server-sent event as Nest writes it. */
export interface SseMessage {
  readonly type: string;
  readonly data: unknown;
}

/**
 * The owner's jobs: every input the BFF can judge is checked here (nothing odd is sent on), the rest
 * goes to the generator API, whose problems pass through as they are.
 */
@Injectable()
export class GenerationsService implements BeforeApplicationShutdown {
  /** Open event streams end when the app shuts down or starts draining, so the server can close. */
  private readonly shutdown$ = new Subject<void>();
  readonly streams: StreamCaps;

  constructor(
    @Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient,
    @Inject(FOLLOW_OPTIONS) private readonly follow: FollowOptions,
    @Inject(DRAINING) private readonly draining: Observable<unknown>,
    @Inject(STREAM_CAPS) caps: StreamCapsOptions,
  ) {
    this.streams = new StreamCaps(caps);
  }

  async create(
    ownerId: string,
    requestId: string,
    body: GenerateImageRequest,
    idempotencyKey: unknown,
  ): Promise<Generation> {
    const key = checkedIdempotencyKey(idempotencyKey);
    // The per-model rules (limits of the chosen model) on top of the DTO's: nothing bad leaves the BFF.
    const checked = validateGenerateImageRequest(body);
    if (!checked.ok) throw new ProblemError(checked.problem);
    // A retried click with the same key answers the first job (the generator keeps the keys).
    return this.generator.create(ownerId, checked.value, requestId, key);
  }

  async get(ownerId: string, id: unknown, requestId: string): Promise<Generation> {
    return this.generator.get(ownerId, checkedId(id), requestId);
  }

  async cancel(ownerId: string, id: unknown, requestId: string): Promise<Generation> {
    return this.generator.cancel(ownerId, checkedId(id), requestId);
  }

  async remove(ownerId: string, id: unknown, requestId: string): Promise<void> {
    return this.generator.remove(ownerId, checkedId(id), requestId);
  }

  /** A page of the owner's jobs; with `parent`, only the edits made from that job's images (lineage). */
  async list(
    ownerId: string,
    cursor: unknown,
    limit: unknown,
    requestId: string,
    parent?: unknown,
  ): Promise<GenerationPage> {
    const query = checkedPageQuery(cursor, limit);
    const of = checkedParent(parent);
    return this.generator.list(ownerId, of ? { ...query, parent: of } : query, requestId);
  }

  summary(ownerId: string, requestId: string): Promise<OwnerSummary> {
    return this.generator.summary(ownerId, requestId);
  }

  /**
   * The job as server-sent events each time it changes, until it ends (or the server drains). The
   * job is read before the stream opens, so that a missing one (or another owner's) is a 404
   * problem as for `get`, not a stream carrying it.
   */
  async events(
    ownerId: string,
    id: unknown,
    requestId: string,
    address = 'unknown',
  ): Promise<Observable<SseMessage>> {
    const checked = checkedId(id);
    // Counted before the first read: a refused stream costs the generator nothing.
    const release = await this.streams.open(ownerId, address);
    const load = () => this.generator.get(ownerId, checked, requestId);
    let first: Generation;
    try {
      first = await load();
    } catch (err) {
      release();
      throw err;
    }
    return followGeneration(load, { pace: paceOf, ...this.follow }, first).pipe(
      takeUntil(merge(this.shutdown$, this.draining)),
      map((e) => ({ type: e.type, data: e.data })),
      finalize(release),
    );
  }

  beforeApplicationShutdown(): void {
    this.shutdown$.next();
    this.shutdown$.complete();
  }
}
