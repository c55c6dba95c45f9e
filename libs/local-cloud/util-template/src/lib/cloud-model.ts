import { TemplateResolver } from './resolver';
import {
  CfnResource,
  LocalEnvironment,
  PolicyStatement,
  RolePolicies,
  StackTemplate,
} from './template-types';

/** One method of the REST API: what API Gateway answers a request with this method and path. */
export interface ApiMethodModel {
  readonly logicalId: string;
  /** The resource's full path (`/`, `/generations/{id}`, `/generations/{proxy+}`). */
  readonly path: string;
  /** GET, POST, …, or ANY. */
  readonly httpMethod: string;
  /** NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS. */
  readonly authorizationType: string;
  readonly integration?: {
    /** AWS_PROXY, AWS, HTTP, HTTP_PROXY, MOCK. */
    readonly type: string;
    /** Integration timeout (API Gateway's default 29 000 when the template names none). */
    readonly timeoutMs: number;
    readonly uri?: string;
    /** The Lambda function the integration calls (AWS_PROXY to a function of the assembly). */
    readonly functionLogicalId?: string;
    readonly functionName?: string;
  };
}

export interface RestApiModel {
  readonly logicalId: string;
  readonly stackName: string;
  /** The (local) API id. */
  readonly id: string;
  readonly name?: string;
  /** The stage (from AWS::ApiGateway::Stage, else the deployment's StageName). */
  readonly stageName?: string;
  readonly methods: ApiMethodModel[];
  /** The resource policy, if the RestApi has one. */
  readonly policy?: { readonly Version?: string; readonly Statement: PolicyStatement[] };
  /**
   * The stage's throttle: its MethodSettings for every method (`HttpMethod` `*`, `ResourcePath` `/*`),
   * ThrottlingRateLimit requests a second and a ThrottlingBurstLimit bucket.
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

export interface AsyncInvokeConfigModel {
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeInSeconds?: number;
  /** ARN of the on-failure destination (a function, queue, topic or bus). */
  readonly onFailure?: string;
  readonly onSuccess?: string;
}

export interface EventSourceMappingModel {
  readonly logicalId: string;
  readonly eventSourceArn?: string;
  readonly batchSize?: number;
  readonly enabled: boolean;
  /** ScalingConfig.MaximumConcurrency (SQS only): invocations the mapping runs at once, at most. */
  readonly maximumConcurrency?: number;
  /** FunctionResponseTypes, e.g. `ReportBatchItemFailures` (partial batch responses). */
  readonly functionResponseTypes: string[];
}

/** An AWS::SQS::Queue: its name, URL and ARN (resolved for the local account) and its settings. */
export interface QueueModel {
  readonly logicalId: string;
  readonly stackName: string;
  readonly queueName: string;
  readonly queueUrl: string;
  readonly arn: string;
  /** Seconds (SQS's default 30). */
  readonly visibilityTimeoutSeconds: number;
  /** Seconds (SQS's default 345,600: 4 days). */
  readonly messageRetentionSeconds: number;
  readonly maximumMessageSize?: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
  readonly sqsManagedSse: boolean;
}

export interface LambdaFunctionModel {
  readonly logicalId: string;
  readonly stackName: string;
  readonly functionName: string;
  readonly arn: string;
  /** `file.export`, e.g. `index.workerHandler`. */
  readonly handler?: string;
  /** The part after the last dot of the handler: the export the bundle's entry point names. */
  readonly handlerExport?: string;
  readonly runtime?: string;
  /** Environment variables, every intrinsic resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** Seconds (Lambda's default 3 when the template names none). */
  readonly timeoutSeconds: number;
  /** MB (default 128). */
  readonly memorySize: number;
  readonly reservedConcurrentExecutions?: number;
  readonly roleLogicalId?: string;
  readonly roleArn?: string;
  /** AWS::Lambda::EventInvokeConfig of the function (asynchronous invocation), if any. */
  readonly asyncConfig?: AsyncInvokeConfigModel;
  readonly eventSources: EventSourceMappingModel[];
}

export interface CorsRuleModel {
  readonly allowedMethods: string[];
  readonly allowedOrigins: string[];
  readonly allowedHeaders: string[];
  readonly exposedHeaders: string[];
  readonly maxAge?: number;
}

export interface LifecycleRuleModel {
  readonly id?: string;
  readonly enabled: boolean;
  /** Objects under this prefix (empty: every object). */
  readonly prefix: string;
  readonly expirationInDays?: number;
  readonly abortIncompleteMultipartUploadDays?: number;
  readonly noncurrentVersionExpirationInDays?: number;
}

export interface BucketModel {
  readonly logicalId: string;
  readonly stackName: string;
  readonly bucketName: string;
  readonly arn: string;
  readonly cors: CorsRuleModel[];
  readonly lifecycle: LifecycleRuleModel[];
  readonly versioned: boolean;
}

export interface KeySchemaElement {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
}
export interface AttributeDefinition {
  readonly AttributeName: string;
  readonly AttributeType: 'S' | 'N' | 'B';
}
export interface SecondaryIndexModel {
  readonly IndexName: string;
  readonly KeySchema: KeySchemaElement[];
  readonly Projection: { readonly ProjectionType?: string; readonly NonKeyAttributes?: string[] };
}

export interface TableModel {
  readonly logicalId: string;
  readonly stackName: string;
  readonly tableName: string;
  readonly arn: string;
  readonly keySchema: KeySchemaElement[];
  readonly attributeDefinitions: AttributeDefinition[];
  readonly globalSecondaryIndexes: SecondaryIndexModel[];
  readonly localSecondaryIndexes: SecondaryIndexModel[];
  /** The TTL attribute, when TTL is enabled. */
  readonly timeToLiveAttribute?: string;
  readonly billingMode: string;
}

/** Everything the local cloud reads from the synthesized templates. */
export interface CloudModel {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackNames: string[];
  readonly restApis: RestApiModel[];
  readonly functions: LambdaFunctionModel[];
  readonly buckets: BucketModel[];
  readonly tables: TableModel[];
  readonly queues: QueueModel[];
  readonly roles: RolePolicies[];
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v: unknown): number | undefined =>
  v === undefined || v === null || v === '' ? undefined : Number(v);

/** A logical id from `{ Ref }` or `{ Fn::GetAtt: [id, …] }`, before resolution. */
function referencedId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v['Ref'] === 'string') return v['Ref'];
    const att = v['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
    if (typeof att === 'string') return att.split('.')[0];
  }
  return undefined;
}

/** IAM JSON with every intrinsic resolved: the statement list of a policy document. */
export function policyStatements(
  resolver: TemplateResolver,
  stackName: string,
  doc: unknown,
): PolicyStatement[] {
  const resolved = resolver.resolve(stackName, doc) as { Statement?: unknown } | undefined;
  return asArray(resolved?.Statement as PolicyStatement | PolicyStatement[] | undefined);
}

function restApis(resolver: TemplateResolver): RestApiModel[] {
  return resolver.resourcesOfType('AWS::ApiGateway::RestApi').map(({ stackName, logicalId, resource }) => {
    const template = resolver.template(stackName);
    const belongs = (r: CfnResource) => referencedId(r.Properties?.['RestApiId']) === logicalId;
    const paths = new Map<string, string>();
    const pathOf = (parent: unknown): string => {
      const id = referencedId(parent);
      if (id === undefined || id === logicalId) return ''; // the RestApi's RootResourceId
      const known = paths.get(id);
      if (known !== undefined) return known;
      const r = template.Resources[id];
      if (!r || r.Type !== 'AWS::ApiGateway::Resource') return '';
      const path = `${pathOf(r.Properties?.['ParentId'])}/${resolver.resolveString(stackName, r.Properties?.['PathPart'])}`;
      paths.set(id, path);
      return path;
    };
    const functionsByArn = new Map(
      resolver
        .resourcesOfType('AWS::Lambda::Function')
        .map((f) => [
          String(resolver.attribute(f.stackName, f.logicalId, 'Arn')),
          { logicalId: f.logicalId, name: resolver.physicalId(f.stackName, f.logicalId) },
        ]),
    );
    const methods: ApiMethodModel[] = [];
    let stageName: string | undefined;
    let throttle: RestApiModel['throttle'];
    for (const [id, r] of Object.entries(template.Resources)) {
      if (!belongs(r)) continue;
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::ApiGateway::Stage') {
        stageName = resolver.resolveString(stackName, p['StageName']);
        const settings = asArray(
          resolver.resolve(stackName, p['MethodSettings']) as Record<string, unknown>[] | undefined,
        );
        const all = settings.find((m) => m['HttpMethod'] === '*' && m['ResourcePath'] === '/*');
        const rateLimit = num(all?.['ThrottlingRateLimit']);
        const burstLimit = num(all?.['ThrottlingBurstLimit']);
        if (rateLimit !== undefined && burstLimit !== undefined) throttle = { rateLimit, burstLimit };
      }
      if (r.Type === 'AWS::ApiGateway::Deployment' && p['StageName'] !== undefined)
        stageName ??= resolver.resolveString(stackName, p['StageName']);
      if (r.Type !== 'AWS::ApiGateway::Method') continue;
      const integration = p['Integration'] as Record<string, unknown> | undefined;
      const uri =
        integration?.['Uri'] === undefined
          ? undefined
          : resolver.resolveString(stackName, integration['Uri']);
      const fnArn = /:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(uri ?? '')?.[1];
      const fn = fnArn ? functionsByArn.get(fnArn) : undefined;
      methods.push({
        logicalId: id,
        path: pathOf(p['ResourceId']) || '/',
        httpMethod: resolver.resolveString(stackName, p['HttpMethod']).toUpperCase(),
        authorizationType:
          p['AuthorizationType'] === undefined
            ? 'NONE'
            : resolver.resolveString(stackName, p['AuthorizationType']),
        ...(integration
          ? {
              integration: {
                type: resolver.resolveString(stackName, integration['Type']),
                timeoutMs: num(resolver.resolve(stackName, integration['TimeoutInMillis'])) ?? 29_000,
                ...(uri ? { uri } : {}),
                ...(fn ? { functionLogicalId: fn.logicalId, functionName: fn.name } : {}),
              },
            }
          : {}),
      });
    }
    const props = resource.Properties ?? {};
    const policy =
      props['Policy'] === undefined
        ? undefined
        : (resolver.resolve(stackName, props['Policy']) as RestApiModel['policy']);
    return {
      logicalId,
      stackName,
      id: resolver.physicalId(stackName, logicalId),
      ...(props['Name'] !== undefined ? { name: resolver.resolveString(stackName, props['Name']) } : {}),
      ...(stageName !== undefined ? { stageName } : {}),
      methods: methods.sort(
        (a, b) => a.path.localeCompare(b.path) || a.httpMethod.localeCompare(b.httpMethod),
      ),
      ...(policy ? { policy: { ...policy, Statement: asArray(policy.Statement) } } : {}),
      ...(throttle ? { throttle } : {}),
    };
  });
}

function functions(resolver: TemplateResolver): LambdaFunctionModel[] {
  const configs = resolver.resourcesOfType('AWS::Lambda::EventInvokeConfig');
  const mappings = resolver.resourcesOfType('AWS::Lambda::EventSourceMapping');
  return resolver.resourcesOfType('AWS::Lambda::Function').map(({ stackName, logicalId, resource }) => {
    const p = resource.Properties ?? {};
    const functionName = resolver.physicalId(stackName, logicalId);
    const arn = String(resolver.attribute(stackName, logicalId, 'Arn'));
    const names = new Set([functionName, arn]);
    const forThis = (fn: unknown, s: string) => {
      const resolved = resolver.resolveString(s, fn);
      return names.has(resolved) || names.has(resolved.replace(/:\$LATEST$/, ''));
    };
    const config = configs.find(
      (c) => c.stackName === stackName && forThis(c.resource.Properties?.['FunctionName'], stackName),
    );
    const cp = config
      ? (resolver.resolve(stackName, config.resource.Properties) as Record<string, unknown>)
      : undefined;
    const destinations = cp?.['DestinationConfig'] as
      | { OnFailure?: { Destination?: string }; OnSuccess?: { Destination?: string } }
      | undefined;
    const env = resolver.resolve(
      stackName,
      (p['Environment'] as { Variables?: unknown } | undefined)?.Variables ?? {},
    ) as Record<string, unknown>;
    const handler = p['Handler'] === undefined ? undefined : resolver.resolveString(stackName, p['Handler']);
    const reserved = num(resolver.resolve(stackName, p['ReservedConcurrentExecutions']));
    const roleLogicalId = referencedId(p['Role']);
    return {
      logicalId,
      stackName,
      functionName,
      arn,
      ...(handler ? { handler, handlerExport: handler.slice(handler.lastIndexOf('.') + 1) } : {}),
      ...(p['Runtime'] !== undefined ? { runtime: resolver.resolveString(stackName, p['Runtime']) } : {}),
      environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
      timeoutSeconds: num(resolver.resolve(stackName, p['Timeout'])) ?? 3,
      memorySize: num(resolver.resolve(stackName, p['MemorySize'])) ?? 128,
      ...(reserved !== undefined ? { reservedConcurrentExecutions: reserved } : {}),
      ...(roleLogicalId ? { roleLogicalId } : {}),
      ...(p['Role'] !== undefined ? { roleArn: resolver.resolveString(stackName, p['Role']) } : {}),
      ...(cp
        ? {
            asyncConfig: {
              ...(num(cp['MaximumRetryAttempts']) !== undefined
                ? { maximumRetryAttempts: num(cp['MaximumRetryAttempts']) }
                : {}),
              ...(num(cp['MaximumEventAgeInSeconds']) !== undefined
                ? { maximumEventAgeInSeconds: num(cp['MaximumEventAgeInSeconds']) }
                : {}),
              ...(destinations?.OnFailure?.Destination
                ? { onFailure: destinations.OnFailure.Destination }
                : {}),
              ...(destinations?.OnSuccess?.Destination
                ? { onSuccess: destinations.OnSuccess.Destination }
                : {}),
            },
          }
        : {}),
      eventSources: mappings
        .filter(
          (m) => m.stackName === stackName && forThis(m.resource.Properties?.['FunctionName'], stackName),
        )
        .map((m) => {
          const mp = resolver.resolve(stackName, m.resource.Properties) as Record<string, unknown>;
          return {
            logicalId: m.logicalId,
            ...(mp['EventSourceArn'] ? { eventSourceArn: String(mp['EventSourceArn']) } : {}),
            ...(num(mp['BatchSize']) !== undefined ? { batchSize: num(mp['BatchSize']) } : {}),
            enabled: mp['Enabled'] !== false && mp['Enabled'] !== 'false',
            ...(num(
              (mp['ScalingConfig'] as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency,
            ) !== undefined
              ? {
                  maximumConcurrency: num(
                    (mp['ScalingConfig'] as { MaximumConcurrency?: unknown }).MaximumConcurrency,
                  ),
                }
              : {}),
            functionResponseTypes: asArray(mp['FunctionResponseTypes'] as string | string[] | undefined).map(
              String,
            ),
          };
        }),
    };
  });
}

function buckets(resolver: TemplateResolver): BucketModel[] {
  return resolver.resourcesOfType('AWS::S3::Bucket').map(({ stackName, logicalId, resource }) => {
    const p = resolver.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
    const cors = asArray(
      (p['CorsConfiguration'] as { CorsRules?: Record<string, unknown>[] } | undefined)?.CorsRules,
    );
    const rules = asArray(
      (p['LifecycleConfiguration'] as { Rules?: Record<string, unknown>[] } | undefined)?.Rules,
    );
    const strings = (v: unknown) => asArray(v as string | string[] | undefined).map(String);
    return {
      logicalId,
      stackName,
      bucketName: resolver.physicalId(stackName, logicalId),
      arn: String(resolver.attribute(stackName, logicalId, 'Arn')),
      cors: cors.map((r) => ({
        allowedMethods: strings(r['AllowedMethods']),
        allowedOrigins: strings(r['AllowedOrigins']),
        allowedHeaders: strings(r['AllowedHeaders']),
        exposedHeaders: strings(r['ExposedHeaders']),
        ...(num(r['MaxAge']) !== undefined ? { maxAge: num(r['MaxAge']) } : {}),
      })),
      lifecycle: rules.map((r) => {
        const filterPrefix = (r['Filter'] as { Prefix?: string } | undefined)?.Prefix;
        const abort = r['AbortIncompleteMultipartUpload'] as { DaysAfterInitiation?: number } | undefined;
        const noncurrent = r['NoncurrentVersionExpiration'] as { NoncurrentDays?: number } | undefined;
        return {
          ...(r['Id'] ? { id: String(r['Id']) } : {}),
          enabled: r['Status'] !== 'Disabled',
          prefix: String(r['Prefix'] ?? filterPrefix ?? ''),
          ...(num(r['ExpirationInDays']) !== undefined
            ? { expirationInDays: num(r['ExpirationInDays']) }
            : {}),
          ...(num(abort?.DaysAfterInitiation) !== undefined
            ? { abortIncompleteMultipartUploadDays: num(abort?.DaysAfterInitiation) }
            : {}),
          ...(num(noncurrent?.NoncurrentDays ?? r['NoncurrentVersionExpirationInDays']) !== undefined
            ? {
                noncurrentVersionExpirationInDays: num(
                  noncurrent?.NoncurrentDays ?? r['NoncurrentVersionExpirationInDays'],
                ),
              }
            : {}),
        };
      }),
      versioned: (p['VersioningConfiguration'] as { Status?: string } | undefined)?.Status === 'Enabled',
    };
  });
}

function queues(resolver: TemplateResolver): QueueModel[] {
  return resolver.resourcesOfType('AWS::SQS::Queue').map(({ stackName, logicalId, resource }) => {
    const p = resolver.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
    const queueUrl = resolver.physicalId(stackName, logicalId);
    const redrive = (
      typeof p['RedrivePolicy'] === 'string' ? JSON.parse(p['RedrivePolicy']) : p['RedrivePolicy']
    ) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown } | undefined;
    const maxSize = num(p['MaximumMessageSize']);
    return {
      logicalId,
      stackName,
      queueName: queueUrl.split('/').pop() ?? queueUrl,
      queueUrl,
      arn: String(resolver.attribute(stackName, logicalId, 'Arn')),
      visibilityTimeoutSeconds: num(p['VisibilityTimeout']) ?? 30,
      messageRetentionSeconds: num(p['MessageRetentionPeriod']) ?? 345_600,
      ...(maxSize !== undefined ? { maximumMessageSize: maxSize } : {}),
      ...(redrive?.deadLetterTargetArn && num(redrive.maxReceiveCount) !== undefined
        ? {
            redrive: {
              deadLetterTargetArn: String(redrive.deadLetterTargetArn),
              maxReceiveCount: num(redrive.maxReceiveCount) as number,
            },
          }
        : {}),
      sqsManagedSse: p['SqsManagedSseEnabled'] === true || p['SqsManagedSseEnabled'] === 'true',
    };
  });
}

function tables(resolver: TemplateResolver): TableModel[] {
  return resolver.resourcesOfType('AWS::DynamoDB::Table').map(({ stackName, logicalId, resource }) => {
    const p = resolver.resolve(stackName, resource.Properties ?? {}) as Record<string, unknown>;
    const ttl = p['TimeToLiveSpecification'] as
      | { AttributeName?: string; Enabled?: boolean | string }
      | undefined;
    const ttlOn = ttl?.AttributeName && (ttl.Enabled === true || ttl.Enabled === 'true');
    return {
      logicalId,
      stackName,
      tableName: resolver.physicalId(stackName, logicalId),
      arn: String(resolver.attribute(stackName, logicalId, 'Arn')),
      keySchema: asArray(p['KeySchema'] as KeySchemaElement[]),
      attributeDefinitions: asArray(p['AttributeDefinitions'] as AttributeDefinition[]),
      globalSecondaryIndexes: asArray(p['GlobalSecondaryIndexes'] as SecondaryIndexModel[]),
      localSecondaryIndexes: asArray(p['LocalSecondaryIndexes'] as SecondaryIndexModel[]),
      ...(ttlOn ? { timeToLiveAttribute: ttl.AttributeName } : {}),
      billingMode: String(p['BillingMode'] ?? 'PROVISIONED'),
    };
  });
}

/**
 * The identity policies of every role in the assembly: each role's inline Policies, and every
 * AWS::IAM::Policy or AWS::IAM::ManagedPolicy whose Roles name it (by Ref or by name), statements
 * resolved to plain IAM JSON. CDK moves statements past a role's inline policy size into such managed
 * policies ("OverflowPolicy"), attached by their Roles property
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html).
 */
export function rolePolicies(resolver: TemplateResolver): RolePolicies[] {
  const policies = [
    ...resolver.resourcesOfType('AWS::IAM::Policy'),
    ...resolver.resourcesOfType('AWS::IAM::ManagedPolicy'),
  ];
  return resolver.resourcesOfType('AWS::IAM::Role').map(({ stackName, logicalId, resource }) => {
    const p = resource.Properties ?? {};
    const roleName = resolver.physicalId(stackName, logicalId);
    const inline = asArray(p['Policies'] as { PolicyDocument: unknown }[] | undefined).flatMap((pol) =>
      policyStatements(resolver, stackName, pol.PolicyDocument),
    );
    const attached = policies
      .filter(({ stackName: s, resource: pol }) => {
        const roles = asArray(pol.Properties?.['Roles'] as unknown[] | undefined);
        return roles.some((r) =>
          s === stackName && referencedId(r) === logicalId ? true : resolver.resolve(s, r) === roleName,
        );
      })
      .flatMap(({ stackName: s, resource: pol }) =>
        policyStatements(resolver, s, pol.Properties?.['PolicyDocument']),
      );
    return {
      roleLogicalId: logicalId,
      roleName,
      roleArn: String(resolver.attribute(stackName, logicalId, 'Arn')),
      stackName,
      statements: [...inline, ...attached],
      managedPolicyArns: asArray(
        resolver.resolve(stackName, p['ManagedPolicyArns']) as string[] | undefined,
      ).map(String),
    };
  });
}

/** Reads the whole local model from the stacks of one assembly, for one local account and region. */
export function readCloudModel(stacks: readonly StackTemplate[], env: LocalEnvironment): CloudModel {
  const resolver = new TemplateResolver(stacks, env);
  return {
    account: resolver.account,
    region: resolver.region,
    partition: resolver.partition,
    stackNames: resolver.stackNames(),
    restApis: restApis(resolver),
    functions: functions(resolver),
    buckets: buckets(resolver),
    tables: tables(resolver),
    queues: queues(resolver),
    roles: rolePolicies(resolver),
  };
}

/** Lexicographic: the first segment that differs decides. */
function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The API method that answers `method path` (what API Gateway selects): the most specific resource
 * path first (literal parts over `{param}` over a greedy `{proxy+}`), then the exact method over ANY.
 * Undefined: API Gateway answers 403 Missing Authentication Token.
 */
export function matchApiMethod(
  api: Pick<RestApiModel, 'methods'>,
  httpMethod: string,
  path: string,
): { method: ApiMethodModel; pathParameters: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  let best: { method: ApiMethodModel; pathParameters: Record<string, string>; score: number[] } | undefined;
  for (const m of api.methods) {
    if (m.httpMethod !== 'ANY' && m.httpMethod !== httpMethod.toUpperCase()) continue;
    const pattern = m.path.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    const score: number[] = [];
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const seg = pattern[i];
      const greedy = /^\{(\w+)\+\}$/.exec(seg);
      if (greedy) {
        const rest = parts.slice(i);
        if (rest.length === 0 || i !== pattern.length - 1) ok = false;
        else params[greedy[1]] = rest.join('/');
        score.push(0);
        break;
      }
      if (i >= parts.length) ok = false;
      else if (/^\{\w+\}$/.test(seg)) {
        params[seg.slice(1, -1)] = parts[i];
        score.push(1);
      } else if (seg === parts[i]) score.push(2);
      else ok = false;
    }
    const greedyEnd = /\+\}$/.test(pattern[pattern.length - 1] ?? '');
    if (!ok || (!greedyEnd && pattern.length !== parts.length)) continue;
    score.push(m.httpMethod === 'ANY' ? 0 : 1);
    const better = !best || compareScores(score, best.score) > 0;
    if (better) best = { method: m, pathParameters: params, score };
  }
  return best && { method: best.method, pathParameters: best.pathParameters };
}
