import { matchApiMethod, readCloudModel } from './cloud-model';
import { StackTemplate } from './template-types';

const ENV = { account: '000000000000', region: 'us-west-2' };
const apiArn = { 'Fn::GetAtt': ['ApiFn', 'Arn'] };
const integration = (timeout?: number) => ({
  Type: 'AWS_PROXY',
  IntegrationHttpMethod: 'POST',
  ...(timeout ? { TimeoutInMillis: timeout } : {}),
  Uri: {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':apigateway:',
        { Ref: 'AWS::Region' },
        ':lambda:path/2015-03-31/functions/',
        apiArn,
        '/invocations',
      ],
    ],
  },
});

const data: StackTemplate = {
  stackName: 'Data',
  template: {
    Resources: {
      Jobs: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'g', AttributeType: 'N' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byG',
              KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          ],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
      Images: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          CorsConfiguration: {
            CorsRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://x.test'], MaxAge: 60 }],
          },
          LifecycleConfiguration: {
            Rules: [{ Id: 'r', Status: 'Enabled', ExpirationInDays: 7, Prefix: 'owners/' }],
          },
        },
      },
    },
    Outputs: { T: { Value: { Ref: 'Jobs' }, Export: { Name: 'JobsName' } } },
  },
};

const app: StackTemplate = {
  stackName: 'App',
  template: {
    Resources: {
      Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'api' } },
      Items: {
        Type: 'AWS::ApiGateway::Resource',
        Properties: {
          ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] },
          PathPart: 'items',
          RestApiId: { Ref: 'Api' },
        },
      },
      Item: {
        Type: 'AWS::ApiGateway::Resource',
        Properties: { ParentId: { Ref: 'Items' }, PathPart: '{id}', RestApiId: { Ref: 'Api' } },
      },
      Proxy: {
        Type: 'AWS::ApiGateway::Resource',
        Properties: { ParentId: { Ref: 'Items' }, PathPart: '{proxy+}', RestApiId: { Ref: 'Api' } },
      },
      GetItems: {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          HttpMethod: 'GET',
          AuthorizationType: 'AWS_IAM',
          ResourceId: { Ref: 'Items' },
          RestApiId: { Ref: 'Api' },
          Integration: integration(5000),
        },
      },
      GetItem: {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          HttpMethod: 'GET',
          AuthorizationType: 'AWS_IAM',
          ResourceId: { Ref: 'Item' },
          RestApiId: { Ref: 'Api' },
          Integration: integration(),
        },
      },
      AnyProxy: {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          HttpMethod: 'ANY',
          AuthorizationType: 'NONE',
          ResourceId: { Ref: 'Proxy' },
          RestApiId: { Ref: 'Api' },
          Integration: integration(),
        },
      },
      Stage: {
        Type: 'AWS::ApiGateway::Stage',
        Properties: {
          StageName: 'v1',
          RestApiId: { Ref: 'Api' },
          MethodSettings: [
            { HttpMethod: 'GET', ResourcePath: '/~1items', ThrottlingRateLimit: 1, ThrottlingBurstLimit: 1 },
            { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
          ],
        },
      },
      ApiRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
      ApiPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'ApiRole' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Action: ['dynamodb:GetItem', 'dynamodb:Query'],
                Resource: [
                  {
                    'Fn::Join': [
                      '',
                      [
                        'arn:aws:dynamodb:us-west-2:',
                        { Ref: 'AWS::AccountId' },
                        ':table/',
                        { 'Fn::ImportValue': 'JobsName' },
                      ],
                    ],
                  },
                ],
              },
              {
                Effect: 'Deny',
                NotAction: 's3:GetObject',
                NotResource: 'arn:aws:s3:::b/*',
                Condition: { StringLike: { 's3:prefix': ['owners/*'] } },
              },
            ],
          },
        },
      },
      ApiFn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Handler: 'index.apiHandler',
          Role: { 'Fn::GetAtt': ['ApiRole', 'Arn'] },
          Timeout: 25,
          MemorySize: 512,
          Environment: { Variables: { TABLE: { 'Fn::ImportValue': 'JobsName' }, WORKER: { Ref: 'Worker' } } },
        },
      },
      Worker: {
        Type: 'AWS::Lambda::Function',
        Properties: { Handler: 'index.workerHandler', ReservedConcurrentExecutions: 3 },
      },
      Dead: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.dead' } },
      WorkerConfig: {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: 'Worker' },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 1,
          MaximumEventAgeInSeconds: 600,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Dead', 'Arn'] } } },
        },
      },
    },
  },
};

describe(readCloudModel.name, () => {
  const model = readCloudModel([data, app], ENV);

  it('reads the REST API: full paths over the ParentId chain, methods, auth, integration timeouts and target, the stage', () => {
    const [api] = model.restApis;
    expect(api.stageName).toBe('v1');
    // The stage-wide throttle (every method), not one method's
    expect(api.throttle).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect(
      api.methods.map((m) => [m.httpMethod, m.path, m.authorizationType, m.integration?.timeoutMs]),
    ).toEqual([
      ['GET', '/items', 'AWS_IAM', 5000],
      ['GET', '/items/{id}', 'AWS_IAM', 29_000],
      ['ANY', '/items/{proxy+}', 'NONE', 29_000],
    ]);
    expect(api.methods[0].integration).toMatchObject({
      functionLogicalId: 'ApiFn',
      functionName: 'App-ApiFn',
    });
  });

  it('reads each function: handler, resolved environment, timeout, memory, concurrency, role, async config', () => {
    const byId = Object.fromEntries(model.functions.map((f) => [f.logicalId, f]));
    expect(byId['ApiFn']).toMatchObject({
      handlerExport: 'apiHandler',
      environment: { TABLE: 'Data-Jobs', WORKER: 'App-Worker' },
      timeoutSeconds: 25,
      memorySize: 512,
      roleLogicalId: 'ApiRole',
      roleArn: 'arn:aws:iam::000000000000:role/App-ApiRole',
    });
    expect(byId['Worker']).toMatchObject({
      timeoutSeconds: 3,
      memorySize: 128,
      reservedConcurrentExecutions: 3,
      asyncConfig: {
        maximumRetryAttempts: 1,
        maximumEventAgeInSeconds: 600,
        onFailure: 'arn:aws:lambda:us-west-2:000000000000:function:App-Dead',
      },
    });
    expect(byId['Dead'].asyncConfig).toBeUndefined();
  });

  it('reads each queue (URL, ARN, visibility, retention, redrive) and a function’s SQS event source mapping (MaximumConcurrency)', () => {
    const queues: StackTemplate = {
      stackName: 'Q',
      template: {
        Resources: {
          Dlq: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } },
          Work: {
            Type: 'AWS::SQS::Queue',
            Properties: {
              VisibilityTimeout: 2520,
              MessageRetentionPeriod: 86400,
              RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
            },
          },
          Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Timeout: 420 } },
          Mapping: {
            Type: 'AWS::Lambda::EventSourceMapping',
            Properties: {
              FunctionName: { Ref: 'Fn' },
              EventSourceArn: { 'Fn::GetAtt': ['Work', 'Arn'] },
              BatchSize: 1,
              FunctionResponseTypes: ['ReportBatchItemFailures'],
              ScalingConfig: { MaximumConcurrency: 4 },
            },
          },
        },
      },
    };
    const m = readCloudModel([queues], ENV);
    const byId = Object.fromEntries(m.queues.map((q) => [q.logicalId, q]));
    expect(byId['Work']).toMatchObject({
      queueName: 'Q-Work',
      queueUrl: 'https://sqs.us-west-2.amazonaws.com/000000000000/Q-Work',
      arn: 'arn:aws:sqs:us-west-2:000000000000:Q-Work',
      visibilityTimeoutSeconds: 2520,
      messageRetentionSeconds: 86400,
      redrive: { deadLetterTargetArn: 'arn:aws:sqs:us-west-2:000000000000:Q-Dlq', maxReceiveCount: 5 },
      sqsManagedSse: false,
    });
    expect(byId['Dlq']).toMatchObject({ visibilityTimeoutSeconds: 30, sqsManagedSse: true });
    expect(byId['Dlq'].redrive).toBeUndefined();
    expect(m.functions[0].eventSources).toEqual([
      {
        logicalId: 'Mapping',
        eventSourceArn: 'arn:aws:sqs:us-west-2:000000000000:Q-Work',
        batchSize: 1,
        enabled: true,
        maximumConcurrency: 4,
        functionResponseTypes: ['ReportBatchItemFailures'],
      },
    ]);
  });

  it("reads the bucket's CORS and lifecycle rules and the table's keys, indexes and TTL", () => {
    expect(model.buckets[0]).toMatchObject({
      bucketName: 'data-images',
      cors: [{ allowedMethods: ['GET'], allowedOrigins: ['https://x.test'], maxAge: 60 }],
      lifecycle: [{ id: 'r', enabled: true, prefix: 'owners/', expirationInDays: 7 }],
    });
    expect(model.tables[0]).toMatchObject({
      tableName: 'Data-Jobs',
      keySchema: data.template.Resources['Jobs'].Properties?.['KeySchema'],
      timeToLiveAttribute: 'expiresAt',
      billingMode: 'PAY_PER_REQUEST',
    });
    expect(model.tables[0].globalSecondaryIndexes.map((i) => i.IndexName)).toEqual(['byG']);
  });

  it("exports each role's statements as plain IAM JSON (RolePolicies), intrinsics resolved", () => {
    expect(model.roles).toEqual([
      {
        roleLogicalId: 'ApiRole',
        roleName: 'App-ApiRole',
        roleArn: 'arn:aws:iam::000000000000:role/App-ApiRole',
        stackName: 'App',
        statements: [
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:Query'],
            Resource: ['arn:aws:dynamodb:us-west-2:000000000000:table/Data-Jobs'],
          },
          {
            Effect: 'Deny',
            NotAction: 's3:GetObject',
            NotResource: 'arn:aws:s3:::b/*',
            Condition: { StringLike: { 's3:prefix': ['owners/*'] } },
          },
        ],
        managedPolicyArns: [],
      },
    ]);
  });

  it('a template without the TTL or a method gives a model without them', () => {
    const noTtl = structuredClone(data);
    delete (noTtl.template.Resources['Jobs'].Properties as Record<string, unknown>)[
      'TimeToLiveSpecification'
    ];
    const fewer = structuredClone(app);
    delete (fewer.template.Resources as Record<string, unknown>)['GetItem'];
    const changed = readCloudModel([noTtl, fewer], ENV);
    expect(changed.tables[0].timeToLiveAttribute).toBeUndefined();
    expect(matchApiMethod(changed.restApis[0], 'GET', '/items/1')?.method.path).toBe('/items/{proxy+}');
  });
});

describe(matchApiMethod.name, () => {
  const [api] = readCloudModel([data, app], ENV).restApis;

  it('picks the most specific resource (literal, then {param}, then greedy {proxy+}) and the exact method over ANY', () => {
    expect(matchApiMethod(api, 'GET', '/items')?.method.logicalId).toBe('GetItems');
    expect(matchApiMethod(api, 'GET', '/items/42')).toEqual({
      method: expect.objectContaining({ logicalId: 'GetItem' }),
      pathParameters: { id: '42' },
    });
    expect(matchApiMethod(api, 'DELETE', '/items/42')?.method.logicalId).toBe('AnyProxy');
    expect(matchApiMethod(api, 'GET', '/items/a/b')?.pathParameters).toEqual({ proxy: 'a/b' });
  });

  it('matches nothing for a path or method no method covers (API Gateway: 403 Missing Authentication Token)', () => {
    expect(matchApiMethod(api, 'GET', '/')).toBeUndefined();
    expect(matchApiMethod(api, 'POST', '/items')).toBeUndefined();
    expect(matchApiMethod(api, 'GET', '/other')).toBeUndefined();
  });
});

describe('roles with a managed policy attached by its Roles (a CDK overflow policy)', () => {
  it("counts the managed policy's statements as the role's", () => {
    const stack: StackTemplate = {
      stackName: 'Overflow',
      template: {
        Resources: {
          WorkerRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
          WorkerOverflow: {
            Type: 'AWS::IAM::ManagedPolicy',
            Properties: {
              Roles: [{ Ref: 'WorkerRole' }],
              PolicyDocument: {
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: 'bedrock:InvokeModel',
                    Resource: 'arn:aws:bedrock:us-west-2::foundation-model/m',
                  },
                ],
              },
            },
          },
        },
      },
    };
    const [role] = readCloudModel([stack], ENV).roles;
    expect(role.statements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'bedrock:InvokeModel' }),
    ]);
  });
});
