import {
  AssistantUsageRecorded,
  AssistantUsageReport,
  Generation,
  GenerationPage,
  ModelInfo,
  OwnerSummary,
} from '@imagegen/contracts';

/** What the BFF needs from the generator API (DI token below; HTTP adapter in this library). */
export interface GeneratorClient {
  create(ownerId: string, body: unknown, requestId: string, idempotencyKey?: string): Promise<Generation>;
  get(ownerId: string, id: string, requestId: string): Promise<Generation>;
  cancel(ownerId: string, id: string, requestId: string): Promise<Generation>;
  remove(ownerId: string, id: string, requestId: string): Promise<void>;
  list(
    ownerId: string,
    query: { cursor?: string; limit?: string },
    requestId: string,
  ): Promise<GenerationPage>;
  /** The catalog with this deployment's availability and measured ETA per model (generator `GET /models`). */
  models(requestId: string): Promise<ModelInfo[]>;
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
