import { DynamicModule, Module, Provider } from '@nestjs/common';

import { GENERATOR_CLIENT } from '@imagegen/bff/data-access-generator';

import { AssistantController } from './assistant.controller';
import { ASSISTANT_SETTINGS, AssistantService, AssistantSettings } from './assistant.service';
import { TEXT_STREAM } from './text-stream';

export interface AssistantModuleOptions {
  /** Provides TEXT_STREAM (the app composes the Bedrock adapter; tests pass a fake). */
  readonly textStream: Omit<Provider, 'provide'> & Record<string, unknown>;
  /** Provides GENERATOR_CLIENT (where the spending is counted). */
  readonly generatorClient: Omit<Provider, 'provide'> & Record<string, unknown>;
  readonly settings: AssistantSettings;
}

/** The prompt assistant: `GET /api/assistant` and `POST /api/assistant/suggestions` (ADR 0014). */
@Module({})
export class AssistantModule {
  static register(options: AssistantModuleOptions): DynamicModule {
    return {
      module: AssistantModule,
      controllers: [AssistantController],
      providers: [
        AssistantService,
        { provide: TEXT_STREAM, ...options.textStream } as Provider,
        { provide: GENERATOR_CLIENT, ...options.generatorClient } as Provider,
        { provide: ASSISTANT_SETTINGS, useValue: options.settings },
      ],
    };
  }
}
