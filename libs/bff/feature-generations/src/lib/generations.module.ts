import { DynamicModule, Module, Provider } from '@nestjs/common';
import { NEVER, Observable } from 'rxjs';

import { GENERATOR_CLIENT } from '@imagegen/bff/data-access-generator';

import { DEFAULT_FOLLOW, FollowOptions } from './follow-generation';
import { GenerationsController } from './generations.controller';
import { GenerationsService } from './generations.service';
import { HealthController } from './health.controller';
import { ModelsController } from './models.controller';
import { DEFAULT_MODELS_CACHE, ModelsCacheOptions, ModelsService } from './models.service';
import { SummaryController } from './summary.controller';
import { DRAINING, FOLLOW_OPTIONS, MODELS_CACHE } from './tokens';

export interface GenerationsModuleOptions {
  /** Provides GENERATOR_CLIENT (the app composes the HTTP adapter; tests pass a fake). */
  readonly generatorClient: Omit<Provider, 'provide'> & Record<string, unknown>;
  readonly follow?: Partial<FollowOptions>;
  readonly models?: Partial<ModelsCacheOptions>;
  /** Emits when the server starts draining (graceful shutdown): open event streams end. */
  readonly draining?: Observable<unknown>;
}

@Module({})
export class GenerationsModule {
  static register(options: GenerationsModuleOptions): DynamicModule {
    return {
      module: GenerationsModule,
      controllers: [GenerationsController, SummaryController, ModelsController, HealthController],
      providers: [
        GenerationsService,
        ModelsService,
        { provide: GENERATOR_CLIENT, ...options.generatorClient } as Provider,
        { provide: FOLLOW_OPTIONS, useValue: { ...DEFAULT_FOLLOW, ...options.follow } },
        { provide: MODELS_CACHE, useValue: { ...DEFAULT_MODELS_CACHE, ...options.models } },
        { provide: DRAINING, useValue: options.draining ?? NEVER },
      ],
    };
  }
}
