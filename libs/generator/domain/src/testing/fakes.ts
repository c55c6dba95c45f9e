import { ModelCatalogEntry, NormalizedGenerateImageRequest, ProblemError, findModel } from '@imagegen/contracts';

import {
  GenerationRecord,
  IdempotencyRecord,
  GenerationRepositoryPort,
  GeneratorDeps,
  ImageModelPort,
  ImageStorePort,
  ModelImage,
  SettleUpdate,
  WorkerEvent,
} from '../lib/ports';

/** A 1x1-header PNG of the given size (enough for readImageInfo). */
export function fakePng(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

export class FakeModel implements ImageModelPort {
  readonly calls: { modelId: string; seed: number }[] = [];
  /** Per call: an image, or an error to throw. */
  script: (ModelImage | Error)[] = [];

  async generate(model: ModelCatalogEntry, _request: NormalizedGenerateImageRequest, seed: number): Promise<ModelImage> {
    this.calls.push({ modelId: model.id, seed });
    const next = this.script.shift() ?? { bytes: fakePng(1536, 1536), seed, engine: 'offline' as const };
    if (next instanceof Error) throw next;
    return next;
  }
}

export class FakeStore implements ImageStorePort {
  readonly objects = new Map<string, { bytes: Uint8Array; contentType: string }>();
  failPutAfter = Infinity;

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    if (this.objects.size >= this.failPutAfter) throw new Error('S3 is down');
    this.objects.set(key, { bytes, contentType });
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

export class FakeRepository implements GenerationRepositoryPort {
  readonly records = new Map<string, GenerationRecord>();
  failSettle = false;

  private key(ownerId: string, id: string) {
    return `${ownerId}/${id}`;
  }

  async create(record: GenerationRecord): Promise<void> {
    this.records.set(this.key(record.ownerId, record.id), record);
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

  async markRunning(ownerId: string, id: string, at: string, staleBefore: string): Promise<GenerationRecord | undefined> {
    const r = this.records.get(this.key(ownerId, id));
    if (!r || !(r.status === 'queued' || (r.status === 'running' && r.updatedAt < staleBefore))) return undefined;
    const running = { ...r, status: 'running' as const, updatedAt: at };
    this.records.set(this.key(ownerId, id), running);
    return running;
  }

  readonly idempotency = new Map<string, IdempotencyRecord>();

  async cancel(ownerId: string, id: string, at: string): Promise<boolean> {
    const r = this.records.get(this.key(ownerId, id));
    if (!r || (r.status !== 'running' && r.status !== 'queued')) return false;
    this.records.set(this.key(ownerId, id), { ...r, status: 'cancelled', updatedAt: at });
    return true;
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

  async settle(ownerId: string, id: string, update: SettleUpdate): Promise<boolean> {
    if (this.failSettle) throw new Error('DynamoDB is down');
    const r = this.records.get(this.key(ownerId, id));
    if (!r || (r.status !== 'running' && r.status !== 'queued')) return false;
    this.records.set(this.key(ownerId, id), { ...r, ...update });
    return true;
  }
}

export interface FakeDeps extends GeneratorDeps {
  readonly model: FakeModel;
  readonly store: FakeStore;
  readonly repository: FakeRepository;
  readonly invoked: WorkerEvent[];
  failInvoke: boolean;
}

export function fakeDeps(): FakeDeps {
  let t = Date.parse('2026-11-24T10:00:00.000Z');
  let n = 0;
  const invoked: WorkerEvent[] = [];
  const deps = {
    model: new FakeModel(),
    store: new FakeStore(),
    repository: new FakeRepository(),
    invoked,
    failInvoke: false,
    signer: { presignGet: async (key: string, expires: number) => `https://s3.test/${key}?X-Amz-Expires=${expires}&X-Amz-Signature=abc` },
    worker: {
      invoke: async (event: WorkerEvent) => {
        if (deps.failInvoke) throw new Error('Lambda is down');
        invoked.push(event);
      },
    },
    clock: { now: () => new Date((t += 1000)) },
    ids: { newId: () => `id${String(++n).padStart(10, '0')}` },
    random: { integer: (min: number) => min + 41 },
    settings: { presignExpirySeconds: 900, retentionDays: 30, staleAfterSeconds: 300 },
    catalog: findModel,
  };
  return deps;
}

export const throttled = () => ProblemError.of('MODEL_THROTTLED', 'busy', { retryAfterSeconds: 5 });
