import { ConditionContext } from './policy';

// Request → (action, resource, context) per service, after the Service Authorization Reference pages
// of each service and /work/shared/aws/IAM.md (see docs/adr/0008-local-iam-enforcement.md).

/** One authorization a request needs: a request may need several (CopyObject, DeleteObjects, transactions). */
export interface ServiceCall {
  readonly action: string;
  readonly resource: string;
  readonly context: ConditionContext;
}

/** Where a request is made: the region of its SigV4 credential scope and the (local) account. */
export interface RequestScope {
  readonly region: string;
  readonly account: string;
  /**
   * DynamoDB: the table's partition key attribute, so an item request carries `dynamodb:LeadingKeys`
   * (the partition key value it touches) as AWS sets it for fine-grained access control
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
   */
  readonly partitionKey?: string;
}

const call = (
  scope: RequestScope,
  action: string,
  resource: string,
  extra: Record<string, string | undefined> = {},
): ServiceCall => {
  const context: Record<string, string> = { 'aws:RequestedRegion': scope.region };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) context[k] = v;
  return { action, resource, context };
};

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  return {
    path: q < 0 ? url : url.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
  };
}

// ---------------------------------------------------------------- S3 (path-style requests)

export interface S3Request {
  readonly method: string;
  /** Path and query as received (path-style: `/bucket/key`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: Buffer | string;
}

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : (XML_ENTITIES[e.toLowerCase()] ?? ''),
  );
}

/** The objects a DeleteObjects (POST ?delete) body names: key and version id. */
export function deleteObjectsKeys(body: Buffer | string): { key: string; versionId?: string }[] {
  const xml = typeof body === 'string' ? body : body.toString('utf8');
  const out: { key: string; versionId?: string }[] = [];
  for (const [, entry] of xml.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(entry)?.[1];
    if (key === undefined) continue;
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(entry)?.[1];
    out.push({ key: xmlText(key), ...(versionId !== undefined ? { versionId: xmlText(versionId) } : {}) });
  }
  return out;
}

/** The `key` field of a browser POST upload (multipart/form-data), if any. */
function formKey(headers: S3Request['headers'], body: Buffer | string | undefined): string | undefined {
  const type = String(headers['content-type'] ?? '');
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
  if (!boundary || body === undefined) return undefined;
  const text = (typeof body === 'string' ? body : body.toString('latin1')).split(
    `--${boundary[1] ?? boundary[2]}`,
  );
  for (const part of text) {
    const m =
      /^\r?\nContent-Disposition:[^\r\n]*name="key"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n?$/i.exec(
        part,
      );
    if (m) return m[1];
  }
  return undefined;
}

const s3Object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const s3Bucket = (bucket: string) => `arn:aws:s3:::${bucket}`;

/** Bucket sub-resources (`GET /bucket?cors` …) and their actions. */
const BUCKET_SUBRESOURCES: Readonly<Record<string, readonly [get: string, put: string, del: string]>> = {
  cors: ['s3:GetBucketCORS', 's3:PutBucketCORS', 's3:PutBucketCORS'],
  lifecycle: ['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration', 's3:PutLifecycleConfiguration'],
  location: ['s3:GetBucketLocation', 's3:GetBucketLocation', 's3:GetBucketLocation'],
  policy: ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
  tagging: ['s3:GetBucketTagging', 's3:PutBucketTagging', 's3:PutBucketTagging'],
  versioning: ['s3:GetBucketVersioning', 's3:PutBucketVersioning', 's3:PutBucketVersioning'],
  website: ['s3:GetBucketWebsite', 's3:PutBucketWebsite', 's3:DeleteBucketWebsite'],
  acl: ['s3:GetBucketAcl', 's3:PutBucketAcl', 's3:PutBucketAcl'],
  uploads: [
    's3:ListBucketMultipartUploads',
    's3:ListBucketMultipartUploads',
    's3:ListBucketMultipartUploads',
  ],
  versions: ['s3:ListBucketVersions', 's3:ListBucketVersions', 's3:ListBucketVersions'],
};

/**
 * The authorizations an S3 request needs: GetObject/HeadObject → s3:GetObject; PutObject (and the parts
 * of a multipart upload, and a POST form upload) → s3:PutObject; CopyObject → s3:GetObject on the source
 * and s3:PutObject on the target; DeleteObject → s3:DeleteObject (s3:DeleteObjectVersion with a
 * versionId; s3:AbortMultipartUpload with an uploadId); DeleteObjects → one s3:DeleteObject per key;
 * ListObjects(V2)/HeadBucket → s3:ListBucket on the bucket with s3:prefix, s3:delimiter, s3:max-keys.
 */
export function s3Calls(request: S3Request, scope: RequestScope): ServiceCall[] {
  const { path, query } = splitUrl(request.url);
  const method = request.method.toUpperCase();
  const slash = path.indexOf('/', 1);
  const bucket = decode(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const key = slash < 0 ? '' : decode(path.slice(slash + 1));
  if (!bucket) return [call(scope, 's3:ListAllMyBuckets', '*')];
  const versionId = query.get('versionId') ?? undefined;
  const versionKeys = versionId ? { 's3:versionid': versionId } : {};

  if (key) {
    const arn = s3Object(bucket, key);
    if (method === 'GET' || method === 'HEAD') {
      if (query.has('tagging'))
        return [call(scope, versionId ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging', arn)];
      if (query.has('acl'))
        return [call(scope, versionId ? 's3:GetObjectVersionAcl' : 's3:GetObjectAcl', arn)];
      if (query.has('uploadId')) return [call(scope, 's3:ListMultipartUploadParts', arn)];
      return [call(scope, versionId ? 's3:GetObjectVersion' : 's3:GetObject', arn, versionKeys)];
    }
    if (method === 'PUT') {
      if (query.has('tagging')) return [call(scope, 's3:PutObjectTagging', arn)];
      if (query.has('acl')) return [call(scope, 's3:PutObjectAcl', arn)];
      const rawSource = request.headers['x-amz-copy-source'];
      const put = call(scope, 's3:PutObject', arn);
      if (typeof rawSource === 'string' && rawSource) {
        const [sourcePath = '', sourceQuery = ''] = rawSource.split('?', 2);
        const source = decode(sourcePath).replace(/^\//, '');
        const sourceVersion = new URLSearchParams(sourceQuery).get('versionId');
        return [
          call(scope, sourceVersion ? 's3:GetObjectVersion' : 's3:GetObject', `arn:aws:s3:::${source}`),
          put,
        ];
      }
      return [put];
    }
    if (method === 'POST') {
      if (query.has('restore')) return [call(scope, 's3:RestoreObject', arn)];
      // CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId): s3:PutObject.
      return [call(scope, 's3:PutObject', arn)];
    }
    if (method === 'DELETE') {
      if (query.has('uploadId')) return [call(scope, 's3:AbortMultipartUpload', arn)];
      if (query.has('tagging')) return [call(scope, 's3:DeleteObjectTagging', arn)];
      return [call(scope, versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', arn, versionKeys)];
    }
    return [call(scope, `s3:${method}Object`, arn)];
  }

  const bucketArn = s3Bucket(bucket);
  if (method === 'POST' && query.has('delete')) {
    return deleteObjectsKeys(request.body ?? '').map(({ key: k, versionId: v }) =>
      call(scope, v ? 's3:DeleteObjectVersion' : 's3:DeleteObject', s3Object(bucket, k)),
    );
  }
  if (method === 'POST') {
    // A browser form upload (POST Object): the object named by the form's key field.
    const k = formKey(request.headers, request.body);
    return [call(scope, 's3:PutObject', s3Object(bucket, k ?? ''))];
  }
  const sub = Object.keys(BUCKET_SUBRESOURCES).find((s) => query.has(s));
  if (sub) {
    const [get, put, del] = BUCKET_SUBRESOURCES[sub];
    return [call(scope, method === 'PUT' ? put : method === 'DELETE' ? del : get, bucketArn)];
  }
  if (method === 'GET' || method === 'HEAD') {
    return [
      call(scope, 's3:ListBucket', bucketArn, {
        's3:prefix': query.get('prefix') ?? undefined,
        's3:delimiter': query.get('delimiter') ?? undefined,
        's3:max-keys': query.get('max-keys') ?? undefined,
      }),
    ];
  }
  if (method === 'PUT') return [call(scope, 's3:CreateBucket', bucketArn)];
  if (method === 'DELETE') return [call(scope, 's3:DeleteBucket', bucketArn)];
  return [call(scope, `s3:${method}Bucket`, bucketArn)];
}

// ---------------------------------------------------------------- DynamoDB (JSON 1.0 protocol)

const tableArn = (scope: RequestScope, table: string) =>
  table.startsWith('arn:') ? table : `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${table}`;

const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/**
 * The authorizations a DynamoDB request needs: `X-Amz-Target: DynamoDB_20120810.<Op>` → dynamodb:<Op>
 * on the table ARN (Query/Scan with IndexName: `table/NAME/index/INDEX`); TransactWriteItems and
 * TransactGetItems → each item's own action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem,
 * GetItem) on its table; BatchWriteItem/BatchGetItem → that action on every table named; ListTables → `*`.
 */
export function dynamodbCalls(target: string, body: unknown, scope: RequestScope): ServiceCall[] {
  const op = target.split('.').pop() ?? '';
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const action = `dynamodb:${op}`;
  /** The item's partition key value (wire format `{ "S": "…" }`), as dynamodb:LeadingKeys. */
  const leadingKeys = (detail: Record<string, unknown>): ServiceCall['context'] => {
    const item = (detail['Key'] ?? detail['Item']) as Record<string, Record<string, unknown>> | undefined;
    const value = scope.partitionKey ? item?.[scope.partitionKey] : undefined;
    const key = value?.['S'] ?? value?.['N'];
    return typeof key === 'string' ? { 'dynamodb:LeadingKeys': [key] } : {};
  };
  const itemCall = (a: string, resource: string, detail: Record<string, unknown>): ServiceCall => {
    const base = call(scope, a, resource);
    return { ...base, context: { ...base.context, ...leadingKeys(detail) } };
  };
  if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
    const items = Array.isArray(b['TransactItems']) ? (b['TransactItems'] as Record<string, unknown>[]) : [];
    return items.flatMap((item) =>
      Object.entries(item ?? {}).flatMap(([kind, detail]) => {
        const table = (detail as { TableName?: unknown })?.TableName;
        const itemAction = TRANSACT_ITEM_ACTIONS[kind];
        return itemAction && typeof table === 'string'
          ? [itemCall(itemAction, tableArn(scope, table), detail as Record<string, unknown>)]
          : [];
      }),
    );
  }
  if (['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].includes(op))
    return [itemCall(action, tableArn(scope, typeof b['TableName'] === 'string' ? b['TableName'] : ''), b)];
  if (op === 'BatchWriteItem' || op === 'BatchGetItem') {
    const tables = Object.keys((b['RequestItems'] as Record<string, unknown>) ?? {});
    return tables.map((t) => call(scope, action, tableArn(scope, t)));
  }
  if (op === 'ListTables' || op === 'DescribeLimits' || op === 'DescribeEndpoints')
    return [call(scope, action, '*')];
  const table = typeof b['TableName'] === 'string' ? b['TableName'] : '';
  const index = typeof b['IndexName'] === 'string' ? b['IndexName'] : undefined;
  const resource =
    index && (op === 'Query' || op === 'Scan')
      ? `${tableArn(scope, table)}/index/${index}`
      : tableArn(scope, table);
  return [call(scope, action, resource)];
}

// ---------------------------------------------------------------- Lambda

/**
 * Invoke (`POST /2015-03-31/functions/NAME/invocations[?Qualifier=Q]`) → lambda:InvokeFunction on
 * `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, with `:QUALIFIER` when one is given (in the query
 * or in the name). The name may be a name, a partial ARN (`ACCOUNT:function:NAME`) or a full ARN.
 */
export function lambdaCalls(method: string, url: string, scope: RequestScope): ServiceCall[] {
  const { path, query } = splitUrl(url);
  const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(path);
  if (!m || method.toUpperCase() !== 'POST') {
    const name = /^\/\d{4}-\d\d-\d\d\/functions\/([^/]+)/.exec(path)?.[1];
    return [
      call(
        scope,
        'lambda:Unknown',
        name ? `arn:aws:lambda:${scope.region}:${scope.account}:function:${decode(name)}` : '*',
      ),
    ];
  }
  const raw = decode(m[1]);
  let name = raw;
  let qualifier = query.get('Qualifier') ?? undefined;
  let region = scope.region;
  let account = scope.account;
  const full = /^arn:aws[a-z-]*:lambda:([^:]+):(\d{12}):function:([^:]+)(?::(.+))?$/.exec(raw);
  const partial = /^(\d{12}):function:([^:]+)(?::(.+))?$/.exec(raw);
  const short = /^([^:]+):(.+)$/.exec(raw);
  if (full) [, region, account, name] = full;
  if (full?.[4]) qualifier ??= full[4];
  if (!full && partial) [, account, name] = partial;
  if (!full && partial?.[3]) qualifier ??= partial[3];
  if (!full && !partial && short) [name, qualifier] = [short[1], qualifier ?? short[2]];
  const arn = `arn:aws:lambda:${region}:${account}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
  return [call(scope, 'lambda:InvokeFunction', arn)];
}

// ---------------------------------------------------------------- SQS (AWS JSON 1.0)

/**
 * Batch operations authorize as their single action (Service Authorization Reference, Amazon SQS:
 * SendMessageBatch is sqs:SendMessage, DeleteMessageBatch sqs:DeleteMessage,
 * ChangeMessageVisibilityBatch sqs:ChangeMessageVisibility).
 */
const SQS_BATCH_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** The queue ARN of a queue URL (`…/ACCOUNT/NAME`): `arn:aws:sqs:REGION:ACCOUNT:NAME`. */
export function sqsQueueArn(queueUrl: string, scope: RequestScope): string {
  const parts = queueUrl
    .replace(/[?#].*$/, '')
    .split('/')
    .filter(Boolean);
  const name = parts[parts.length - 1] ?? '';
  const account = /^\d{12}$/.test(parts[parts.length - 2] ?? '') ? parts[parts.length - 2] : scope.account;
  return `arn:aws:sqs:${scope.region}:${account}:${name}`;
}

/**
 * The authorizations an SQS request needs: `X-Amz-Target: AmazonSQS.<Op>` → sqs:<Op> (batches: their
 * single action) on the queue ARN its QueueUrl names (CreateQueue, GetQueueUrl: its QueueName);
 * ListQueues → `*` (no resource type).
 */
export function sqsCalls(target: string, body: unknown, scope: RequestScope): ServiceCall[] {
  const op = target.split('.').pop() ?? '';
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const action = `sqs:${SQS_BATCH_ACTIONS[op] ?? op}`;
  if (op === 'ListQueues') return [call(scope, action, '*')];
  if (typeof b['QueueUrl'] === 'string') return [call(scope, action, sqsQueueArn(b['QueueUrl'], scope))];
  if (typeof b['QueueName'] === 'string')
    return [call(scope, action, `arn:aws:sqs:${scope.region}:${scope.account}:${b['QueueName']}`)];
  return [call(scope, action, '*')];
}

// ---------------------------------------------------------------- Bedrock (runtime and control plane)

/** Where a cross-region inference profile (`us.`, `eu.`, `apac.` …) may send a request. */
const PROFILE_DESTINATIONS: Readonly<Record<string, readonly string[]>> = {
  us: ['us-east-1', 'us-east-2', 'us-west-2'],
  eu: ['eu-central-1', 'eu-west-1', 'eu-west-3', 'eu-north-1'],
  apac: ['ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2'],
};

const RUNTIME_OPERATIONS: Readonly<Record<string, string>> = {
  invoke: 'bedrock:InvokeModel',
  'invoke-with-response-stream': 'bedrock:InvokeModelWithResponseStream',
  converse: 'bedrock:InvokeModel',
  'converse-stream': 'bedrock:InvokeModelWithResponseStream',
};

/**
 * Runtime: `POST /model/ID/invoke` and `/converse` → bedrock:InvokeModel; `/invoke-with-response-stream`
 * and `/converse-stream` → bedrock:InvokeModelWithResponseStream; on the foundation-model ARN in the
 * request's region (a geo inference profile id: the profile ARN and the model in each destination region;
 * an ARN as given). Control plane: `GET /foundation-model-availability/ID` →
 * bedrock:GetFoundationModelAvailability on `*` (the action has no resource type).
 */
export function bedrockCalls(method: string, url: string, scope: RequestScope): ServiceCall[] {
  const { path } = splitUrl(url);
  const runtime = /^\/model\/([^/]+)\/([a-z-]+)$/.exec(path);
  if (runtime && method.toUpperCase() === 'POST') {
    const action = RUNTIME_OPERATIONS[runtime[2]] ?? `bedrock:${runtime[2]}`;
    const modelId = decode(runtime[1]);
    if (modelId.startsWith('arn:')) return [call(scope, action, modelId)];
    const geo = /^([a-z]+)\.(.+\..+)$/.exec(modelId);
    const destinations = geo ? PROFILE_DESTINATIONS[geo[1]] : undefined;
    if (geo && destinations) {
      return [
        call(scope, action, `arn:aws:bedrock:${scope.region}:${scope.account}:inference-profile/${modelId}`),
        ...destinations.map((r) => call(scope, action, `arn:aws:bedrock:${r}::foundation-model/${geo[2]}`)),
      ];
    }
    return [call(scope, action, `arn:aws:bedrock:${scope.region}::foundation-model/${modelId}`)];
  }
  if (/^\/foundation-model-availability\/[^/]+$/.test(path) && method.toUpperCase() === 'GET') {
    return [call(scope, 'bedrock:GetFoundationModelAvailability', '*')];
  }
  const model = /^\/foundation-models\/([^/]+)$/.exec(path);
  if (model)
    return [
      call(
        scope,
        'bedrock:GetFoundationModel',
        `arn:aws:bedrock:${scope.region}::foundation-model/${decode(model[1])}`,
      ),
    ];
  if (path === '/foundation-models') return [call(scope, 'bedrock:ListFoundationModels', '*')];
  return [call(scope, 'bedrock:Unknown', '*')];
}

// ---------------------------------------------------------------- API Gateway (REST, IAM auth)

/** The ARN an API Gateway method is invoked as: `arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`. */
export function executeApiArn(
  scope: RequestScope,
  apiId: string,
  stage: string,
  method: string,
  resourcePath: string,
): string {
  return `arn:aws:execute-api:${scope.region}:${scope.account}:${apiId}/${stage}/${method.toUpperCase()}/${resourcePath.replace(/^\//, '')}`;
}

/** A request to a REST API with IAM auth → execute-api:Invoke on its method ARN (the path after the stage, decoded). */
export function executeApiCalls(
  request: { readonly method: string; readonly apiId: string; readonly stage: string; readonly path: string },
  scope: RequestScope,
): ServiceCall[] {
  return [
    call(
      scope,
      'execute-api:Invoke',
      executeApiArn(scope, request.apiId, request.stage, request.method, decode(request.path)),
    ),
  ];
}
