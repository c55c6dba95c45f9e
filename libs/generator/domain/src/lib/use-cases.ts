import {
  editParent,
  ErrorCode,
  estimateCostUsd,
  Generation,
  GENERATION_ID_PATTERN,
  GenerationPage,
  IDEMPOTENCY_KEY_PATTERN,
  ImageServiceEntry,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  problem,
  ProblemDetails,
  ProblemError,
  ServiceInputName,
  validateGenerateImageRequest,
} from '@imagegen/contracts';

import { refusalProblem, reservationFor } from './budgets';
import { decodeCursor, encodeCursor, parseLimit } from './cursor';
import { imageKey, imagesCostUsd, inputKey, jobPrefix, thumbnailKey, toGeneration } from './generation-view';
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
export async function ownJob(deps: GeneratorDeps, ownerId: string, id: string): Promise<GenerationRecord> {
  if (!GENERATION_ID_PATTERN.test(id)) throw notFound(id);
  const record = await deps.repository.get(ownerId, id);
  if (!record || expired(record, deps)) throw notFound(id);
  return record;
}

/**
 * A model (or image service) this account cannot call is refused before anything is written (in words
 * that say how to fix it).
 */
export async function checkAccess(
  deps: GeneratorDeps,
  model: ModelCatalogEntry | ImageServiceEntry,
): Promise<void> {
  const access = 'family' in model ? await deps.access.check(model) : await deps.access.checkService(model);
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

export function checkIdempotencyKey(idempotencyKey: string | undefined): void {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    const message = 'Idempotency-Key must be 8 to 128 letters, digits, - or _';
    throw ProblemError.of(ErrorCode.VALIDATION_FAILED, message, {
      errors: [{ field: 'Idempotency-Key', rule: 'matches', message }],
    });
  }
}

/** A job about to be recorded: a generation (a model) or an edit (an image service and its inputs). */
export interface JobPlan {
  readonly request: NormalizedGenerateImageRequest;
  readonly modelId: string;
  readonly estimatedCostUsd: number;
  /** The seeds the model or service takes. */
  readonly seed: { readonly min: number; readonly max: number };
  /** An edit's input objects, copied under the job (inputKey) before the worker is handed it. */
  readonly inputs?: readonly { readonly name: ServiceInputName; readonly from: string }[];
}

/** Ends a job that could not be handed to the worker, giving its reservation back; says why. */
async function failToStart(
  deps: GeneratorDeps,
  record: GenerationRecord,
  failure: ProblemDetails,
): Promise<ProblemError> {
  await deps.repository.settle(
    record.ownerId,
    record.id,
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
  return new ProblemError(failure);
}

/**
 * Records a job and hands each image to the worker, answering at once: the one path of
 * POST /generations and POST /edits. With an Idempotency-Key, a retry of the same request answers
 * the first job (never a second charge); the same key with another request is a CONFLICT. A request
 * with an explicit seed that repeats an earlier job of the owner is answered from the stored images.
 * With budgets, the job and its reservation are written together or refused (BUDGET_EXCEEDED,
 * QUEUE_FULL) with nothing written.
 */
export async function createJob(
  deps: GeneratorDeps,
  ownerId: string,
  plan: JobPlan,
  requestId: string,
  idempotencyKey?: string,
): Promise<Generation> {
  const { request } = plan;
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
    modelId: plan.modelId,
    request,
    estimatedCostUsd: plan.estimatedCostUsd,
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
    seeds: plannedSeeds(deps, plan, request.seed, request.count),
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
      const eta = outcome.limit === 'owner-in-flight' ? (await modelEta(deps, plan.modelId)).p50Seconds : 0;
      throw refusalProblem(outcome, limits, record.estimatedCostUsd, nowDate, eta);
    }
    Object.assign(record, { reservation });
  } else {
    await deps.repository.create(record);
  }
  const copied: string[] = [];
  try {
    // Server-side copies (no bytes through here): the inputs live as long as the job, uploads/ expires.
    for (const input of plan.inputs ?? []) {
      const to = inputKey(ownerId, id, input.name);
      copied.push(to);
      await deps.store.copy(input.from, to);
    }
  } catch (err) {
    await deps.store.deleteMany(copied).catch(() => undefined);
    deps.warn('could not copy the inputs of an edit', { generationId: id, err: String(err) });
    throw await failToStart(
      deps,
      record,
      problem(ErrorCode.MODEL_UNAVAILABLE, 'the images to edit could not be prepared: try again in a moment'),
    );
  }
  try {
    // One message per image: the worker queue mapping's MaximumConcurrency bounds the model calls in flight.
    for (let index = 0; index < request.count; index++)
      await deps.worker.invoke({ ownerId, generationId: id, requestId, index });
  } catch {
    // Images not handed over would never run: end the job, say so (delivered images see it and stop).
    await deps.store.deleteMany(copied).catch(() => undefined);
    throw await failToStart(
      deps,
      record,
      problem(ErrorCode.MODEL_UNAVAILABLE, 'the job could not be started: try again in a moment'),
    );
  }
  return toGeneration(record, deps);
}

/** POST /generations: validate, record `queued`, hand each image to the worker, answer at once (createJob). */
export async function createGeneration(
  deps: GeneratorDeps,
  ownerId: string,
  body: unknown,
  requestId: string,
  idempotencyKey?: string,
): Promise<Generation> {
  checkIdempotencyKey(idempotencyKey);
  const validated = validateGenerateImageRequest(body, deps.catalog);
  if (!validated.ok) throw new ProblemError(validated.problem);
  const request: NormalizedGenerateImageRequest = validated.value;
  const model = deps.catalog(request.modelId);
  if (!model) throw ProblemError.of(ErrorCode.VALIDATION_FAILED, `unknown model ${request.modelId}`);
  await checkAccess(deps, model);
  return createJob(
    deps,
    ownerId,
    {
      request,
      modelId: model.id,
      estimatedCostUsd: estimateCostUsd(model, request.count),
      seed: model.seed,
    },
    requestId,
    idempotencyKey,
  );
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
    const cancelled = await deps.repository.cancel(current.ownerId, current.id, at, {
      reservation: current.reservation,
      costUsd: imagesCostUsd(deps, current, current.images.length),
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
  if (cancelled.images.length > 0 && !cancelled.reservation) {
    await deps.usage
      .addSpend(
        ownerId,
        deps.clock.now().toISOString().slice(0, 7),
        imagesCostUsd(deps, cancelled, cancelled.images.length),
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

/** Jobs read at most per `?parent=` page: the owner's jobs are scanned newest first (no index by parent). */
const LINEAGE_SCAN_LIMIT = 500;
const LINEAGE_BATCH = 100;

/**
 * The owner's live jobs newest first from `after`, only those `keep` accepts, at most `limit + 1`;
 * `scannedTo` is the last job read when the scan stopped at LINEAGE_SCAN_LIMIT with more to read.
 */
async function scanJobs(
  deps: GeneratorDeps,
  ownerId: string,
  limit: number,
  after: string | undefined,
  keep: (record: GenerationRecord) => boolean,
): Promise<{ readonly records: GenerationRecord[]; readonly scannedTo?: string }> {
  const records: GenerationRecord[] = [];
  let cursor = after;
  let scanned = 0;
  while (scanned < LINEAGE_SCAN_LIMIT) {
    const batch = await deps.repository.list(ownerId, LINEAGE_BATCH, cursor);
    for (const record of batch) {
      scanned++;
      cursor = record.id;
      if (!expired(record, deps) && keep(record)) records.push(record);
      if (records.length > limit) return { records };
    }
    if (batch.length < LINEAGE_BATCH) return { records };
  }
  return { records, ...(cursor !== undefined ? { scannedTo: cursor } : {}) };
}

/**
 * GET /generations: the owner's jobs, newest first, by cursor. With `parent`, only the edits made
 * from that job's images (lineage): another owner's job id finds nothing, as it should.
 */
export async function listGenerations(
  deps: GeneratorDeps,
  ownerId: string,
  query: { readonly cursor?: string; readonly limit?: string; readonly parent?: string },
): Promise<GenerationPage> {
  const limit = parseLimit(query.limit);
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const parent = query.parent;
  if (parent !== undefined && !GENERATION_ID_PATTERN.test(parent)) {
    const message = 'parent must be a generation id';
    throw ProblemError.of(ErrorCode.VALIDATION_FAILED, message, {
      errors: [{ field: 'parent', rule: 'matches', message }],
    });
  }
  const { records, scannedTo } =
    parent === undefined
      ? {
          records: (await deps.repository.list(ownerId, limit + 1, after)).filter((r) => !expired(r, deps)),
          scannedTo: undefined,
        }
      : await scanJobs(deps, ownerId, limit, after, (r) => editParent(r.request)?.generationId === parent);
  const page = records.slice(0, limit);
  const items = await Promise.all(page.map(async (r) => toGeneration(await settleIfStale(deps, r), deps)));
  const last = page[page.length - 1];
  const next = records.length > limit && last ? last.id : scannedTo;
  return { items, ...(next !== undefined ? { nextCursor: encodeCursor(next) } : {}) };
}
