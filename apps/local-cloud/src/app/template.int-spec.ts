import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { GENERATOR_ROUTES } from '@imagegen/contracts';
import { CfnResource, loadTemplates, StackTemplate } from '@imagegen/local-cloud/util-template';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_CREDENTIALS, LOCAL_REGION } from './settings';
import { generatorApi } from './testing/generator-api';
import { inProcessStackEnv } from './testing/stack-env';

// The local cloud takes what AWS enforces from the synthesized templates: each derivation is shown
// to hold on the real templates, and to fail the way AWS would when the template says otherwise.

const OWNER = 'anon-template-test-1';
const CORE = 'stability.stable-image-core-v1:1';

const env = (dir: string, extra: Record<string, string> = {}) =>
  inProcessStackEnv(dir, { LOCAL_RETENTION_SWEEP_SECONDS: '0', LOCAL_BEDROCK_LATENCY_MS: '0', ...extra });
const quiet = () =>
  createLogger({ service: 'local-cloud', destination: new Writable({ write: (_c, _e, done) => done() }) });

/** The templates as synthesized (the cache the global setup warmed), deep-copied for a test to change. */
async function templates(): Promise<StackTemplate[]> {
  return structuredClone((await loadTemplates()).stacks);
}

type Resources = Record<string, CfnResource>;
const resourcesOf = (stacks: StackTemplate[]) =>
  stacks.flatMap((s) => Object.entries(s.template.Resources as Resources).map(([id, r]) => ({ s, id, r })));
const ref = (v: unknown) => (v as { Ref?: string } | undefined)?.Ref;

async function unsigned(cloud: LocalCloud, method: string, path: string) {
  const res = await fetch(`${cloud.urls.apiGateway}${path}`, { method });
  return { status: res.status, body: await res.json() };
}

const MISSING = { message: 'Missing Authentication Token' };

describe('the local cloud from the synthesized templates', () => {
  let dir: string;
  let cloud: LocalCloud;
  const api = generatorApi(() => cloud.urls.apiGateway, OWNER);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imagegen-template-'));
    cloud = await startLocalCloud({ settings: loadLocalCloudSettings(env(dir)), log: quiet() });
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every route of GENERATOR_ROUTES through the API the template defines, GET /models and /summary included', async () => {
    // GIVEN the API as synthesized: one method per route, IAM auth on each, in stage prod
    expect(cloud.urls.apiGateway).toMatch(/\/prod$/);
    expect(cloud.topology.api.methods.map((m) => `${m.httpMethod} ${m.path}`).sort()).toEqual(
      GENERATOR_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
    // WHEN the BFF's calls for the model list and the summary go through it (signed)
    const models = await api.call('GET', '/models');
    const summary = await api.call('GET', '/summary');
    // THEN both answer: the model list with availability, the summary with the template's retention
    expect(models.status).toBe(200);
    expect(models.body.length).toBeGreaterThan(0);
    expect(models.body[0]).toHaveProperty('availability');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ retentionDays: 30, presignExpirySeconds: 900 });
  });

  it('answers a path or method the template does not define 403 Missing Authentication Token, signed or not', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['PUT', '/models'],
      ['GET', '/generations/x/y/z'],
    ]) {
      const signed = await api.call(method, path);
      expect([signed.status, signed.body]).toEqual([403, MISSING]);
      expect(await unsigned(cloud, method, path)).toEqual({ status: 403, body: MISSING });
    }
    // A defined route unsigned: refused as IAM auth refuses it
    expect(await unsigned(cloud, 'GET', '/models')).toEqual({ status: 403, body: MISSING });
  });

  it("gives the generator the API function's environment from the template, and the worker queue mapping's MaximumConcurrency", () => {
    // The names are the template's resources resolved for the local account
    expect(process.env['GENERATIONS_TABLE']).toBe(cloud.names.table);
    expect(process.env['IMAGES_BUCKET']).toBe(cloud.names.bucket);
    // The queue the API sends to: the template's, at the SQS stand-in's URL
    expect(process.env['WORKER_QUEUE_URL']).toBe(cloud.sqs.queueUrl(cloud.names.workerQueue));
    expect(cloud.names.workerQueue).toBe(cloud.topology.workerQueue.queueName);
    expect(cloud.names.worker).toBe(cloud.topology.worker.functionName);
    expect(process.env['JOB_STALE_AFTER_SECONDS']).toBe(
      cloud.topology.apiFunction.environment['JOB_STALE_AFTER_SECONDS'],
    );
    // Local on top: the endpoints point at the stand-ins
    expect(process.env['AWS_ENDPOINT_URL_DYNAMODB']).toBe(cloud.urls.dynamodb);
    expect(cloud.lambda.stats().concurrency).toBe(cloud.topology.workerMapping.maximumConcurrency);
    expect(cloud.topology.worker.reservedConcurrentExecutions).toBeUndefined();
    expect(cloud.topology.workerQueue.redrive).toMatchObject({ maxReceiveCount: 5 });
    expect(cloud.topology.workerQueue.visibilityTimeoutSeconds).toBe(
      6 * cloud.topology.worker.timeoutSeconds,
    );
    expect(cloud.retentionDays).toBe(30);
  });
});

describe('the local cloud from a template that says otherwise', () => {
  let dir: string;
  let cloud: LocalCloud;
  const api = generatorApi(() => cloud.urls.apiGateway, OWNER);

  beforeAll(async () => {
    // GIVEN templates where GET /models has no method, the worker times out after 1 s, its queue moves a
    // message to the dead-letter queue after one receive, its mapping runs at most 2 at once, and the
    // table has no TTL
    const stacks = await templates();
    const all = resourcesOf(stacks);
    const modelsResource = all.find(
      ({ r }) => r.Type === 'AWS::ApiGateway::Resource' && r.Properties?.['PathPart'] === 'models',
    );
    const modelsMethod = all.find(
      ({ r }) =>
        r.Type === 'AWS::ApiGateway::Method' && ref(r.Properties?.['ResourceId']) === modelsResource?.id,
    );
    if (!modelsMethod) throw new Error('the synthesized template has no GET /models method');
    delete (modelsMethod.s.template.Resources as Resources)[modelsMethod.id];
    // The worker: the function the mapping on the API's WORKER_QUEUE_URL invokes (its logical id, GeneratorWorker…).
    const worker = all.find(
      ({ id, r }) => r.Type === 'AWS::Lambda::Function' && /^GeneratorWorker[0-9A-F]{8}$/.test(id),
    );
    (worker?.r.Properties as Record<string, unknown>)['Timeout'] = 1;
    const queue = all.find(
      ({ id, r }) => r.Type === 'AWS::SQS::Queue' && id.startsWith('GeneratorWorkerQueue'),
    );
    ((queue?.r.Properties as Record<string, unknown>)['RedrivePolicy'] as Record<string, unknown>)[
      'maxReceiveCount'
    ] = 1;
    const mapping = all.find(
      ({ id, r }) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' && id.startsWith('GeneratorWorkerQueueMapping'),
    );
    (mapping?.r.Properties as Record<string, unknown>)['ScalingConfig'] = { MaximumConcurrency: 2 };
    const table = all.find(({ r }) => r.Type === 'AWS::DynamoDB::Table');
    delete (table?.r.Properties as Record<string, unknown>)['TimeToLiveSpecification'];

    dir = mkdtempSync(join(tmpdir(), 'imagegen-template-changed-'));
    cloud = await startLocalCloud({
      // Every image takes 3 s at the model: longer than the worker's timeout
      settings: loadLocalCloudSettings(env(dir, { LOCAL_BEDROCK_LATENCY_MS: '3000' })),
      log: quiet(),
      templates: stacks,
    });
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a route the template lacks 403 Missing Authentication Token (signed), the others as before', async () => {
    expect((await api.call('GET', '/models')).body).toEqual(MISSING);
    expect((await api.call('GET', '/models')).status).toBe(403);
    expect((await api.call('GET', '/summary')).status).toBe(200);
  });

  it("ends a worker run at the template's timeout; past the queue's maxReceiveCount (1) the message lands in the dead-letter queue and the job is settled failed", async () => {
    cloud.lambda.resetStats();
    const before = cloud.lambda.stats();
    const dlqBefore = cloud.sqs.stats(cloud.names.deadLetterQueue as string).movedIn;
    // WHEN a one-image job is made
    const created = await api.call('POST', '/generations', {
      modelId: CORE,
      prompt: 'a slow lighthouse',
      count: 1,
    });
    expect(created.status).toBe(202);
    const job = await api.settled(created.body.id, OWNER, 20_000);
    await cloud.lambda.idle();
    // THEN the one run was cut at 1 s, its message not delivered again but moved to the dead-letter
    // queue, whose consumer failed the job
    expect(job).toMatchObject({ status: 'failed', error: { code: 'MODEL_UNAVAILABLE' } });
    const after = cloud.lambda.stats();
    expect(after.invocations - before.invocations).toBe(2); // the worker once, the dead-letter consumer once
    expect(after.failures - before.failures).toBe(1);
    expect(cloud.sqs.stats(cloud.names.deadLetterQueue as string).movedIn - dlqBefore).toBe(1);
    expect(cloud.sqs.depth(cloud.names.workerQueue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("runs at most the template's MaximumConcurrency (2) worker invocations at once", async () => {
    // GIVEN the mapping's MaximumConcurrency is 2 (the real template says 4)
    expect(cloud.topology.workerMapping.maximumConcurrency).toBe(2);
    expect(cloud.lambda.stats().concurrency).toBe(2);
    cloud.lambda.resetStats();
    // WHEN a job of four images is made
    const created = await api.call('POST', '/generations', { modelId: CORE, prompt: 'four lamps', count: 4 });
    expect(created.status).toBe(202);
    await api.settled(created.body.id, OWNER, 30_000);
    await cloud.lambda.idle();
    // THEN never more than two worker runs were in flight, and two were
    expect(cloud.lambda.maxRunningOf(cloud.names.worker)).toBe(2);
  });

  it('makes the table without TTL when the template names no TTL attribute, and the sweeper deletes no item', async () => {
    const client = new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: cloud.urls.dynamodb,
      credentials: LOCAL_CREDENTIALS,
    });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: cloud.names.table }));
    client.destroy();
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus ?? 'DISABLED').toBe('DISABLED');
    expect((await cloud.retention.sweep()).itemsDeleted).toBe(0);
  });
});
