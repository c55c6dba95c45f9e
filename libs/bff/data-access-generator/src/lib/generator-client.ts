import { Generation, GenerationPage } from '@imagegen/contracts';

/** What the BFF needs from the generator API (DI token below; HTTP adapter in this library). */
export interface GeneratorClient {
  create(ownerId: string, body: unknown, requestId: string, idempotencyKey?: string): Promise<Generation>;
  get(ownerId: string, id: string, requestId: string): Promise<Generation>;
  cancel(ownerId: string, id: string, requestId: string): Promise<Generation>;
  remove(ownerId: string, id: string, requestId: string): Promise<void>;
  list(ownerId: string, query: { cursor?: string; limit?: string }, requestId: string): Promise<GenerationPage>;
  /** Answers when the generator API is reachable and accepts the BFF's credentials. */
  ping(requestId: string): Promise<void>;
}

export const GENERATOR_CLIENT = Symbol('GENERATOR_CLIENT');
