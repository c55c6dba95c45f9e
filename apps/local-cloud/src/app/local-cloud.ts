import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { WorkerEvent } from '@imagegen/generator/domain';
import { createGeneratorApp, GeneratorApp, loadGeneratorSettings } from '@imagegen/generator/feature-api';
import { ApiGatewayStandIn, startApiGatewayStandIn } from '@imagegen/local-cloud/feature-api-gateway';
import { BedrockStandIn, startBedrockStandIn } from '@imagegen/local-cloud/feature-bedrock';
import { LambdaStandIn, startLambdaStandIn } from '@imagegen/local-cloud/feature-lambda';
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
  readCloudModel,
  StackTemplate,
} from '@imagegen/local-cloud/util-template';
import { Logger } from '@imagegen/shared/util-logging';

import { startBffProcess } from './bff-process';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, LocalCloudSettings } from './settings';
import { lifecycleExpiration, LocalTopology, localTopology, templateRolePolicies } from './topology';
import { startWebFront } from './web-front';

export interface LocalCloudOptions {
  readonly settings: LocalCloudSettings;
  readonly log: Logger;
  /** Also run the BFF and the web front (what `npm start` does); the integration tests run only the cloud. */
  readonly app?: { readonly bffEntry: string; readonly webRoot: string };
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

/** The names the template gives the table, the bucket and the worker (resolved for the local account). */
export interface LocalNames {
  readonly table: string;
  readonly bucket: string;
  readonly worker: string;
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
  };
  readonly bedrock: BedrockStandIn;
  readonly lambda: LambdaStandIn;
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
   * at once, the BFF drains itself, requests in progress finish, the worker runs the events it
   * holds until `graceMs` from now, and those still unfinished then are settled failed through the
   * on-failure destination, so no job is left queued or running.
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
const NOT_OVERRIDABLE = new Set(['GENERATIONS_TABLE', 'IMAGES_BUCKET', 'WORKER_FUNCTION_NAME']);

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
 * less WORKER_FUNCTION_NAME and WORKER_CONCURRENCY), with what differs locally on top: the SDK's
 * endpoints pointing at the stand-ins, the fixed local credentials, and the settings' overrides.
 */
function generatorEnvironment(
  fn: LambdaFunctionModel,
  urls: { bedrock: string; s3: string; dynamodb: string; lambda: string },
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
    const { worker, apiFunction, onFailure, table, bucket } = topology;
    const names: LocalNames = {
      table: table.tableName,
      bucket: bucket.bucketName,
      worker: worker.functionName,
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
    const workerConcurrency = settings.workerConcurrency ?? worker.reservedConcurrentExecutions ?? 1000;

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
        [worker.functionName]: {
          ...configOf(worker),
          // LOCAL_WORKER_CONCURRENCY, when set, overrides the template's reserved concurrency.
          reservedConcurrency: workerConcurrency,
          handler: (event, context) => app('worker').handleWorker(event as WorkerEvent, context),
          ...(onFailure ? { onFailure: onFailure.functionName } : {}),
        },
        ...(onFailure
          ? {
              [onFailure.functionName]: {
                ...configOf(onFailure),
                // Lambda's invocation record wraps the event (abandonedHandler reads requestPayload).
                handler: (record: unknown) =>
                  app('abandoned').handleAbandoned(
                    ((record as { requestPayload?: WorkerEvent }).requestPayload ?? record) as WorkerEvent,
                  ),
              },
            }
          : {}),
      },
      concurrency: workerConcurrency,
      // AWS waits about 1 and 2 minutes between retries; locally 1 and 2 s (the count comes from the template).
      retry: { retries: 2, delaysMs: [1_000, 2_000] },
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      ...enforce,
      // Lambda invokes the on-failure destination as the worker's role: with enforcement, that role
      // must be allowed lambda:InvokeFunction on the destination.
      ...(authorizer && onFailure
        ? {
            onFailureDestination: {
              functionName: onFailure.functionName,
              invokedAsKeyId: LOCAL_PRINCIPAL_KEYS.worker.accessKeyId,
            },
          }
        : {}),
      log,
      // Lambda's queue is durable: events accepted before a crash run after the restart.
      journalFile: join(settings.dataDir, 'lambda', 'events.jsonl'),
    });

    const overrides = environmentOverrides(apiFunction.environment);
    if (Object.keys(overrides).length)
      log.info({ overrides }, "local overrides of the template's generator environment");
    const generatorEnv = generatorEnvironment(
      apiFunction,
      { bedrock: bedrock.url, s3: s3.url, dynamodb: dynamo.url, lambda: lambda.url },
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
      intervalSeconds: settings.retentionSweepSeconds,
      log: log.child({ component: 'retention-sweeper' }),
    });

    apiGateway = await startApiGatewayStandIn({
      port: ports.apiGateway,
      handler: (event) => app('api').handleApi(event),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      methods: topology.api.methods,
      apiId: topology.api.id,
      accountId: LOCAL_ACCOUNT,
      ...(topology.api.stageName ? { stage: topology.api.stageName } : {}),
      functionTimeoutMs: apiFunction.timeoutSeconds * 1000,
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
        region: LOCAL_REGION,
        // The BFF task role's keys when enforcing.
        credentials: authorizer ? LOCAL_PRINCIPAL_KEYS.bff : LOCAL_CREDENTIALS,
        // The rate limiter's counters in the table, as deployed (ADR 0015): the same code, on the stand-in.
        rateLimits: { table: table.tableName, dynamodbUrl: dynamo.url },
        dataDir: settings.dataDir,
        publicOrigin: webOrigin,
        logLevel: settings.logLevel,
        shutdownDeadlineMs: Math.max(1_000, Math.min(BFF_SHUTDOWN_MS, settings.shutdownGraceSeconds * 1000)),
      });
      await waitForHealth(`${bffUrl}/api/health`, bff, 30_000);
      front = await startWebFront({ port: ports.web, webRoot: options.app.webRoot, bffUrl });
      web = webOrigin;
    }

    // Everything is up: run what an earlier run accepted and never finished (it died).
    const resumed = lambda.resumeJournal();
    if (resumed > 0)
      log.warn({ events: resumed }, 'running the worker events an earlier run left unfinished');

    return {
      urls: {
        web,
        bff: bffUrl,
        apiGateway: apiGateway.url,
        bedrock: bedrock.url,
        s3: s3.url,
        dynamodb: dynamo.url,
        lambda: lambda.url,
      },
      bedrock,
      lambda,
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
