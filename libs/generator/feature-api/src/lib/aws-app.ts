import { findImageService, findModel, MODEL_CATALOG } from '@imagegen/contracts';
import {
  BedrockImageModel,
  BedrockModelAccess,
  createBedrockControlClient,
  createBedrockRuntimeClient,
  createDynamoClient,
  createS3Client,
  createSqsClient,
  DynamoGenerationRepository,
  DynamoUsageRepository,
  S3ImageStore,
  S3UrlSigner,
  SqsWorkerQueue,
} from '@imagegen/generator/data-access-aws';
import { ParametersWriter, SharpInputImages, SharpThumbnailer } from '@imagegen/generator/data-access-images';
import {
  GeneratorDeps,
  ImageMetadataPort,
  ImageModelPort,
  mathRandom,
  ModelAccessPort,
  ThumbnailerPort,
  timeSortableIds,
  WorkerInvokerPort,
} from '@imagegen/generator/domain';
import { createLogger, Logger } from '@imagegen/shared/util-logging';

import {
  createApiAppFromDeps,
  createWorkerAppFromDeps,
  GeneratorApiApp,
  GeneratorApp,
  GeneratorWorkerApp,
} from './generator-app';
import { lambdaContextFields, observedDeps } from './observability';
import { powertoolsMetrics, powertoolsTraced, Traced, untraced } from './powertools';
import { GeneratorSettings } from './settings';

// The composition roots over the real AWS SDK clients, one per Lambda: each builds only the clients
// and adapters its function calls, so its bundle holds nothing else (the API: no Bedrock Runtime
// client and no thumbnailer, sharp only for an upload's check; the worker: no SQS client and no
// Bedrock control plane).

/** The ports that only the other function fills in: calling one is a wiring bug, said so. */
const elsewhere = (what: string, fn: 'API' | 'worker' | 'abandoned-job'): Error =>
  new Error(`${what} is not wired in the ${fn} function (the other function's part)`);

const notWired = (what: string, fn: 'API' | 'abandoned-job'): ImageMetadataPort => ({
  withParameters: () => {
    throw elsewhere(what, fn);
  },
});

interface Specific {
  readonly model: ImageModelPort;
  readonly access: ModelAccessPort;
  readonly thumbnails: ThumbnailerPort;
  readonly metadata: ImageMetadataPort;
  readonly worker: WorkerInvokerPort;
}

const storageClients = (settings: GeneratorSettings, traced: Traced) => ({
  s3: traced(createS3Client(settings)),
  dynamo: traced(createDynamoClient(settings)),
});

/** The logger of a function: the repo's JSON lines, with the Lambda invocation's context on each. */
const functionLogger = (service: string, settings: GeneratorSettings) =>
  createLogger({ service, level: settings.logLevel, mixin: lambdaContextFields });

/** A Lambda function's clients through Powertools Tracer (X-Ray subsegments per call). */
const lambdaTraced = (log: Logger): Traced =>
  powertoolsTraced((message, detail) => log.warn(detail ?? {}, message));

/** The ports both functions use, over the S3 and DynamoDB clients. */
function composeDeps(
  settings: GeneratorSettings,
  log: Logger,
  clients: ReturnType<typeof storageClients>,
  specific: Specific,
): GeneratorDeps {
  return observedDeps(baseDeps(settings, log, clients, specific), powertoolsMetrics());
}

function baseDeps(
  settings: GeneratorSettings,
  log: Logger,
  clients: ReturnType<typeof storageClients>,
  specific: Specific,
): GeneratorDeps {
  return {
    ...specific,
    store: new S3ImageStore(clients.s3, settings.bucket),
    signer: new S3UrlSigner(clients.s3, settings.bucket),
    repository: new DynamoGenerationRepository(clients.dynamo, settings.table),
    usage: new DynamoUsageRepository(clients.dynamo, settings.table),
    clock: { now: () => new Date() },
    ids: timeSortableIds(() => Date.now()),
    random: mathRandom,
    settings: {
      presignExpirySeconds: settings.presignExpirySeconds,
      retentionDays: settings.retentionDays,
      staleAfterSeconds: settings.staleAfterSeconds,
      workerConcurrency: settings.workerConcurrency,
      budgets: settings.budgets,
    },
    // sharp is loaded on the first check only (the abandoned-job function never checks an image).
    images: new SharpInputImages(),
    catalog: findModel,
    services: findImageService,
    models: () => MODEL_CATALOG,
    warn: (message, detail) => log.warn(detail ?? {}, message),
  };
}

function apiPorts(settings: GeneratorSettings, traced: Traced): Pick<Specific, 'access' | 'worker'> {
  return {
    access: new BedrockModelAccess(
      traced(createBedrockControlClient(settings)),
      settings.bedrockRegion,
      settings.modelAccessCacheSeconds,
    ),
    worker: settings.workerQueueUrl
      ? new SqsWorkerQueue(traced(createSqsClient(settings)), settings.workerQueueUrl)
      : { invoke: () => Promise.reject(new Error('WORKER_QUEUE_URL is not set')) },
  };
}

function workerPorts(
  settings: GeneratorSettings,
  traced: Traced,
): Pick<Specific, 'model' | 'thumbnails' | 'metadata'> {
  return {
    model: new BedrockImageModel(traced(createBedrockRuntimeClient(settings)), settings.bedrockRegion),
    thumbnails: new SharpThumbnailer(),
    metadata: new ParametersWriter(),
  };
}

/** The API Lambda over AWS: SQS (the worker queue), Bedrock control plane, S3, DynamoDB. */
export function createApiApp(settings: GeneratorSettings, service = 'generator-api'): GeneratorApiApp {
  const log = functionLogger(service, settings);
  const traced = lambdaTraced(log);
  const deps = composeDeps(settings, log, storageClients(settings, traced), {
    ...apiPorts(settings, traced),
    model: {
      generate: () => Promise.reject(elsewhere('the image model', 'API')),
      edit: () => Promise.reject(elsewhere('the image model', 'API')),
    },
    thumbnails: { make: () => Promise.reject(elsewhere('the thumbnailer', 'API')) },
    metadata: notWired('the image metadata writer', 'API'),
  });
  return createApiAppFromDeps(deps, log);
}

/** The worker Lambda over AWS: Bedrock Runtime, sharp, S3, DynamoDB. */
export function createWorkerApp(
  settings: GeneratorSettings,
  service = 'generator-worker',
): GeneratorWorkerApp {
  const log = functionLogger(service, settings);
  const traced = lambdaTraced(log);
  const deps = composeDeps(settings, log, storageClients(settings, traced), {
    ...workerPorts(settings, traced),
    access: {
      check: () => Promise.reject(elsewhere('model access', 'worker')),
      checkService: () => Promise.reject(elsewhere('model access', 'worker')),
    },
    worker: { invoke: () => Promise.reject(elsewhere('the worker invoker', 'worker')) },
  });
  return createWorkerAppFromDeps(deps, log);
}

/** The consumer of the worker's dead-letter queue over AWS: it settles the job record (DynamoDB, S3 clients only). */
export function createAbandonedApp(
  settings: GeneratorSettings,
  service = 'generator-abandoned',
): Pick<GeneratorWorkerApp, 'handleAbandoned' | 'handleDeadLetters'> {
  const log = functionLogger(service, settings);
  const traced = lambdaTraced(log);
  const deps = composeDeps(settings, log, storageClients(settings, traced), {
    model: {
      generate: () => Promise.reject(elsewhere('the image model', 'abandoned-job')),
      edit: () => Promise.reject(elsewhere('the image model', 'abandoned-job')),
    },
    thumbnails: { make: () => Promise.reject(elsewhere('the thumbnailer', 'abandoned-job')) },
    metadata: notWired('the image metadata writer', 'abandoned-job'),
    access: {
      check: () => Promise.reject(elsewhere('model access', 'abandoned-job')),
      checkService: () => Promise.reject(elsewhere('model access', 'abandoned-job')),
    },
    worker: { invoke: () => Promise.reject(elsewhere('the worker invoker', 'abandoned-job')) },
  });
  const { handleAbandoned, handleDeadLetters } = createWorkerAppFromDeps(deps, log);
  return { handleAbandoned, handleDeadLetters };
}

/**
 * API and worker in one process over AWS clients (the local cloud): every client, one set of ports.
 * Its clients are untraced: there is no X-Ray daemon beside the local stand-ins.
 */
export function createGeneratorApp(settings: GeneratorSettings, service = 'generator'): GeneratorApp {
  const log = createLogger({ service, level: settings.logLevel });
  const deps = composeDeps(settings, log, storageClients(settings, untraced), {
    ...apiPorts(settings, untraced),
    ...workerPorts(settings, untraced),
  });
  return { ...createApiAppFromDeps(deps, log), ...createWorkerAppFromDeps(deps, log) };
}
