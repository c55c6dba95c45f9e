import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import {
  callableModels,
  foundationModelArn,
  GENERATOR_ROUTES,
  IMAGE_SERVICES,
  ImageServiceEntry,
  serviceInvokeArns,
} from '@imagegen/contracts';

import { repoRoot } from '../repo-root';

export interface GeneratorApiProps {
  readonly vpc: ec2.IVpc;
  readonly bucket: s3.IBucket;
  /** Name of the export the bucket ARN is imported from (names the nag finding on bucketArn/*). */
  readonly bucketArnExport: string;
  readonly table: dynamodb.ITable;
  readonly bedrockRegion: string;
  /**
   * Bedrock calls at once: the MaximumConcurrency of the worker queue's event source mapping (2 to
   * 1,000), which bounds the worker's invocations without reserving account concurrency (ADR 0011).
   */
  readonly bedrockConcurrency: number;
  /** Reserved concurrency for the worker; unset or 0: none (a new account's quota of 10 has no room). */
  readonly workerReservedConcurrency?: number;
  readonly presignExpirySeconds: number;
  /** Days jobs are kept (the record TTL; the bucket lifecycle says the same for images). */
  readonly retentionDays: number;
  /** Stage throttle: steady requests per second to the API (the BFF's calls for all users together). */
  readonly rateLimit: number;
  /** Stage throttle: requests allowed at once above the steady rate (token bucket size). */
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
  /**
   * The one principal that may call the API (the BFF task role): its resource policy denies every
   * other principal, whatever their IAM policies allow (ADR 0009).
   */
  readonly invoker: iam.IRole;
  /** Spending budgets and the per-owner queue cap the API enforces (ADR 0015). */
  readonly budgets: GeneratorBudgets;
}

/** The API's BUDGET_* and MAX_IMAGES_IN_FLIGHT_PER_OWNER settings (libs/generator/feature-api settings.ts). */
export interface GeneratorBudgets {
  readonly deploymentMonthlyUsd: number;
  readonly ownerDailyUsd: number;
  readonly ownerMonthlyUsd: number;
  readonly ownerImagesInFlight: number;
}

/**
 * The API's resource policy: only `invoker` may invoke it. In one account, IAM auth allows a call
 * when the caller's IAM policy or the resource policy allows it, and an explicit deny wins ("How API
 * Gateway resource policies affect authorization workflow"), so an allow alone would not keep
 * other principals of the account out: the deny of every other principal does.
 */
export function invokerOnlyPolicy(invoker: iam.IRole): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'OnlyTheBff',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': invoker.roleArn } },
      }),
      new iam.PolicyStatement({
        sid: 'TheBff',
        effect: iam.Effect.ALLOW,
        principals: [new iam.ArnPrincipal(invoker.roleArn)],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
    ],
  });
}

/**
 * Timeouts that fit inside each other: the worker's worst case (workerWorstCaseMs) within
 * `workerBudgetShare` of its Lambda timeout; API handler < API Gateway's 29 s.
 */
export const GENERATOR_TIMEOUTS = {
  /** Per InvokeModel attempt (the Bedrock client's request timeout, BEDROCK_TIMEOUT_MS). */
  bedrockAttemptMs: 45_000,
  /** InvokeModel attempts (BEDROCK_MAX_ATTEMPTS; standard retry mode). */
  bedrockAttempts: 3,
  /** The Bedrock client's connection timeout (aws-clients.ts), spent at worst on every attempt. */
  bedrockConnectMs: 5_000,
  /** SDK standard retry mode: each wait before a retry is at most 20 s (AWS SDKs and Tools guide, Retry behavior). */
  sdkMaxBackoffMs: 20_000,
  /** One S3 PutObject (the image, then its thumbnail): the S3 client's connection + request timeouts. */
  uploadMs: 35_000,
  /** Making the thumbnail (sharp). */
  thumbnailMs: 10_000,
  /** DynamoDB: claiming the image and recording it (connection + request timeouts, twice). */
  recordMs: 30_000,
  worker: Duration.minutes(7),
  /** The worst case may use this share of the worker's timeout: the rest is margin (cold start, GC, settle). */
  workerBudgetShare: 0.8,
  api: Duration.seconds(25),
  apiGatewayIntegration: Duration.seconds(29),
} as const;

/** The worker's worst case for one image, in ms: every Bedrock attempt timing out, the longest backoffs, then the writes. */
export function workerWorstCaseMs(t: typeof GENERATOR_TIMEOUTS = GENERATOR_TIMEOUTS): number {
  return (
    t.bedrockAttempts * (t.bedrockConnectMs + t.bedrockAttemptMs) +
    (t.bedrockAttempts - 1) * t.sdkMaxBackoffMs +
    2 * t.uploadMs +
    t.thumbnailMs +
    t.recordMs
  );
}

/**
 * The worker queue (ADR 0011). Visibility timeout: at least six times the function timeout
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). maxReceiveCount: 5,
 * what AWS recommends so a throttled or failed delivery gets retried before the message goes to the
 * dead-letter queue (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * Batch size 1: one invocation makes one image, so MaximumConcurrency is the Bedrock calls in flight.
 */
export const WORKER_QUEUE = {
  visibilityTimeoutFactor: 6,
  maxReceiveCount: 5,
  batchSize: 1,
  /** A job waits at most about this long to start (the read path then settles it: JOB_STALE_AFTER_SECONDS). */
  retention: Duration.days(1),
  /** The dead-letter queue keeps a message longer than the source did (its age counts from the first send). */
  deadLetterRetention: Duration.days(14),
  /** The abandoned-job function's own mapping on the dead-letter queue (AWS's minimum MaximumConcurrency). */
  abandonedConcurrency: 2,
} as const;

export const GENERATOR_STAGE = 'prod';

/**
 * The Powertools for AWS Lambda (TypeScript) layer every generator function has: it provides
 * `@aws-lambda-powertools/*` (Metrics, Tracer with aws-xray-sdk-core), which the bundles leave out
 * (apps/generator/bundle.cjs). Published by AWS in account 094274105915 in every commercial region,
 * version 44 as listed on https://docs.aws.amazon.com/powertools/typescript/latest/getting-started/lambda-layers
 * (which release it carries: ADR 0016). Works for arm64 and x86_64, nodejs24.x.
 */
export const POWERTOOLS_LAYER = {
  account: '094274105915',
  name: 'AWSLambdaPowertoolsTypeScriptV2',
  version: 44,
};

/** The Powertools layer's ARN in this region (the commercial partition's account). */
export const powertoolsLayerArn = (region: string): string =>
  `arn:aws:lambda:${region}:${POWERTOOLS_LAYER.account}:layer:${POWERTOOLS_LAYER.name}:${POWERTOOLS_LAYER.version}`;

/** The service name Powertools (Tracer's X-Ray annotation `Service`, Metrics) gives each function. */
export const POWERTOOLS_SERVICE = {
  api: 'generator-api',
  worker: 'generator-worker',
  abandoned: 'generator-abandoned',
} as const satisfies Record<GeneratorHandler, string>;

/** The CPU of the generator functions; the worker's native modules are installed for it. */
export const GENERATOR_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * Native modules the worker loads at run time (the thumbnailer's sharp): never bundled by esbuild,
 * installed into the worker's folder by `npm ci` from their own lock file, for Lambda's platform
 * (generator:lambda-deps, apps/generator/bundle.cjs).
 */
export const WORKER_NODE_MODULES = ['sharp'] as const;
/** The functions whose folder holds those modules: the worker, and the API (an upload's check decodes it). */
export const NATIVE_MODULE_HANDLERS: readonly GeneratorHandler[] = ['api', 'worker'];
export const WORKER_DEPS_LOCK_FILE = 'apps/generator/lambda-deps/package-lock.json';

/** Where generator:build writes one folder per handler (index.js exporting `handler`): deployed as is. */
export const GENERATOR_DIST = 'dist/apps/generator';
/** Context key naming another folder of built handlers (tests build into a temporary one). */
export const GENERATOR_DIST_CONTEXT = 'imagegen:generatorDist';
export type GeneratorHandler = 'api' | 'worker' | 'abandoned';

/**
 * The DynamoDB actions each function's code sends (DynamoGenerationRepository in
 * libs/generator/data-access-aws), and no more. PutItem: create, claimIdempotencyKey, rememberRepeat,
 * recordDuration; GetItem: get, claimIdempotencyKey, findRepeat, spend; UpdateItem: startTask,
 * finishTask, releaseTask, settle, cancel, addSpend; Query: list, recentDurations (GET /models);
 * DeleteItem: remove (DELETE of a job). No transaction, batch or scan is sent.
 */
export const GENERATOR_TABLE_ACTIONS = {
  /** Every route: create (with repeats and idempotency), read (settling a stale job), list, cancel, delete, models. */
  api: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'dynamodb:DeleteItem',
  ],
  /** runGeneration: claims, records and settles images; remembers repeats; records durations. */
  worker: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  /** settleAbandonedGeneration: records the image failed and settles the job (which may remember a repeat). */
  abandoned: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
} as const;

/** Every image and thumbnail key starts here (imageKey() in libs/generator/domain): the API role's S3 scope. */
export const IMAGE_KEY_PREFIX = 'owners/';
/** Browser uploads land here (uploadKey() in libs/generator/domain); the bucket expires them after a day. */
export const UPLOAD_KEY_PREFIX = 'uploads/';
/** An edit's inputs, copied under its job (inputKey() in libs/generator/domain): what the worker reads. */
export const JOB_INPUTS_PATTERN = `${IMAGE_KEY_PREFIX}*/generations/*/inputs/*`;

/**
 * Every ARN the worker may call InvokeModel on for the image services: through the US cross-Region
 * inference profile, the profile in the calling region (where the Bedrock client is) and the
 * foundation model in each region the profile routes to; nothing wider ("Prerequisites for inference
 * profiles", https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html).
 * SD3.5 Large's image-to-image is the model itself, in its region. No duplicates.
 */
export function imageServiceInvokeArns(
  callingRegion: string,
  account: string,
  partition: string,
  services: readonly ImageServiceEntry[] = IMAGE_SERVICES,
): string[] {
  const arns = services.flatMap((service) =>
    serviceInvokeArns(
      service.routing.profile === 'us'
        ? { ...service, routing: { ...service.routing, sourceRegion: callingRegion } }
        : service,
      account,
      partition,
    ),
  );
  return [...new Set(arns)];
}

/** npm's name (`--cpu`) for a Lambda architecture. */
export function npmCpu(architecture: lambda.Architecture): 'arm64' | 'x64' {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x64';
  throw new Error(`no npm cpu for the Lambda architecture ${architecture.name}`);
}

/**
 * A handler's code: the folder generator:build wrote, deployed as is (what the benchmark measured;
 * CDK bundles nothing, so synth needs neither esbuild nor Docker). Stops the synth, saying how to
 * build, when the folder is missing, or when the worker's lacks the sharp binary for `architecture`.
 */
export function generatorCode(
  dist: string,
  handler: GeneratorHandler,
  architecture: lambda.Architecture,
  templatesOnly = false,
): lambda.Code {
  const dir = join(dist, handler);
  // A synth for its templates alone (CDK's `aws:cdk:bundling-stacks: []`, what the local cloud runs) needs no
  // built code: the asset is a placeholder that is never deployed.
  if (templatesOnly)
    return lambda.Code.fromInline('exports.handler = async () => { throw new Error("not built"); };');
  const build =
    'run `npx nx run generator:lambda-deps` (builds the handlers, then installs the worker’s sharp); `npm run synth` does it first';
  if (!existsSync(join(dir, 'index.js')))
    throw new Error(`the generator's ${handler} handler is not built (${dir}/index.js is missing): ${build}`);
  if (NATIVE_MODULE_HANDLERS.includes(handler)) {
    const cpu = npmCpu(architecture);
    for (const module of WORKER_NODE_MODULES)
      if (!existsSync(join(dir, 'node_modules', module, 'package.json')))
        throw new Error(`the generator's ${handler} has no node_modules/${module} (in ${dir}): ${build}`);
    if (!existsSync(join(dir, `node_modules/@img/sharp-linux-${cpu}`)))
      throw new Error(
        `the generator's ${handler} has no sharp binary for linux-${cpu} (in ${dir}/node_modules/@img): ${build} with --cpu ${cpu}`,
      );
  }
  return lambda.Code.fromAsset(dir);
}

/**
 * The generator: API, worker and abandoned-job Lambdas (one prebuilt bundle each, from
 * generator:build), a REST API with IAM auth on every method, and least-privilege roles.
 */
export class GeneratorApi extends Construct {
  readonly api: apigw.RestApi;
  readonly apiFunction: lambda.Function;
  readonly worker: lambda.Function;
  /** The worker queue: the API sends one message per image, the worker consumes it. */
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: GeneratorApiProps) {
    super(scope, id);
    const root = repoRoot();
    const dist = resolve(root, this.node.tryGetContext(GENERATOR_DIST_CONTEXT) ?? GENERATOR_DIST);
    // The stack's region (a token in an environment-agnostic synth, resolved by CloudFormation).
    const powertools = lambda.LayerVersion.fromLayerVersionArn(
      this,
      'PowertoolsLayer',
      powertoolsLayerArn(Stack.of(this).region),
    );
    const common = (
      name: string,
      handler: GeneratorHandler,
      timeout: Duration,
      memorySize: number,
    ): lambda.FunctionProps => ({
      // Stack.bundlingRequired is false when CDK is told to bundle nothing (a synth for the templates alone).
      code: generatorCode(dist, handler, GENERATOR_ARCHITECTURE, !Stack.of(this).bundlingRequired),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: GENERATOR_ARCHITECTURE,
      memorySize,
      timeout,
      // Active tracing: Lambda records each invocation; Powertools Tracer adds each SDK call (ADR 0016).
      tracing: lambda.Tracing.ACTIVE,
      layers: [powertools],
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      logGroup: new logs.LogGroup(this, `${name}Logs`, {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      environment: {
        POWERTOOLS_SERVICE_NAME: POWERTOOLS_SERVICE[handler],
        GENERATIONS_TABLE: props.table.tableName,
        IMAGES_BUCKET: props.bucket.bucketName,
        BEDROCK_REGION: props.bedrockRegion,
        PRESIGN_EXPIRY_SECONDS: String(props.presignExpirySeconds),
        RETENTION_DAYS: String(props.retentionDays),
        // A running job untouched for longer than a worker can live lost its worker: a retry takes it over.
        JOB_STALE_AFTER_SECONDS: String(GENERATOR_TIMEOUTS.worker.toSeconds() + 60),
        BEDROCK_TIMEOUT_MS: String(GENERATOR_TIMEOUTS.bedrockAttemptMs),
        BEDROCK_MAX_ATTEMPTS: String(GENERATOR_TIMEOUTS.bedrockAttempts),
      },
    });

    // Settles a job whose image failed every delivery: it consumes the worker queue's dead-letter queue.
    const abandoned = new lambda.Function(
      this,
      'Abandoned',
      common('Abandoned', 'abandoned', Duration.seconds(30), 256),
    );
    const images = props.bucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`);
    /** ListObjectsV2 of a job's keys (removeOrphans, DELETE of a job): the bucket, prefix owners/ only. */
    const listOwnersKeys = () =>
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${IMAGE_KEY_PREFIX}*`] } },
      });
    /** Exactly the DynamoDB actions the function's code sends, on the table itself (no index is queried). */
    const tableActions = (fn: lambda.IFunction, which: keyof typeof GENERATOR_TABLE_ACTIONS) =>
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...GENERATOR_TABLE_ACTIONS[which]],
          resources: [props.table.tableArn],
        }),
      );

    tableActions(abandoned, 'abandoned');
    // Settling the job removes what no record names (removeOrphans): it lists and deletes under owners/.
    abandoned.addToRolePolicy(listOwnersKeys());
    abandoned.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [images] }));

    // The worker queue (ADR 0011): one message per image (a job reference, never image bytes). SQS-managed
    // encryption at rest, HTTPS only; after maxReceiveCount deliveries a message goes to the dead-letter queue.
    const deadLetters = new sqs.Queue(this, 'WorkerDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: WORKER_QUEUE.deadLetterRetention,
      visibilityTimeout: Duration.seconds(30 * WORKER_QUEUE.visibilityTimeoutFactor),
    });
    this.queue = new sqs.Queue(this, 'WorkerQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: WORKER_QUEUE.retention,
      visibilityTimeout: Duration.seconds(
        GENERATOR_TIMEOUTS.worker.toSeconds() * WORKER_QUEUE.visibilityTimeoutFactor,
      ),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: WORKER_QUEUE.maxReceiveCount },
    });

    // The worker ships sharp (thumbnails, an edit's input checks), as the API does (an upload's check):
    // its folder holds node_modules/sharp for Lambda's platform.
    const reserved = props.workerReservedConcurrency ?? 0;
    this.worker = new lambda.Function(this, 'Worker', {
      ...common('Worker', 'worker', GENERATOR_TIMEOUTS.worker, 1024),
      // None by default: reserving fails the deploy on an account with a concurrency quota of 10.
      ...(reserved > 0 ? { reservedConcurrentExecutions: reserved } : {}),
    });
    /**
     * An SQS event source mapping: Lambda polls the queue with the function's role, which needs
     * ReceiveMessage, DeleteMessage and GetQueueAttributes on the queue, nothing more ("Execution role
     * permissions", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
     */
    const consume = (fn: lambda.Function, queue: sqs.Queue, id: string, maximumConcurrency: number) => {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          resources: [queue.queueArn],
        }),
      );
      const mapping = new lambda.EventSourceMapping(this, id, {
        target: fn,
        eventSourceArn: queue.queueArn,
        batchSize: WORKER_QUEUE.batchSize,
        // Only the failed records of a batch return to the queue (partial batch responses).
        reportBatchItemFailures: true,
        // At most this many invocations at once, without reserving account concurrency
        // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
        maxConcurrency: maximumConcurrency,
      });
      // Lambda checks the role's permissions when it creates the mapping: the policy comes first.
      const policy = fn.role?.node.tryFindChild('DefaultPolicy');
      if (policy) mapping.node.addDependency(policy);
      return mapping;
    };
    consume(this.worker, this.queue, 'WorkerQueueMapping', props.bedrockConcurrency);
    consume(abandoned, deadLetters, 'WorkerDeadLettersMapping', WORKER_QUEUE.abandonedConcurrency);
    tableActions(this.worker, 'worker');
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        // PutObject: images and thumbnails (single PUTs, no multipart). DeleteObject (DeleteObjects
        // checks it per key): what a failed image wrote, and orphans once the job ends (a failed
        // edit's inputs too).
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [images],
      }),
    );
    // GetObject: an edit's inputs, copied under its job, which the worker checks before calling the service.
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(JOB_INPUTS_PATTERN)],
      }),
    );
    this.worker.addToRolePolicy(listOwnersKeys());
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        // Only the catalog's callable models, in the Bedrock region (libs/contracts is the one list).
        resources: callableModels().map((m) =>
          foundationModelArn({ ...m, region: props.bedrockRegion }, Stack.of(this).partition),
        ),
      }),
    );
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        // The image services (libs/contracts' catalog): each `us.` profile in the calling region and
        // its model in every region the profile routes to.
        resources: imageServiceInvokeArns(
          props.bedrockRegion,
          Stack.of(this).account,
          Stack.of(this).partition,
        ),
      }),
    );

    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        // Bedrock's Model access page is retired: the first call to a third-party model (Stability)
        // starts its AWS Marketplace subscription as the calling role, which needs these three
        // (Bedrock user guide, "Request access to models"). Resource `*`: the actions have no
        // resource type; only Subscribe takes aws-marketplace:ProductId, and AWS's product-id table
        // does not cover every catalog model (the Image Services), so it is not narrowed (ADR 0009).
        actions: [
          'aws-marketplace:Subscribe',
          'aws-marketplace:Unsubscribe',
          'aws-marketplace:ViewSubscriptions',
        ],
        resources: ['*'],
      }),
    );

    // 1,024 MB: an upload's check decodes every pixel (up to the input checks' cap) within API Gateway's 29 s,
    // and Lambda's CPU share grows with memory.
    this.apiFunction = new lambda.Function(this, 'Api', common('Api', 'api', GENERATOR_TIMEOUTS.api, 1024));
    this.apiFunction.addEnvironment('WORKER_QUEUE_URL', this.queue.queueUrl);
    // Images made at once (the mapping's MaximumConcurrency): the API's ETAs count with it.
    this.apiFunction.addEnvironment('WORKER_CONCURRENCY', String(props.bedrockConcurrency));
    // Budgets and fair sharing (ADR 0015): the API reserves each job on them as it records it.
    this.apiFunction.addEnvironment(
      'BUDGET_DEPLOYMENT_MONTHLY_USD',
      String(props.budgets.deploymentMonthlyUsd),
    );
    this.apiFunction.addEnvironment('BUDGET_OWNER_DAILY_USD', String(props.budgets.ownerDailyUsd));
    this.apiFunction.addEnvironment('BUDGET_OWNER_MONTHLY_USD', String(props.budgets.ownerMonthlyUsd));
    this.apiFunction.addEnvironment(
      'MAX_IMAGES_IN_FLIGHT_PER_OWNER',
      String(props.budgets.ownerImagesInFlight),
    );
    tableActions(this.apiFunction, 'api');
    // SendMessage on the worker queue only (the queue is SQS-managed encrypted: no KMS permission).
    this.apiFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    this.apiFunction.addToRolePolicy(
      new iam.PolicyStatement({
        // GetObject: presigned GETs are signed with this role, and it is a repeat's copy source.
        // PutObject: a repeat's copy destination (CopyObject, same bucket). DeleteObject: DELETE of a job.
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [images],
      }),
    );
    this.apiFunction.addToRolePolicy(
      new iam.PolicyStatement({
        // Uploads (uploads/<owner>/<id>): PutObject, because the browser's presigned POST is signed with
        // this role (S3 authorizes the POST as its signer); GetObject to check an upload, presign its
        // GET and copy it into an edit's job; DeleteObject for an upload the check refused.
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [props.bucket.arnForObjects(`${UPLOAD_KEY_PREFIX}*`)],
      }),
    );
    // A job's keys (images and thumbnails), to delete them all: listing under owners/ only.
    this.apiFunction.addToRolePolicy(listOwnersKeys());
    this.apiFunction.addToRolePolicy(
      new iam.PolicyStatement({
        // Which models this account may call (GET /models). The action has no resource type
        // (Service Authorization Reference), so `*`, held to the Bedrock region.
        actions: ['bedrock:GetFoundationModelAvailability'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': props.bedrockRegion } },
      }),
    );

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.RestApi(this, 'RestApi', {
      description: 'imagegen generator API (called only by the BFF, SigV4)',
      policy: invokerOnlyPolicy(props.invoker),
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      // The role is the account's (per region) API Gateway logging role, shared with every other API:
      // kept on teardown (ADR 0009).
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: GENERATOR_STAGE,
        tracingEnabled: true,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    });
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: false,
      validateRequestParameters: true,
    });
    const integration = new apigw.LambdaIntegration(this.apiFunction, {
      timeout: GENERATOR_TIMEOUTS.apiGatewayIntegration,
    });
    // One resource and method per route of GENERATOR_ROUTES (libs/contracts): the list the generator's
    // router registers its handlers by, so a route the generator serves is never missing here.
    for (const route of GENERATOR_ROUTES) {
      const resource = route.path
        .split('/')
        .filter(Boolean)
        .reduce<apigw.IResource>(
          (parent, part) => parent.getResource(part) ?? parent.addResource(part),
          this.api.root,
        );
      resource.addMethod(route.method, integration, {
        authorizationType: apigw.AuthorizationType.IAM,
        requestValidator: validator,
      });
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Bodies are validated in the API Lambda with the shared contracts (libs/contracts), the one place the rules are written.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.bucketArnExport}/${IMAGE_KEY_PREFIX}*]`,
      reason:
        "The owners' images and thumbnails (owners/<owner>/generations/<job>/...): the API reads, copies and deletes keys it derives from a job record of the calling owner; the worker writes and deletes its job's keys; the abandoned-job function deletes orphans of its job.",
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.bucketArnExport}/${UPLOAD_KEY_PREFIX}*]`,
      reason:
        'Browser uploads (uploads/<owner>/<upload>): the API signs presigned POSTs for one exact key each, reads an upload to check it, copies it into an edit and deletes a refused one; the key always names the calling owner.',
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.bucketArnExport}/${JOB_INPUTS_PATTERN}]`,
      reason:
        "An edit's inputs, copied under its job (owners/<owner>/generations/<job>/inputs/...): the worker reads only these, for the job it was handed.",
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Actions without a resource type in the Service Authorization Reference: X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords); for the API role bedrock:GetFoundationModelAvailability, held to the Bedrock region by aws:RequestedRegion; for the worker role aws-marketplace:Subscribe, Unsubscribe and ViewSubscriptions, which the first call to a third-party model needs to start its AWS Marketplace subscription (Bedrock user guide, Request access to models).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'The API uses IAM (SigV4) auth: only the BFF task role may call it; there are no end users here.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'The API is private to the BFF (IAM auth); the WAF protects the public ALB in front of the BFF.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: 'AWS managed policy for Lambda in a VPC (ENI management), scoped by AWS.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWS managed policy for Lambda logging.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role API Gateway needs to write its logs.',
    });
  }
}
