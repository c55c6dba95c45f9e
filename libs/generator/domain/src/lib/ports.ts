import {
  FitMode,
  ImageEngine,
  ImageFailure,
  ImageServiceEntry,
  InputImageLimits,
  ModelAvailability,
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

/** The images an edit sends, prepared (checked, oriented, stripped, fitted): what the service's fields carry. */
export interface ServiceInputs {
  readonly image: PreparedImage;
  /** Resized to `image`; absent: the service edits the image's transparent pixels (or takes no mask). */
  readonly mask?: Uint8Array;
  readonly styleImage?: PreparedImage;
}

export interface ImageModelPort {
  generate(
    model: ModelCatalogEntry,
    request: NormalizedGenerateImageRequest,
    seed: number,
  ): Promise<ModelImage>;
  /** One call of an image service (an edit): `request.edit` names its params. */
  edit(
    service: ImageServiceEntry,
    request: NormalizedGenerateImageRequest,
    seed: number,
    inputs: ServiceInputs,
  ): Promise<ModelImage>;
}

/** Whether this account can call a model (Bedrock's control plane in AWS). */
export interface ModelAccess {
  readonly availability: ModelAvailability;
  /** Why not, in words a person can act on. */
  readonly reason?: string;
}

export interface ModelAccessPort {
  /** Never throws: a control plane that cannot be asked answers `unknown`. */
  check(model: ModelCatalogEntry): Promise<ModelAccess>;
  /** The same for an image service (callable from any region its inference profile routes to). */
  checkService(service: ImageServiceEntry): Promise<ModelAccess>;
}

/** An object's size and type, as stored. */
export interface StoredObjectHead {
  readonly bytes: number;
  readonly contentType?: string;
}

export interface ImageStorePort {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** An object's bytes, or undefined when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** An object's size and type, or undefined when there is no such key. */
  head(key: string): Promise<StoredObjectHead | undefined>;
  /** Server-side copy within the bucket (no bytes through the caller). */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Every key under a prefix. */
  list(prefix: string): Promise<readonly string[]>;
  deleteMany(keys: readonly string[]): Promise<void>;
}

/** A small picture of an image for gallery tiles. */
export interface Thumbnail {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: 'webp';
}

export interface ThumbnailerPort {
  make(image: Uint8Array): Promise<Thumbnail>;
}

/** Writes how an image was made into its file, where image tools look (the images adapter's codecs). */
export interface ImageMetadataPort {
  /** The image with the "parameters" text embedded (PNG text chunk, EXIF UserComment, JPEG comment). */
  withParameters(
    bytes: Uint8Array,
    format: OutputFormat,
    text: string,
    size: { readonly width: number; readonly height: number },
  ): Uint8Array;
}

/** A presigned POST: the browser sends `fields`, then the file, as multipart/form-data to `url`. */
export interface PresignedPost {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** What a presigned POST fixes: the exact key and Content-Type, and the size range of the file. */
export interface PostPolicy {
  readonly key: string;
  readonly contentType: string;
  readonly maxBytes: number;
  readonly expiresInSeconds: number;
}

export interface UrlSignerPort {
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  presignPost(policy: PostPolicy): Promise<PresignedPost>;
}

/** What the input checks read from an image (decoded headers, never trusting its name or declared type). */
export interface InspectedImage {
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
  readonly bytes: number;
}

/** An input image ready to send: PNG, EXIF orientation applied, metadata stripped, within the limits. */
export interface PreparedImage {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
  /** Set when the image was fitted into the limits (FitMode other than `reject`). */
  readonly fitted?: {
    readonly from: { readonly width: number; readonly height: number };
    readonly action: string;
  };
}

/**
 * The input checks (the images adapter, sharp). Each throws ProblemError with an INPUT_IMAGE_* code:
 * not JPEG/PNG/WebP whatever its name, a decompression bomb, animated, empty, truncated, out of limits.
 */
export interface InputImagesPort {
  inspect(bytes: Uint8Array): Promise<InspectedImage>;
  prepare(bytes: Uint8Array, limits: InputImageLimits, fit: FitMode): Promise<PreparedImage>;
  /** A mask as the service takes it: greyscale PNG at `size` (white edits, black keeps). */
  prepareMask(
    bytes: Uint8Array,
    size: { readonly width: number; readonly height: number },
  ): Promise<Uint8Array>;
  /**
   * The image re-encoded smaller for a request body that must stay within Bedrock's limit: lossy WebP at
   * high quality (alpha kept, which JPEG would lose). Same size in pixels.
   */
  compact(image: PreparedImage): Promise<PreparedImage>;
}

/**
 * The worker queue's message: one image of a job (`index`), so the queue mapping's
 * MaximumConcurrency bounds the Bedrock calls in flight. Without `index` (events from before per-image
 * tasks), the worker makes every image of the job in turn.
 */
export interface WorkerEvent {
  readonly ownerId: string;
  readonly generationId: string;
  readonly requestId: string;
  readonly index?: number;
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
  /** Which of the request's images this is (0-based). */
  readonly index: number;
  readonly key: string;
  readonly thumbnailKey?: string;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly bytes: number;
  readonly format: OutputFormat;
  /** Time the model and the store took for this image. */
  readonly ms?: number;
}

/** The state of one image of a job while it is being made: which delivery owns it, since when. */
export interface TaskState {
  readonly state: 'running' | 'done';
  readonly token: string;
  readonly at: string;
}

export type GenerationStatusValue = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A job as stored: S3 keys, never URLs. */
export interface GenerationRecord {
  readonly ownerId: string;
  readonly id: string;
  readonly status: GenerationStatusValue;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the first image started. */
  readonly startedAt?: string;
  readonly modelId: string;
  readonly request: NormalizedGenerateImageRequest;
  /** The seed of each image, chosen when the job was made (a retried image keeps its seed). */
  readonly seeds?: readonly number[];
  readonly images: readonly StoredImage[];
  readonly failures?: readonly ImageFailure[];
  /** Per image index: the delivery making it. */
  readonly tasks?: Readonly<Record<string, TaskState>>;
  /** Images ended (made or failed). */
  readonly finished?: number;
  readonly error?: ProblemDetails;
  readonly durationMs?: number;
  readonly estimatedCostUsd: number;
  readonly costUsd?: number;
  readonly engine?: ImageEngine;
  readonly source?: 'model' | 'store';
  readonly repeatOf?: string;
  readonly requestId?: string;
  /** Epoch seconds after which the record is gone (DynamoDB TTL; the read path hides it before TTL runs). */
  readonly expiresAt?: number;
  /** What the job holds on the budget and queue counters until it ends (absent: made without budgets). */
  readonly reservation?: Reservation;
}

/**
 * What a job holds from when it is recorded to when it ends: its estimated cost on the spending
 * counters of the day and month it was made (owner's and deployment's), and its images on the
 * queue counters. Ending a job releases it and counts the real cost instead, in one write.
 */
export interface Reservation {
  readonly usd: number;
  readonly images: number;
  /** `YYYY-MM-DD` (UTC): the owner's daily counter. */
  readonly day: string;
  /** `YYYY-MM` (UTC): the owner's and the deployment's monthly counters. */
  readonly month: string;
}

/** The limits a reservation must stay within (settings). */
export interface ReservationLimits {
  readonly deploymentMonthlyUsd: number;
  readonly ownerDailyUsd: number;
  readonly ownerMonthlyUsd: number;
  readonly ownerImagesInFlight: number;
}

/** Which limit a reservation would pass, and what the counter held then. */
export type ReserveOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly limit: 'deployment-monthly' | 'owner-daily' | 'owner-monthly' | 'owner-in-flight';
      /** The counter's value that refused it (dollars, or images for `owner-in-flight`). */
      readonly used: number;
    };

/** How a job that holds a reservation gives it back: the real cost and images counted instead. */
export interface Release {
  readonly reservation: Reservation;
  readonly costUsd: number;
  readonly images: number;
}

/** The counters behind the budgets and the queue, as they stand. */
export interface BudgetUsage {
  readonly ownerDayUsd: number;
  readonly ownerMonthUsd: number;
  readonly deploymentMonthUsd: number;
  readonly ownerImagesInFlight: number;
  readonly imagesInFlight: number;
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

/** How a job ends: every field written at once. */
export interface SettleUpdate {
  readonly status: 'succeeded' | 'failed';
  readonly updatedAt: string;
  /** The images kept (all of them, not a delta). */
  readonly images: readonly StoredImage[];
  readonly failures?: readonly ImageFailure[];
  readonly error?: ProblemDetails;
  readonly durationMs: number;
  readonly costUsd: number;
  readonly engine?: ImageEngine;
}

/** What one image task ended with. */
export type TaskOutcome =
  | { readonly image: StoredImage; readonly engine: ImageEngine }
  | { readonly failure: ImageFailure };

export interface GenerationRepositoryPort {
  create(record: GenerationRecord): Promise<void>;
  /**
   * Records a queued job and its `reservation` together, atomically: unless every counter stays
   * within `limits` (counted with every other job's reservation), nothing is written and the
   * outcome names the limit. Concurrent jobs can therefore never pass a limit.
   */
  createReserved(
    record: GenerationRecord & { readonly reservation: Reservation },
    limits: ReservationLimits,
  ): Promise<ReserveOutcome>;
  get(ownerId: string, id: string): Promise<GenerationRecord | undefined>;
  /** Newest first; `after` is the id of the last item of the previous page. */
  list(ownerId: string, limit: number, after?: string): Promise<readonly GenerationRecord[]>;
  /**
   * Claims image `index` of a queued or running job for the delivery `token` (the job becomes
   * `running`). A task held under the same token (an earlier attempt of the same event) is claimed
   * again; one another delivery holds is taken over only when untouched since `staleBefore` (its
   * worker died); a task already done is never run again. Answers the record, or undefined.
   */
  startTask(
    ownerId: string,
    id: string,
    index: number,
    token: string,
    at: string,
    staleBefore: string,
  ): Promise<GenerationRecord | undefined>;
  /**
   * Records what task `index` made (or why not) if `token` still holds it and the job still runs;
   * counts it in `finished`. Answers the record after the change, or undefined (cancelled, deleted,
   * taken over: the caller takes its objects back).
   */
  finishTask(
    ownerId: string,
    id: string,
    index: number,
    token: string | undefined,
    outcome: TaskOutcome,
    at: string,
  ): Promise<GenerationRecord | undefined>;
  /** Gives task `index` up (so a retry can run it at once); quietly does nothing when not held by `token`. */
  releaseTask(ownerId: string, id: string, index: number, token: string): Promise<void>;
  /**
   * running | queued → succeeded | failed; false when the job had already ended. With `release`,
   * the job's reservation is released and its real cost counted in the same write.
   */
  settle(ownerId: string, id: string, update: SettleUpdate, release?: Release): Promise<boolean>;
  /**
   * queued | running → cancelled; answers the record after the change (the images it keeps), or
   * undefined when the job had already ended. No image is recorded after this. With `release`
   * (computed from the record when it had `finished` images ended), the reservation is released in
   * the same write, and only if no image ended meanwhile (else undefined: read again and retry).
   */
  cancel(
    ownerId: string,
    id: string,
    at: string,
    release?: Release & { readonly finished: number },
  ): Promise<GenerationRecord | undefined>;
  remove(ownerId: string, id: string): Promise<void>;
  /** Stores the key unless it exists; answers the record that is stored (ours or the earlier one). */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord>;
  /** The job that made these exact parameters with this explicit seed, if one is remembered. */
  findRepeat(ownerId: string, fingerprint: string): Promise<string | undefined>;
  rememberRepeat(
    ownerId: string,
    fingerprint: string,
    generationId: string,
    expiresAt: number,
  ): Promise<void>;
}

/** Spending per owner and month, and recent image durations per model (for ETAs). */
export interface UsagePort {
  addSpend(ownerId: string, month: string, usd: number, images: number): Promise<void>;
  /** Spent this month (what running jobs hold is not spent yet). */
  spend(ownerId: string, month: string): Promise<{ readonly usd: number; readonly images: number }>;
  /** The budget and queue counters (what running jobs hold included). */
  budgetUsage(ownerId: string, day: string, month: string): Promise<BudgetUsage>;
  recordDuration(modelId: string, ms: number, at: string): Promise<void>;
  /** Most recent first, at most `limit`, none older than `since`. */
  recentDurations(modelId: string, limit: number, since: string): Promise<readonly number[]>;
}

export interface GeneratorSettings {
  readonly presignExpirySeconds: number;
  /** Days a job and its images are kept. */
  readonly retentionDays: number;
  /** A `running` image untouched this long has lost its worker (the worker's timeout plus a margin). */
  readonly staleAfterSeconds: number;
  /** Images made at once (the worker's reserved concurrency): the parallelism of ETAs. */
  readonly workerConcurrency: number;
  /** Spending budgets and the per-owner queue cap; absent, jobs are recorded without reservation. */
  readonly budgets?: ReservationLimits;
}

/** Everything the use cases need, injected by the composition root. */
export interface GeneratorDeps {
  readonly model: ImageModelPort;
  readonly access: ModelAccessPort;
  readonly store: ImageStorePort;
  readonly thumbnails: ThumbnailerPort;
  readonly metadata: ImageMetadataPort;
  readonly signer: UrlSignerPort;
  readonly repository: GenerationRepositoryPort;
  readonly usage: UsagePort;
  readonly worker: WorkerInvokerPort;
  readonly clock: ClockPort;
  readonly ids: IdPort;
  readonly random: RandomPort;
  readonly settings: GeneratorSettings;
  /** The input checks (uploads, and an edit's inputs before the model is paid for). */
  readonly images: InputImagesPort;
  readonly catalog: (modelId: string) => ModelCatalogEntry | undefined;
  /** The image services an edit may call (the catalog in libs/contracts). */
  readonly services: (serviceId: string) => ImageServiceEntry | undefined;
  /** Every model the catalog knows (for `GET /models`). */
  readonly models: () => readonly ModelCatalogEntry[];
  /** Problems the use cases keep going through (a thumbnail, a statistic): logged, never thrown. */
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
}
