import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { ErrorCode } from '@imagegen/contracts';
import {
  LOCAL_PRINCIPAL_KEYS,
  LocalPrincipalName,
  PolicyStatement,
  RolePolicies,
} from '@imagegen/local-cloud/util-iam';
import { loadTemplates, readCloudModel } from '@imagegen/local-cloud/util-template';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_ACCOUNT, LOCAL_REGION } from './settings';
import { generatorApi } from './testing/generator-api';
import { inProcessStackEnv } from './testing/stack-env';
import { localTopology, templateRolePolicies } from './topology';

// IAM enforced through the whole stack: each function signs as its own role, every stand-in authorizes
// each call against that role's statements as the synthesized template grants them, and a permission
// taken away reaches the caller as the app's problem (never a 500).
const CORE = 'stability.stable-image-core-v1:1';
const OWNER = 'anon-iam-1';

/** The template's statements per principal (read in beforeAll). */
let FULL: Readonly<Record<LocalPrincipalName, readonly PolicyStatement[]>>;
/** What each role may do now: a test takes a permission away, the next one gets the full set back. */
let current: Record<LocalPrincipalName, readonly PolicyStatement[]>;
let templateRoles: Readonly<Record<LocalPrincipalName, RolePolicies>>;
const role = (name: LocalPrincipalName): RolePolicies => ({
  roleLogicalId: templateRoles[name].roleLogicalId,
  roleName: templateRoles[name].roleName,
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
  const env = inProcessStackEnv(dir, { LOCAL_BEDROCK_LATENCY_MS: '0', LOCAL_RETENTION_SWEEP_SECONDS: '0' });
  const settings = loadLocalCloudSettings(env);
  const loaded = await loadTemplates({ cacheDir: settings.templateCacheDir });
  const model = readCloudModel(loaded.stacks, { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
  templateRoles = templateRolePolicies(model, localTopology(model));
  FULL = Object.fromEntries(Object.entries(templateRoles).map(([name, r]) => [name, r.statements])) as Record<
    LocalPrincipalName,
    readonly PolicyStatement[]
  >;
  current = { ...FULL };
  const destination = new Writable({
    write: (c, _e, done) => (logLines.push(JSON.parse(String(c))), done()),
  });
  cloud = await startLocalCloud({
    settings,
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

  it('the worker role without sqs:ReceiveMessage: its event source mapping cannot poll (AccessDenied), the job waits queued, and runs once the permission is back', async () => {
    current = { ...FULL, worker: without('worker', 'sqs:ReceiveMessage') };
    const seen = logLines.length;
    const refusals = () =>
      logLines
        .slice(seen)
        .filter((l) => l['msg'] === 'the event source mapping could not poll its queue') as {
        err?: { message?: string };
      }[];
    // Each poller refused twice at least (a poll begun before the change is over by then, its wait 1 s)
    for (const deadline = Date.now() + 20_000; refusals().length < 8 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 50));
    expect(refusals()[0]?.err?.message).toMatch(
      /is not authorized to perform: sqs:ReceiveMessage on resource: arn:aws:sqs:/,
    );
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'an owl' });
    expect(created.status).toBe(202);
    expect((await api.call('GET', `/generations/${created.body.id}`)).body.status).toBe('queued');
    current = { ...FULL };
    expect((await api.settled(created.body.id)).status).toBe('succeeded');
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

  it('the API role without sqs:SendMessage on the worker queue: the job ends failed at once, answered 503 MODEL_UNAVAILABLE', async () => {
    current = { ...FULL, api: without('api', 'sqs:SendMessage') };
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
      new RegExp(
        `^User: arn:aws:sts::000000000000:assumed-role/${templateRoles.worker.roleName}/[\\w-]+ is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:\\*{8}0000:${cloud.topology.api.id}/prod/GET/generations`,
      ),
    );
    // The BFF role with an explicit deny of its own is refused, whatever the resource policy allows
    current = { ...FULL, bff: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: '*' }] };
    expect((await api.call('GET', '/models')).status).toBe(403);
  });

  it("admits only the BFF task role by the API's resource policy: another role allowed execute-api:Invoke by its own statements gets 403", async () => {
    // GIVEN the worker role may invoke the API by its own statements
    current = {
      ...FULL,
      worker: [...FULL.worker, { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
    };
    const asWorker = generatorApi(() => cloud.urls.apiGateway, OWNER, LOCAL_PRINCIPAL_KEYS.worker);
    // WHEN it calls the API
    const res = await asWorker.call('GET', '/models');
    // THEN the resource policy's deny of every other principal refuses it, as API Gateway words it
    expect(res.status).toBe(403);
    expect(res.body.Message).toMatch(
      new RegExp(
        `^User: arn:aws:sts::000000000000:assumed-role/${templateRoles.worker.roleName}/[\\w-]+ is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:\\*{8}0000:${cloud.topology.api.id}/prod/GET/models with an explicit deny$`,
      ),
    );
    // AND the BFF role is admitted even with no statement of its own: in one account the resource
    // policy's allow is enough (API Gateway's table A)
    current = { ...FULL, bff: [] };
    expect((await api.call('GET', '/models')).status).toBe(200);
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
