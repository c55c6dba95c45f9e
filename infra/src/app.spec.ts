import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

import { callableModels, GENERATOR_ROUTES, routeKey } from '@imagegen/contracts';

import { cognitoDomainPrefixOf, DEFAULT_CONFIG } from './config';
import {
  GENERATOR_ARCHITECTURE,
  GENERATOR_TIMEOUTS,
  GeneratorHandler,
  npmCpu,
  POWERTOOLS_SERVICE,
  WORKER_DEPS_LOCK_FILE,
  WORKER_QUEUE,
  workerWorstCaseMs,
} from './constructs/generator-api';
import { WAF_RATE_WINDOW_SECONDS } from './constructs/waf';
import { repoRoot } from './repo-root';
import { testApp } from './testing';

/** The generator's build (apps/generator/bundle.cjs): what generator:build and generator:lambda-deps run. */
// eslint-disable-next-line @nx/enforce-module-boundaries -- a build script, not a library
const generatorBundle = require('../../apps/generator/bundle.cjs') as {
  bundleGenerator(options: { outdir: string }): Promise<Record<GeneratorHandler, { inputs: string[] }>>;
  installWorkerDeps(options: { workerDir: string; cpu: string }): void;
};

/** Synth output folders (temporary), removed when the tests end. */
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const synth = (overrides = {}, options = {}) => {
  const { app, stacks } = testApp(overrides, options);
  outdirs.push(app.outdir);
  return { app, stateful: Template.fromStack(stacks.stateful), main: Template.fromStack(stacks.app) };
};

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
>;
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

type GeneratorFunction = 'Api' | 'Worker' | 'Abandoned';
/** The generator's function with this construct id (every one has the handler index.handler). */
const generatorFunction = (template: Template, fn: GeneratorFunction) => {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
    new RegExp(`^Generator${fn}[0-9A-F]{8}$`).test(id),
  );
  if (!found) throw new Error(`no function Generator${fn}`);
  return found[1];
};

/** The statements of the policies attached to the role of this generator function. */
const roleStatements = (template: Template, fn: GeneratorFunction): Statement[] => {
  const role = generatorFunction(template, fn).Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
};
const actions = (s: Statement): string[] => [s.Action].flat();

/** The environment of this generator function. */
const functionEnv = (template: Template, fn: GeneratorFunction): Record<string, unknown> =>
  generatorFunction(template, fn).Properties.Environment.Variables;

/** Settings away from every default, to show each one reaches the resources. */
const CUSTOM = {
  retentionDays: 7,
  bedrockConcurrency: 7,
  bedrockRegion: 'us-east-1',
  apiRateLimit: 5,
  apiBurstLimit: 10,
  wafRateLimit: 2000,
  rateLimitIpPerMinute: 300,
  rateLimitOwnerPerMinute: 100,
  rateLimitCreatePerMinute: 5,
  budgetMonthlyUsd: 1500,
  budgetOwnerDailyUsd: 0.5,
  budgetOwnerMonthlyUsd: 7.25,
  maxImagesInFlightPerOwner: 3,
  rateLimitCreatePerIpPerMinute: 9,
} as const;

describe('imagegen CDK app', () => {
  const { app, stateful, main } = synth();
  const custom = synth(CUSTOM);

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`,
      ),
    ).toEqual([]);
  });

  describe('Storage', () => {
    it('keeps the image bucket private, encrypted, TLS-only, logged, CORS-limited and expiring', () => {
      stateful.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: {
            Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]),
          },
          CorsConfiguration: {
            CorsRules: [Match.objectLike({ AllowedMethods: ['GET', 'HEAD', 'POST'] })],
          },
          LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'images/' }),
        }),
      });
      stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('keeps images, their thumbnails and the job records for the same retentionDays', () => {
      // Given retentionDays = 7
      // When the app is synthesized
      // Then one bucket rule expires every key after 7 days (no prefix or tag filter: images and
      // thumbnails alike, all under owners/), records carry a TTL, and every generator function is told 7 days
      const images = Object.values(
        custom.stateful.findResources('AWS::S3::Bucket', {
          Properties: { LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'images/' }) },
        }),
      )[0];
      const rules = images.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
      // (uploads/ has its own one-day rule: storage-uploads.spec.ts)
      const expiring = rules.filter(
        (r) => r['ExpirationInDays'] !== undefined && r['Prefix'] === undefined && r['Filter'] === undefined,
      );
      expect(expiring).toEqual([expect.objectContaining({ ExpirationInDays: 7, Status: 'Enabled' })]);
      for (const filter of ['Prefix', 'TagFilters', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan'])
        expect(expiring[0]).not.toHaveProperty(filter);
      custom.stateful.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
      for (const fn of ['Api', 'Worker', 'Abandoned'] as const)
        expect(functionEnv(custom.main, fn)['RETENTION_DAYS']).toBe('7');
    });

    it('keeps the stateful logical ids (renaming one would replace the data)', () => {
      expect(Object.keys(stateful.findResources('AWS::DynamoDB::Table'))).toEqual([
        'StorageGenerations86CABCF2',
      ]);
      expect(Object.keys(stateful.findResources('AWS::S3::Bucket')).sort()).toEqual([
        'StorageAccessLogs96FB524C',
        'StorageImagesCFC0E004',
      ]);
    });

    it('has a jobs table keyed by owner and id, on demand, with PITR, TTL and retained', () => {
      stateful.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: [
            { AttributeName: 'ownerId', KeyType: 'HASH' },
            { AttributeName: 'id', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          DeletionProtectionEnabled: true,
        }),
      });
    });
  });

  describe('Network', () => {
    it('spans two AZs with public and private subnets, one NAT, S3 and DynamoDB endpoints and flow logs', () => {
      main.resourceCountIs('AWS::EC2::Subnet', 4);
      main.resourceCountIs('AWS::EC2::NatGateway', 1);
      main.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
      main.resourceCountIs('AWS::EC2::FlowLog', 1);
    });

    it('puts one NAT gateway per AZ when asked', () => {
      synth({ natGateways: 2 }).main.resourceCountIs('AWS::EC2::NatGateway', 2);
    });
  });

  describe('Generator', () => {
    it('runs the worker on the newest Node runtime, reserving no account concurrency (a new account’s quota is 10)', () => {
      const worker = generatorFunction(main, 'Worker').Properties;
      expect(worker).toMatchObject({
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Timeout: GENERATOR_TIMEOUTS.worker.toSeconds(),
        TracingConfig: { Mode: 'Active' },
      });
      for (const fn of ['Api', 'Worker', 'Abandoned'] as const)
        expect({
          fn,
          reserved: generatorFunction(main, fn).Properties['ReservedConcurrentExecutions'],
        }).toEqual({
          fn,
          reserved: undefined,
        });
      // and no asynchronous invocation anymore: the queue is the only way in
      main.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    });

    it('gives every generator function the Powertools layer of its region and its Powertools service name', () => {
      // The bundles leave @aws-lambda-powertools/* out: the layer provides them (Tracer, Metrics)
      for (const region of [DEFAULT_CONFIG.region, 'eu-central-1']) {
        const template = region === DEFAULT_CONFIG.region ? main : synth({ region }).main;
        for (const [fn, handler] of [
          ['Api', 'api'],
          ['Worker', 'worker'],
          ['Abandoned', 'abandoned'],
        ] as const) {
          const props = generatorFunction(template, fn).Properties;
          expect({ fn, region, layers: props['Layers'], tracing: props['TracingConfig'] }).toEqual({
            fn,
            region,
            layers: [`arn:aws:lambda:${region}:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:44`],
            tracing: { Mode: 'Active' },
          });
          expect(functionEnv(template, fn)['POWERTOOLS_SERVICE_NAME']).toBe(POWERTOOLS_SERVICE[handler]);
        }
      }
      expect(POWERTOOLS_SERVICE).toEqual({
        api: 'generator-api',
        worker: 'generator-worker',
        abandoned: 'generator-abandoned',
      });
    });

    it('reserves concurrency for the worker only when workerReservedConcurrency is set', () => {
      const reserved = synth({ workerReservedConcurrency: 12 }).main;
      expect(generatorFunction(reserved, 'Worker').Properties['ReservedConcurrentExecutions']).toBe(12);
    });

    it('feeds the worker from an encrypted, TLS-only SQS queue with a dead-letter queue, its visibility six times the worker timeout', () => {
      const queues = main.findResources('AWS::SQS::Queue');
      const byId = (prefix: string) =>
        Object.entries(queues).find(([id]) => id.startsWith(`Generator${prefix}`))?.[1].Properties ?? {};
      const queue = byId('WorkerQueue');
      const dlq = byId('WorkerDeadLetters');
      expect(queue).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 6 * GENERATOR_TIMEOUTS.worker.toSeconds(),
        MessageRetentionPeriod: WORKER_QUEUE.retention.toSeconds(),
        RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: expect.anything() },
      });
      expect(dlq).toMatchObject({ SqsManagedSseEnabled: true });
      // the dead-letter queue keeps a message longer than the source (its age counts from the first send)
      expect(dlq['MessageRetentionPeriod']).toBeGreaterThan(queue['MessageRetentionPeriod'] as number);
      // both refuse plain HTTP
      const policies = Object.values(main.findResources('AWS::SQS::QueuePolicy'));
      expect(policies).toHaveLength(2);
      for (const p of policies)
        expect(p.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        );
    });

    it('bounds the worker’s invocations with the mapping’s MaximumConcurrency = bedrockConcurrency, one image per invocation', () => {
      const mappings = (template: Template) =>
        Object.entries(template.findResources('AWS::Lambda::EventSourceMapping')).map(([id, r]) => ({
          id,
          ...r.Properties,
        }));
      const worker = (template: Template) =>
        mappings(template).find((m) => m.id.startsWith('GeneratorWorkerQueueMapping'));
      expect(worker(main)).toMatchObject({
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 4 },
      });
      expect(worker(custom.main)).toMatchObject({ ScalingConfig: { MaximumConcurrency: 7 } });
      // created after the role's policy: Lambda checks the role may read the queue when it creates the mapping
      main.hasResource('AWS::Lambda::EventSourceMapping', {
        Properties: Match.objectLike({ ScalingConfig: { MaximumConcurrency: 4 } }),
        DependsOn: Match.arrayWith([Match.stringLikeRegexp('^GeneratorWorkerServiceRoleDefaultPolicy')]),
      });
      // and the abandoned-job function consumes the dead-letter queue
      expect(mappings(main).find((m) => m.id.startsWith('GeneratorWorkerDeadLettersMapping'))).toMatchObject({
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });

    it('lets the API send to the worker queue only, and each consumer receive and delete on its own queue only', () => {
      const sqsOf = (fn: GeneratorFunction) =>
        roleStatements(main, fn)
          .filter((s) => actions(s).some((a) => a.startsWith('sqs:')))
          .map((s) => ({ actions: actions(s).sort(), resource: JSON.stringify(s.Resource) }));
      const queueArn = (prefix: string) => {
        const id = Object.keys(main.findResources('AWS::SQS::Queue')).find((k) =>
          k.startsWith(`Generator${prefix}`),
        );
        return JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
      };
      const consume = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
      expect(sqsOf('Api')).toEqual([{ actions: ['sqs:SendMessage'], resource: queueArn('WorkerQueue') }]);
      expect(sqsOf('Worker')).toEqual([{ actions: consume, resource: queueArn('WorkerQueue') }]);
      expect(sqsOf('Abandoned')).toEqual([{ actions: consume, resource: queueArn('WorkerDeadLetters') }]);
      // and nobody may invoke the worker directly anymore
      for (const fn of ['Api', 'Worker', 'Abandoned'] as const)
        expect(roleStatements(main, fn).flatMap(actions)).not.toContain('lambda:InvokeFunction');
      expect(functionEnv(main, 'Api')).toMatchObject({
        WORKER_QUEUE_URL: { Ref: expect.stringMatching(/^GeneratorWorkerQueue/) },
      });
      expect(functionEnv(main, 'Api')).not.toHaveProperty('WORKER_FUNCTION_NAME');
    });

    it('keeps timeouts inside each other', () => {
      // The worker's worst case: attempts × (connect + timeout) + backoffs + image and thumbnail uploads + thumbnail + records
      const t = GENERATOR_TIMEOUTS;
      expect(workerWorstCaseMs()).toBe(
        t.bedrockAttempts * (t.bedrockConnectMs + t.bedrockAttemptMs) +
          (t.bedrockAttempts - 1) * t.sdkMaxBackoffMs +
          2 * t.uploadMs +
          t.thumbnailMs +
          t.recordMs,
      );
      // fits in 80 % of the worker's Lambda timeout
      expect(workerWorstCaseMs()).toBeLessThanOrEqual(0.8 * t.worker.toMilliseconds());
      expect(t.workerBudgetShare).toBeLessThanOrEqual(0.8);
      expect(workerWorstCaseMs()).toBeLessThanOrEqual(t.workerBudgetShare * t.worker.toMilliseconds());
      // and the worker is told the same per-attempt timeout and attempts
      expect(functionEnv(main, 'Worker')).toMatchObject({
        BEDROCK_TIMEOUT_MS: String(t.bedrockAttemptMs),
        BEDROCK_MAX_ATTEMPTS: String(t.bedrockAttempts),
      });
      expect(GENERATOR_TIMEOUTS.api.toMilliseconds()).toBeLessThan(
        GENERATOR_TIMEOUTS.apiGatewayIntegration.toMilliseconds(),
      );
      expect(generatorFunction(main, 'Api').Properties['Timeout']).toBe(25);
    });

    it('runs the deployed bundles without source maps (no --enable-source-maps, no maps shipped)', () => {
      for (const fn of ['Api', 'Worker', 'Abandoned'] as const)
        expect({ fn, NODE_OPTIONS: functionEnv(main, fn)['NODE_OPTIONS'] }).toEqual({
          fn,
          NODE_OPTIONS: undefined,
        });
    });

    it('lets the worker invoke only the catalog’s callable models, in the Bedrock region', () => {
      const policies = main.findResources('AWS::IAM::Policy');
      const bedrock = Object.values(policies)
        .flatMap((p) => p.Properties.PolicyDocument.Statement)
        .filter((s: { Action: unknown }) => s.Action === 'bedrock:InvokeModel');
      expect(bedrock).toHaveLength(1);
      const resources = (bedrock[0].Resource as { 'Fn::Join': [string, unknown[]] }[]).map((r) =>
        JSON.stringify(r),
      );
      expect(resources).toHaveLength(callableModels().length);
      for (const m of callableModels())
        expect(resources.some((r) => r.includes(`:bedrock:us-west-2::foundation-model/${m.id}`))).toBe(true);
    });

    it('lets the worker start the AWS Marketplace subscription the first call to a third-party model makes', () => {
      const marketplace = roleStatements(main, 'Worker').filter((s) =>
        actions(s).some((a) => a.startsWith('aws-marketplace:')),
      );
      expect(marketplace).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: [
            'aws-marketplace:Subscribe',
            'aws-marketplace:Unsubscribe',
            'aws-marketplace:ViewSubscriptions',
          ],
          Resource: '*',
        }),
      ]);
      // And no other role gets them
      for (const handler of ['Api', 'Abandoned'] as const)
        expect(
          roleStatements(main, handler).filter((s) =>
            actions(s).some((a) => a.startsWith('aws-marketplace:')),
          ),
        ).toEqual([]);
    });

    it('lets the API check model access in the Bedrock region, read, copy and delete the owners’ images, and nothing more of S3 or Bedrock', () => {
      // Given Bedrock in us-east-1
      // When the app is synthesized
      const statements = roleStatements(custom.main, 'Api');
      // Then GetFoundationModelAvailability (no resource type exists for it) is held to that region
      const availability = statements.filter((s) => actions(s).some((a) => a.startsWith('bedrock:')));
      expect(availability).toEqual([
        expect.objectContaining({
          Action: 'bedrock:GetFoundationModelAvailability',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
        }),
      ]);
      // And the S3 rights are GetObject (presign, copy source), PutObject (copy target), DeleteObject and a
      // prefix-bound ListBucket, all under owners/
      // (uploads/ for image editing: generator-edits.spec.ts)
      const s3 = statements.filter(
        (s) =>
          actions(s).some((a) => a.startsWith('s3:')) && !JSON.stringify(s.Resource).includes('/uploads/'),
      );
      expect(s3.flatMap(actions).sort()).toEqual([
        's3:DeleteObject',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ]);
      for (const s of s3) {
        if (actions(s).includes('s3:ListBucket'))
          expect(s.Condition).toEqual({ StringLike: { 's3:prefix': ['owners/*'] } });
        else expect(JSON.stringify(s.Resource)).toMatch(/"\/owners\/\*"\]/);
      }
    });

    it('lets the worker and the abandoned-job function list keys (ListObjectsV2) under owners/ and delete single objects, no wildcard actions', () => {
      // Given the worker and the abandoned-job function remove a job's orphans (removeOrphans lists the job's prefix)
      // When the app is synthesized
      for (const [handler, expected] of [
        ['Worker', ['s3:DeleteObject', 's3:ListBucket', 's3:PutObject']],
        ['Abandoned', ['s3:DeleteObject', 's3:ListBucket']],
      ] as const) {
        // (an edit's inputs, which the worker reads: generator-edits.spec.ts)
        const s3 = roleStatements(main, handler).filter(
          (s) =>
            actions(s).some((a) => a.startsWith('s3:')) && !JSON.stringify(s.Resource).includes('/inputs/'),
        );
        // Then each has exactly these S3 actions (s3:DeleteObject, never s3:DeleteObject* or s3:Abort*)
        expect({ handler, actions: s3.flatMap(actions).sort() }).toEqual({ handler, actions: [...expected] });
        for (const s of s3) {
          // And ListBucket is on the bucket, bound to the owners/ prefix; objects only under owners/
          if (actions(s).includes('s3:ListBucket')) {
            expect(s.Condition).toEqual({ StringLike: { 's3:prefix': ['owners/*'] } });
            expect(JSON.stringify(s.Resource)).not.toContain('/');
          } else expect(JSON.stringify(s.Resource)).toMatch(/"\/owners\/\*"\]/);
        }
      }
    });

    it('gives each function exactly the DynamoDB actions its code sends, on the table only', () => {
      const expected: Record<GeneratorFunction, string[]> = {
        Api: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        Worker: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Abandoned: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      };
      for (const [handler, want] of Object.entries(expected) as [GeneratorFunction, string[]][]) {
        const dynamo = roleStatements(main, handler).filter((s) =>
          actions(s).some((a) => a.startsWith('dynamodb:')),
        );
        expect({ handler, actions: dynamo.flatMap(actions).sort() }).toEqual({ handler, actions: want });
        for (const s of dynamo) expect(s.Resource).toEqual({ 'Fn::ImportValue': expect.any(String) });
      }
    });

    it('keeps the account-wide API Gateway logging role (and its account setting) on teardown', () => {
      main.hasResource('AWS::IAM::Role', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          AssumeRolePolicyDocument: Match.objectLike({
            Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
          }),
        }),
      });
      main.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    });

    it('tells the API how many images the worker makes at once (the mapping’s MaximumConcurrency), for ETAs', () => {
      expect(functionEnv(custom.main, 'Api')['WORKER_CONCURRENCY']).toBe('7');
      expect(functionEnv(main, 'Api')['WORKER_CONCURRENCY']).toBe('4');
    });

    it('gives the API the budgets and the per-owner queue cap from the settings (ADR 0015)', () => {
      expect(functionEnv(main, 'Api')).toMatchObject({
        BUDGET_DEPLOYMENT_MONTHLY_USD: '200',
        BUDGET_OWNER_DAILY_USD: '2',
        BUDGET_OWNER_MONTHLY_USD: '20',
        MAX_IMAGES_IN_FLIGHT_PER_OWNER: '8',
      });
      expect(functionEnv(custom.main, 'Api')).toMatchObject({
        BUDGET_DEPLOYMENT_MONTHLY_USD: '1500',
        BUDGET_OWNER_DAILY_USD: '0.5',
        BUDGET_OWNER_MONTHLY_USD: '7.25',
        MAX_IMAGES_IN_FLIGHT_PER_OWNER: '3',
      });
    });

    it('admits the BFF task role alone: a resource policy denies every other principal of the account', () => {
      const api = Object.values(main.findResources('AWS::ApiGateway::RestApi'))[0];
      const statements = api.Properties.Policy.Statement as (Statement & { Principal: unknown })[];
      const bffRole = Object.values(main.findResources('AWS::ECS::TaskDefinition')).find(
        (t) => t.Properties.ContainerDefinitions[0].Name === 'bff',
      )?.Properties.TaskRoleArn;
      expect(bffRole).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BffTaskRole/), 'Arn'] });
      // Same account, IAM auth: an IAM allow or a resource-policy allow suffices, so the deny does the work
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': bffRole } },
        }),
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { AWS: bffRole },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
        }),
      ]);
    });

    it('has one method for every route the generator serves (GENERATOR_ROUTES), IAM auth on each, and no other', () => {
      // GIVEN the resources of the REST API, each with its full path (walking the ParentId chain)
      const resources = main.findResources('AWS::ApiGateway::Resource');
      const restApi = Object.keys(main.findResources('AWS::ApiGateway::RestApi'))[0];
      const pathOf = (parent: unknown): string => {
        const ref = (parent as { Ref?: string }).Ref;
        const root = JSON.stringify(parent).includes('RootResourceId');
        if (root || ref === undefined) return '';
        const r = resources[ref];
        return `${pathOf(r.Properties.ParentId)}/${r.Properties.PathPart}`;
      };
      // WHEN each method is named by its HTTP method and path
      const methods = Object.values(main.findResources('AWS::ApiGateway::Method')).map((m) => ({
        route: `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId) || '/'}`,
        auth: m.Properties.AuthorizationType,
        api: m.Properties.RestApiId.Ref,
      }));
      // THEN every route has exactly one method (IAM auth, on this API), and nothing else is exposed
      expect(methods.map((m) => m.route).sort()).toEqual(GENERATOR_ROUTES.map(routeKey).sort());
      for (const m of methods) expect(m).toEqual({ route: m.route, auth: 'AWS_IAM', api: restApi });
    });

    it('requires IAM auth on every method of the REST API, with stage throttling, tracing and access logs', () => {
      const methods = Object.values(main.findResources('AWS::ApiGateway::Method'));
      expect(methods.length).toBeGreaterThan(0);
      for (const m of methods) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
      main.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'prod',
        TracingEnabled: true,
        AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
        MethodSettings: Match.arrayWith([
          Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
        ]),
      });
      custom.main.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 }),
        ]),
      });
    });
  });

  describe('Web', () => {
    it('routes /api/* to the BFF and the rest to the web service, with health checks', () => {
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Conditions: Match.arrayWith([{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }]),
      });
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        HealthCheckPath: '/api/health',
        Port: 3333,
      });
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        HealthCheckPath: '/',
        Port: 8080,
      });
    });

    it("lets the BFF task role stream the prompt assistant's text model, through its profile only (ADR 0014)", () => {
      // GIVEN the statements of the BFF task role's policies
      const bffRole = Object.values(main.findResources('AWS::ECS::TaskDefinition')).find(
        (t) => t.Properties.ContainerDefinitions[0].Name === 'bff',
      )?.Properties.TaskRoleArn['Fn::GetAtt'][0] as string;
      const statements = Object.values(main.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${bffRole}"`))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      const bedrock = statements.filter((s) => actions(s).some((a) => a.startsWith('bedrock:')));
      // THEN ConverseStream's action alone, on the profile in the Bedrock region and the model where it routes
      expect(bedrock).toHaveLength(1);
      expect(actions(bedrock[0])).toEqual(['bedrock:InvokeModelWithResponseStream']);
      const resources = JSON.stringify(bedrock[0].Resource);
      expect(resources).toContain(':bedrock:us-west-2:');
      expect(resources).toContain(':inference-profile/us.amazon.nova-micro-v1:0');
      for (const region of ['us-east-1', 'us-east-2', 'us-west-2'])
        expect(resources).toContain(`:bedrock:${region}::foundation-model/amazon.nova-micro-v1:0`);
      expect(resources).not.toContain('*');
      // AND the BFF is told which model and Region
      const env = Object.values(main.findResources('AWS::ECS::TaskDefinition')).find(
        (t) => t.Properties.ContainerDefinitions[0].Name === 'bff',
      )?.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: string }[];
      expect(env).toEqual(
        expect.arrayContaining([
          { Name: 'ASSISTANT_MODEL_ID', Value: 'amazon.nova-micro-v1:0' },
          { Name: 'ASSISTANT_BEDROCK_REGION', Value: 'us-west-2' },
        ]),
      );
    });

    it('runs both services in the private subnets, without public IPs', () => {
      const privateSubnets = Object.entries(main.findResources('AWS::EC2::Subnet'))
        .filter(([, r]) => JSON.stringify(r.Properties.Tags).includes('Private'))
        .map(([id]) => id)
        .sort();
      for (const svc of Object.values(main.findResources('AWS::ECS::Service'))) {
        const vpc = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
        expect(vpc.AssignPublicIp).toBe('DISABLED');
        expect(vpc.Subnets.map((s: { Ref: string }) => s.Ref).sort()).toEqual(privateSubnets);
      }
    });

    it('runs two Fargate services with rollback on failed deployments and Container Insights', () => {
      main.resourceCountIs('AWS::ECS::Service', 2);
      main.hasResourceProperties('AWS::ECS::Service', {
        DeploymentConfiguration: Match.objectLike({
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        }),
        DesiredCount: 2,
      });
      main.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
      });
    });

    it('gives the BFF its cookie key from Secrets Manager and lets it call only the generator API', () => {
      main.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'bff',
            Secrets: [Match.objectLike({ Name: 'COOKIE_SECRET' })],
            Environment: Match.not(Match.arrayWith([Match.objectLike({ Name: 'COOKIE_SECRET' })])),
          }),
        ],
      });
      const statements = Object.values(main.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement,
      );
      expect(statements.filter((s: { Action: unknown }) => s.Action === 'execute-api:Invoke')).toHaveLength(
        1,
      );
    });

    const bffContainer = (template: Template) =>
      Object.values(template.findResources('AWS::ECS::TaskDefinition')).find(
        (t) => t.Properties.ContainerDefinitions[0].Name === 'bff',
      )?.Properties.ContainerDefinitions[0];
    const bffEnv = (template: Template): Record<string, unknown> =>
      Object.fromEntries(
        (bffContainer(template).Environment as { Name: string; Value: unknown }[]).map((e) => [
          e.Name,
          e.Value,
        ]),
      );

    it('gives the BFF its per-IP, per-owner and job-creation rate limits (per minute) from the settings', () => {
      expect(bffEnv(main)).toMatchObject({
        RATE_LIMIT_WINDOW_SECONDS: '60',
        RATE_LIMIT_PER_IP: '600',
        RATE_LIMIT_PER_OWNER: '300',
        RATE_LIMIT_JOBS_PER_OWNER: '30',
      });
      expect(bffEnv(custom.main)).toMatchObject({
        RATE_LIMIT_WINDOW_SECONDS: '60',
        RATE_LIMIT_PER_IP: '300',
        RATE_LIMIT_PER_OWNER: '100',
        RATE_LIMIT_JOBS_PER_OWNER: '5',
        RATE_LIMIT_JOBS_PER_IP: '9',
      });
      expect(bffEnv(main)['RATE_LIMIT_JOBS_PER_IP']).toBe('20');
    });

    it("keeps the BFF's rate-limit counters in the deployment's table: UpdateItem on its own `ratelimit|` items, nothing else of DynamoDB", () => {
      // The table the BFF is told is the imported jobs table
      expect(bffEnv(main)['RATE_LIMIT_TABLE']).toEqual(
        expect.objectContaining({ 'Fn::Select': expect.anything() }),
      );
      const statements = Object.values(main.findResources('AWS::IAM::Policy'))
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('BffTaskRole')))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      const dynamo = statements.filter((st) => actions(st).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: { 'Fn::ImportValue': expect.any(String) },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ratelimit|*'] } },
        },
      ]);
    });

    it('sets only settings the BFF reads (apps/bff/src/app/bff-config.ts): a renamed one would be ignored silently', () => {
      const declared = readFileSync(join(repoRoot(), 'apps/bff/src/app/bff-config.ts'), 'utf8');
      const names = [
        ...Object.keys(bffEnv(main)),
        ...(bffContainer(main).Secrets as { Name: string }[]).map((s) => s.Name),
      ];
      for (const name of names)
        expect({ name, declared: new RegExp(`\\b${name}\\b`).test(declared) }).toEqual({
          name,
          declared: true,
        });
    });

    it('scales on CPU and requests, and drains longer than a request lasts', () => {
      main.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 2);
      main.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 4);
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: 3333,
        TargetGroupAttributes: Match.arrayWith([
          { Key: 'deregistration_delay.timeout_seconds', Value: '60' },
        ]),
      });
    });

    it("writes the viewer's own address into the header the WAF counts, whatever the viewer sent, on every behaviour", async () => {
      const [fn] = Object.values(main.findResources('AWS::CloudFront::Function')) as {
        Properties: { FunctionCode: string; FunctionConfig: { Runtime: string } };
      }[];
      expect(fn?.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
      // The function as CloudFront runs it: a forged header and X-Forwarded-For change nothing
      const handler = new Function(`${fn?.Properties.FunctionCode}; return handler;`)() as (
        e: unknown,
      ) => Promise<{ headers: Record<string, { value: string }> }>;
      const out = await handler({
        viewer: { ip: '198.51.100.7' },
        request: {
          headers: { 'true-client-ip': { value: '1.2.3.4' }, 'x-forwarded-for': { value: '5.6.7.8' } },
        },
      });
      expect(out.headers['true-client-ip']).toEqual({ value: '198.51.100.7' });
      const distribution = JSON.stringify(main.findResources('AWS::CloudFront::Distribution'));
      expect(distribution.match(/"EventType":"viewer-request"/g)).toHaveLength(2);
    });

    it('puts a WAF with managed rules and a per-IP rate rule on the ALB', () => {
      main.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: {
              // Behind CloudFront (no domain): the viewer's address CloudFront's function writes, not CloudFront's
              // own, nor X-Forwarded-For's first entry (the viewer writes that one)
              RateBasedStatement: {
                Limit: 4000,
                EvaluationWindowSec: WAF_RATE_WINDOW_SECONDS,
                AggregateKeyType: 'CUSTOM_KEYS',
                CustomKeys: [
                  {
                    Header: { Name: 'true-client-ip', TextTransformations: [{ Priority: 0, Type: 'NONE' }] },
                  },
                ],
              },
            },
            Action: { Block: {} },
          }),
          Match.objectLike({
            Statement: {
              ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
            },
          }),
        ]),
      });
      main.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      custom.main.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: 'rate-per-ip',
            Statement: { RateBasedStatement: Match.objectLike({ Limit: 2000, EvaluationWindowSec: 300 }) },
          }),
        ]),
      });
    });

    it('builds the container images for the tasks’ CPU (linux/amd64), whatever the deploying machine', () => {
      const manifest = JSON.parse(readFileSync(join(app.outdir, 'ImagegenApp.assets.json'), 'utf8')) as {
        dockerImages: Record<string, { source: { platform?: string } }>;
      };
      const images = Object.values(manifest.dockerImages);
      expect(images).toHaveLength(2);
      for (const image of images) expect(image.source.platform).toBe('linux/amd64');
      for (const task of Object.values(main.findResources('AWS::ECS::TaskDefinition')))
        expect(task.Properties.RuntimePlatform).toEqual({
          CpuArchitecture: 'X86_64',
          OperatingSystemFamily: 'LINUX',
        });
    });

    it('lets bodies over 8 KB through the Core Rule Set (counted, not blocked): prompts may be 20,000 characters', () => {
      main.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: {
              ManagedRuleGroupStatement: {
                VendorName: 'AWS',
                Name: 'AWSManagedRulesCommonRuleSet',
                RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
              },
            },
          }),
        ]),
      });
    });

    it('serves HTTPS through CloudFront without a domain, and on the ALB with a redirect and an alias when one is given', () => {
      main.resourceCountIs('AWS::CloudFront::Distribution', 1);
      const withDomain = synth(
        {
          account: '123456789012',
          domainName: 'images.example.com',
          hostedZoneName: 'example.com',
          cognito: true,
        },
        {
          context: {
            'hosted-zone:account=123456789012:domainName=example.com:region=us-west-2': {
              Id: '/hostedzone/Z123',
              Name: 'example.com.',
            },
          },
        },
      );
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
      });
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [
          Match.objectLike({
            Type: 'redirect',
            RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }),
          }),
        ],
      });
      // With a domain there is no CloudFront: the WAF sees the viewers' own addresses
      withDomain.main.resourceCountIs('AWS::CloudFront::Distribution', 0);
      withDomain.main.hasResourceProperties('AWS::WAFv2::WebACL', {
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: 'rate-per-ip',
            Statement: { RateBasedStatement: Match.objectLike({ AggregateKeyType: 'IP' }) },
          }),
        ]),
      });
      withDomain.main.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'images.example.com.',
        Type: 'A',
      });
      // The Cognito domain prefix is this account's and region's, not one every deployer shares
      withDomain.main.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
        Domain: cognitoDomainPrefixOf({ ...DEFAULT_CONFIG, account: '123456789012', region: 'us-west-2' }),
      });
      expect(
        cognitoDomainPrefixOf({ ...DEFAULT_CONFIG, account: '123456789012', region: 'us-west-2' }),
      ).not.toBe(cognitoDomainPrefixOf({ ...DEFAULT_CONFIG, account: '210987654321', region: 'us-west-2' }));
      // Pages without a session are sent to sign in; /api/* calls answer 401 (a fetch cannot follow the sign-in redirect)
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        DefaultActions: Match.arrayWith([
          Match.objectLike({
            Type: 'authenticate-cognito',
            AuthenticateCognitoConfig: Match.objectLike({ OnUnauthenticatedRequest: 'authenticate' }),
          }),
        ]),
      });
      withDomain.main.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
        Actions: Match.arrayWith([
          Match.objectLike({
            Type: 'authenticate-cognito',
            AuthenticateCognitoConfig: Match.objectLike({ OnUnauthenticatedRequest: 'deny' }),
          }),
          Match.objectLike({ Type: 'forward' }),
        ]),
      });
      // The BFF then takes the signed-in identity from the ALB's token (and only from this ALB).
      withDomain.main.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'bff',
            Environment: Match.arrayWith([
              Match.objectLike({ Name: 'OIDC_ALB_ARN', Value: { Ref: Match.stringLikeRegexp('Alb') } }),
              // ...checked against the user pool's issuer and the ALB's app client (aws-jwt-verify).
              Match.objectLike({
                Name: 'OIDC_ISSUER',
                Value: {
                  'Fn::Join': [
                    '',
                    Match.arrayWith([
                      'https://cognito-idp.us-west-2.amazonaws.com/',
                      { Ref: Match.stringLikeRegexp('Users') },
                    ]),
                  ],
                },
              }),
              Match.objectLike({ Name: 'OIDC_CLIENT_ID', Value: { Ref: Match.stringLikeRegexp('Alb') } }),
            ]),
          }),
        ],
      });
    });
  });

  it('matches the reviewed templates (asset hashes aside): unintended changes show in review', () => {
    const normalize = (t: unknown) => JSON.parse(JSON.stringify(t).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
    expect(normalize(stateful.toJSON())).toMatchSnapshot('ImagegenStateful');
    expect(normalize(main.toJSON())).toMatchSnapshot('ImagegenApp');
  });

  describe('HTTPS without a domain (CloudFront in front of the ALB)', () => {
    const distribution = () =>
      Object.values(main.findResources('AWS::CloudFront::Distribution'))[0].Properties
        .DistributionConfig as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const MANAGED = {
      // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
      cachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
      allViewer: '216adef6-5c7f-47e4-b989-5492eafa07d3',
    };

    it('redirects HTTP to HTTPS on the default *.cloudfront.net certificate, with HSTS on every answer', () => {
      const config = distribution();
      expect(config['ViewerCertificate']).toBeUndefined(); // CloudFront's default certificate
      expect(config['DefaultCacheBehavior'].ViewerProtocolPolicy).toBe('redirect-to-https');
      for (const behavior of config['CacheBehaviors'])
        expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
      main.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
        ResponseHeadersPolicyConfig: Match.objectLike({
          SecurityHeadersConfig: {
            StrictTransportSecurity: {
              AccessControlMaxAgeSec: 31_536_000,
              IncludeSubdomains: true,
              Override: true,
            },
          },
        }),
      });
    });

    it('never caches /api/*, passes it every viewer header, cookie and query string and every method, uncompressed (event streams flow)', () => {
      const api = (distribution()['CacheBehaviors'] as Record<string, unknown>[]).find(
        (b) => b['PathPattern'] === '/api/*',
      );
      expect(api).toMatchObject({
        CachePolicyId: MANAGED.cachingDisabled,
        OriginRequestPolicyId: MANAGED.allViewer,
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        Compress: false,
      });
      // A job POST (up to ~30 s) and a stream's 15 s heartbeat fit in the origin read timeout
      expect(distribution()['Origins'][0].CustomOriginConfig).toMatchObject({
        OriginProtocolPolicy: 'http-only',
        OriginReadTimeout: 60,
      });
    });

    it('lets only CloudFront reach the ALB: its origin-facing prefix list in the security group, a secret header in every rule, 403 otherwise', () => {
      // The security group admits the prefix list looked up at deploy, and no address range
      const groups = Object.entries(main.findResources('AWS::EC2::SecurityGroup')).filter(([, g]) =>
        String(g.Properties.GroupDescription).includes('Alb'),
      );
      expect(groups).toHaveLength(1);
      const [groupId, group] = groups[0];
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      const ingress = Object.values(main.findResources('AWS::EC2::SecurityGroupIngress'))
        .map((r) => r.Properties)
        .filter((p) => JSON.stringify(p['GroupId']).includes(groupId));
      expect(ingress).toHaveLength(1);
      expect(ingress[0]).toMatchObject({ FromPort: 80, ToPort: 80, IpProtocol: 'tcp' });
      expect(ingress[0]['CidrIp']).toBeUndefined();
      expect(JSON.stringify(ingress[0]['SourcePrefixListId'])).toContain('PrefixLists.0.PrefixListId');
      main.hasResourceProperties('Custom::AWS', {
        Create: Match.serializedJson(
          Match.objectLike({
            action: 'describeManagedPrefixLists',
            parameters: {
              Filters: [
                { Name: 'prefix-list-name', Values: ['com.amazonaws.global.cloudfront.origin-facing'] },
              ],
            },
          }),
        ),
      });
      // CloudFront sends the secret header (from Secrets Manager, never written in the template)
      const header = distribution()['Origins'][0].OriginCustomHeaders[0];
      expect(header.HeaderName).toBe('x-imagegen-origin-verify');
      expect(JSON.stringify(header.HeaderValue)).toContain('{{resolve:secretsmanager:');
      // Every forwarding rule wants it; anything else gets the listener's 403
      main.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 80,
        DefaultActions: [
          Match.objectLike({
            Type: 'fixed-response',
            FixedResponseConfig: Match.objectLike({ StatusCode: '403' }),
          }),
        ],
      });
      const rules = Object.values(main.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
      expect(rules).toHaveLength(2);
      for (const rule of rules)
        expect(rule.Properties.Conditions).toContainEqual(
          expect.objectContaining({
            Field: 'http-header',
            HttpHeaderConfig: { HttpHeaderName: 'x-imagegen-origin-verify', Values: [header.HeaderValue] },
          }),
        );
    });

    it('tells the BFF its https public origin (Secure __Host- cookie, origin check) and that two proxies forward the client address', () => {
      const bff = Object.values(main.findResources('AWS::ECS::TaskDefinition'))
        .flatMap(
          (t) =>
            t.Properties.ContainerDefinitions as {
              Name: string;
              Environment: { Name: string; Value: unknown }[];
            }[],
        )
        .find((c) => c.Name === 'bff');
      const env = Object.fromEntries((bff?.Environment ?? []).map((e) => [e.Name, e.Value]));
      expect(env['PUBLIC_ORIGIN']).toEqual({
        'Fn::Join': [
          '',
          ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^WebEdgeDistribution/), 'DomainName'] }],
        ],
      });
      expect(env['TRUST_PROXY_HOPS']).toBe('2');
    });
  });

  describe('What the operator sees (dashboard, alarms, topic)', () => {
    type Alarm = { Properties: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const alarms = (template: Template) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
    const alarmOn = (template: Template, metricName: string) =>
      alarms(template).filter((a) => JSON.stringify(a.Properties).includes(`"${metricName}"`));
    const topicRef = () => Object.keys(main.findResources('AWS::SNS::Topic'))[0];

    it('sends every alarm to one SNS topic (TLS only, encrypted), mailed only when alarmEmail is set', () => {
      main.resourceCountIs('AWS::SNS::Topic', 1);
      main.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      main.resourceCountIs('AWS::SNS::Subscription', 0);
      const all = alarms(main);
      expect(all.length).toBeGreaterThanOrEqual(9);
      for (const a of all) expect(a.Properties['AlarmActions']).toEqual([{ Ref: topicRef() }]);
      const mailed = synth({ alarmEmail: 'ops@example.com' });
      mailed.main.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
    });

    it('alarms on spend past the daily threshold setting (catalog prices, one day)', () => {
      const [spend] = alarmOn(main, 'CostUsd');
      expect(spend.Properties).toMatchObject({
        Namespace: 'imagegen',
        Dimensions: [{ Name: 'service', Value: 'generator' }],
        Statistic: 'Sum',
        Period: 86_400,
        Threshold: 50,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(alarmOn(synth({ alarmSpendUsdPerDay: 500 }).main, 'CostUsd')[0].Properties['Threshold']).toBe(
        500,
      );
    });

    it("alarms when this month's spending passes a share of the monthly budget (alarmSpendSharePercent of budgetMonthlyUsd)", () => {
      // main: budgetMonthlyUsd's default 200, the share's default 80 %
      const [share] = alarmOn(main, 'DeploymentSpendMonthUsd');
      expect(share.Properties).toMatchObject({
        Namespace: 'imagegen',
        Statistic: 'Maximum',
        Threshold: 160,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      const half = synth({ budgetMonthlyUsd: 300, alarmSpendSharePercent: 50 }).main;
      expect(alarmOn(half, 'DeploymentSpendMonthUsd')[0].Properties['Threshold']).toBe(150);
    });

    it('alarms on the failed-job rate, Bedrock and Lambda throttles, jobs given up, old queued events, ALB 5xx and unhealthy targets', () => {
      const [rate] = alarmOn(main, 'JobsFailed');
      expect(rate.Properties['Threshold']).toBe(10);
      expect(JSON.stringify(rate.Properties['Metrics'])).toContain('100 * failed / started');
      expect(alarmOn(main, 'ModelThrottles')).toHaveLength(1);
      expect(alarmOn(main, 'Throttles')).toHaveLength(1); // AWS/Lambda Throttles of the worker
      const [givenUp] = alarmOn(main, 'Invocations');
      expect(JSON.stringify(givenUp.Properties['Dimensions'])).toMatch(/GeneratorAbandoned/);
      const [age] = alarmOn(main, 'ApproximateAgeOfOldestMessage');
      expect(age.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        Threshold: 600,
      });
      expect(JSON.stringify(age.Properties['Dimensions'])).toMatch(/GeneratorWorkerQueue/);
      const [alb] = alarmOn(main, 'HTTPCode_ELB_5XX_Count');
      expect(JSON.stringify(alb.Properties['Metrics'])).toContain('HTTPCode_Target_5XX_Count');
      expect(alarmOn(main, 'UnHealthyHostCount')).toHaveLength(2); // BFF and web target groups
    });

    it('has one dashboard with spend, images per model, model time, error and filter rates, throttles, queue age, Lambda, ALB and Fargate', () => {
      const dashboards = Object.values(main.findResources('AWS::CloudWatch::Dashboard'));
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0].Properties['DashboardBody']);
      for (const expected of [
        'Spend today',
        'Spend this month',
        'ImagesMade',
        'ModelTime',
        "'p95'",
        'filtered images (%)',
        'failed jobs (%)',
        'ModelThrottles',
        'QueueAge',
        'ApproximateAgeOfOldestMessage',
        'Errors',
        'HTTPCode_ELB_5XX_Count',
        'TargetResponseTime',
        'CPUUtilization',
        'MemoryUtilization',
        'StreamsOpen',
      ])
        expect({ expected, found: body.includes(expected) }).toEqual({ expected, found: true });
    });
  });

  describe('Lambda code (the prebuilt bundles, deployed as built; real esbuild and npm, no Docker)', () => {
    const ELF_MACHINE = { arm64: 183, x64: 62 } as const; // EM_AARCH64, EM_X86_64
    const HANDLER_OF: Record<GeneratorFunction, GeneratorHandler> = {
      Api: 'api',
      Worker: 'worker',
      Abandoned: 'abandoned',
    };
    let dist = '';
    let built: Record<GeneratorHandler, { inputs: string[] }>;
    let assets: Partial<Record<GeneratorFunction, string>> = {};

    beforeAll(async () => {
      // Given the handlers built by the same code as generator:build and generator:lambda-deps, into a
      // folder of this test's (a build in dist/ is neither needed nor touched)
      dist = mkdtempSync(join(tmpdir(), 'imagegen-generator-dist-'));
      outdirs.push(dist);
      built = await generatorBundle.bundleGenerator({ outdir: dist });
      for (const handler of ['worker', 'api'])
        generatorBundle.installWorkerDeps({
          workerDir: join(dist, handler),
          cpu: npmCpu(GENERATOR_ARCHITECTURE),
        });
      // And no Docker at all: CDK would run this binary for any Docker step, and it does not exist
      const docker = process.env['CDK_DOCKER'];
      process.env['CDK_DOCKER'] = '/nonexistent/docker';
      try {
        // When the app is synthesized from that folder
        const app = testApp({}, { generatorDist: dist }).app;
        outdirs.push(app.outdir);
        const assembly = app.synth();
        const resources = assembly.getStackByName('ImagegenApp').template.Resources as Resources;
        assets = Object.fromEntries(
          Object.entries(resources)
            .filter(
              ([id, r]) =>
                r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'] && /^Generator/.test(id),
            )
            .map(([id, r]) => [
              /^Generator(Api|Worker|Abandoned)[0-9A-F]{8}$/.exec(id)?.[1] ?? id,
              join(assembly.directory, r.Metadata?.['aws:asset:path'] as string),
            ]),
        );
      } finally {
        if (docker === undefined) delete process.env['CDK_DOCKER'];
        else process.env['CDK_DOCKER'] = docker;
      }
    }, 300_000);

    it('deploys each function’s own bundle, byte for byte as built, without source maps', () => {
      // Then each function's asset holds its handler's index.js exactly as the build wrote it
      expect(Object.keys(assets).sort()).toEqual(['Abandoned', 'Api', 'Worker']);
      for (const [fn, handler] of Object.entries(HANDLER_OF)) {
        const dir = assets[fn as GeneratorFunction] as string;
        expect({
          fn,
          same: readFileSync(join(dir, 'index.js')).equals(readFileSync(join(dist, handler, 'index.js'))),
        }).toEqual({
          fn,
          same: true,
        });
        expect(readdirSync(dir).filter((f) => f.endsWith('.map'))).toEqual([]);
      }
    });

    it('ships sharp in the worker with the Linux binary for the function’s architecture, and only that one', () => {
      // Then the worker asset has sharp and @img/sharp-linux-<cpu> (glibc), an ELF file for that CPU
      const worker = assets.Worker as string;
      const cpu = npmCpu(GENERATOR_ARCHITECTURE);
      expect(JSON.parse(readFileSync(join(worker, 'node_modules/sharp/package.json'), 'utf8')).version).toBe(
        rootSharpVersion(),
      );
      // (sharp 0.35 names the addon with its version: sharp-linux-<cpu>-<version>.node)
      const lib = join(worker, `node_modules/@img/sharp-linux-${cpu}/lib`);
      const addons = readdirSync(lib).filter(
        (f) => f.startsWith(`sharp-linux-${cpu}`) && f.endsWith('.node'),
      );
      expect(addons).toHaveLength(1);
      const binary = readFileSync(join(lib, addons[0]));
      expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(binary.readUInt16LE(18)).toBe(ELF_MACHINE[cpu]);
      expect(existsSync(join(worker, `node_modules/@img/sharp-libvips-linux-${cpu}`))).toBe(true);
      // And no binary for another platform (this machine's, musl, other CPUs) came along
      expect(
        readdirSync(join(worker, 'node_modules/@img'))
          .filter((p) => p.startsWith('sharp-'))
          .sort(),
      ).toEqual([`sharp-libvips-linux-${cpu}`, `sharp-linux-${cpu}`]);
    });

    it('leaves sharp out of the abandoned-job function, and out of every bundle', () => {
      // (The API ships it too: an upload's check decodes the image.)
      expect(existsSync(join(assets.Api as string, 'node_modules/sharp/package.json'))).toBe(true);
      for (const fn of ['Abandoned'] as const) {
        expect({ fn, nodeModules: existsSync(join(assets[fn] as string, 'node_modules')) }).toEqual({
          fn,
          nodeModules: false,
        });
      }
      // esbuild's metafile lists every file it put into a bundle: sharp is loaded from node_modules, never inlined
      for (const [handler, { inputs }] of Object.entries(built)) {
        expect({ handler, inlined: inputs.filter((f) => /node_modules\/(sharp|@img)\//.test(f)) }).toEqual({
          handler,
          inlined: [],
        });
      }
    });

    it('refuses to synthesize from handlers that were not built, saying how to build them', () => {
      const empty = mkdtempSync(join(tmpdir(), 'imagegen-generator-empty-'));
      outdirs.push(empty);
      expect(() => testApp({}, { generatorDist: empty })).toThrow(
        /generator's abandoned handler is not built .*npx nx run generator:lambda-deps/,
      );
    });

    it('refuses a worker without the sharp binary for the functions’ architecture', () => {
      // Given a build whose worker got the other CPU's binary
      const other = mkdtempSync(join(tmpdir(), 'imagegen-generator-other-cpu-'));
      outdirs.push(other);
      for (const handler of Object.values(HANDLER_OF))
        cpSync(join(dist, handler, 'index.js'), join(other, handler, 'index.js'));
      cpSync(join(dist, 'worker/node_modules/sharp'), join(other, 'worker/node_modules/sharp'), {
        recursive: true,
      });
      // Then the synth stops, naming the architecture to install for
      expect(() => testApp({}, { generatorDist: other })).toThrow(
        new RegExp(`no sharp binary for linux-${npmCpu(GENERATOR_ARCHITECTURE)}`),
      );
    });
  });

  it('pins sharp in the worker’s lock file to the root package.json (npm ci refuses a lock out of sync)', () => {
    const lambdaDeps = join(repoRoot(), WORKER_DEPS_LOCK_FILE, '..');
    const lock = JSON.parse(readFileSync(join(lambdaDeps, 'package-lock.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(lambdaDeps, 'package.json'), 'utf8'));
    expect(lock.packages[''].dependencies).toEqual({ sharp: rootSharpVersion() });
    expect(manifest.dependencies).toEqual({ sharp: rootSharpVersion() });
    expect(lock.packages['node_modules/sharp'].version).toBe(rootSharpVersion());
  });
});

/** The exact sharp version of the root package.json (what apps/generator/lambda-deps pins for the worker). */
function rootSharpVersion(): string {
  return JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).dependencies.sharp;
}
