import { DynamicModule, Module, Provider } from '@nestjs/common';
import { NEVER, Observable } from 'rxjs';

import { GENERATOR_CLIENT } from '@imagegen/bff/data-access-generator';

import { EditsController, ServicesController, UploadsController } from './edits.controller';
import { EditsService } from './edits.service';
import { DEFAULT_FOLLOW, FollowOptions } from './follow-generation';
import { GenerationsController } from './generations.controller';
import { GenerationsService } from './generations.service';
import { HealthController } from './health.controller';
import { ModelsController } from './models.controller';
import { DEFAULT_MODELS_CACHE, ModelsCacheOptions, ModelsService } from './models.service';
import { ServicesService } from './services.service';
import { DEFAULT_STREAM_CAPS, StreamCapsOptions } from './stream-caps';
import { SummaryController } from './summary.controller';
import { DRAINING, FOLLOW_OPTIONS, MODELS_CACHE, READY_CACHE_MS, STREAM_CAPS } from './tokens';

export interface GenerationsModuleOptions {
  /** Provides GENERATOR_CLIENT (the app composes the HTTP adapter; tests pass a fake). */
  readonly generatorClient: Omit<Provider, 'provide'> & Record<string, unknown>;
  readonly follow?: Partial<FollowOptions>;
  readonly models?: Partial<ModelsCacheOptions>;
  /** Emits when the server starts draining (graceful shutdown): open event streams end. */
  readonly draining?: Observable<unknown>;
  /** Caps on live job streams per owner and per address (ADR 0015). */
  readonly streams?: Partial<StreamCapsOptions>;
  /** How long /api/ready keeps the generator's answer (default 5 s). */
  readonly readyCacheMs?: number;
}

@Module({})
export class GenerationsModule {
  static register(options: GenerationsModuleOptions): DynamicModule {
    return {
      module: GenerationsModule,
      controllers: [
        GenerationsController,
        EditsController,
        ServicesController,
        UploadsController,
        SummaryController,
        ModelsController,
        HealthController,
      ],
      providers: [
        GenerationsService,
        EditsService,
        ModelsService,
        ServicesService,
        { provide: GENERATOR_CLIENT, ...options.generatorClient } as Provider,
        { provide: FOLLOW_OPTIONS, useValue: { ...DEFAULT_FOLLOW, ...options.follow } },
        { provide: MODELS_CACHE, useValue: { ...DEFAULT_MODELS_CACHE, ...options.models } },
        { provide: DRAINING, useValue: options.draining ?? NEVER },
        { provide: STREAM_CAPS, useValue: { ...DEFAULT_STREAM_CAPS, ...options.streams } },
        { provide: READY_CACHE_MS, useValue: options.readyCacheMs ?? 5_000 },
      ],
    };
  }
}
