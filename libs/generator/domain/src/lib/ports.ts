import {
  ImageEngine,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  OutputFormat,
  ProblemDetails,
} from '@imagegen/contracts';

/** One image a model made. Failures are thrown as `ProblemError` with the right code. */
export interface ModelImage {
  readonly bytes: Uint8Array;
  readonly seed: number;
  readonly engine: ImageEngine;
}

export interface ImageModelPort {
  generate(model: ModelCatalogEntry, request: NormalizedGenerateImageRequest, seed: number): Promise<ModelImage>;
}

export interface ImageStorePort {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
}

export interface UrlSignerPort {
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}

/** The worker's async invocation payload. */
export interface WorkerEvent {
  readonly ownerId: string;
  readonly generationId: string;
  readonly requestId: string;
}

export interface WorkerInvokerPort {
  invoke(event: WorkerEvent): Promise<void>;
}

export interface ClockPort {
  now(): Date;
}

export interface IdPort {
  /** Time-sortable id (newer ids sort after older ones). */
  newId(): string;
}

export interface RandomPort {
  /** A uniformly random integer in [min, max]. */
  integer(min: number, max: number): number;
}

export interface StoredImage {
  readonly id: string;
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly bytes: number;
  readonly format: OutputFormat;
}

/** A job as stored: S3 keys, never URLs. */
export interface GenerationRecord {
  readonly ownerId: string;
  readonly id: string;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly modelId: string;
  readonly request: NormalizedGenerateImageRequest;
  readonly images: readonly StoredImage[];
  readonly error?: ProblemDetails;
  readonly durationMs?: number;
  readonly estimatedCostUsd: number;
  readonly engine?: ImageEngine;
  readonly requestId?: string;
  /** Epoch seconds after which the record is gone (DynamoDB TTL; the read path hides it before TTL runs). */
  readonly expiresAt?: number;
}

/** An Idempotency-Key the owner used: which job it made, for which request. */
export interface IdempotencyRecord {
  readonly ownerId: string;
  readonly key: string;
  readonly generationId: string;
  /** Stable JSON of the normalized request: the same key with another body is a conflict. */
  readonly fingerprint: string;
  readonly expiresAt: number;
}

export interface SettleUpdate {
  readonly status: 'succeeded' | 'failed';
  readonly updatedAt: string;
  readonly images: readonly StoredImage[];
  readonly error?: ProblemDetails;
  readonly durationMs: number;
  readonly estimatedCostUsd: number;
  readonly engine?: ImageEngine;
}

export interface GenerationRepositoryPort {
  create(record: GenerationRecord): Promise<void>;
  get(ownerId: string, id: string): Promise<GenerationRecord | undefined>;
  /** Newest first; `after` is the id of the last item of the previous page. */
  list(ownerId: string, limit: number, after?: string): Promise<readonly GenerationRecord[]>;
  /**
   * queued → running, or a `running` job last touched before `staleBefore` (its worker died: this
   * delivery takes it over); answers the record, or undefined when the job is not to be run.
   */
  markRunning(ownerId: string, id: string, at: string, staleBefore: string): Promise<GenerationRecord | undefined>;
  /** running → succeeded | failed (also queued → failed); false when the job had already settled. */
  settle(ownerId: string, id: string, update: SettleUpdate): Promise<boolean>;
  /** queued | running → cancelled; false when the job had already ended. */
  cancel(ownerId: string, id: string, at: string): Promise<boolean>;
  remove(ownerId: string, id: string): Promise<void>;
  /** Stores the key unless it exists; answers the record that is stored (ours or the earlier one). */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord>;
}

export interface GeneratorSettings {
  readonly presignExpirySeconds: number;
  /** Days a job and its images are kept. */
  readonly retentionDays: number;
  /** A `running` job untouched this long has lost its worker (the worker's timeout plus a margin). */
  readonly staleAfterSeconds: number;
}

/** Everything the use cases need, injected by the composition root. */
export interface GeneratorDeps {
  readonly model: ImageModelPort;
  readonly store: ImageStorePort;
  readonly signer: UrlSignerPort;
  readonly repository: GenerationRepositoryPort;
  readonly worker: WorkerInvokerPort;
  readonly clock: ClockPort;
  readonly ids: IdPort;
  readonly random: RandomPort;
  readonly settings: GeneratorSettings;
  readonly catalog: (modelId: string) => ModelCatalogEntry | undefined;
}
