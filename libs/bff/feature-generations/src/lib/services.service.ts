import { Inject, Injectable, Logger } from '@nestjs/common';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import { catalogEta, IMAGE_SERVICES, ServiceInfo } from '@imagegen/contracts';

import type { ModelsCacheOptions } from './models.service';
import { SharedAnswer } from './shared-answer';
import { MODELS_CACHE } from './tokens';

/** The catalog's figures for every Image Service, as this BFF can tell them alone. */
export function catalogServiceInfos(): ServiceInfo[] {
  return IMAGE_SERVICES.map((s) => ({ id: s.id, eta: catalogEta(s, 1) }));
}

function isServiceList(value: unknown): value is ServiceInfo[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (s: Partial<ServiceInfo> | null) => typeof s?.id === 'string' && typeof s.eta?.p50Seconds === 'number',
    )
  );
}

/**
 * `/api/services`: each Image Service's ETA as the generator measured it (the catalog's until enough ran),
 * kept for a short while for every user as `/api/models` is (one generator call reads every service's
 * recent durations); the catalog's figures when the generator cannot answer.
 */
@Injectable()
export class ServicesService {
  private readonly answer: SharedAnswer<readonly ServiceInfo[]>;

  constructor(
    @Inject(GENERATOR_CLIENT) generator: GeneratorClient,
    @Inject(MODELS_CACHE) options: ModelsCacheOptions,
  ) {
    this.answer = new SharedAnswer(
      {
        what: 'Image Services',
        ask: (id) => generator.services(id),
        isAnswer: isServiceList,
        fallback: catalogServiceInfos,
      },
      options,
      new Logger('ServicesService'), // a literal: bundlers may rename the class
    );
  }

  list(requestId: string): Promise<readonly ServiceInfo[]> {
    return this.answer.get(requestId);
  }
}
