import {
  AssistantUsageRecorded,
  AssistantUsageReport,
  Generation,
  GenerationPage,
  ModelInfo,
  OwnerSummary,
  ServiceInfo,
  UploadedImage,
  UploadTicket,
} from '@imagegen/contracts';

/** A page of the owner's jobs: `parent` (a job id) keeps only the edits made from that job's images. */
export interface GenerationListQuery {
  readonly cursor?: string;
  readonly limit?: string;
  readonly parent?: string;
}

/** What the BFF needs from the generator API (DI token below; HTTP adapter in this library). */
export interface GeneratorClient {
  create(ownerId: string, body: unknown, requestId: string, idempotencyKey?: string): Promise<Generation>;
  get(ownerId: string, id: string, requestId: string): Promise<Generation>;
  cancel(ownerId: string, id: string, requestId: string): Promise<Generation>;
  remove(ownerId: string, id: string, requestId: string): Promise<void>;
  list(ownerId: string, query: GenerationListQuery, requestId: string): Promise<GenerationPage>;
  /** A presigned POST for one image the browser sends straight to S3 (generator `POST /uploads`). */
  createUpload(ownerId: string, body: unknown, requestId: string): Promise<UploadTicket>;
  /** The upload decoded and checked (generator `POST /uploads/{id}/check`); a bad one is a 422 and is deleted. */
  checkUpload(ownerId: string, uploadId: string, requestId: string): Promise<UploadedImage>;
  /** Starts an edit job, as `create` a generation (generator `POST /edits`). */
  createEdit(ownerId: string, body: unknown, requestId: string, idempotencyKey?: string): Promise<Generation>;
  /** The catalog with this deployment's availability and measured ETA per model (generator `GET /models`). */
  models(requestId: string): Promise<ModelInfo[]>;
  /** Each Image Service with this deployment's measured ETA, or the catalog's (generator `GET /services`). */
  services(requestId: string): Promise<ServiceInfo[]>;
  /** Retention and this month's spending of an owner (generator `GET /summary`). */
  summary(ownerId: string, requestId: string): Promise<OwnerSummary>;
  /** Adds one prompt-assistant suggestion's tokens to the owner's month (generator `POST /usage/assistant`). */
  recordAssistantUsage(
    ownerId: string,
    report: AssistantUsageReport,
    requestId: string,
  ): Promise<AssistantUsageRecorded>;
  /** Answers when the generator API is reachable and accepts the BFF's credentials. */
  ping(requestId: string): Promise<void>;
}

export const GENERATOR_CLIENT = Symbol('GENERATOR_CLIENT');
