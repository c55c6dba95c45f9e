import {
  ErrorCode,
  estimateCostUsd,
  Generation,
  GENERATION_ID_PATTERN,
  GenerationPage,
  IDEMPOTENCY_KEY_PATTERN,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  problem,
  ProblemError,
  validateGenerateImageRequest,
} from '@imagegen/contracts';

import { refusalProblem, reservationFor } from './budgets';
import { decodeCursor, encodeCursor, parseLimit } from './cursor';
import { imageKey, jobPrefix, thumbnailKey, toGeneration } from './generation-view';
import { modelEta } from './models';
import { GenerationRecord, GeneratorDeps, StoredImage } from './ports';
import { isRepeatable, repeatFingerprint, stableJson } from './repeats';
import { plannedSeeds, settleIfStale } from './worker';

export { toProblem } from './worker';

function notFound(id: string): ProblemError {
  return ProblemError.of(ErrorCode.NOT_FOUND, `no generation ${id.slice(0, 64)}`);
}

const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

function expired(record: GenerationRecord, deps: GeneratorDeps): boolean {
  return record.expiresAt !== undefined && record.expiresAt * 1000 <= deps.clock.now().getTime();
}

/** The owner's live job, or NOT_FOUND (another owner's job, a malformed id and an expired job look the same). */
async function ownJob(deps: GeneratorDeps, ownerId: string, id: string): Promise<GenerationRecord> {
  if (!GENERATION_ID_PATTERN.test(id)) throw notFound(id);
  const record = await deps.repository.get(ownerId, id);
  if (!record || expired(record, deps)) throw notFound(id);
  return record;
}

/** A model this account cannot call is refused before anything is written (in words that say how to fix it). */
async function checkAccess(deps: GeneratorDeps, model: ModelCatalogEntry): Promise<void> {
  const access = await deps.access.check(model);
  if (access.availability === 'no-access' || access.availability === 'wrong-region') {
    throw ProblemError.of(
      ErrorCode.MODEL_ACCESS_DENIED,
      access.reason ?? `${model.displayName} cannot be called by this deployment`,
    );
  }
}

/**
 * A repeat: the owner asked before for exactly these parameters with this explicit seed and got
 * every image. The images are copied from the store under the new job (S3 server-side copy, no
 * model call, cost 0). Undefined when there is nothing to repeat or the copy failed (then the
 * model is called as usual, and nothing copied is left behind).
 */
async function answerFromStore(
  deps: GeneratorDeps,
  base: Omit<GenerationRecord, 'status' | 'images'>,
  fingerprint: string,
): Promise<GenerationRecord | undefined> {
  const originalId = await deps.repository.findRepeat(base.ownerId, fingerprint);
  const original = originalId ? await deps.repository.get(base.ownerId, originalId) : undefined;
  if (
    !original ||
    original.status !== 'succeeded' ||
    expired(original, deps) ||
    original.images.length !== original.request.count
  )
    return undefined;
  const started = deps.clock.now().getTime();
  const written: string[] = [];
  const images: StoredImage[] = [];
  try {
    for (const image of original.images) {
      const imageId = deps.ids.newId();
      const key = imageKey(base.ownerId, base.id, imageId, image.format);
      written.push(key);
      await deps.store.copy(image.key, key);
      let thumb: string | undefined;
      if (image.thumbnailKey) {
        thumb = thumbnailKey(base.ownerId, base.id, imageId);
        written.push(thumb);
        await deps.store.copy(image.thumbnailKey, thumb);
      }
      images.push({ ...image, id: imageId, key, ...(thumb ? { thumbnailKey: thumb } : {}) });
    }
    const now = deps.clock.now();
    const record: GenerationRecord = {
      ...base,
      status: 'succeeded',
      updatedAt: now.toISOString(),
      startedAt: new Date(started).toISOString(),
      seeds: original.seeds ?? images.map((i) => i.seed),
      images,
      failures: [],
      finished: images.length,
      durationMs: now.getTime() - started,
      estimatedCostUsd: 0,
      costUsd: 0,
      ...(original.engine ? { engine: original.engine } : {}),
      source: 'store',
      repeatOf: original.id,
    };
    await deps.repository.create(record);
    // The copy answers the next repeat too, should the original be deleted.
    await deps.repository
      .rememberRepeat(base.ownerId, fingerprint, base.id, base.expiresAt ?? 0)
      .catch(() => undefined);
    return record;
  } catch (err) {
    await deps.store.deleteMany(written).catch(() => undefined);
    deps.warn('could not answer a repeat from the store: calling the model', {
      generationId: base.id,
      repeatOf: original.id,
      err: String(err),
    });
    return undefined;
  }
}

/**
 * POST /generations: validate, record `queued`, hand each image to the worker, answer at once.
 * With an Idempotency-Key, a retry of the same request answers the first job (never a second
 * charge); the same key with another request is a CONFLICT. A request with an explicit seed that
 * repeats an earlier job of the owner is answered from the stored images.
 */
export async function createGeneration(
  deps: GeneratorDeps,
  ownerId: string,
  body: unknown,
  requestId: string,
  idempotencyKey?: string,
): Promise<Generation> {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    const message = 'Idempotency-Key must be 8 to 128 letters, digits, - or _';
    throw ProblemError.of(ErrorCode.VALIDATION_FAILED, message, {
      errors: [{ field: 'Idempotency-Key', rule: 'matches', message }],
    });
  }
  const validated = validateGenerateImageRequest(body, deps.catalog);
  if (!validated.ok) throw new ProblemError(validated.problem);
  const request: NormalizedGenerateImageRequest = validated.value;
  const model = deps.catalog(request.modelId);
  if (!model) throw ProblemError.of(ErrorCode.VALIDATION_FAILED, `unknown model ${request.modelId}`);
  await checkAccess(deps, model);

  let id = deps.ids.newId();
  if (idempotencyKey !== undefined) {
    const fingerprint = stableJson(request);
    const claimed = await deps.repository.claimIdempotencyKey({
      ownerId,
      key: idempotencyKey,
      generationId: id,
      fingerprint,
      expiresAt: Math.floor(deps.clock.now().getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
    });
    if (claimed.fingerprint !== fingerprint) {
      throw ProblemError.of(
        ErrorCode.CONFLICT,
        'this Idempotency-Key was already used for a different request: use a new key',
      );
    }
    if (claimed.generationId !== id) {
      const first = await deps.repository.get(ownerId, claimed.generationId);
      if (first) return toGeneration(first, deps);
      id = claimed.generationId; // the first attempt stopped before recording the job: record it now
    }
  }

  const nowDate = deps.clock.now();
  const now = nowDate.toISOString();
  const base = {
    ownerId,
    id,
    createdAt: now,
    updatedAt: now,
    modelId: model.id,
    request,
    estimatedCostUsd: estimateCostUsd(model, request.count),
    requestId,
    expiresAt: Math.floor(nowDate.getTime() / 1000) + deps.settings.retentionDays * 86_400,
  };
  if (isRepeatable(request)) {
    const repeat = await answerFromStore(deps, base, await repeatFingerprint(request));
    if (repeat) return toGeneration(repeat, deps);
  }

  const record: GenerationRecord = {
    ...base,
    status: 'queued',
    seeds: plannedSeeds(deps, model, request.seed, request.count),
    images: [],
    failures: [],
    tasks: {},
    finished: 0,
  };
  const limits = deps.settings.budgets;
  if (limits) {
    // The job and what it holds on the budgets and the queue are written together, or not at all.
    const reservation = reservationFor(nowDate, record.estimatedCostUsd, request.count);
    const outcome = await deps.repository.createReserved({ ...record, reservation }, limits);
    if (!outcome.ok) {
      const eta = outcome.limit === 'owner-in-flight' ? (await modelEta(deps, model.id)).p50Seconds : 0;
      throw refusalProblem(outcome, limits, record.estimatedCostUsd, nowDate, eta);
    }
    Object.assign(record, { reservation });
  } else {
    await deps.repository.create(record);
  }
  try {
    // One message per image: the worker queue mapping's MaximumConcurrency bounds the model calls in flight.
    for (let index = 0; index < request.count; index++)
      await deps.worker.invoke({ ownerId, generationId: id, requestId, index });
  } catch {
    // Images not handed over would never run: end the job, say so (delivered images see it and stop).
    const failure = problem(
      ErrorCode.MODEL_UNAVAILABLE,
      'the job could not be started: try again in a moment',
    );
    await deps.repository.settle(
      ownerId,
      id,
      {
        status: 'failed',
        updatedAt: deps.clock.now().toISOString(),
        images: [],
        failures: [],
        error: failure,
        durationMs: 0,
        costUsd: 0,
      },
      record.reservation ? { reservation: record.reservation, costUsd: 0, images: 0 } : undefined,
    );
    throw new ProblemError(failure);
  }
  return toGeneration(record, deps);
}

/**
 * queued | running → cancelled. A job holding a reservation gives it back in the same write, the
 * images it kept counted at their price; an image ending meanwhile changes that price, so the
 * record is read again and the cancel tried again.
 */
async function cancelJob(
  deps: GeneratorDeps,
  record: GenerationRecord,
): Promise<GenerationRecord | undefined> {
  let current: GenerationRecord | undefined = record;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    if (current.status !== 'queued' && current.status !== 'running') return undefined;
    const at = deps.clock.now().toISOString();
    if (!current.reservation) return deps.repository.cancel(current.ownerId, current.id, at);
    const model = deps.catalog(current.modelId);
    const cancelled = await deps.repository.cancel(current.ownerId, current.id, at, {
      reservation: current.reservation,
      costUsd: model ? estimateCostUsd(model, current.images.length) : 0,
      images: current.images.length,
      finished: current.finished ?? 0,
    });
    if (cancelled) return cancelled;
    current = await deps.repository.get(current.ownerId, current.id);
  }
  return undefined;
}

/** GET /generations/{id}: the owner's job with fresh links; anyone else's is NOT_FOUND. */
export async function getGeneration(deps: GeneratorDeps, ownerId: string, id: string): Promise<Generation> {
  const record = await ownJob(deps, ownerId, id);
  return toGeneration(await settleIfStale(deps, record), deps);
}

/** POST /generations/{id}/cancel: a queued or running job stops; images already made are kept, nothing more is stored. */
export async function cancelGeneration(
  deps: GeneratorDeps,
  ownerId: string,
  id: string,
): Promise<Generation> {
  const record = await ownJob(deps, ownerId, id);
  const cancelled = await cancelJob(deps, record);
  if (!cancelled) {
    const current = (await deps.repository.get(ownerId, id)) ?? record;
    if (current.status === 'cancelled') return toGeneration(current, deps);
    throw ProblemError.of(
      ErrorCode.CONFLICT,
      `the generation has already ${current.status === 'succeeded' ? 'finished' : 'ended'}: nothing to cancel`,
    );
  }
  const model = deps.catalog(cancelled.modelId);
  if (model && cancelled.images.length > 0 && !cancelled.reservation) {
    await deps.usage
      .addSpend(
        ownerId,
        deps.clock.now().toISOString().slice(0, 7),
        estimateCostUsd(model, cancelled.images.length),
        cancelled.images.length,
      )
      .catch((err: unknown) => deps.warn('could not count the spending', { err: String(err) }));
  }
  return toGeneration(cancelled, deps);
}

/** DELETE /generations/{id}: the record and every object of it (a running job is cancelled first). */
export async function deleteGeneration(deps: GeneratorDeps, ownerId: string, id: string): Promise<void> {
  if (!GENERATION_ID_PATTERN.test(id)) throw notFound(id);
  const record = await deps.repository.get(ownerId, id);
  if (!record) throw notFound(id);
  if (record.status === 'queued' || record.status === 'running') await cancelJob(deps, record);
  // Everything under the job's prefix: its images, thumbnails, and anything a dead worker left.
  const listed = await deps.store.list(jobPrefix(ownerId, id));
  const recorded = record.images.flatMap((i) => [i.key, ...(i.thumbnailKey ? [i.thumbnailKey] : [])]);
  await deps.store.deleteMany([...new Set([...listed, ...recorded])]);
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
  const items = await Promise.all(page.map(async (r) => toGeneration(await settleIfStale(deps, r), deps)));
  const last = page[page.length - 1];
  return { items, ...(records.length > limit && last ? { nextCursor: encodeCursor(last.id) } : {}) };
}
