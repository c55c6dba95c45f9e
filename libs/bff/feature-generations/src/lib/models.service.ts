import { Inject, Injectable, Logger } from '@nestjs/common';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import { catalogEta, MODEL_CATALOG, ModelInfo, ProblemError } from '@imagegen/contracts';

import { MODELS_CACHE } from './tokens';

export interface ModelsCacheOptions {
  /** How long the generator's answer is kept, shared by every user. */
  readonly ttlMs: number;
  /** How long the catalog's stand-in answer is kept when the generator cannot answer. */
  readonly fallbackTtlMs: number;
  /** How long a request waits for the generator before it gets the stand-in answer. */
  readonly waitMs: number;
  readonly now?: () => number;
}

export const DEFAULT_MODELS_CACHE: ModelsCacheOptions = {
  ttlMs: 30_000,
  fallbackTtlMs: 5_000,
  waitMs: 3_000,
};

/**
 * The catalog as this BFF can tell it alone: retired models are unavailable, the others `unknown`
 * (callable, but the generator could not say whether the account has access), ETAs from the catalog.
 */
export function catalogModelInfos(): ModelInfo[] {
  return MODEL_CATALOG.map((m) =>
    m.lifecycle.state === 'retired'
      ? {
          ...m,
          available: false,
          availability: 'retired',
          unavailableReason: `Retired by Amazon Bedrock${m.lifecycle.endOfLifeDate ? ` on ${m.lifecycle.endOfLifeDate}` : ''}`,
          eta: catalogEta(m, 1),
        }
      : { ...m, available: true, availability: 'unknown', eta: catalogEta(m, 1) },
  );
}

function isModelList(value: unknown): value is ModelInfo[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (m: Partial<ModelInfo> | null) =>
        typeof m?.id === 'string' &&
        typeof m.available === 'boolean' &&
        typeof m.availability === 'string' &&
        typeof m.eta?.p50Seconds === 'number',
    )
  );
}

/**
 * `/api/models`: the generator's answer (availability and measured ETA per model), kept for a short
 * while for every user. When the generator cannot answer (down, slow, nonsense), the catalog's own
 * answer for a shorter while: this route never fails.
 */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger('ModelsService'); // a literal: bundlers may rename the class
  private readonly now: () => number;
  private cached?: { readonly models: readonly ModelInfo[]; readonly until: number };
  private pending?: Promise<readonly ModelInfo[]>;

  constructor(
    @Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient,
    @Inject(MODELS_CACHE) private readonly options: ModelsCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  list(requestId: string): Promise<readonly ModelInfo[]> {
    if (this.cached && this.now() < this.cached.until) return Promise.resolve(this.cached.models);
    // One question to the generator at a time, whoever asks meanwhile gets its answer.
    this.pending ??= this.refresh(requestId).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async refresh(requestId: string): Promise<readonly ModelInfo[]> {
    const asked = this.generator.models(requestId).then((models) => {
      if (!isModelList(models)) throw new Error('the generator answered something that is not a model list');
      this.cached = { models, until: this.now() + this.options.ttlMs };
      return models;
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), this.options.waitMs)),
    );
    try {
      const models = await Promise.race([asked, waited]);
      if (models) return models;
      // (the request's logger already binds the request id)
      this.logger.warn(
        { waitMs: this.options.waitMs },
        'the generator did not list the models in time: answering the catalog',
      );
    } catch (err) {
      const code = err instanceof ProblemError ? err.problem.code : undefined;
      this.logger.warn(
        { code, err: code ? undefined : err },
        'the generator could not list the models: answering the catalog',
      );
    } finally {
      clearTimeout(timer);
    }
    asked.catch(() => undefined); // a late failure changes nothing; a late answer replaces the stand-in
    const fallback = catalogModelInfos();
    this.cached = { models: fallback, until: this.now() + this.options.fallbackTtlMs };
    return fallback;
  }
}
