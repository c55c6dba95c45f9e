import {
  ErrorCode,
  FitMode,
  ImageFailure,
  ImageServiceEntry,
  InputImageLimits,
  problem,
  ProblemDetails,
  ProblemError,
  SERVICE_IMAGE_LIMITS,
  ServiceInputName,
} from '@imagegen/contracts';
import { adapterFor, readImageInfo } from '@imagegen/generator/model-adapters';

import {
  CONTENT_TYPES,
  imageKey,
  imagesCostUsd,
  inputKey,
  inputsPrefix,
  jobPrefix,
  thumbnailKey,
} from './generation-view';
import { parametersText } from './image-parameters';
import {
  GenerationRecord,
  GeneratorDeps,
  ModelImage,
  PreparedImage,
  ServiceInputs,
  StoredImage,
  TaskOutcome,
  WorkerEvent,
} from './ports';
import { isRepeatable, repeatFingerprint } from './repeats';

/** Anything thrown that is not a ProblemError becomes INTERNAL, with no internals in it. */
export function toProblem(err: unknown, fallbackDetail = 'the image failed on our side'): ProblemDetails {
  return err instanceof ProblemError ? err.problem : problem(ErrorCode.INTERNAL, fallbackDetail);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The seed of image `index`: the person's seed (then the next ones), or a random one per image. */
export function plannedSeeds(
  deps: Pick<GeneratorDeps, 'random'>,
  model: { readonly seed: { readonly min: number; readonly max: number } },
  base: number | undefined,
  count: number,
): number[] {
  const { min, max } = model.seed;
  return Array.from({ length: count }, (_, index) => {
    if (base === undefined) return deps.random.integer(Math.max(min, 1), max);
    return min + ((base - min + index) % (max - min + 1));
  });
}

/** Deletes objects; a failure here is logged, never thrown over the error that caused the clean-up. */
async function deleteQuietly(deps: GeneratorDeps, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await deps.store
    .deleteMany(keys)
    .catch((err: unknown) => deps.warn('could not delete objects', { keys, err: String(err) }));
}

/** Why a job with no image failed: the images' own reason when they agree, else the first one. */
function jobError(failures: readonly ImageFailure[]): ProblemDetails {
  const first = failures[0]?.error;
  if (!first) return problem(ErrorCode.MODEL_TIMEOUT, 'the job stopped before it finished: try again');
  return first;
}

/**
 * Ends a job with the images it has: `succeeded` when at least one was made (the failures listed
 * beside them), `failed` when none. Counts the spending, remembers a full success with an explicit
 * seed so a repeat is answered from the store. False when the job had already ended.
 */
export async function settleJob(
  deps: GeneratorDeps,
  record: GenerationRecord,
  images: readonly StoredImage[],
  failures: readonly ImageFailure[],
): Promise<boolean> {
  const now = deps.clock.now();
  const status = images.length > 0 ? 'succeeded' : 'failed';
  const costUsd = imagesCostUsd(deps, record, images.length);
  if (status === 'succeeded' && failures.length === 0 && isRepeatable(record.request)) {
    // Remembered before the job shows as succeeded, so a repeat asked the moment it does is answered
    // from the store. Should the settle below lose (the job ended otherwise), a repeat finds the job
    // not succeeded and calls the model as usual.
    await deps.repository
      .rememberRepeat(
        record.ownerId,
        await repeatFingerprint(record.request),
        record.id,
        record.expiresAt ?? 0,
      )
      .catch((err: unknown) => deps.warn('could not remember the repeat', { err: String(err) }));
  }
  const settled = await deps.repository.settle(
    record.ownerId,
    record.id,
    {
      status,
      updatedAt: now.toISOString(),
      images: [...images].sort((a, b) => a.index - b.index),
      failures: [...failures].sort((a, b) => a.index - b.index),
      ...(status === 'failed' ? { error: jobError(failures) } : {}),
      durationMs: Math.max(0, now.getTime() - Date.parse(record.startedAt ?? record.createdAt)),
      costUsd,
      ...(record.engine ? { engine: record.engine } : {}),
    },
    // The job's reservation is given back and its real cost counted in the same write.
    record.reservation ? { reservation: record.reservation, costUsd, images: images.length } : undefined,
  );
  if (!settled) return false;
  if (images.length > 0 && !record.reservation) {
    await deps.usage
      .addSpend(record.ownerId, now.toISOString().slice(0, 7), costUsd, images.length)
      .catch((err: unknown) => deps.warn('could not count the spending', { err: String(err) }));
  }
  return true;
}

/**
 * Settles a running job once every image has ended (made or failed). An image claimed again (its
 * worker died, or a retry of its event took it back) may have left an object its record never
 * pointed to: once the job has ended nothing more is recorded, so what its record does not name goes.
 */
async function settleIfDone(
  deps: GeneratorDeps,
  record: GenerationRecord,
): Promise<'succeeded' | 'failed' | undefined> {
  if (record.status !== 'running' || (record.finished ?? 0) < record.request.count) return undefined;
  const settled = await settleJob(deps, record, record.images, record.failures ?? []);
  if (!settled) return undefined;
  await removeOrphans(deps, record);
  return record.images.length > 0 ? 'succeeded' : 'failed';
}

/**
 * A job still `running` (or `queued`) long after any worker could be on it lost its worker: it is
 * settled when read, keeping the images it made and listing the others as failed, and objects no
 * record points to are removed, so nobody waits forever and nothing is left behind.
 */
export async function settleIfStale(
  deps: GeneratorDeps,
  record: GenerationRecord,
): Promise<GenerationRecord> {
  if (record.status !== 'running' && record.status !== 'queued') return record;
  const done = await settleIfDone(deps, record);
  if (!done) {
    // Queued jobs wait in the worker queue (behind at most MaximumConcurrency images at once) before their worker starts.
    const limitSeconds =
      record.status === 'running' ? deps.settings.staleAfterSeconds : 3600 + deps.settings.staleAfterSeconds;
    if (Date.parse(record.updatedAt) > deps.clock.now().getTime() - limitSeconds * 1000) return record;
    const ended = new Set([
      ...record.images.map((i) => i.index),
      ...(record.failures ?? []).map((f) => f.index),
    ]);
    const lost: ImageFailure[] = [];
    for (let index = 0; index < record.request.count; index++) {
      if (!ended.has(index))
        lost.push({
          index,
          seed: record.seeds?.[index] ?? 0,
          error: problem(ErrorCode.MODEL_TIMEOUT, 'this image stopped before it finished: try again'),
        });
    }
    if (!(await settleJob(deps, record, record.images, [...(record.failures ?? []), ...lost]))) {
      return (await deps.repository.get(record.ownerId, record.id)) ?? record;
    }
    await removeOrphans(deps, record);
  }
  return (await deps.repository.get(record.ownerId, record.id)) ?? record;
}

/**
 * Objects under a job's prefix that its record does not point to (a worker died between S3 and
 * DynamoDB). An edit's inputs stay as long as a job that made images (its lineage); a job that made
 * none keeps nothing but its record.
 */
export async function removeOrphans(deps: GeneratorDeps, record: GenerationRecord): Promise<void> {
  const kept = new Set(record.images.flatMap((i) => [i.key, ...(i.thumbnailKey ? [i.thumbnailKey] : [])]));
  const inputs = inputsPrefix(record.ownerId, record.id);
  const keepInputs = record.images.length > 0;
  try {
    const keys = await deps.store.list(jobPrefix(record.ownerId, record.id));
    await deleteQuietly(
      deps,
      keys.filter((k) => !kept.has(k) && !(keepInputs && k.startsWith(inputs))),
    );
  } catch (err) {
    deps.warn('could not look for objects left behind', { generationId: record.id, err: String(err) });
  }
}

async function storeThumbnail(
  deps: GeneratorDeps,
  record: GenerationRecord,
  imageId: string,
  image: Uint8Array,
  written: string[],
): Promise<string | undefined> {
  try {
    const thumb = await deps.thumbnails.make(image);
    const key = thumbnailKey(record.ownerId, record.id, imageId);
    written.push(key);
    await deps.store.put(key, thumb.bytes, 'image/webp');
    return key;
  } catch (err) {
    // The image is what matters: without a thumbnail the gallery draws the image itself.
    deps.warn('could not make a thumbnail', { generationId: record.id, err: String(err) });
    return undefined;
  }
}

/** The seed range of the job's model or, for an edit, its service. */
function seedRangeOf(
  deps: GeneratorDeps,
  record: GenerationRecord,
): { readonly seed: { readonly min: number; readonly max: number } } | undefined {
  const serviceId = record.request.edit?.serviceId;
  return serviceId !== undefined ? deps.services(serviceId) : deps.catalog(record.modelId);
}

/** One image from the job's model, or for an edit from its image service on the job's checked inputs. */
async function makeImage(deps: GeneratorDeps, record: GenerationRecord, seed: number): Promise<ModelImage> {
  const edit = record.request.edit;
  if (edit) {
    const service = deps.services(edit.serviceId);
    if (!service) throw ProblemError.of(ErrorCode.MODEL_RETIRED, `${edit.serviceId} is no longer available`);
    // Every input is checked and prepared before a call is paid for: a bad one fails the image here.
    const inputs = await prepareInputs(deps, record, service);
    return deps.model.edit(service, record.request, seed, inputs);
  }
  const model = deps.catalog(record.modelId);
  if (!model || model.lifecycle.state === 'retired')
    throw ProblemError.of(ErrorCode.MODEL_RETIRED, `${record.modelId} is no longer available`);
  if (!adapterFor(model.family))
    throw ProblemError.of(
      ErrorCode.MODEL_UNAVAILABLE,
      `${model.displayName} cannot be called by this version`,
    );
  return deps.model.generate(model, record.request, seed);
}

/**
 * InvokeModel's body is at most 25,000,000 bytes
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html, body: Length
 * Constraints). The images travel in it as base64; this much is left for the other fields (two prompts
 * of up to 10,000 characters, escaped, and the numbers).
 */
export const BEDROCK_BODY_MAX_BYTES = 25_000_000;
const BODY_FIELDS_ALLOWANCE = 128 * 1024;
const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

function bodyImageBytes(inputs: ServiceInputs): number {
  return (
    base64Length(inputs.image.bytes.length) +
    (inputs.mask ? base64Length(inputs.mask.length) : 0) +
    (inputs.styleImage ? base64Length(inputs.styleImage.bytes.length) : 0)
  );
}

/**
 * The mask over the prepared image's pixels. An image cropped or padded to fit has its mask cropped or
 * padded the same way (the fit plan depends only on the size, the limits and the fit mode): the mask is
 * brought to the image's size before fitting, fitted, then made a mask again (padding counts as black,
 * kept). Otherwise it is resized to the prepared image.
 */
async function fittedMask(
  deps: GeneratorDeps,
  bytes: Uint8Array,
  image: PreparedImage,
  limits: InputImageLimits,
  fit: FitMode,
): Promise<Uint8Array> {
  const size = { width: image.width, height: image.height };
  const action = image.fitted?.action;
  if (!image.fitted || (action !== 'crop' && action !== 'pad')) return deps.images.prepareMask(bytes, size);
  const unfitted = await deps.images.prepareMask(bytes, image.fitted.from);
  const fitted = await deps.images.prepare(unfitted, limits, fit);
  return deps.images.prepareMask(fitted.bytes, size);
}

/**
 * The job's copied inputs, checked and prepared for the service: the image (and style image) decoded,
 * oriented, stripped and fitted into the service's limits as the job's fit mode says; the mask brought
 * over the prepared image's pixels (fittedMask). No mask on a service that takes the image's alpha as its mask sends no mask:
 * the transparent pixels are what is edited. PNGs too large for Bedrock's body are re-encoded as
 * high-quality WebP (alpha kept).
 */
export async function prepareInputs(
  deps: GeneratorDeps,
  record: GenerationRecord,
  service: ImageServiceEntry,
): Promise<ServiceInputs> {
  const edit = record.request.edit;
  if (!edit) throw new Error('not an edit');
  const read = async (name: ServiceInputName): Promise<Uint8Array> => {
    const bytes = await deps.store.get(inputKey(record.ownerId, record.id, name));
    if (!bytes)
      throw ProblemError.of(
        ErrorCode.INPUT_IMAGE_UNREADABLE,
        'the image to edit is no longer stored: upload it again',
      );
    return bytes;
  };
  let image = await deps.images.prepare(
    await read('image'),
    service.inputs.image?.limits ?? SERVICE_IMAGE_LIMITS,
    edit.fit,
  );
  let styleImage: PreparedImage | undefined;
  if (edit.styleImage && service.inputs.styleImage)
    styleImage = await deps.images.prepare(
      await read('styleImage'),
      service.inputs.styleImage.limits ?? SERVICE_IMAGE_LIMITS,
      edit.fit,
    );
  const mask =
    edit.mask && service.inputs.mask
      ? await fittedMask(
          deps,
          await read('mask'),
          image,
          service.inputs.image?.limits ?? SERVICE_IMAGE_LIMITS,
          edit.fit,
        )
      : undefined;
  const budget = BEDROCK_BODY_MAX_BYTES - BODY_FIELDS_ALLOWANCE;
  if (bodyImageBytes({ image, mask, styleImage }) > budget) {
    image = await deps.images.compact(image);
    if (styleImage) styleImage = await deps.images.compact(styleImage);
    if (bodyImageBytes({ image, mask, styleImage }) > budget)
      throw ProblemError.of(
        ErrorCode.INPUT_IMAGE_TOO_LARGE,
        'the image is too large to send to the model even compressed: use a smaller one',
      );
  }
  return { image, ...(mask ? { mask } : {}), ...(styleImage ? { styleImage } : {}) };
}

/** What one delivery of the worker did. `job` is set when this delivery ended the job. */
export interface WorkerOutcome {
  readonly image: 'made' | 'failed' | 'skipped' | 'cancelled';
  readonly job?: 'succeeded' | 'failed';
}

/**
 * Makes image `index` of a job: claims it, calls the model, stores the image (its parameters inside)
 * and a thumbnail, records it, and the delivery that records the last image ends the job. An image
 * that cannot be made is recorded as a failure beside the others (partial success). Every object
 * this delivery wrote is taken back when it cannot be recorded, so no object is left without a
 * record. Throws only when the record could not be written (so the message returns to the queue and is delivered again).
 */
async function runImage(
  deps: GeneratorDeps,
  event: WorkerEvent,
  index: number,
  delivery: string | undefined,
): Promise<WorkerOutcome> {
  const startedAt = deps.clock.now();
  // The same for every attempt of this event: a retry takes back at once an image an earlier attempt held.
  const token = delivery !== undefined ? `${delivery}#${index}` : deps.ids.newId();
  const staleBefore = iso(startedAt.getTime() - deps.settings.staleAfterSeconds * 1000);
  const record = await deps.repository.startTask(
    event.ownerId,
    event.generationId,
    index,
    token,
    startedAt.toISOString(),
    staleBefore,
  );
  if (!record) {
    // Cancelled, ended, or made by another delivery, which may have stopped before ending the job.
    const job = await settleIfEnded(deps, event.ownerId, event.generationId);
    return { image: 'skipped', ...(job ? { job } : {}) };
  }
  if (index >= record.request.count) {
    await deps.repository.releaseTask(event.ownerId, event.generationId, index, token);
    return { image: 'skipped' };
  }

  const seeded = seedRangeOf(deps, record);
  const seed =
    record.seeds?.[index] ?? (seeded ? plannedSeeds(deps, seeded, record.request.seed, index + 1)[index] : 0);
  const written: string[] = [];
  let outcome: TaskOutcome;
  try {
    const made = await makeImage(deps, record, seed);
    const info = readImageInfo(made.bytes);
    if (!info)
      throw ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'the model answered bytes that are not an image');
    const imageId = deps.ids.newId();
    const key = imageKey(record.ownerId, record.id, imageId, info.format);
    // The file carries how it was made (prompt, model, seed, size, time), as image tools expect.
    const text = parametersText({
      request: record.request,
      service: record.request.edit ? deps.services(record.request.edit.serviceId) : undefined,
      seed: made.seed,
      width: info.width,
      height: info.height,
      createdAt: record.createdAt,
    });
    const bytes = deps.metadata.withParameters(made.bytes, info.format, text, info);
    written.push(key);
    await deps.store.put(key, bytes, CONTENT_TYPES[info.format]);
    const thumb = await storeThumbnail(deps, record, imageId, bytes, written);
    const ms = deps.clock.now().getTime() - startedAt.getTime();
    outcome = {
      image: {
        id: imageId,
        index,
        key,
        ...(thumb ? { thumbnailKey: thumb } : {}),
        width: info.width,
        height: info.height,
        seed: made.seed,
        bytes: bytes.length,
        format: info.format,
        ms,
      },
      engine: made.engine,
    };
  } catch (err) {
    await deleteQuietly(deps, written.splice(0));
    outcome = { failure: { index, seed, error: toProblem(err) } };
  }

  let after: GenerationRecord | undefined;
  try {
    after = await deps.repository.finishTask(
      record.ownerId,
      record.id,
      index,
      token,
      outcome,
      deps.clock.now().toISOString(),
    );
  } catch (err) {
    // The record could not be written: take the objects back, free the image for Lambda's retry.
    await deleteQuietly(deps, written);
    await deps.repository.releaseTask(record.ownerId, record.id, index, token).catch(() => undefined);
    throw err;
  }
  if (!after) {
    await deleteQuietly(deps, written); // cancelled, deleted or taken over meanwhile: store nothing more
    return { image: 'cancelled' };
  }
  // The job ends first; the statistic for ETAs can wait.
  const job = await settleIfDone(deps, after);
  if ('image' in outcome && outcome.image.ms !== undefined) {
    await deps.usage
      .recordDuration(record.modelId, outcome.image.ms, deps.clock.now().toISOString())
      .catch((err: unknown) => deps.warn('could not record the duration', { err: String(err) }));
  }
  return { image: 'image' in outcome ? 'made' : 'failed', ...(job ? { job } : {}) };
}

/**
 * Settles a job whose images have all ended but which is still `running`: the delivery that
 * recorded its last image stopped before settling it (it died, or was cut at a shutdown).
 */
async function settleIfEnded(
  deps: GeneratorDeps,
  ownerId: string,
  id: string,
): Promise<'succeeded' | 'failed' | undefined> {
  const current = await deps.repository.get(ownerId, id);
  return current ? settleIfDone(deps, current) : undefined;
}

/**
 * The worker: one image per event (or, for an event without `index`, every image in turn).
 * `delivery` names the event's invocation and is the same for each of Lambda's retries of it (the
 * awsRequestId): a retry then claims again at once an image an earlier attempt of it held (that
 * attempt died, or could not free the image because DynamoDB was down) instead of skipping it
 * until it goes stale. Without it, each delivery is a stranger to the others.
 */
export async function runGeneration(
  deps: GeneratorDeps,
  event: WorkerEvent,
  delivery?: string,
): Promise<WorkerOutcome> {
  if (event.index !== undefined) return runImage(deps, event, event.index, delivery);
  const record = await deps.repository.get(event.ownerId, event.generationId);
  let last: WorkerOutcome = { image: 'skipped' };
  for (let index = 0; index < (record?.request.count ?? 0); index++)
    last = await runImage(deps, event, index, delivery);
  return last;
}

/**
 * The worker's dead-letter queue consumer: every delivery of an image's message failed,
 * so that image is recorded failed (and the job ends if it was the last), rather than left hanging.
 */
export async function settleAbandonedGeneration(deps: GeneratorDeps, event: WorkerEvent): Promise<boolean> {
  const error = problem(
    ErrorCode.MODEL_UNAVAILABLE,
    'the image could not be made after several attempts: try again',
  );
  const record = await deps.repository.get(event.ownerId, event.generationId);
  if (!record || (record.status !== 'queued' && record.status !== 'running')) return false;
  const indexes =
    event.index !== undefined ? [event.index] : Array.from({ length: record.request.count }, (_, i) => i);
  let changed = false;
  for (const index of indexes) {
    const failure: ImageFailure = { index, seed: record.seeds?.[index] ?? 0, error };
    const after = await deps.repository.finishTask(
      event.ownerId,
      event.generationId,
      index,
      undefined,
      { failure },
      deps.clock.now().toISOString(),
    );
    if (!after) continue;
    changed = true;
    await settleIfDone(deps, after);
  }
  // The image was recorded after all, by a delivery that stopped before ending the job: end it now.
  if (!changed) return (await settleIfEnded(deps, event.ownerId, event.generationId)) !== undefined;
  return changed;
}
