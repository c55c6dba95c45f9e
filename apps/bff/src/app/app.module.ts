import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { LoggerModule } from 'nestjs-pino';

import { GeneratorClient, HttpGeneratorClient } from '@imagegen/bff/data-access-generator';
import { GenerationsModule } from '@imagegen/bff/feature-generations';
import { createLogger } from '@imagegen/shared/util-logging';

import { BffConfig } from './bff-config';
import { requestIdFor } from './request-id';

@Module({})
export class AppModule {
  /** The BFF, composed from validated settings; tests may swap the generator client. */
  static register(config: BffConfig, generator?: GeneratorClient): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ bff: config })] }),
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
          pinoHttp: {
            logger: createLogger({ service: 'bff', level: config.LOG_LEVEL }),
            genReqId: requestIdFor,
            customProps: (req) => ({ requestId: (req as { id?: unknown }).id }),
            // Method, path and status only: no cookies, headers or bodies in the logs.
            serializers: {
              req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url?.split('?')[0] }),
              res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
            },
            autoLogging: { ignore: (req) => req.url === '/api/health' },
          },
        }),
        GenerationsModule.register({
          generatorClient: generator
            ? { useValue: generator }
            : {
                useFactory: () =>
                  new HttpGeneratorClient({
                    baseUrl: config.GENERATOR_API_URL,
                    region: config.GENERATOR_API_REGION,
                    credentials: defaultProvider(),
                    timeoutMs: config.GENERATOR_TIMEOUT_MS,
                  }),
              },
          follow: { maxDelayMs: config.SSE_POLL_MAX_MS },
        }),
      ],
    };
  }
}
