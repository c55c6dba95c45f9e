import {
  ErrorCode,
  GENERATION_ID_PATTERN,
  Generation,
  GenerationPage,
  ImageEngine,
  ProblemDetails,
  ProblemError,
  estimateCostUsd,
  problem,
  validateGenerateImageRequest,
} from '@imagegen/contracts';
import { adapterFor, readImageInfo } from '@imagegen/generator/model-adapters';

import { decodeCursor, encodeCursor, parseLimit } from './cursor';
import { imageKey, toGeneration } from './generation-view';
import { embedParameters } from './image-parameters';
import { GenerationRecord, GeneratorDeps, StoredImage, WorkerEvent } from './ports';

const CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
const EXTENSIONS = { png: 'png', jpeg: 'jpg', webp: 'webp' } as const;

/** Anything thrown that is not a ProblemError becomes INTERNAL, with no internals in it. */
export function toProblem(err: unknown, fallbackDetail = 'the job failed on our side'): ProblemDetails {
  return err instanceof ProblemError ? err.problem : problem(ErrorCode.INTERNAL, fallbackDetail);
}

function notFound(id: string): ProblemError {
  return ProblemError.of(ErrorCode.NOT_FOUND, `no generation ${id.slice(0, 64)}`);
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

/** The same request always gives the same text, whatever the order of its fields. */
function fingerprintOf(value: object): string {
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(entries);
}

function expired(record: GenerationRecord, deps: GeneratorDeps): boolean {
  return record.expiresAt !== undefined && record.expiresAt * 1000 <= deps.clock.now().getTime();
}

/**
 * POST /generations: validate, record `queued`, hand the job to the worker, answer at once.
 * With an Idempotency-Key, a retry of the same request answers the first job (never a second
 * charge); the same key with another request is a CONFLICT.
 */
export async function createGeneration(
  deps: GeneratorDeps,
  ownerId: string,
  body: unknown,
  requestId: string,
  idempotencyKey?: string,
): Promise<Generation> {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw ProblemError.of(ErrorCode.VALIDATION_FAILED, 'Idempotency-Key must be 8 to 128 letters, digits, - or _', {
      errors: [{ field: 'Idempotency-Key', rule: 'matches', message: 'Idempotency-Key must be 8 to 128 letters, digits, - or _' }],
    });
  }
  const validated = validateGenerateImageRequest(body, deps.catalog);
  if (!validated.ok) throw new ProblemError(validated.problem);
  const request = validated.value;
  const model = deps.catalog(request.modelId);
  if (!model) throw ProblemError.of(ErrorCode.VALIDATION_FAILED, `unknown model ${request.modelId}`);

  let id = deps.ids.newId();
  if (idempotencyKey !== undefined) {
    const fingerprint = fingerprintOf(request);
    const claimed = await deps.repository.claimIdempotencyKey({
      ownerId,
      key: idempotencyKey,
      generationId: id,
      fingerprint,
      expiresAt: Math.floor(deps.clock.now().getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
    });
    if (claimed.fingerprint !== fingerprint) {
      throw ProblemError.of(ErrorCode.CONFLICT, 'this Idempotency-Key was already used for a different request: use a new key');
    }
    if (claimed.generationId !== id) {
      const first = await deps.repository.get(ownerId, claimed.generationId);
      if (first) return toGeneration(first, deps.signer, deps.clock, deps.settings.presignExpirySeconds);
      id = claimed.generationId; // the first attempt stopped before recording the job: record it now
    }
  }

  const nowDate = deps.clock.now();
  const now = nowDate.toISOString();
  const record: GenerationRecord = {
    ownerId,
    id,
    status: 'queued',
    createdAt: now,
    updatedAt: now,
    modelId: model.id,
    request,
    images: [],
    estimatedCostUsd: estimateCostUsd(model, request.count),
    requestId,
    expiresAt: Math.floor(nowDate.getTime() / 1000) + deps.settings.retentionDays * 86_400,
  };
  await deps.repository.create(record);
  try {
    await deps.worker.invoke({ ownerId, generationId: record.id, requestId });
  } catch {
    // Nothing will ever run this job: settle it so it is not left queued, and say so.
    const failure = problem(ErrorCode.MODEL_UNAVAILABLE, 'the job could not be started: try again in a moment');
    await deps.repository.settle(ownerId, record.id, {
      status: 'failed',
      updatedAt: deps.clock.now().toISOString(),
      images: [],
      error: failure,
      durationMs: 0,
      estimatedCostUsd: 0,
    });
    throw new ProblemError(failure);
  }
  return toGeneration(record, deps.signer, deps.clock, deps.settings.presignExpirySeconds);
}

/**
 * A job still `running` (or `queued`) long after any worker could be on it lost its worker: it is
 * settled `failed` when read, so nobody waits on it forever.
 */
async function settleIfStale(deps: GeneratorDeps, record: GenerationRecord): Promise<GenerationRecord> {
  if (record.status !== 'running' && record.status !== 'queued') return record;
  // Queued jobs wait in Lambda's queue (up to an hour) before their worker starts.
  const limitSeconds = record.status === 'running' ? deps.settings.staleAfterSeconds : 3600 + deps.settings.staleAfterSeconds;
  if (Date.parse(record.updatedAt) > deps.clock.now().getTime() - limitSeconds * 1000) return record;
  const update = {
    status: 'failed' as const,
    updatedAt: deps.clock.now().toISOString(),
    images: [],
    error: problem(ErrorCode.MODEL_TIMEOUT, 'the job stopped before it finished: try again'),
    durationMs: deps.clock.now().getTime() - Date.parse(record.createdAt),
    estimatedCostUsd: 0,
  };
  if (!(await deps.repository.settle(record.ownerId, record.id, update))) return (await deps.repository.get(record.ownerId, record.id)) ?? record;
  return { ...record, ...update };
}

/** GET /generations/{id}: the owner's job with fresh links; anyone else's is NOT_FOUND. */
export async function getGeneration(deps: GeneratorDeps, ownerId: string, id: string): Promise<Generation> {
  if (!GENERATION_ID_PATTERN.test(id)) throw notFound(id);
  const record = await deps.repository.get(ownerId, id);
  if (!record || expired(record, deps)) throw notFound(id);
  return toGeneration(await settleIfStale(deps, record), deps.signer, deps.clock, deps.settings.presignExpirySeconds);
}

/** POST /generations/{id}/cancel: a queued or running job stops; the worker stores nothing more. */
export async function cancelGeneration(deps: GeneratorDeps, ownerId: string, id: string): Promise<Generation> {
  if (!GENERATION_ID_PATTERN.test(id)) throw notFound(id);
  const record = await deps.repository.get(ownerId, id);
  if (!record || expired(record, deps)) throw notFound(id);
  if (!(await deps.repository.cancel(ownerId, id, deps.clock.now().toISOString()))) {
    if (record.status === 'cancelled') return toGeneration(record, deps.signer, deps.clock, deps.settings.presignExpirySeconds);
    throw ProblemError.of(ErrorCode.CONFLICT, `the generation has already ${record.status === 'succeeded' ? 'finished' : 'ended'}: nothing to cancel`);
  }
  return getGeneration(deps, ownerId, id);
}

/** DELETE /generations/{id}: the record and every image of it (a running job is cancelled first). */
export async function deleteGeneration(deps: GeneratorDeps, ownerId: string, id: string): Promise<void> {
  if (!GENERATION_ID_PATTERN.test(id)) throw notFound(id);
  const record = await deps.repository.get(ownerId, id);
  if (!record) throw notFound(id);
  if (record.status === 'queued' || record.status === 'running') await deps.repository.cancel(ownerId, id, deps.clock.now().toISOString());
  await deleteQuietly(deps, record.images.map((i) => i.key));
  await deps.repository.remove(ownerId, id);
}

/** GET /generations: the owner's jobs, newest first, by cursor. */
export async function listGenerations(
  deps: GeneratorDeps,
  ownerId: string,
  query: { readonly cursor?: string; readonly limit?: string },
): Promise<GenerationPage> {
  const limit = parseLimit(query.limit);
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const records = (await deps.repository.list(ownerId, limit + 1, after)).filter((r) => !expired(r, deps));
  const page = records.slice(0, limit);
  const items = await Promise.all(
    page.map(async (r) => toGeneration(await settleIfStale(deps, r), deps.signer, deps.clock, deps.settings.presignExpirySeconds)),
  );
  const last = page[page.length - 1];
  return { items, ...(records.length > limit && last ? { nextCursor: encodeCursor(last.id) } : {}) };
}

/** The seed of image `index`: the person's seed (then the next ones), or a random one per image. */
function seedFor(deps: GeneratorDeps, range: { min: number; max: number }, base: number | undefined, index: number) {
  if (base === undefined) return deps.random.integer(Math.max(range.min, 1), range.max);
  const span = range.max - range.min + 1;
  return range.min + ((base - range.min + index) % span);
}

/**
 * The worker: queued → running → succeeded | failed. Every failure deletes what this run wrote
 * before the job is recorded failed, so no object is left without a record and no job is left
 * running. Throws only when the job could not be settled (so Lambda's async retry runs it again).
 */
export async function runGeneration(deps: GeneratorDeps, event: WorkerEvent): Promise<'succeeded' | 'failed' | 'skipped' | 'cancelled'> {
  const startedAt = deps.clock.now();
  const staleBefore = new Date(startedAt.getTime() - deps.settings.staleAfterSeconds * 1000).toISOString();
  const record = await deps.repository.markRunning(event.ownerId, event.generationId, startedAt.toISOString(), staleBefore);
  if (!record) return 'skipped'; // running elsewhere or settled: a duplicate delivery does nothing

  const written: string[] = [];
  const images: StoredImage[] = [];
  let engine: ImageEngine | undefined;
  try {
    const model = deps.catalog(record.modelId);
    if (!model || model.lifecycle.state === 'retired') {
      throw ProblemError.of(ErrorCode.MODEL_RETIRED, `${record.modelId} is no longer available`);
    }
    if (!adapterFor(model.family)) {
      throw ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, `${model.displayName} cannot be called by this version`);
    }
    for (let index = 0; index < record.request.count; index++) {
      // Cancelled (or deleted) meanwhile: stop before paying for another image, keep nothing.
      if (index > 0 && (await deps.repository.get(record.ownerId, record.id))?.status !== 'running') {
        await deleteQuietly(deps, written);
        return 'cancelled';
      }
      const seed = seedFor(deps, model.seed, record.request.seed, index);
      const made = await deps.model.generate(model, record.request, seed);
      const info = readImageInfo(made.bytes);
      if (!info) throw ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'the model answered bytes that are not an image');
      const imageId = deps.ids.newId();
      const key = imageKey(record.ownerId, record.id, imageId, EXTENSIONS[info.format]);
      // The file carries how it was made (prompt, model, seed, size, time), as image tools expect.
      const bytes = embedParameters(made.bytes, info.format, { request: record.request, seed: made.seed, width: info.width, height: info.height, createdAt: record.createdAt });
      written.push(key);
      await deps.store.put(key, bytes, CONTENT_TYPES[info.format]);
      images.push({ id: imageId, key, width: info.width, height: info.height, seed: made.seed, bytes: bytes.length, format: info.format });
      engine = made.engine;
    }
  } catch (err) {
    await deleteQuietly(deps, written);
    const settled = await deps.repository.settle(record.ownerId, record.id, {
      status: 'failed',
      updatedAt: deps.clock.now().toISOString(),
      images: [],
      error: toProblem(err),
      durationMs: deps.clock.now().getTime() - startedAt.getTime(),
      estimatedCostUsd: 0,
    });
    if (!settled) return 'skipped';
    return 'failed';
  }

  const model = deps.catalog(record.modelId);
  const settled = await deps.repository
    .settle(record.ownerId, record.id, {
      status: 'succeeded',
      updatedAt: deps.clock.now().toISOString(),
      images,
      durationMs: deps.clock.now().getTime() - startedAt.getTime(),
      estimatedCostUsd: model ? estimateCostUsd(model, images.length) : record.estimatedCostUsd,
      ...(engine ? { engine } : {}),
    })
    .catch(async (err: unknown) => {
      // The record could not be written: take the images back so none is left without a record.
      await deleteQuietly(deps, written);
      throw err;
    });
  if (!settled) {
    await deleteQuietly(deps, written); // cancelled or settled elsewhere meanwhile: keep nothing
    return 'skipped';
  }
  return 'succeeded';
}

async function deleteQuietly(deps: GeneratorDeps, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await deps.store.deleteMany(keys);
}

/**
 * The worker's on-failure destination: every attempt of an asynchronous invocation failed, so
 * the job is settled failed (if it is still queued or running) rather than left hanging.
 */
export async function settleAbandonedGeneration(deps: GeneratorDeps, event: WorkerEvent): Promise<boolean> {
  return deps.repository.settle(event.ownerId, event.generationId, {
    status: 'failed',
    updatedAt: deps.clock.now().toISOString(),
    images: [],
    error: problem(ErrorCode.MODEL_UNAVAILABLE, 'the job could not be completed after several attempts: try again'),
    durationMs: 0,
    estimatedCostUsd: 0,
  });
}
