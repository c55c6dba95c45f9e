import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';

import { createGeneratorApp, GeneratorApp, loadGeneratorSettings } from '@imagegen/generator/feature-api';
import { ApiGatewayStandIn, startApiGatewayStandIn } from '@imagegen/local-cloud/feature-api-gateway';
import { BedrockStandIn, startBedrockStandIn } from '@imagegen/local-cloud/feature-bedrock';
import {
  EventSourceQueue,
  LambdaStandIn,
  memoryReport,
  memorySizeProblem,
  startLambdaStandIn,
} from '@imagegen/local-cloud/feature-lambda';
import { SqsStandIn, startSqsStandIn } from '@imagegen/local-cloud/feature-sqs';
import {
  DynamoStandIn,
  RetentionSweeper,
  S3StandIn,
  startDynamoStandIn,
  startRetentionSweeper,
  startS3StandIn,
} from '@imagegen/local-cloud/feature-storage';
import { refuseWhileStopping, RunningServer } from '@imagegen/local-cloud/util-http';
import {
  Authorizer,
  createAuthorizer,
  LOCAL_PRINCIPAL_KEYS,
  LocalPrincipalName,
  localPrincipals,
  RolePolicies,
} from '@imagegen/local-cloud/util-iam';
import {
  CloudModel,
  LambdaFunctionModel,
  loadTemplates,
  QueueModel,
  readCloudModel,
  StackTemplate,
} from '@imagegen/local-cloud/util-template';
import { Logger } from '@imagegen/shared/util-logging';

import { startBffProcess } from './bff-process';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, LocalCloudSettings } from './settings';
import {
  lifecycleExpiration,
  LocalTopology,
  localTopology,
  templateRolePolicies,
  TemplateTopologyError,
} from './topology';
import { startWebFront } from './web-front';

export interface LocalCloudOptions {
  readonly settings: LocalCloudSettings;
  readonly log: Logger;
  /** Also run the BFF and the web front (what `npm start` does); the integration tests run only the cloud. */
  readonly app?: {
    readonly bffEntry: string;
    readonly webRoot: string;
    /** Hand the BFF's stdout to this process's (which formats it on a terminal), rather than share the terminal. */
    readonly pipeOutput?: boolean;
  };
  /**
   * The stacks to run (tests pass modified templates). Default: the infra app's synthesized
   * templates, from the cache under `settings.templateCacheDir` while infra's source is unchanged.
   */
  readonly templates?: readonly StackTemplate[];
  /**
   * IAM enforcement (docs/adr/0008-local-iam-enforcement.md): the role statements of each local
   * principal (the API function's role, the worker's, the abandoned-job function's, the BFF task
   * role), with the template's intrinsics resolved. When given, the API handler, the worker, the
   * abandoned handler and the BFF each sign with keys of their own (LOCAL_PRINCIPAL_KEYS), and every
   * stand-in authorizes each call against the caller's statements, refusing in the service's own
   * AccessDenied shape. Undefined: no enforcement (every call signed with LOCAL_CREDENTIALS passes).
   */
  readonly rolePolicies?: Readonly<Record<LocalPrincipalName, RolePolicies>>;
}

/** The names the template gives the table, the bucket, the worker and its queue (resolved for the local account). */
export interface LocalNames {
  readonly table: string;
  readonly bucket: string;
  readonly worker: string;
  readonly workerQueue: string;
  /** The worker queue's dead-letter queue, if the template gives it one. */
  readonly deadLetterQueue?: string;
}

export interface LocalCloud {
  readonly urls: {
    readonly web?: string;
    readonly bff?: string;
    readonly apiGateway: string;
    readonly bedrock: string;
    readonly s3: string;
    readonly dynamodb: string;
    readonly lambda: string;
    readonly sqs: string;
  };
  readonly bedrock: BedrockStandIn;
  readonly lambda: LambdaStandIn;
  readonly sqs: SqsStandIn;
  readonly s3: S3StandIn;
  readonly dynamodb: DynamoStandIn;
  /** Stands in for DynamoDB TTL and the S3 lifecycle (its timer runs when LOCAL_RETENTION_SWEEP_SECONDS > 0). */
  readonly retention: RetentionSweeper;
  readonly names: LocalNames;
  /** What was read from the template, and the parts of it this stack runs. */
  readonly model: CloudModel;
  readonly topology: LocalTopology;
  /** Days images and jobs are kept (the template's, or RETENTION_DAYS). */
  readonly retentionDays: number | undefined;
  /** How the templates were had: from the cache, or synthesized (and how long that took). */
  readonly templates: { readonly fromCache: boolean; readonly ms: number };
  /** The authorizer every stand-in uses, when `rolePolicies` were given. */
  readonly authorizer?: Authorizer;
  /**
   * Stops the stack. Without `graceMs` it waits for every event the worker holds (what tests do).
   * With it (a graceful shutdown, `npm start` on SIGTERM): new requests are refused 503 problem+json
   * at once, the BFF drains itself, requests in progress finish, the worker keeps taking images from
   * its queue until `graceMs` from now, and the messages still unfinished then go to the dead-letter
   * queue, whose consumer settles them failed, so no job is left queued or running.
   */
  close(options?: LocalCloudCloseOptions): Promise<void>;
}

export interface LocalCloudCloseOptions {
  readonly graceMs?: number;
}

/** The BFF gets this long at most to drain on SIGTERM (its SHUTDOWN_DEADLINE_MS), within the stack's own grace. */
const BFF_SHUTDOWN_MS = 10_000;

function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** The generator settings this module put into process.env: a later stack in the same process does not take them for overrides. */
const setByLocalCloud = new Map<string, string>();
/** Names of resources the stand-ins are made from: never overridden, or the generator would talk to what does not exist. */
const NOT_OVERRIDABLE = new Set(['GENERATIONS_TABLE', 'IMAGES_BUCKET', 'WORKER_QUEUE_URL']);

/**
 * A generator setting of the template that the local cloud's own environment sets explicitly (e.g.
 * JOB_STALE_AFTER_SECONDS=10 in a test): kept, as a local override (logged), over the template's.
 */
function environmentOverrides(fromTemplate: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(fromTemplate)) {
    const value = process.env[key];
    if (value !== undefined && !NOT_OVERRIDABLE.has(key) && setByLocalCloud.get(key) !== value)
      out[key] = value;
  }
  return out;
}

/**
 * The generator's environment: the API function's own from the template (the worker's is the same
 * less WORKER_QUEUE_URL and WORKER_CONCURRENCY), with what differs locally on top: the SDK's
 * endpoints pointing at the stand-ins, the worker queue's local URL, the fixed local credentials,
 * and the settings' overrides.
 */
function generatorEnvironment(
  fn: LambdaFunctionModel,
  urls: { bedrock: string; s3: string; dynamodb: string; lambda: string; sqs: string; workerQueue: string },
  settings: LocalCloudSettings,
  workerConcurrency: number,
  retentionDays: number | undefined,
): Record<string, string> {
  // NODE_OPTIONS is the Lambda runtime's flags, not the generator's settings.
  const { NODE_OPTIONS: _runtimeFlags, ...fromTemplate } = fn.environment;
  return {
    ...fromTemplate,
    ...environmentOverrides(fromTemplate),
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REGION: LOCAL_REGION,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: urls.bedrock,
    // The control plane (model availability) is served on the same port.
    AWS_ENDPOINT_URL_BEDROCK: urls.bedrock,
    AWS_ENDPOINT_URL_S3: urls.s3,
    AWS_ENDPOINT_URL_DYNAMODB: urls.dynamodb,
    AWS_ENDPOINT_URL_LAMBDA: urls.lambda,
    AWS_ENDPOINT_URL_SQS: urls.sqs,
    // The template's queue URL names sqs.<region>.amazonaws.com: locally the stand-in's URL of the same queue.
    WORKER_QUEUE_URL: urls.workerQueue,
    S3_FORCE_PATH_STYLE: 'true',
    // The API's ETAs count with the worker's concurrency: the local override, when set, is the one the stand-in keeps.
    WORKER_CONCURRENCY: String(workerConcurrency),
    ...(retentionDays !== undefined ? { RETENTION_DAYS: String(retentionDays) } : {}),
    // The local control plane answers in a millisecond, and its faults change at run time: keep its answer briefly.
    MODEL_ACCESS_CACHE_SECONDS: '1',
    LOG_LEVEL: settings.logLevel,
  };
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the BFF exited with code ${child.exitCode} (see its log above)`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the BFF did not answer ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Starts the whole embedded stack on loopback: DynamoDB, S3, Bedrock, Lambda and API Gateway
 * stand-ins with the generator's handlers running in-process, and optionally the BFF and web front.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const { settings, log } = options;
  let dynamo: DynamoStandIn | undefined;
  let s3: S3StandIn | undefined;
  let bedrock: BedrockStandIn | undefined;
  let lambda: LambdaStandIn | undefined;
  let sqs: SqsStandIn | undefined;
  let retention: RetentionSweeper | undefined;
  let apiGateway: ApiGatewayStandIn | undefined;
  let bff: ChildProcess | undefined;
  let front: RunningServer | undefined;
  let closing: Promise<void> | undefined;

  const quietly = async (what: string, step: () => Promise<void> | undefined) => {
    try {
      await step();
    } catch (err) {
      log.warn({ err, what }, 'close failed');
    }
  };
  /** Stops in dependency order: the edges first (so nothing new comes in), the stores last (the worker's hand-overs need them). */
  const closeAll = async (closeOptions: LocalCloudCloseOptions = {}): Promise<void> => {
    const deadline = closeOptions.graceMs === undefined ? undefined : Date.now() + closeOptions.graceMs;
    const bffKillAfter = Math.min(BFF_SHUTDOWN_MS, closeOptions.graceMs ?? BFF_SHUTDOWN_MS) + 2_000;
    await Promise.all([
      quietly('web front', () => front?.drain(refuseWhileStopping(), deadline)),
      quietly('BFF', () => (bff ? stopChild(bff, bffKillAfter) : undefined)),
    ]);
    await quietly('API Gateway stand-in', () => apiGateway?.drain(deadline));
    await quietly('Lambda stand-in', () => lambda?.close(deadline === undefined ? {} : { deadline }));
    // After Lambda: its event source mappings poll and delete until they stop.
    await quietly('SQS stand-in', () => sqs?.close());
    await quietly('web front', () => front?.close());
    await quietly('API Gateway stand-in', () => apiGateway?.close());
    await quietly('retention sweeper', () => retention?.close());
    await quietly('Bedrock stand-in', () => bedrock?.close());
    await quietly('S3 stand-in', () => s3?.close());
    await quietly('DynamoDB stand-in', () => dynamo?.close());
  };
  const close = (closeOptions?: LocalCloudCloseOptions) => (closing ??= closeAll(closeOptions));

  try {
    const ports = settings.ports;
    const webOrigin = `http://127.0.0.1:${ports.web}`;
    // What AWS would enforce comes from the synthesized templates (ADR 0007).
    const loaded = options.templates
      ? { stacks: [...options.templates], fromCache: true, ms: 0 }
      : await loadTemplates({
          cacheDir: settings.templateCacheDir,
          onSynth: (reason) =>
            log.info(
              { reason },
              'synthesizing the infra templates (without bundling); later starts reuse them',
            ),
        });
    const model = readCloudModel(loaded.stacks, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
    const topology = localTopology(model);
    // Lambda's memory: the range AWS takes is checked; the size itself cannot be held in-process (ADR 0012).
    const memories = [
      topology.apiFunction,
      topology.worker,
      ...(topology.onFailure ? [topology.onFailure] : []),
    ].map((f) => ({ functionName: f.functionName, memorySizeMb: f.memorySize }));
    const memoryProblems = memories.flatMap((m) => memorySizeProblem(m) ?? []);
    if (memoryProblems.length) throw new TemplateTopologyError(memoryProblems.join('; '));
    log.info(memoryReport(memories), "the functions' MemorySize (not enforced in-process)");
    const { worker, apiFunction, onFailure, table, bucket, workerQueue, workerMapping, deadLetterQueue } =
      topology;
    const names: LocalNames = {
      table: table.tableName,
      bucket: bucket.bucketName,
      worker: worker.functionName,
      workerQueue: workerQueue.queueName,
      ...(deadLetterQueue ? { deadLetterQueue: deadLetterQueue.queueName } : {}),
    };
    // Each principal's statements: as given (tests), else as the template grants them (LOCAL_IAM=enforce).
    const rolePolicies =
      options.rolePolicies ?? (settings.enforceIam ? templateRolePolicies(model, topology) : undefined);
    const authorizer = rolePolicies
      ? createAuthorizer({
          principals: localPrincipals(rolePolicies, {
            // The role session names in the assumed-role ARNs of refusals.
            api: apiFunction.functionName,
            worker: worker.functionName,
            abandoned: onFailure?.functionName ?? 'imagegen-abandoned',
            bff: 'imagegen-bff',
          }),
          // The local cloud's own key (table creation, the retention sweeper standing in for TTL and the
          // S3 lifecycle, tests reading the stores) is no role of the template: it is trusted.
          trusted: [LOCAL_CREDENTIALS],
        })
      : undefined;
    const enforce = authorizer ? { authorizer } : {};
    const expiration = lifecycleExpiration(bucket);
    const retentionDays = settings.retentionDays ?? expiration?.days;
    // The bound on images in flight: the worker queue mapping's MaximumConcurrency (ADR 0011).
    const workerConcurrency =
      settings.workerConcurrency ??
      workerMapping.maximumConcurrency ??
      worker.reservedConcurrentExecutions ??
      1000;

    dynamo = await startDynamoStandIn({
      port: ports.dynamodb,
      dataDir: join(settings.dataDir, 'dynamodb'),
      tableName: table.tableName,
      table,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      ...enforce,
    });
    s3 = await startS3StandIn({
      port: ports.s3,
      dataDir: join(settings.dataDir, 's3'),
      bucket: bucket.bucketName,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      corsRules: bucket.cors,
      ...enforce,
    });
    if (s3.interruptedWrites.length)
      log.warn(
        { objects: s3.interruptedWrites },
        'removed objects whose write was cut off when the stack was last killed (S3 never shows a partial PUT)',
      );
    // Every queue of the template, with its visibility timeout, retention, size limit and redrive policy.
    sqs = await startSqsStandIn({
      port: ports.sqs,
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      queues: model.queues.map((q) => ({
        name: q.queueName,
        visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
        messageRetentionSeconds: q.messageRetentionSeconds,
        ...(q.maximumMessageSize !== undefined ? { maximumMessageSize: q.maximumMessageSize } : {}),
        ...(q.redrive ? { redrive: q.redrive } : {}),
      })),
      credentials: LOCAL_CREDENTIALS,
      ...enforce,
      // SQS is durable: messages sent before a crash are delivered after the restart.
      journalFile: join(settings.dataDir, 'sqs', 'messages.jsonl'),
    });
    const sqsStandIn = sqs;
    /**
     * The queue an event source mapping polls, as Lambda polls it: ReceiveMessage and DeleteMessage
     * signed with the function's role (IAM-checked with enforcement); the local retry wait, the depth
     * and the shutdown hand-over in process.
     */
    const mappingQueue = (queue: QueueModel, principal: 'worker' | 'abandoned'): EventSourceQueue => {
      const client = new SQSClient({
        region: LOCAL_REGION,
        endpoint: sqsStandIn.url,
        credentials: authorizer ? LOCAL_PRINCIPAL_KEYS[principal] : LOCAL_CREDENTIALS,
        maxAttempts: 1,
      });
      const queueUrl = sqsStandIn.queueUrl(queue.queueName);
      return {
        arn: queue.arn,
        receive: async (max, signal) => {
          const out = await client.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: max,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['All'],
            }),
            { abortSignal: signal },
          );
          return (out.Messages ?? []).map((m) => ({
            messageId: m.MessageId ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
            md5OfBody: m.MD5OfBody ?? '',
            attributes: { ...(m.Attributes ?? {}) } as Record<string, string>,
          }));
        },
        delete: async (receiptHandle) => {
          await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
        },
        retryAfter: (receiptHandle, ms) =>
          void sqsStandIn.changeVisibility(queue.queueName, receiptHandle, ms / 1000),
        depth: () => sqsStandIn.depth(queue.queueName),
        surrender: () => sqsStandIn.surrender(queue.queueName),
      };
    };
    /** Lambda reads the queue's attributes as the function's role when it creates a mapping: a refusal there fails it. */
    const checkMapping = async (queue: QueueModel, principal: 'worker' | 'abandoned') => {
      const client = new SQSClient({
        region: LOCAL_REGION,
        endpoint: sqsStandIn.url,
        credentials: authorizer ? LOCAL_PRINCIPAL_KEYS[principal] : LOCAL_CREDENTIALS,
        maxAttempts: 1,
      });
      try {
        await client.send(new GetQueueAttributesCommand({ QueueUrl: sqsStandIn.queueUrl(queue.queueName) }));
      } catch (err) {
        log.error(
          { err, queue: queue.queueName, principal },
          "the event source mapping cannot read its queue's attributes: in AWS it would not be created",
        );
      } finally {
        client.destroy();
      }
    };

    bedrock = await startBedrockStandIn({
      port: ports.bedrock,
      faults: settings.faults,
      credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION },
      ...enforce,
    });

    // The generator is built lazily, once the SDK endpoints point at the stand-ins. Without enforcement
    // one app serves all three functions (every client signs with LOCAL_CREDENTIALS from the
    // environment); with it, each function gets an app of its own signing with its role's keys.
    const generators = new Map<string, GeneratorApp>();
    const app = (fn: 'api' | 'worker' | 'abandoned') => {
      const key = authorizer ? fn : 'shared';
      let generator = generators.get(key);
      if (!generator) {
        const generatorSettings = loadGeneratorSettings(process.env, 'api');
        generator = createGeneratorApp(
          authorizer ? { ...generatorSettings, credentials: LOCAL_PRINCIPAL_KEYS[fn] } : generatorSettings,
          'generator',
        );
        generators.set(key, generator);
      }
      return generator;
    };
    // Each function as the template configures it: timeout, reserved concurrency, retries, event age, destination.
    const configOf = (fn: LambdaFunctionModel) => ({
      timeoutMs: fn.timeoutSeconds * 1000,
      ...(fn.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrency: fn.reservedConcurrentExecutions }
        : {}),
      ...(fn.asyncConfig?.maximumRetryAttempts !== undefined
        ? { maxRetryAttempts: fn.asyncConfig.maximumRetryAttempts }
        : {}),
      ...(fn.asyncConfig?.maximumEventAgeInSeconds !== undefined
        ? { maxEventAgeSeconds: fn.asyncConfig.maximumEventAgeInSeconds }
        : {}),
    });
    lambda = await startLambdaStandIn({
      port: ports.lambda,
      functions: {
        // Invoked by the worker queue's event source mapping with a batch of SQS records.
        [worker.functionName]: {
          ...configOf(worker),
          handler: (event) => app('worker').handleQueue(event as SQSEvent),
        },
        ...(onFailure
          ? {
              // Invoked by the dead-letter queue's mapping: each record is an image that failed every delivery.
              [onFailure.functionName]: {
                ...configOf(onFailure),
                handler: (event: unknown) => app('abandoned').handleDeadLetters(event as SQSEvent),
              },
            }
          : {}),
      },
      concurrency: workerConcurrency,
      // A failed record returns to the queue after its visibility timeout (AWS: six times the worker
      // timeout, minutes); locally after 1 s, then 2 s, as the stand-in's retries wait seconds.
      retry: { retries: 2, delaysMs: [1_000, 2_000] },
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      ...enforce,
      log,
      // Lambda's asynchronous queue is durable (no function here is invoked asynchronously any more).
      journalFile: join(settings.dataDir, 'lambda', 'events.jsonl'),
      eventSources: [
        {
          functionName: worker.functionName,
          queue: mappingQueue(workerQueue, 'worker'),
          ...(workerMapping.batchSize !== undefined ? { batchSize: workerMapping.batchSize } : {}),
          // LOCAL_WORKER_CONCURRENCY, when set, overrides the template's MaximumConcurrency.
          maximumConcurrency: workerConcurrency,
          reportBatchItemFailures: workerMapping.functionResponseTypes.includes('ReportBatchItemFailures'),
        },
        ...(onFailure && deadLetterQueue && topology.onFailureMapping
          ? [
              {
                functionName: onFailure.functionName,
                queue: mappingQueue(deadLetterQueue, 'abandoned'),
                ...(topology.onFailureMapping.batchSize !== undefined
                  ? { batchSize: topology.onFailureMapping.batchSize }
                  : {}),
                ...(topology.onFailureMapping.maximumConcurrency !== undefined
                  ? { maximumConcurrency: topology.onFailureMapping.maximumConcurrency }
                  : {}),
                reportBatchItemFailures:
                  topology.onFailureMapping.functionResponseTypes.includes('ReportBatchItemFailures'),
                deadLetter: true,
              },
            ]
          : []),
      ],
    });
    await checkMapping(workerQueue, 'worker');
    if (onFailure && deadLetterQueue) await checkMapping(deadLetterQueue, 'abandoned');

    const overrides = environmentOverrides(apiFunction.environment);
    if (Object.keys(overrides).length)
      log.info({ overrides }, "local overrides of the template's generator environment");
    const generatorEnv = generatorEnvironment(
      apiFunction,
      {
        bedrock: bedrock.url,
        s3: s3.url,
        dynamodb: dynamo.url,
        lambda: lambda.url,
        sqs: sqs.url,
        workerQueue: sqs.queueUrl(workerQueue.queueName),
      },
      settings,
      workerConcurrency,
      settings.retentionDays,
    );
    for (const [k, v] of Object.entries(generatorEnv)) setByLocalCloud.set(k, v);
    Object.assign(process.env, generatorEnv);

    retention = startRetentionSweeper({
      dynamodbUrl: dynamo.url,
      s3Url: s3.url,
      tableName: table.tableName,
      bucket: bucket.bucketName,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      // DynamoDB TTL on the template's attribute, the S3 lifecycle's expiration (or RETENTION_DAYS).
      ttlAttribute: table.timeToLiveAttribute ?? null,
      prefix: expiration?.prefix ?? '',
      retentionDays,
      // The template's other expiring rules (uploads/ after a day), as S3 applies them beside that one.
      rules: bucket.lifecycle
        .filter((r) => r.enabled && r.expirationInDays !== undefined)
        .slice(1)
        .map((r) => ({ prefix: r.prefix, days: r.expirationInDays ?? 0 })),
      intervalSeconds: settings.retentionSweepSeconds,
      log: log.child({ component: 'retention-sweeper' }),
    });

    apiGateway = await startApiGatewayStandIn({
      port: ports.apiGateway,
      // The API function's events and answers are invocation payloads too (counted: no image may be one).
      handler: async (event) => {
        lambda?.notePayload(event);
        const result = await app('api').handleApi(event);
        lambda?.notePayload(result);
        return result;
      },
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      methods: topology.api.methods,
      apiId: topology.api.id,
      accountId: LOCAL_ACCOUNT,
      ...(topology.api.stageName ? { stage: topology.api.stageName } : {}),
      functionTimeoutMs: apiFunction.timeoutSeconds * 1000,
      // The stage's throttle and (with IAM enforced) the API's resource policy, as the template sets them.
      ...(settings.apiThrottle && topology.api.throttle ? { throttle: topology.api.throttle } : {}),
      ...(authorizer && topology.api.policy ? { resourcePolicy: topology.api.policy } : {}),
      ...enforce,
    });

    let web: string | undefined;
    let bffUrl: string | undefined;
    if (options.app) {
      bffUrl = `http://127.0.0.1:${ports.bff}`;
      bff = startBffProcess({
        entry: options.app.bffEntry,
        port: ports.bff,
        generatorApiUrl: apiGateway.url,
        bedrockUrl: bedrock.url,
        region: LOCAL_REGION,
        // The BFF task role's keys when enforcing.
        credentials: authorizer ? LOCAL_PRINCIPAL_KEYS.bff : LOCAL_CREDENTIALS,
        // The rate limiter's counters in the table, as deployed (ADR 0015): the same code, on the stand-in.
        rateLimits: { table: table.tableName, dynamodbUrl: dynamo.url },
        dataDir: settings.dataDir,
        publicOrigin: webOrigin,
        logLevel: settings.logLevel,
        shutdownDeadlineMs: Math.max(1_000, Math.min(BFF_SHUTDOWN_MS, settings.shutdownGraceSeconds * 1000)),
        ...(options.app.pipeOutput ? { pipeOutput: true } : {}),
      });
      await waitForHealth(`${bffUrl}/api/health`, bff, 30_000);
      front = await startWebFront({ port: ports.web, webRoot: options.app.webRoot, bffUrl });
      web = webOrigin;
    }

    // Everything is up: run what an earlier run accepted and never finished (it died).
    const resumed = lambda.resumeJournal();
    if (resumed > 0)
      log.warn({ events: resumed }, 'running the worker events an earlier run left unfinished');
    const waiting = sqs.depth(workerQueue.queueName).visible;
    if (waiting > 0)
      log.warn({ messages: waiting }, 'the worker queue holds images an earlier run left unfinished');
    lambda.startEventSources();

    return {
      urls: {
        web,
        bff: bffUrl,
        apiGateway: apiGateway.url,
        bedrock: bedrock.url,
        s3: s3.url,
        dynamodb: dynamo.url,
        lambda: lambda.url,
        sqs: sqs.url,
      },
      bedrock,
      lambda,
      sqs,
      s3,
      dynamodb: dynamo,
      retention,
      names,
      model,
      topology,
      retentionDays,
      templates: { fromCache: loaded.fromCache, ms: loaded.ms },
      ...enforce,
      close,
    };
  } catch (err) {
    await close({ graceMs: 0 });
    throw err;
  }
}
