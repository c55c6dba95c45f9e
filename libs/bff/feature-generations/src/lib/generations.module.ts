import { DynamicModule, Module, Provider } from '@nestjs/common';

import { GENERATOR_CLIENT } from '@imagegen/bff/data-access-generator';

import { DEFAULT_FOLLOW, FollowOptions } from './follow-generation';
import { GenerationsController } from './generations.controller';
import { HealthController } from './health.controller';
import { ModelsController } from './models.controller';
import { FOLLOW_OPTIONS } from './tokens';

export interface GenerationsModuleOptions {
  /** Provides GENERATOR_CLIENT (the app composes the HTTP adapter; tests pass a fake). */
  readonly generatorClient: Omit<Provider, 'provide'> & Record<string, unknown>;
  readonly follow?: Partial<FollowOptions>;
}

@Module({})
export class GenerationsModule {
  static register(options: GenerationsModuleOptions): DynamicModule {
    return {
      module: GenerationsModule,
      controllers: [GenerationsController, ModelsController, HealthController],
      providers: [
        { provide: GENERATOR_CLIENT, ...options.generatorClient } as Provider,
        { provide: FOLLOW_OPTIONS, useValue: { ...DEFAULT_FOLLOW, ...options.follow } },
      ],
    };
  }
}
