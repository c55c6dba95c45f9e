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

import { callableModels, foundationModelArn } from '@imagegen/contracts';

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
  readonly rateLimit: number;
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
    const common = (name: string, handler: string, timeout: Duration, memorySize: number): nodejs.NodejsFunctionProps => ({
      entry: join(root, 'apps/generator/src/main.ts'),
      handler,
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
      bundling: {
        format: nodejs.OutputFormat.CJS,
        target: 'node24',
        minify: true,
        sourceMap: true,
        externalModules: [],
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
    const abandoned = new nodejs.NodejsFunction(this, 'Abandoned', common('Abandoned', 'abandonedHandler', Duration.seconds(30), 256));
    props.table.grantReadWriteData(abandoned);

    this.worker = new nodejs.NodejsFunction(this, 'Worker', {
      ...common('Worker', 'workerHandler', GENERATOR_TIMEOUTS.worker, 1024),
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
        resources: callableModels().map((m) => foundationModelArn({ ...m, region: props.bedrockRegion }, Stack.of(this).partition)),
      }),
    );

    this.apiFunction = new nodejs.NodejsFunction(this, 'Api', common('Api', 'apiHandler', GENERATOR_TIMEOUTS.api, 512));
    this.apiFunction.addEnvironment('WORKER_FUNCTION_NAME', this.worker.functionName);
    props.table.grantReadWriteData(this.apiFunction);
    props.bucket.grantRead(this.apiFunction); // presigned GETs are signed with this role
    this.worker.grantInvoke(this.apiFunction);

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
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
    const validator = this.api.addRequestValidator('Validator', { validateRequestBody: false, validateRequestParameters: true });
    const integration = new apigw.LambdaIntegration(this.apiFunction, { timeout: GENERATOR_TIMEOUTS.apiGatewayIntegration });
    this.api.root.addResource('generations').addProxy({ defaultIntegration: integration, defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM, requestValidator: validator } });
    this.api.root.getResource('generations')?.addMethod('ANY', integration, { authorizationType: apigw.AuthorizationType.IAM, requestValidator: validator });

    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG2', reason: 'Bodies are validated in the API Lambda with the shared contracts (libs/contracts), the one place the rules are written.' });
    const s3Wildcards: [string, string][] = [
      ['Action::s3:Abort*', 'grantPut: lets the worker abort its own failed uploads.'],
      ['Action::s3:DeleteObject*', 'grantDelete: the worker deletes what a failed job wrote (no orphan images).'],
      ['Action::s3:GetBucket*', 'grantRead: the API role signs presigned GETs for the owner images.'],
      ['Action::s3:GetObject*', 'grantRead: the API role signs presigned GETs for the owner images.'],
      ['Action::s3:List*', 'grantRead: listing inside the images bucket only.'],
      [`Resource::<${Stack.of(this).getLogicalId(this.worker.node.defaultChild as lambda.CfnFunction)}.Arn>:*`, 'Invoking any version/alias of the worker function only.'],
    ];
    for (const [finding, reason] of s3Wildcards) Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::${props.bucketArnExport}/*]`, reason: 'Objects of the images bucket only: keys are per owner and job, chosen by the code.' });
    Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(abandoned.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`, reason: 'The on-failure destination: the worker may invoke that one function (any version).' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords) has no resource scope.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-COG4', reason: 'The API uses IAM (SigV4) auth: only the BFF task role may call it; there are no end users here.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-APIG3', reason: 'The API is private to the BFF (IAM auth); the WAF protects the public ALB in front of the BFF.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]', reason: 'AWS managed policy for Lambda in a VPC (ENI management), scoped by AWS.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'AWS managed policy for Lambda logging.' });
    Validations.of(this).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', reason: 'The account-level role API Gateway needs to write its logs.' });
  }
}
