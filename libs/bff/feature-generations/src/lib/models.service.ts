import { Inject, Injectable, Logger } from '@nestjs/common';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import { catalogEta, MODEL_CATALOG, ModelInfo } from '@imagegen/contracts';

import { DEFAULT_SHARED_ANSWER, SharedAnswer, type SharedAnswerOptions } from './shared-answer';
import { MODELS_CACHE } from './tokens';

/** How long `/api/models` and `/api/services` keep the generator's answer (SharedAnswer). */
export type ModelsCacheOptions = SharedAnswerOptions;
export const DEFAULT_MODELS_CACHE: ModelsCacheOptions = DEFAULT_SHARED_ANSWER;

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
 * while for every user; the catalog's own answer when the generator cannot give one (SharedAnswer).
 */
@Injectable()
export class ModelsService {
  private readonly answer: SharedAnswer<readonly ModelInfo[]>;

  constructor(
    @Inject(GENERATOR_CLIENT) generator: GeneratorClient,
    @Inject(MODELS_CACHE) options: ModelsCacheOptions,
  ) {
    this.answer = new SharedAnswer(
      {
        what: 'models',
        ask: (id) => generator.models(id),
        isAnswer: isModelList,
        fallback: catalogModelInfos,
      },
      options,
      new Logger('ModelsService'), // a literal: bundlers may rename the class
    );
  }

  list(requestId: string): Promise<readonly ModelInfo[]> {
    return this.answer.get(requestId);
  }
}
