import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { ErrorCode } from '@imagegen/contracts';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_PRINCIPAL_KEYS,
  LocalPrincipalName,
  PolicyStatement,
  RolePolicies,
} from '@imagegen/local-cloud/util-iam';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_NAMES, LOCAL_REGION } from './settings';
import { generatorApi } from './testing/generator-api';

// IAM enforced through the whole stack: each function signs as its own role, every stand-in authorizes
// each call against that role's statements, and a missing permission reaches the caller as the app's
// problem (never a 500). The statements are hand-written here, shaped as the CDK app grants them; the
// template's own come in through util-template.
const CORE = 'stability.stable-image-core-v1:1';
const OWNER = 'anon-iam-1';
const ACCOUNT = LOCAL_ACCOUNT_ID;
const TABLE_ARN = `arn:aws:dynamodb:${LOCAL_REGION}:${ACCOUNT}:table/${LOCAL_NAMES.table}`;
const BUCKET_ARN = `arn:aws:s3:::${LOCAL_NAMES.bucket}`;
const WORKER_ARN = `arn:aws:lambda:${LOCAL_REGION}:${ACCOUNT}:function:${LOCAL_NAMES.worker}`;
const ABANDONED_ARN = `arn:aws:lambda:${LOCAL_REGION}:${ACCOUNT}:function:${LOCAL_NAMES.abandoned}`;
const TABLE_RW = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const tableStatement: PolicyStatement = {
  Effect: 'Allow',
  Action: TABLE_RW,
  Resource: [TABLE_ARN, `${TABLE_ARN}/index/*`],
};
const bucketStatements: PolicyStatement[] = [
  {
    Effect: 'Allow',
    Action: ['s3:GetObject*', 's3:PutObject', 's3:DeleteObject*', 's3:Abort*'],
    Resource: `${BUCKET_ARN}/*`,
  },
  { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucket*'], Resource: BUCKET_ARN },
];
const FULL: Readonly<Record<LocalPrincipalName, readonly PolicyStatement[]>> = {
  api: [
    tableStatement,
    ...bucketStatements,
    { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [WORKER_ARN, `${WORKER_ARN}:*`] },
    {
      Effect: 'Allow',
      Action: 'bedrock:GetFoundationModelAvailability',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': LOCAL_REGION } },
    },
  ],
  worker: [
    tableStatement,
    ...bucketStatements,
    {
      Effect: 'Allow',
      Action: 'bedrock:InvokeModel',
      Resource: `arn:aws:bedrock:${LOCAL_REGION}::foundation-model/stability.*`,
    },
    // The on-failure destination is invoked as the worker's role.
    { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [ABANDONED_ARN, `${ABANDONED_ARN}:*`] },
  ],
  abandoned: [tableStatement, ...bucketStatements],
  bff: [
    {
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: `arn:aws:execute-api:${LOCAL_REGION}:${ACCOUNT}:local/local/*/*`,
    },
  ],
};

/** What each role may do now: a test takes a permission away, the next one gets the full set back. */
let current: Record<LocalPrincipalName, readonly PolicyStatement[]> = { ...FULL };
const role = (name: LocalPrincipalName): RolePolicies => ({
  roleLogicalId: `${name}Role`,
  roleName: `imagegen-${name}-role`,
  get statements() {
    return current[name];
  },
});
const without = (name: LocalPrincipalName, action: string): readonly PolicyStatement[] => [
  ...FULL[name],
  { Effect: 'Deny', Action: action, Resource: '*' },
];

let dir: string;
let cloud: LocalCloud;
const logLines: Record<string, unknown>[] = [];
/** The BFF's calls: signed with the BFF task role's keys. */
const api = generatorApi(() => cloud.urls.apiGateway, OWNER, LOCAL_PRINCIPAL_KEYS.bff);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-iam-'));
  const env = {
    LOCAL_BEDROCK_LATENCY_MS: '0',
    LOCAL_RETENTION_SWEEP_SECONDS: '0',
    PORT: '0',
    BFF_PORT: '0',
    LOCAL_APIGW_PORT: '0',
    LOCAL_BEDROCK_PORT: '0',
    LOCAL_S3_PORT: '0',
    LOCAL_DYNAMODB_PORT: '0',
    LOCAL_LAMBDA_PORT: '0',
    LOCAL_CLOUD_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
  };
  const destination = new Writable({
    write: (c, _e, done) => (logLines.push(JSON.parse(String(c))), done()),
  });
  cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(env),
    log: createLogger({ service: 'local-cloud', destination }),
    rolePolicies: {
      api: role('api'),
      worker: role('worker'),
      abandoned: role('abandoned'),
      bff: role('bff'),
    },
  });
});

afterAll(async () => {
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  current = { ...FULL };
  await cloud.lambda.idle();
});

describe('IAM enforced through the local cloud', () => {
  it('makes a job end to end with every function signing as its own role, and the link works as its signer', async () => {
    const created = await api.call('POST', '/generations', {
      modelId: CORE,
      prompt: 'a lighthouse',
      seed: 7,
    });
    expect(created.status).toBe(202);
    const job = await api.settled(created.body.id);
    expect(job).toMatchObject({ status: 'succeeded', images: [{ seed: 7 }] });
    // The presigned link is the API role's: used now, it is authorized as that role.
    expect((await fetch(job.images[0].url)).status).toBe(200);
    expect(cloud.authorizer).toBeDefined();
  });

  it('the worker role without bedrock:InvokeModel: the job fails MODEL_ACCESS_DENIED, not a 500', async () => {
    current = { ...FULL, worker: without('worker', 'bedrock:InvokeModel') };
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a kite' });
    expect(created.status).toBe(202);
    const job = await api.settled(created.body.id);
    expect(job).toMatchObject({
      status: 'failed',
      images: [],
      error: { code: ErrorCode.MODEL_ACCESS_DENIED },
    });
    expect(job.error?.detail).toContain('bedrock:InvokeModel');
  });

  it('the worker role without dynamodb:UpdateItem: every attempt fails, and the abandoned-job function, as its own role, ends the job', async () => {
    current = { ...FULL, worker: without('worker', 'dynamodb:UpdateItem') };
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a heron' });
    expect(created.status).toBe(202);
    await cloud.lambda.idle();
    const job = await api.settled(created.body.id);
    expect(job).toMatchObject({ status: 'failed', images: [] });
    expect(cloud.lambda.stats().failures).toBeGreaterThan(0);
  });

  it('the worker role without lambda:InvokeFunction on its on-failure destination: the delivery is refused and dropped, as in AWS', async () => {
    current = {
      ...FULL,
      worker: [
        ...FULL.worker,
        { Effect: 'Deny', Action: ['dynamodb:UpdateItem', 'lambda:InvokeFunction'], Resource: '*' },
      ],
    };
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'an owl' });
    expect(created.status).toBe(202);
    await cloud.lambda.idle();
    expect(logLines.some((l) => l['msg'] === 'the on-failure destination failed; the event is dropped')).toBe(
      true,
    );
    current = { ...FULL };
    const { body } = await api.call('GET', `/generations/${created.body.id}`);
    expect(['queued', 'running']).toContain(body.status);
  });

  it('the API role without dynamodb:PutItem: POST /generations is a 403 problem naming the permission', async () => {
    current = { ...FULL, api: without('api', 'dynamodb:PutItem') };
    const res = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a boat' });
    expect(res.status).toBe(403);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(res.body.detail).toContain('dynamodb:PutItem');
    expect(JSON.stringify(res.body)).not.toMatch(/arn:|assumed-role|stack/);
  });

  it('the API role without lambda:InvokeFunction on the worker: the job ends failed at once, answered 503 MODEL_UNAVAILABLE', async () => {
    current = { ...FULL, api: without('api', 'lambda:InvokeFunction') };
    const res = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a train' });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: ErrorCode.MODEL_UNAVAILABLE });
    current = { ...FULL };
    const page = await api.call('GET', '/generations?limit=1');
    expect(page.body.items[0]).toMatchObject({ status: 'failed', request: { prompt: 'a train' } });
  });

  it('a principal without execute-api:Invoke gets API Gateway’s 403 {"Message"}, and the handler is never called', async () => {
    const asWorker = generatorApi(() => cloud.urls.apiGateway, OWNER, LOCAL_PRINCIPAL_KEYS.worker);
    const res = await asWorker.call('GET', '/generations');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
    expect(res.body.Message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/imagegen-worker-role\/imagegen-worker is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:\*{8}0000:local\/local\/GET\/generations/,
    );
    current = { ...FULL, bff: [] };
    expect((await api.call('GET', '/models')).status).toBe(403);
  });

  it('the API role without s3:GetObject: its links are refused by S3 when used (403 AccessDenied)', async () => {
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'a gull', seed: 3 });
    const job = await api.settled(created.body.id);
    current = { ...FULL, api: without('api', 's3:GetObject') };
    const res = await fetch(job.images[0].url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });
});
