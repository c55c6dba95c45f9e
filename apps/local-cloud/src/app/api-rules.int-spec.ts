import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

// eslint-disable-next-line @nx/enforce-module-boundaries -- the BFF's real generator client, to show what the BFF answers (test-only)
import { HttpGeneratorClient } from '@imagegen/bff/data-access-generator';
import { ErrorCode } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';
import { LOCAL_PRINCIPAL_KEYS } from '@imagegen/local-cloud/util-iam';
import { CfnResource, loadTemplates, StackTemplate } from '@imagegen/local-cloud/util-template';
import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_REGION } from './settings';
import { generatorApi } from './testing/generator-api';
import { inProcessStackEnv } from './testing/stack-env';

// What API Gateway enforces beyond routes and IAM, taken from the template: the RestApi's resource
// policy and the stage's throttle. Each derivation is shown to fail as AWS would when the template
// says otherwise, and the BFF (its real generator client) answers the refusal as its own problem.

const OWNER = 'anon-api-rules-1';
const quiet = () =>
  createLogger({ service: 'local-cloud', destination: new Writable({ write: (_c, _e, done) => done() }) });

type Resources = Record<string, CfnResource>;
/** The synthesized templates, deep-copied, with `change` applied to the one resource of `type`. */
async function templatesWith(type: string, change: (props: Record<string, unknown>) => void) {
  const stacks: StackTemplate[] = structuredClone((await loadTemplates()).stacks);
  const found = stacks
    .flatMap((s) => Object.values(s.template.Resources as Resources))
    .filter((r) => r.Type === type);
  if (found.length !== 1)
    throw new Error(`expected one ${type} in the synthesized templates, found ${found.length}`);
  change(found[0].Properties as Record<string, unknown>);
  return stacks;
}

async function startWith(stacks: StackTemplate[], name: string) {
  const dir = mkdtempSync(join(tmpdir(), `imagegen-${name}-`));
  const env = inProcessStackEnv(dir, { LOCAL_RETENTION_SWEEP_SECONDS: '0', LOCAL_BEDROCK_LATENCY_MS: '0' });
  const cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(env),
    log: quiet(),
    templates: stacks,
  });
  return { cloud, dir };
}

/** The BFF's generator client, signing as the BFF task role (as `npm start` runs it). */
const bffClient = (cloud: LocalCloud) =>
  new HttpGeneratorClient({
    baseUrl: cloud.urls.apiGateway,
    region: LOCAL_REGION,
    credentials: LOCAL_PRINCIPAL_KEYS.bff,
  });

describe('a RestApi whose resource policy does not name the BFF task role', () => {
  let stack: { cloud: LocalCloud; dir: string };

  beforeAll(async () => {
    // GIVEN the policy admits another role instead of the BFF's (its deny then covers the BFF too)
    const other = 'arn:aws:iam::000000000000:role/someone-else';
    const stacks = await templatesWith('AWS::ApiGateway::RestApi', (props) => {
      const policy = props['Policy'] as { Statement: Record<string, unknown>[] };
      for (const st of policy.Statement) {
        if (st['Sid'] === 'TheBff') st['Principal'] = { AWS: other };
        if (st['Sid'] === 'OnlyTheBff') st['Condition'] = { ArnNotEquals: { 'aws:PrincipalArn': other } };
      }
    });
    stack = await startWith(stacks, 'policy');
  });
  afterAll(async () => {
    await stack?.cloud.close();
    rmSync(stack.dir, { recursive: true, force: true });
  });

  it('refuses the BFF 403 as API Gateway does, and the BFF answers its own problem, not a 500', async () => {
    const { cloud } = stack;
    const raw = await generatorApi(() => cloud.urls.apiGateway, OWNER, LOCAL_PRINCIPAL_KEYS.bff).call(
      'GET',
      '/models',
    );
    expect(raw.status).toBe(403);
    expect(raw.body.Message).toMatch(
      /is not authorized to perform: execute-api:Invoke on resource: .* with an explicit deny$/,
    );
    const problem = await problemOf(bffClient(cloud).list(OWNER, {}, 'req-policy-1'));
    expect(problem).toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE, status: 503 });
  });
});

describe('a stage throttled low', () => {
  let stack: { cloud: LocalCloud; dir: string };

  beforeAll(async () => {
    // GIVEN a stage that takes 2 requests at once and then one every 1,000 s
    const stacks = await templatesWith('AWS::ApiGateway::Stage', (props) => {
      props['MethodSettings'] = [
        { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 0.001, ThrottlingBurstLimit: 2 },
      ];
    });
    stack = await startWith(stacks, 'throttle');
  });
  afterAll(async () => {
    await stack?.cloud.close();
    rmSync(stack.dir, { recursive: true, force: true });
  });

  it('answers past the burst 429 Too Many Requests, which the BFF answers as its RATE_LIMITED problem, not a 500', async () => {
    const { cloud } = stack;
    expect(cloud.topology.api.throttle).toEqual({ rateLimit: 0.001, burstLimit: 2 });
    const api = generatorApi(() => cloud.urls.apiGateway, OWNER, LOCAL_PRINCIPAL_KEYS.bff);
    const statuses = [(await api.call('GET', '/models')).status, (await api.call('GET', '/models')).status];
    const third = await api.call('GET', '/models');
    expect(statuses).toEqual([200, 200]);
    expect([third.status, third.body, third.headers.get('x-amzn-errortype')]).toEqual([
      429,
      { message: 'Too Many Requests' },
      'TooManyRequestsException',
    ]);
    const problem = await problemOf(bffClient(cloud).list(OWNER, {}, 'req-throttle-1'));
    expect(problem).toMatchObject({ code: ErrorCode.RATE_LIMITED, status: 429, retryAfterSeconds: 1 });
  });
});

describe('a function whose MemorySize Lambda would refuse', () => {
  it('does not start, naming the function and the range Lambda takes (128 to 10,240 MB)', async () => {
    // GIVEN the worker's MemorySize is 64 MB
    const stacks: StackTemplate[] = structuredClone((await loadTemplates()).stacks);
    const worker = stacks
      .flatMap((s) => Object.entries(s.template.Resources as Resources))
      .find(([id, r]) => r.Type === 'AWS::Lambda::Function' && /^GeneratorWorker[0-9A-F]{8}$/.test(id));
    if (!worker) throw new Error('the synthesized template has no worker function');
    (worker[1].Properties as Record<string, unknown>)['MemorySize'] = 64;
    const dir = mkdtempSync(join(tmpdir(), 'imagegen-memory-'));
    try {
      // WHEN the local cloud starts from it THEN it refuses, as the deploy would fail
      const env = inProcessStackEnv(dir, { LOCAL_RETENTION_SWEEP_SECONDS: '0' });
      await expect(
        startLocalCloud({ settings: loadLocalCloudSettings(env), log: quiet(), templates: stacks }),
      ).rejects.toThrow(/MemorySize 64 is not one Lambda takes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
