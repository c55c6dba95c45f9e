import {
  ErrorCode,
  findImageService,
  findModel,
  FitMode,
  ImageServiceEntry,
  InputImageLimits,
  inputLimitViolations,
  MODEL_CATALOG,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  ProblemError,
  serviceOutputSize,
} from '@imagegen/contracts';
import { readImageInfo } from '@imagegen/generator/model-adapters';
import { embedParametersText } from '@imagegen/shared/util-image-codecs';

import {
  BudgetUsage,
  GenerationRecord,
  GenerationRepositoryPort,
  GeneratorDeps,
  IdempotencyRecord,
  ImageModelPort,
  ImageStorePort,
  InputImagesPort,
  InspectedImage,
  ModelAccess,
  ModelAccessPort,
  ModelImage,
  PostPolicy,
  PreparedImage,
  Release,
  Reservation,
  ReservationLimits,
  ReserveOutcome,
  ServiceInputs,
  SettleUpdate,
  StoredObjectHead,
  TaskOutcome,
  Thumbnail,
  ThumbnailerPort,
  UsagePort,
  WorkerEvent,
} from '../lib/ports';
import { runGeneration } from '../lib/worker';

/** A 1x1-header PNG of the given size (enough for readImageInfo). */
export function fakePng(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

export class FakeModel implements ImageModelPort {
  readonly calls: { modelId: string; seed: number; inputs?: ServiceInputs }[] = [];
  /** Per call: an image, or an error to throw. */
  script: (ModelImage | Error)[] = [];
  /** Runs before each answer (e.g. to cancel the job meanwhile). */
  during?: () => Promise<void>;

  async generate(
    model: ModelCatalogEntry,
    _request: NormalizedGenerateImageRequest,
    seed: number,
  ): Promise<ModelImage> {
    this.calls.push({ modelId: model.id, seed });
    await this.during?.();
    const next = this.script.shift() ?? { bytes: fakePng(1536, 1536), seed, engine: 'offline' as const };
    if (next instanceof Error) throw next;
    return next;
  }

  /** An image of the size the service answers for the prepared input (outpaint and upscale change it). */
  async edit(
    service: ImageServiceEntry,
    request: NormalizedGenerateImageRequest,
    seed: number,
    inputs: ServiceInputs,
  ): Promise<ModelImage> {
    this.calls.push({ modelId: service.id, seed, inputs });
    await this.during?.();
    const size = serviceOutputSize(service, inputs.image, request.edit?.params);
    const next = this.script.shift() ?? {
      bytes: fakePng(size.width, size.height),
      seed,
      engine: 'offline' as const,
    };
    if (next instanceof Error) throw next;
    return next;
  }
}

export class FakeStore implements ImageStorePort {
  readonly objects = new Map<string, { bytes: Uint8Array; contentType: string }>();
  failPutAfter = Infinity;
  failCopy = false;

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    if (this.objects.size >= this.failPutAfter) throw new Error('S3 is down');
    this.objects.set(key, { bytes, contentType });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key)?.bytes;
  }

  async head(key: string): Promise<StoredObjectHead | undefined> {
    const o = this.objects.get(key);
    return o ? { bytes: o.bytes.length, contentType: o.contentType } : undefined;
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = this.objects.get(fromKey);
    if (this.failCopy || !source) throw new Error(`cannot copy ${fromKey}`);
    this.objects.set(toKey, source);
  }

  async list(prefix: string): Promise<readonly string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

export class FakeThumbnailer implements ThumbnailerPort {
  fail = false;

  async make(image: Uint8Array): Promise<Thumbnail> {
    if (this.fail) throw new Error('cannot decode');
    return { bytes: image.subarray(0, 8), width: 256, height: 256, format: 'webp' };
  }
}

/**
 * The input checks over the fake PNG headers: the size from the header, INPUT_IMAGE_UNREADABLE for bytes
 * that are no image, INPUT_IMAGE_OUT_OF_LIMITS outside the limits unless fitted (fitting scales into
 * the pixel range). `refuse` makes every check throw that problem instead.
 */
export class FakeInputImages implements InputImagesPort {
  refuse?: ProblemError;
  readonly prepared: { limits: InputImageLimits; fit: FitMode }[] = [];
  readonly masks: { width: number; height: number }[] = [];
  compacted = 0;

  private read(bytes: Uint8Array) {
    if (this.refuse) throw this.refuse;
    const info = readImageInfo(bytes);
    if (!info) throw ProblemError.of(ErrorCode.INPUT_IMAGE_UNREADABLE, 'the file is not an image');
    return info;
  }

  async inspect(bytes: Uint8Array): Promise<InspectedImage> {
    const info = this.read(bytes);
    return { ...info, hasAlpha: false, bytes: bytes.length };
  }

  async prepare(bytes: Uint8Array, limits: InputImageLimits, fit: FitMode): Promise<PreparedImage> {
    this.prepared.push({ limits, fit });
    const { width, height } = this.read(bytes);
    const violations = inputLimitViolations({ width, height }, limits);
    if (violations.length === 0) return { bytes, width, height, hasAlpha: false };
    if (fit === 'reject')
      throw ProblemError.of(
        ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS,
        `the image is outside the limits: ${violations[0]}`,
      );
    if (fit === 'crop' || fit === 'pad') {
      // To the nearest allowed aspect: the long side cut (crop) or the short side grown (pad).
      const aspect = Math.min(limits.maxAspect, Math.max(limits.minAspect, width / height));
      const fitted =
        fit === 'crop'
          ? width / height > aspect
            ? { width: Math.round(height * aspect), height }
            : { width, height: Math.round(width / aspect) }
          : width / height > aspect
            ? { width, height: Math.round(width / aspect) }
            : { width: Math.round(height * aspect), height };
      return {
        bytes: fakePng(fitted.width, fitted.height),
        ...fitted,
        hasAlpha: fit === 'pad',
        fitted: { from: { width, height }, action: fit },
      };
    }
    const scale = Math.sqrt(limits.maxPixels / (width * height));
    const fitted = { width: Math.floor(width * scale), height: Math.floor(height * scale) };
    return {
      bytes: fakePng(fitted.width, fitted.height),
      ...fitted,
      hasAlpha: false,
      fitted: { from: { width, height }, action: 'downscale' },
    };
  }

  async prepareMask(bytes: Uint8Array, size: { width: number; height: number }): Promise<Uint8Array> {
    this.read(bytes);
    this.masks.push(size);
    return fakePng(size.width, size.height);
  }

  async compact(image: PreparedImage): Promise<PreparedImage> {
    this.compacted++;
    return { ...image, bytes: image.bytes.subarray(0, Math.ceil(image.bytes.length / 10)) };
  }
}

export class FakeAccess implements ModelAccessPort {
  readonly answers = new Map<string, ModelAccess>();

  async check(model: ModelCatalogEntry): Promise<ModelAccess> {
    return this.answers.get(model.id) ?? { availability: 'available' };
  }

  async checkService(service: ImageServiceEntry): Promise<ModelAccess> {
    return this.answers.get(service.id) ?? { availability: 'available' };
  }
}

/** The budget and queue counters (the table's `spend|…` and `inflight|…` items), shared by the fakes. */
export class FakeCounters {
  readonly spend = new Map<string, { usd: number; reservedUsd: number; images: number }>();
  readonly inFlight = new Map<string, number>();

  spent(key: string) {
    return this.spend.get(key) ?? { usd: 0, reservedUsd: 0, images: 0 };
  }

  addSpent(key: string, usd: number, reservedUsd: number, images: number): void {
    const s = this.spent(key);
    this.spend.set(key, {
      usd: Math.round((s.usd + usd) * 1e6) / 1e6,
      reservedUsd: Math.round((s.reservedUsd + reservedUsd) * 1e6) / 1e6,
      images: s.images + images,
    });
  }

  addInFlight(key: string, images: number): void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + images);
  }

  /** Releases a reservation and counts the real cost, as one write. */
  release(ownerId: string, release: Release): void {
    const { reservation: r, costUsd, images } = release;
    for (const key of [`${ownerId}/${r.month}`, `${ownerId}/${r.day}`, `*/${r.month}`])
      this.addSpent(key, costUsd - r.usd, -r.usd, images);
    this.addInFlight(ownerId, -r.images);
    this.addInFlight('*', -r.images);
  }
}

export class FakeUsage implements UsagePort {
  readonly spending = new Map<string, { usd: number; images: number }>();
  readonly durations: { modelId: string; ms: number; at: string }[] = [];

  constructor(readonly counters = new FakeCounters()) {}

  async budgetUsage(ownerId: string, day: string, month: string): Promise<BudgetUsage> {
    return {
      ownerDayUsd: this.counters.spent(`${ownerId}/${day}`).usd,
      ownerMonthUsd: this.counters.spent(`${ownerId}/${month}`).usd,
      deploymentMonthUsd: this.counters.spent(`*/${month}`).usd,
      ownerImagesInFlight: this.counters.inFlight.get(ownerId) ?? 0,
      imagesInFlight: this.counters.inFlight.get('*') ?? 0,
    };
  }

  async addSpend(ownerId: string, month: string, usd: number, images: number): Promise<void> {
    const k = `${ownerId}/${month}`;
    const s = this.spending.get(k) ?? { usd: 0, images: 0 };
    this.spending.set(k, { usd: s.usd + usd, images: s.images + images });
  }

  async spend(ownerId: string, month: string) {
    const added = this.spending.get(`${ownerId}/${month}`) ?? { usd: 0, images: 0 };
    const counted = this.counters.spent(`${ownerId}/${month}`);
    return {
      usd: Math.round((added.usd + counted.usd - counted.reservedUsd) * 1e6) / 1e6,
      images: added.images + counted.images,
    };
  }

  async recordDuration(modelId: string, ms: number, at: string): Promise<void> {
    this.durations.push({ modelId, ms, at });
  }

  async recentDurations(modelId: string, limit: number, since: string): Promise<readonly number[]> {
    return this.durations
      .filter((d) => d.modelId === modelId && d.at >= since)
      .reverse()
      .slice(0, limit)
      .map((d) => d.ms);
  }
}

const ACTIVE = ['queued', 'running'];

export class FakeRepository implements GenerationRepositoryPort {
  readonly records = new Map<string, GenerationRecord>();
  readonly idempotency = new Map<string, IdempotencyRecord>();
  readonly repeats = new Map<string, string>();
  failSettle = false;
  failFinish = false;
  failRelease = false;

  constructor(readonly counters = new FakeCounters()) {}

  private key(ownerId: string, id: string) {
    return `${ownerId}/${id}`;
  }

  private put(record: GenerationRecord): GenerationRecord {
    this.records.set(this.key(record.ownerId, record.id), record);
    return record;
  }

  async create(record: GenerationRecord): Promise<void> {
    this.put(record);
  }

  async get(ownerId: string, id: string): Promise<GenerationRecord | undefined> {
    return this.records.get(this.key(ownerId, id));
  }

  async list(ownerId: string, limit: number, after?: string): Promise<readonly GenerationRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.ownerId === ownerId && (after === undefined || r.id < after))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, limit);
  }

  async startTask(
    ownerId: string,
    id: string,
    index: number,
    token: string,
    at: string,
    staleBefore: string,
  ) {
    const r = this.records.get(this.key(ownerId, id));
    if (!r || !ACTIVE.includes(r.status)) return undefined;
    const task = r.tasks?.[String(index)];
    if (task && !(task.state === 'running' && (task.token === token || task.at < staleBefore)))
      return undefined;
    return this.put({
      ...r,
      status: 'running',
      updatedAt: at,
      startedAt: r.startedAt ?? at,
      tasks: { ...r.tasks, [index]: { state: 'running', token, at } },
    });
  }

  async finishTask(
    ownerId: string,
    id: string,
    index: number,
    token: string | undefined,
    outcome: TaskOutcome,
    at: string,
  ) {
    if (this.failFinish) throw new Error('DynamoDB is down');
    const r = this.records.get(this.key(ownerId, id));
    if (!r || !ACTIVE.includes(r.status)) return undefined;
    const task = r.tasks?.[String(index)];
    if (token !== undefined ? task?.token !== token || task.state !== 'running' : task?.state === 'done')
      return undefined;
    return this.put({
      ...r,
      status: 'running',
      updatedAt: at,
      tasks: { ...r.tasks, [index]: { state: 'done', token: token ?? 'abandoned', at } },
      finished: (r.finished ?? 0) + 1,
      ...('image' in outcome
        ? { images: [...r.images, outcome.image], engine: outcome.engine }
        : { failures: [...(r.failures ?? []), outcome.failure] }),
    });
  }

  async releaseTask(ownerId: string, id: string, index: number, token: string): Promise<void> {
    if (this.failRelease) throw new Error('DynamoDB is down');
    const r = this.records.get(this.key(ownerId, id));
    if (!r || r.tasks?.[String(index)]?.token !== token) return;
    const tasks = { ...r.tasks };
    delete tasks[String(index)];
    this.put({ ...r, tasks });
  }

  async createReserved(
    record: GenerationRecord & { readonly reservation: Reservation },
    limits: ReservationLimits,
  ): Promise<ReserveOutcome> {
    const { reservation: r, ownerId } = record;
    const c = this.counters;
    const checks = [
      ['owner-monthly', c.spent(`${ownerId}/${r.month}`).usd, limits.ownerMonthlyUsd, r.usd],
      ['owner-daily', c.spent(`${ownerId}/${r.day}`).usd, limits.ownerDailyUsd, r.usd],
      ['deployment-monthly', c.spent(`*/${r.month}`).usd, limits.deploymentMonthlyUsd, r.usd],
      ['owner-in-flight', c.inFlight.get(ownerId) ?? 0, limits.ownerImagesInFlight, r.images],
    ] as const;
    for (const [limit, used, max, add] of checks)
      if (used + add > max + 1e-9) return { ok: false, limit, used };
    for (const key of [`${ownerId}/${r.month}`, `${ownerId}/${r.day}`, `*/${r.month}`])
      c.addSpent(key, r.usd, r.usd, 0);
    c.addInFlight(ownerId, r.images);
    c.addInFlight('*', r.images);
    this.put(record);
    return { ok: true };
  }

  async settle(ownerId: string, id: string, update: SettleUpdate, release?: Release): Promise<boolean> {
    if (this.failSettle) throw new Error('DynamoDB is down');
    const r = this.records.get(this.key(ownerId, id));
    if (!r || !ACTIVE.includes(r.status)) return false;
    this.put({ ...r, ...update });
    if (release) this.counters.release(ownerId, release);
    return true;
  }

  async cancel(ownerId: string, id: string, at: string, release?: Release & { readonly finished: number }) {
    const r = this.records.get(this.key(ownerId, id));
    if (!r || !ACTIVE.includes(r.status)) return undefined;
    if (release && (r.finished ?? 0) !== release.finished) return undefined;
    if (release) this.counters.release(ownerId, release);
    return this.put({ ...r, status: 'cancelled', updatedAt: at });
  }

  async remove(ownerId: string, id: string): Promise<void> {
    this.records.delete(this.key(ownerId, id));
  }

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord> {
    const k = this.key(record.ownerId, record.key);
    const existing = this.idempotency.get(k);
    if (existing) return existing;
    this.idempotency.set(k, record);
    return record;
  }

  async findRepeat(ownerId: string, fingerprint: string): Promise<string | undefined> {
    return this.repeats.get(this.key(ownerId, fingerprint));
  }

  async rememberRepeat(ownerId: string, fingerprint: string, generationId: string): Promise<void> {
    this.repeats.set(this.key(ownerId, fingerprint), generationId);
  }
}

export interface FakeDeps extends GeneratorDeps {
  readonly model: FakeModel;
  readonly store: FakeStore;
  readonly repository: FakeRepository;
  readonly usage: FakeUsage;
  readonly access: FakeAccess;
  readonly thumbnails: FakeThumbnailer;
  readonly images: FakeInputImages;
  readonly invoked: WorkerEvent[];
  readonly warnings: string[];
  failInvoke: boolean;
  /** Moves the fake clock (each read also moves it by a second). */
  advance(ms: number): void;
}

export function fakeDeps(): FakeDeps {
  let t = Date.parse('2026-11-24T10:00:00.000Z');
  let n = 0;
  const invoked: WorkerEvent[] = [];
  const warnings: string[] = [];
  const counters = new FakeCounters();
  const deps = {
    model: new FakeModel(),
    access: new FakeAccess(),
    store: new FakeStore(),
    thumbnails: new FakeThumbnailer(),
    // The real codecs: pure byte code, so use-case tests see the parameters in the files.
    metadata: { withParameters: embedParametersText },
    repository: new FakeRepository(counters),
    usage: new FakeUsage(counters),
    invoked,
    warnings,
    failInvoke: false,
    signer: {
      presignGet: async (key: string, expires: number) =>
        `https://s3.test/${key}?X-Amz-Expires=${expires}&X-Amz-Signature=abc`,
      presignPost: async (policy: PostPolicy) => ({
        url: 'https://s3.test/images',
        fields: {
          key: policy.key,
          'Content-Type': policy.contentType,
          Policy: Buffer.from(JSON.stringify(policy)).toString('base64'),
          'X-Amz-Signature': 'abc',
        },
      }),
    },
    images: new FakeInputImages(),
    worker: {
      invoke: async (event: WorkerEvent) => {
        if (deps.failInvoke) throw new Error('Lambda is down');
        invoked.push(event);
      },
    },
    clock: { now: () => new Date((t += 1000)) },
    advance: (ms: number) => void (t += ms),
    ids: { newId: () => `id${String(++n).padStart(10, '0')}` },
    random: { integer: (min: number) => min + 41 },
    settings: { presignExpirySeconds: 900, retentionDays: 30, staleAfterSeconds: 300, workerConcurrency: 4 },
    catalog: findModel,
    services: findImageService,
    models: () => MODEL_CATALOG,
    warn: (message: string) => void warnings.push(message),
  };
  return deps;
}

/** Runs every image the worker was handed, in order, as Lambda would (one delivery each). */
export async function runAll(deps: FakeDeps): Promise<void> {
  for (const event of deps.invoked.splice(0)) await runGeneration(deps, event);
}

export const throttled = () => ProblemError.of('MODEL_THROTTLED', 'busy', { retryAfterSeconds: 5 });
