import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { callableModels, foundationModelArn, GENERATOR_ROUTES } from '@imagegen/contracts';

import { repoRoot } from '../repo-root';

export interface GeneratorApiProps {
  readonly vpc: ec2.IVpc;
  readonly bucket: s3.IBucket;
  /** Name of the export the bucket ARN is imported from (names the nag finding on bucketArn/*). */
  readonly bucketArnExport: string;
  readonly table: dynamodb.ITable;
  readonly bedrockRegion: string;
  /** Worker reserved concurrency: Bedrock calls at once. */
  readonly bedrockConcurrency: number;
  readonly presignExpirySeconds: number;
  /** Days jobs are kept (the record TTL; the bucket lifecycle says the same for images). */
  readonly retentionDays: number;
  /** Stage throttle: steady requests per second to the API (the BFF's calls for all users together). */
  readonly rateLimit: number;
  /** Stage throttle: requests allowed at once above the steady rate (token bucket size). */
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
}

/** Timeouts that fit inside each other: SDK attempts × per-attempt timeout < worker timeout; API handler < 29 s. */
export const GENERATOR_TIMEOUTS = {
  bedrockAttemptMs: 60_000,
  bedrockAttempts: 3,
  worker: Duration.minutes(4),
  api: Duration.seconds(25),
  apiGatewayIntegration: Duration.seconds(29),
} as const;

export const GENERATOR_STAGE = 'prod';

/** The CPU of the generator functions; the worker's native modules are installed for it. */
export const GENERATOR_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * Native modules the worker loads at run time (the thumbnailer's sharp): never bundled by esbuild,
 * installed into the worker asset by `npm ci` from their own lock file, for Lambda's platform.
 */
export const WORKER_NODE_MODULES = ['sharp'] as const;
export const WORKER_DEPS_LOCK_FILE = 'apps/generator/lambda-deps/package-lock.json';

/** Every image and thumbnail key starts here (imageKey() in libs/generator/domain): the API role's S3 scope. */
export const IMAGE_KEY_PREFIX = 'owners/';

/** npm's name (`--cpu`) for a Lambda architecture. */
export function npmCpu(architecture: lambda.Architecture): 'arm64' | 'x64' {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x64';
  throw new Error(`no npm cpu for the Lambda architecture ${architecture.name}`);
}

/**
 * `npm ci` settings for the worker's native modules: the Lambda's platform (Amazon Linux: glibc)
 * rather than this machine's, so the right prebuilt binary is fetched without Docker. Install
 * scripts stay off: sharp's only checks for a local libvips build, and the prebuilt one is used.
 */
export function lambdaNpmEnvironment(architecture: lambda.Architecture): Record<string, string> {
  return {
    npm_config_os: 'linux',
    npm_config_cpu: npmCpu(architecture),
    npm_config_libc: 'glibc',
    npm_config_ignore_scripts: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/**
 * The generator: API and worker Lambdas (one esbuild bundle, local esbuild, never Docker), a REST
 * API with IAM auth on every method, and least-privilege roles.
 */
export class GeneratorApi extends Construct {
  readonly api: apigw.RestApi;
  readonly apiFunction: lambda.Function;
  readonly worker: lambda.Function;

  constructor(scope: Construct, id: string, props: GeneratorApiProps) {
    super(scope, id);
    const root = repoRoot();
    const common = (
      name: string,
      handler: string,
      timeout: Duration,
      memorySize: number,
    ): nodejs.NodejsFunctionProps => ({
      entry: join(root, 'apps/generator/src/main.ts'),
      handler,
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: GENERATOR_ARCHITECTURE,
      memorySize,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      logGroup: new logs.LogGroup(this, `${name}Logs`, {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      bundling: {
        format: nodejs.OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // The AWS SDK is bundled (versions pinned by our lock); sharp never is: only the worker ships it.
        externalModules: [...WORKER_NODE_MODULES],
        tsconfig: join(root, 'apps/generator/tsconfig.json'),
        forceDockerBundling: false,
      },
      environment: {
        GENERATIONS_TABLE: props.table.tableName,
        IMAGES_BUCKET: props.bucket.bucketName,
        BEDROCK_REGION: props.bedrockRegion,
        PRESIGN_EXPIRY_SECONDS: String(props.presignExpirySeconds),
        RETENTION_DAYS: String(props.retentionDays),
        // A running job untouched for longer than a worker can live lost its worker: a retry takes it over.
        JOB_STALE_AFTER_SECONDS: String(GENERATOR_TIMEOUTS.worker.toSeconds() + 60),
        BEDROCK_TIMEOUT_MS: String(GENERATOR_TIMEOUTS.bedrockAttemptMs),
        BEDROCK_MAX_ATTEMPTS: String(GENERATOR_TIMEOUTS.bedrockAttempts),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    // Settles a job whose every asynchronous attempt failed (the worker's on-failure destination).
    const abandoned = new nodejs.NodejsFunction(
      this,
      'Abandoned',
      common('Abandoned', 'abandonedHandler', Duration.seconds(30), 256),
    );
    props.table.grantReadWriteData(abandoned);

    const workerProps = common('Worker', 'workerHandler', GENERATOR_TIMEOUTS.worker, 1024);
    this.worker = new nodejs.NodejsFunction(this, 'Worker', {
      ...workerProps,
      // The worker alone ships sharp (thumbnails), installed by `npm ci` from a one-dependency lock
      // file (the monorepo's does not match the package.json CDK writes into the asset).
      depsLockFilePath: join(root, WORKER_DEPS_LOCK_FILE),
      bundling: {
        ...workerProps.bundling,
        nodeModules: [...WORKER_NODE_MODULES],
        environment: lambdaNpmEnvironment(GENERATOR_ARCHITECTURE),
      },
      reservedConcurrentExecutions: props.bedrockConcurrency,
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new destinations.LambdaDestination(abandoned, { responseOnly: false }),
    });
    props.table.grantReadWriteData(this.worker);
    props.bucket.grantPut(this.worker);
    props.bucket.grantDelete(this.worker);
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel'],
        // Only the catalog's callable models, in the Bedrock region (libs/contracts is the one list).
        resources: callableModels().map((m) =>
          foundationModelArn({ ...m, region: props.bedrockRegion }, Stack.of(this).partition),
        ),
      }),
    );

    this.apiFunction = new nodejs.NodejsFunction(
      this,
      'Api',
      common('Api', 'apiHandler', GENERATOR_TIMEOUTS.api, 512),
    );
    this.apiFunction.addEnvironment('WORKER_FUNCTION_NAME', this.worker.functionName);
    // Images made at once (the worker's reserved concurrency): the API's ETAs count with it.
    this.apiFunction.addEnvironment('WORKER_CONCURRENCY', String(props.bedrockConcurrency));
    props.table.grantReadWriteData(this.apiFunction);
    this.worker.grantInvoke(this.apiFunction);
    const images = props.bucket.arnForObjects(`${IMAGE_KEY_PREFIX}*`);
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
        // A job's keys (images and thumbnails), to delete them all: listing under owners/ only.
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${IMAGE_KEY_PREFIX}*`] } },
      }),
    );
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
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
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
    const s3Wildcards: [string, string][] = [
      ['Action::s3:Abort*', 'grantPut: lets the worker abort its own failed uploads.'],
      [
        'Action::s3:DeleteObject*',
        'grantDelete: the worker deletes what a failed job wrote (no orphan images).',
      ],
      [
        `Resource::<${Stack.of(this).getLogicalId(this.worker.node.defaultChild as lambda.CfnFunction)}.Arn>:*`,
        'Invoking any version/alias of the worker function only.',
      ],
    ];
    for (const [finding, reason] of s3Wildcards)
      Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.bucketArnExport}/*]`,
      reason: 'Objects of the images bucket only: keys are per owner and job, chosen by the code.',
    });
    Validations.of(this.apiFunction).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${props.bucketArnExport}/${IMAGE_KEY_PREFIX}*]`,
      reason:
        "The owners' images and thumbnails (owners/<owner>/generations/<job>/...): the API reads, copies and deletes keys it derives from a job record of the calling owner.",
    });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(abandoned.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason: 'The on-failure destination: the worker may invoke that one function (any version).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Actions without a resource type in the Service Authorization Reference: X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords), and for the API role bedrock:GetFoundationModelAvailability, held to the Bedrock region by aws:RequestedRegion.',
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
