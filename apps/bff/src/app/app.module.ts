import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';

import { GeneratorClient, HttpGeneratorClient } from '@imagegen/bff/data-access-generator';
import { AssistantModule, BedrockTextStream, TextStreamPort } from '@imagegen/bff/feature-assistant';
import { GenerationsModule } from '@imagegen/bff/feature-generations';
import { DynamoLeaseStore, DynamoRateLimitStorage, RateLimitModule } from '@imagegen/bff/util-http';

import { BffConfig } from './bff-config';

export interface AppModuleDeps {
  /** The root logger; the HTTP access log (pino-http) is installed by create-app as the first middleware. */
  readonly logger: Logger;
  /** Emits when the server starts draining. */
  readonly draining: Observable<unknown>;
  /** Tests swap the generator client. */
  readonly generator?: GeneratorClient;
  /** Tests swap the prompt assistant's text model. */
  readonly textStream?: TextStreamPort;
}

@Module({})
export class AppModule {
  /** The BFF, composed from validated settings. */
  static register(config: BffConfig, deps: AppModuleDeps): DynamicModule {
    // One generator client for every module that talks to the generator API.
    const generator =
      deps.generator ??
      new HttpGeneratorClient({
        baseUrl: config.GENERATOR_API_URL,
        region: config.GENERATOR_API_REGION,
        credentials: defaultProvider(),
        timeoutMs: config.GENERATOR_TIMEOUT_MS,
      });
    // The limiter's counters and the stream leases, shared by every task (ADR 0015); the SDK's own endpoint
    // settings apply (AWS_ENDPOINT_URL_DYNAMODB locally).
    const limiterTable = config.RATE_LIMIT_TABLE
      ? {
          name: config.RATE_LIMIT_TABLE,
          client: new DynamoDBClient({ region: config.GENERATOR_API_REGION, credentials: defaultProvider() }),
        }
      : undefined;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ bff: config })] }),
        // Binds each request's logger (req.log, set by the access-log middleware) for Nest's Logger.
        LoggerModule.forRoot({
          pinoHttp: { logger: deps.logger },
          useExisting: true,
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        }),
        RateLimitModule.register(
          {
            windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
            perIp: config.RATE_LIMIT_PER_IP,
            perOwner: config.RATE_LIMIT_PER_OWNER,
            jobsPerOwner: config.RATE_LIMIT_JOBS_PER_OWNER,
            jobsPerIp: config.RATE_LIMIT_JOBS_PER_IP,
            uploadsPerOwner: config.RATE_LIMIT_UPLOADS_PER_OWNER,
          },
          limiterTable ? new DynamoRateLimitStorage(limiterTable.client, limiterTable.name) : undefined,
        ),
        GenerationsModule.register({
          generatorClient: { useValue: generator },
          follow: { maxDelayMs: config.SSE_POLL_MAX_MS },
          streams: {
            perOwner: config.SSE_STREAMS_PER_OWNER,
            perIp: config.SSE_STREAMS_PER_IP,
            // Leased in the limiter's table when there is one, so the caps hold across tasks (ADR 0015).
            ...(limiterTable ? { leases: new DynamoLeaseStore(limiterTable.client, limiterTable.name) } : {}),
          },
          readyCacheMs: config.READY_CACHE_SECONDS * 1000,
          models: { ttlMs: config.MODELS_CACHE_SECONDS * 1000 },
          draining: deps.draining,
        }),
        AssistantModule.register({
          generatorClient: { useValue: generator },
          textStream: deps.textStream
            ? { useValue: deps.textStream }
            : {
                // Bedrock Runtime's endpoint comes from the SDK's own settings (AWS_ENDPOINT_URL_BEDROCK_RUNTIME
                // locally). HTTP/1.1 (the default handler speaks HTTP/2); the assistant's own timeout cuts the call.
                useFactory: () =>
                  new BedrockTextStream(
                    new BedrockRuntimeClient({
                      region: config.ASSISTANT_BEDROCK_REGION,
                      credentials: defaultProvider(),
                      maxAttempts: 2,
                      requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000 }),
                    }),
                  ),
              },
          settings: {
            textModelId: config.ASSISTANT_MODEL_ID,
            timeoutMs: config.ASSISTANT_TIMEOUT_MS,
            heartbeatMs: config.ASSISTANT_HEARTBEAT_MS,
            perOwner: config.ASSISTANT_RATE_PER_OWNER,
            windowSeconds: config.ASSISTANT_RATE_WINDOW_SECONDS,
          },
        }),
      ],
    };
  }
}
