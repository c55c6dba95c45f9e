import { GenerationListQuery, GeneratorClient } from '@imagegen/bff/data-access-generator';
import {
  AssistantUsageRecorded,
  AssistantUsageReport,
  catalogEta,
  ErrorCode,
  Generation,
  GenerationPage,
  IMAGE_SERVICES,
  MODEL_CATALOG,
  ModelInfo,
  NormalizedGenerateImageRequest,
  OwnerSummary,
  ProblemError,
  ServiceInfo,
  UPLOAD_MAX_BYTES,
  UploadedImage,
  UploadTicket,
} from '@imagegen/contracts';

export const CORE = 'stability.stable-image-core-v1:1';

/** An in-memory generator API for the BFF's specs: records what the BFF sends, counts every call. */
export class FakeGenerator implements GeneratorClient {
  readonly created: { ownerId: string; body: NormalizedGenerateImageRequest; requestId: string }[] = [];
  readonly jobs = new Map<string, Generation & { ownerId: string }>();
  readonly keys: (string | undefined)[] = [];
  readonly listed: { ownerId: string; query: GenerationListQuery }[] = [];
  /** Upload tickets asked for, edits sent and upload checks, as the BFF sent them. */
  readonly uploads: { ownerId: string; body: unknown; requestId: string }[] = [];
  readonly checks: { ownerId: string; uploadId: string }[] = [];
  readonly edits: { ownerId: string; body: unknown; requestId: string; idempotencyKey?: string }[] = [];
  /** Every call, by method name: what "the generator was not called" is checked against. */
  readonly calls: string[] = [];
  failWith?: ProblemError;
  /** When set, `create` waits for this before answering (a request in progress). */
  hold?: Promise<void>;
  modelsAnswer: () => Promise<ModelInfo[]> = async () =>
    MODEL_CATALOG.map((m) => ({
      ...m,
      available: m.lifecycle.state !== 'retired',
      availability: m.lifecycle.state === 'retired' ? 'retired' : 'available',
      eta: { p50Seconds: 4, p90Seconds: 7, samples: 12, source: 'measured', parallelism: 2 },
    }));
  private n = 0;

  async create(
    ownerId: string,
    body: unknown,
    requestId: string,
    idempotencyKey?: string,
  ): Promise<Generation> {
    this.calls.push('create');
    if (this.failWith) throw this.failWith;
    if (this.hold) await this.hold;
    const request = body as NormalizedGenerateImageRequest;
    this.keys.push(idempotencyKey);
    this.created.push({ ownerId, body: request, requestId });
    const id = `job${String(++this.n).padStart(10, '0')}`;
    const now = new Date().toISOString();
    const job = {
      id,
      ownerId,
      status: 'queued' as const,
      createdAt: now,
      updatedAt: now,
      modelId: request.modelId,
      request,
      images: [],
      estimatedCostUsd: 0.04,
    };
    this.jobs.set(id, job);
    return job;
  }

  async get(ownerId: string, id: string): Promise<Generation> {
    this.calls.push('get');
    const job = this.jobs.get(id);
    if (!job || job.ownerId !== ownerId) throw ProblemError.of(ErrorCode.NOT_FOUND, 'no such generation');
    return job;
  }

  async cancel(ownerId: string, id: string): Promise<Generation> {
    this.calls.push('cancel');
    const job = await this.get(ownerId, id);
    this.jobs.set(id, { ...job, ownerId, status: 'cancelled' });
    return { ...job, status: 'cancelled' };
  }

  async remove(ownerId: string, id: string): Promise<void> {
    this.calls.push('remove');
    await this.get(ownerId, id);
    this.jobs.delete(id);
  }

  async list(ownerId: string, query: GenerationListQuery): Promise<GenerationPage> {
    this.calls.push('list');
    this.listed.push({ ownerId, query });
    if (query.limit !== undefined && !/^\d+$/.test(query.limit))
      throw ProblemError.of(ErrorCode.VALIDATION_FAILED, 'limit must be a whole number from 1 to 100');
    if (query.limit !== undefined && (Number(query.limit) < 1 || Number(query.limit) > 100))
      throw ProblemError.of(ErrorCode.VALIDATION_FAILED, 'limit must be a whole number from 1 to 100');
    if (query.cursor !== undefined && !query.cursor.startsWith('g1.'))
      throw ProblemError.of(ErrorCode.VALIDATION_FAILED, 'cursor is not valid');
    return { items: [] };
  }

  async createUpload(ownerId: string, body: unknown, requestId: string): Promise<UploadTicket> {
    this.calls.push('createUpload');
    if (this.failWith) throw this.failWith;
    this.uploads.push({ ownerId, body, requestId });
    const uploadId = `up${String(++this.n).padStart(12, '0')}`;
    return {
      uploadId,
      url: 'http://127.0.0.1:4566/imagegen-images',
      fields: { key: `uploads/${ownerId}/${uploadId}`, 'Content-Type': 'image/png' },
      maxBytes: UPLOAD_MAX_BYTES,
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
    };
  }

  async checkUpload(ownerId: string, uploadId: string): Promise<UploadedImage> {
    this.calls.push('checkUpload');
    if (this.failWith) throw this.failWith;
    this.checks.push({ ownerId, uploadId });
    return {
      uploadId,
      width: 640,
      height: 480,
      format: 'png',
      hasAlpha: false,
      bytes: 1234,
      url: `http://127.0.0.1:4566/imagegen-images/uploads/${ownerId}/${uploadId}`,
      urlExpiresAt: new Date(Date.now() + 900_000).toISOString(),
    };
  }

  async createEdit(
    ownerId: string,
    body: unknown,
    requestId: string,
    idempotencyKey?: string,
  ): Promise<Generation> {
    this.calls.push('createEdit');
    if (this.failWith) throw this.failWith;
    this.edits.push({ ownerId, body, requestId, ...(idempotencyKey ? { idempotencyKey } : {}) });
    const id = `job${String(++this.n).padStart(10, '0')}`;
    const now = new Date().toISOString();
    const serviceId = (body as { serviceId: string }).serviceId;
    const job = {
      id,
      ownerId,
      status: 'queued' as const,
      createdAt: now,
      updatedAt: now,
      modelId: serviceId,
      request: {
        modelId: serviceId,
        prompt: '',
        aspectRatio: '1:1' as const,
        count: 1,
        outputFormat: 'png' as const,
      },
      images: [],
      estimatedCostUsd: 0.07,
    };
    this.jobs.set(id, job);
    return job;
  }

  async models(): Promise<ModelInfo[]> {
    this.calls.push('models');
    return this.modelsAnswer();
  }

  async services(): Promise<ServiceInfo[]> {
    this.calls.push('services');
    if (this.failWith) throw this.failWith;
    return IMAGE_SERVICES.map((s, i) => ({
      id: s.id,
      eta:
        i === 0
          ? { p50Seconds: 3, p90Seconds: 5, samples: 9, source: 'measured', parallelism: 2 }
          : catalogEta(s, 2),
    }));
  }

  async summary(ownerId: string): Promise<OwnerSummary> {
    this.calls.push('summary');
    if (this.failWith) throw this.failWith;
    return {
      retentionDays: 30,
      presignExpirySeconds: 900,
      month: '2026-11',
      spentUsd: ownerId.length / 100,
      images: 2,
    };
  }

  /** Prompt-assistant usage reports, as the BFF sent them. */
  readonly assistantUsage: { ownerId: string; report: AssistantUsageReport }[] = [];

  async recordAssistantUsage(ownerId: string, report: AssistantUsageReport): Promise<AssistantUsageRecorded> {
    this.calls.push('recordAssistantUsage');
    this.assistantUsage.push({ ownerId, report });
    return { costUsd: 0, month: '2026-11' };
  }

  async ping(): Promise<void> {
    this.calls.push('ping');
    if (this.failWith) throw this.failWith;
  }

  finish(id: string) {
    const job = this.jobs.get(id);
    if (job)
      this.jobs.set(id, {
        ...job,
        status: 'succeeded',
        updatedAt: new Date(Date.now() + 1000).toISOString(),
      });
  }
}

/** Settings for the specs: silent logs, fast event streams, the given overrides. */
export const testEnv = (overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  GENERATOR_API_URL: 'http://127.0.0.1:9/local',
  COOKIE_SECRET: 'test-secret-test-secret-test-secret-0123',
  LOG_LEVEL: 'silent',
  SSE_POLL_MAX_MS: '200',
  ...overrides,
});
