import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { ErrorCode, IMAGE_SERVICES, ProblemError } from '@imagegen/contracts';
import { readSettingsTable, settingsTableProblems } from '@imagegen/shared/util-config';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { API_GATEWAY_TIMEOUT_MS, BFF_SETTINGS, BffConfig, loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

let app: NestExpressApplication;
let generator: FakeGenerator;
const config: BffConfig = loadBffConfig(testEnv());

beforeEach(async () => {
  generator = new FakeGenerator();
  ({ app } = await createBffApp(config, { generator }));
  await app.init();
});

afterEach(() => app.close());

const post = (body: unknown, type = 'application/json') =>
  request(app.getHttpServer())
    .post('/api/generations')
    .set('content-type', type)
    .send(typeof body === 'string' ? body : JSON.stringify(body));

describe('BFF', () => {
  it('starts a job for a valid prompt, for an anonymous owner it issues a signed httpOnly cookie for', async () => {
    const res = await post({ modelId: CORE, prompt: 'a lighthouse' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', modelId: CORE });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^imagegen_owner=s%3Aanon-/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    expect(generator.created[0].body).toEqual({
      modelId: CORE,
      prompt: 'a lighthouse',
      aspectRatio: '1:1',
      count: 1,
      outputFormat: 'png',
    });
    expect(generator.created[0].ownerId).toMatch(/^anon-[\w-]{22}$/);
  });

  it('keeps the owner across requests with the cookie, and ignores an owner header from the browser', async () => {
    const first = await post({ modelId: CORE, prompt: 'one' });
    const cookie = first.headers['set-cookie'] as unknown as string[];
    const second = await post({ modelId: CORE, prompt: 'two' })
      .set('Cookie', cookie)
      .set('x-imagegen-owner', 'anon-victim');
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(generator.created[1].ownerId).toBe(generator.created[0].ownerId);
  });

  it('gives a new browser its owner with the model list, so jobs it then sends at once share that owner', async () => {
    const models = await request(app.getHttpServer()).get('/api/models');
    const cookie = models.headers['set-cookie'] as unknown as string[];
    expect(String(cookie)).toMatch(/^imagegen_owner=s%3Aanon-/);
    await Promise.all(['a', 'b', 'c'].map((prompt) => post({ modelId: CORE, prompt }).set('Cookie', cookie)));
    expect(new Set(generator.created.map((c) => c.ownerId)).size).toBe(1);
  });

  it('gives a new owner to a tampered cookie', async () => {
    await post({ modelId: CORE, prompt: 'one' });
    await post({ modelId: CORE, prompt: 'two' }).set('cookie', 'imagegen_owner=s%3Aanon-forged.badsignature');
    expect(generator.created[1].ownerId).not.toBe('anon-forged');
  });

  it('marks the cookie Secure behind an HTTPS load balancer', async () => {
    const res = await post({ modelId: CORE, prompt: 'x' }).set('x-forwarded-proto', 'https');
    expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it.each([
    ['an unknown field', { modelId: CORE, prompt: 'x', steps: 30 }, 'steps'],
    ['a NaN seed', { modelId: CORE, prompt: 'x', seed: 'NaN' }, 'seed'],
    ['a negative seed', { modelId: CORE, prompt: 'x', seed: -1 }, 'seed'],
    ['a huge seed', { modelId: CORE, prompt: 'x', seed: 1e20 }, 'seed'],
    ['an empty prompt', { modelId: CORE, prompt: '' }, 'prompt'],
    ['a white-space prompt', { modelId: CORE, prompt: '  \n ' }, 'prompt'],
    ['a prompt of 10,001 characters', { modelId: CORE, prompt: 'a'.repeat(10_001) }, 'prompt'],
    ['control characters', { modelId: CORE, prompt: 'a\u0007cat' }, 'prompt'],
    ['an unknown model', { modelId: 'acme.nope', prompt: 'x' }, 'modelId'],
    ['a count of 5', { modelId: CORE, prompt: 'x', count: 5 }, 'count'],
  ])(
    'refuses %s with 400 VALIDATION_FAILED naming the field, and sends nothing on',
    async (_name, body, field) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: ErrorCode.VALIDATION_FAILED, status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(res.body.requestId).toBeTruthy();
      expect(generator.created).toEqual([]);
    },
  );

  it('passes a 10,000-character prompt with a 10,000-character negative prompt on to the generator (the WAF counts, the BFF limits)', async () => {
    const SD35 = 'stability.sd3-5-large-v1:0';
    const res = await post({ modelId: SD35, prompt: 'p'.repeat(10_000), negativePrompt: 'n'.repeat(10_000) });
    expect(res.status).toBe(202);
    expect(generator.created).toHaveLength(1);
    expect(generator.created[0]).toMatchObject({
      body: expect.objectContaining({ prompt: 'p'.repeat(10_000), negativePrompt: 'n'.repeat(10_000) }),
    });
  });

  it('answers 413 PAYLOAD_TOO_LARGE for an oversized body', async () => {
    const res = await post({ modelId: CORE, prompt: 'x'.repeat(100_000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('answers 415 for a body that is not JSON, and 400 for malformed JSON', async () => {
    const form = await post('modelId=x&prompt=y', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(form.body.code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    const broken = await post('{"modelId": "x", ');
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe(ErrorCode.VALIDATION_FAILED);
  });

  it('takes HTML in a prompt as plain text and answers it only inside JSON', async () => {
    const prompt = '<img src=x onerror=alert(1)> a cat';
    const res = await post({ modelId: CORE, prompt });
    expect(res.status).toBe(202);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.request.prompt).toBe(prompt);
  });

  it('passes a generator problem through with its status, code and Retry-After', async () => {
    generator.failWith = ProblemError.of(ErrorCode.MODEL_THROTTLED, 'busy', { retryAfterSeconds: 9 });
    const res = await post({ modelId: CORE, prompt: 'x' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('9');
    expect(res.body.code).toBe(ErrorCode.MODEL_THROTTLED);
  });

  it("answers another owner's job and malformed ids with 404", async () => {
    const created = await post({ modelId: CORE, prompt: 'x' });
    const res = await request(app.getHttpServer()).get(`/api/generations/${created.body.id}`);
    expect(res.status).toBe(404);
    const bad = await request(app.getHttpServer()).get('/api/generations/..%2F..%2Fetc');
    expect(bad.status).toBe(404);
    expect(bad.body.code).toBe(ErrorCode.NOT_FOUND);
  });

  it.each([
    ["another owner's job", 'other'],
    ['a job that does not exist', 'missing'],
  ])(
    'answers the events of %s 404 NOT_FOUND problem+json, as GET does, and opens no stream',
    async (_name, which) => {
      // GIVEN a job of one owner, and a browser with an owner of its own
      const created = await post({ modelId: CORE, prompt: 'x' });
      const mine = await request(app.getHttpServer()).get('/api/models');
      const cookie = mine.headers['set-cookie'] as unknown as string[];
      const id = which === 'other' ? created.body.id : 'job9999999999';
      // WHEN the browser asks for the job's events, and for the job
      const events = await request(app.getHttpServer())
        .get(`/api/generations/${id}/events`)
        .set('Cookie', cookie);
      const job = await request(app.getHttpServer()).get(`/api/generations/${id}`).set('Cookie', cookie);
      // THEN both are the same 404 problem (without the fix: 200 text/event-stream carrying `event: problem`)
      expect(events.status).toBe(404);
      expect(events.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(events.body).toMatchObject({
        status: 404,
        code: ErrorCode.NOT_FOUND,
        requestId: expect.any(String),
      });
      expect({ ...events.body, requestId: undefined }).toEqual({ ...job.body, requestId: undefined });
    },
  );

  it('streams the job as server-sent events until it ends', async () => {
    const created = await post({ modelId: CORE, prompt: 'x' });
    const cookie = created.headers['set-cookie'] as unknown as string[];
    setTimeout(() => generator.finish(created.body.id), 300);
    const res = await request(app.getHttpServer())
      .get(`/api/generations/${created.body.id}/events`)
      .set('Cookie', cookie)
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => cb(null, text));
      });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const statuses = [...String(res.body).matchAll(/"status":"(\w+)"/g)].map((m) => m[1]);
    expect(statuses).toEqual(['queued', 'succeeded']);
  });

  it('ends open event streams when the app shuts down, so shutdown does not wait for them', async () => {
    const created = await post({ modelId: CORE, prompt: 'x' });
    const cookie = created.headers['set-cookie'] as unknown as string[];
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/api/generations/${created.body.id}/events`;
    const res = await fetch(url, { headers: { cookie: cookie.join('; ') } });
    const reader = res.body?.getReader();
    await reader?.read(); // the first event: the queued job
    // WHEN the app closes (without the fix this waits for the stream, up to 10 minutes: the test times out)
    await app.close();
    // THEN the stream has ended
    let done = false;
    while (!done) done = (await reader?.read())?.done ?? true;
    expect(done).toBe(true);
    ({ app } = await createBffApp(config, { generator })); // afterEach closes it again
  });

  it('passes the Idempotency-Key on, cancels and deletes the owner’s job', async () => {
    const created = await post({ modelId: CORE, prompt: 'x' }).set('Idempotency-Key', 'click-123456');
    expect(generator.keys).toEqual(['click-123456']);
    const cookie = created.headers['set-cookie'] as unknown as string[];
    const cancelled = await request(app.getHttpServer())
      .post(`/api/generations/${created.body.id}/cancel`)
      .set('Cookie', cookie);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await request(app.getHttpServer()).delete(`/api/generations/${created.body.id}`)).status).toBe(
      404,
    );
    expect(
      (await request(app.getHttpServer()).delete(`/api/generations/${created.body.id}`).set('Cookie', cookie))
        .status,
    ).toBe(204);
    expect(generator.jobs.has(created.body.id)).toBe(false);
  });

  it("lists the generator's models with their availability and measured ETA, asking it once for many users", async () => {
    // GIVEN a generator that measured 4 s per image
    // WHEN three users ask for the models
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await request(app.getHttpServer()).get('/api/models'));
    // THEN each gets the generator's answer, and the generator was asked once
    const core = answers[2].body.find((m: { id: string }) => m.id === CORE);
    expect(core).toMatchObject({
      available: true,
      availability: 'available',
      maxCount: 4,
      eta: expect.objectContaining({ p50Seconds: 4, source: 'measured' }),
    });
    expect(generator.calls.filter((c) => c === 'models')).toEqual(['models']);
  });

  it('lists the catalog when the generator cannot be reached: retired models disabled with the reason, never a 5xx', async () => {
    // GIVEN a generator that cannot be reached
    generator.modelsAnswer = () =>
      Promise.reject(ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'cannot be reached'));
    // WHEN a user asks for the models
    const res = await request(app.getHttpServer()).get('/api/models');
    // THEN the catalog comes back, with what the BFF can tell alone
    expect(res.status).toBe(200);
    const sdxl = res.body.find((m: { id: string }) => m.id === 'stability.stable-diffusion-xl-v1');
    const core = res.body.find((m: { id: string }) => m.id === CORE);
    expect(core).toMatchObject({
      available: true,
      availability: 'unknown',
      eta: expect.objectContaining({ p50Seconds: 6, source: 'catalog' }),
    });
    expect(sdxl).toMatchObject({
      available: false,
      availability: 'retired',
      unavailableReason: expect.stringContaining('Retired'),
    });
  });

  it("answers the owner's summary, for the cookie's owner only", async () => {
    // GIVEN an owner who made a job
    const created = await post({ modelId: CORE, prompt: 'x' });
    const cookie = created.headers['set-cookie'] as unknown as string[];
    // WHEN the owner asks for the summary
    const res = await request(app.getHttpServer())
      .get('/api/summary')
      .set('Cookie', cookie)
      .set('x-imagegen-owner', 'anon-victim');
    // THEN the generator was asked for that owner (never one named by the browser)
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      retentionDays: 30,
      month: '2026-11',
      spentUsd: expect.any(Number),
      images: 2,
    });
    expect(res.body.spentUsd).toBe(generator.created[0].ownerId.length / 100);
  });

  it("answers each Image Service's ETA as the generator measured it, asking it once for every user meanwhile", async () => {
    // WHEN the editor asks for the services
    const res = await request(app.getHttpServer()).get('/api/services');
    // THEN every service answers, the measured one with its measured figures
    expect(res.status).toBe(200);
    expect(res.body.map((s: { id: string }) => s.id)).toEqual(IMAGE_SERVICES.map((s) => s.id));
    expect(res.body[0].eta).toMatchObject({ source: 'measured', p50Seconds: 3, samples: 9 });
    expect(res.body[1].eta).toMatchObject({ source: 'catalog', samples: 0 });
    // AND another editor opened meanwhile gets the same answer without a second question to the generator
    const again = await request(app.getHttpServer()).get('/api/services');
    expect(again.body).toEqual(res.body);
    expect(generator.calls.filter((c) => c === 'services')).toHaveLength(1);
  });

  it("answers the catalog's figures for the Image Services when the generator cannot answer (never an error)", async () => {
    generator.failWith = ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'cannot be reached');
    const res = await request(app.getHttpServer()).get('/api/services');
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(IMAGE_SERVICES.length);
    for (const [i, service] of IMAGE_SERVICES.entries())
      expect(res.body[i]).toEqual({
        id: service.id,
        eta: expect.objectContaining({ source: 'catalog', p50Seconds: service.expectedSecondsPerImage }),
      });
  });

  it('passes a problem of the summary through', async () => {
    generator.failWith = ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'cannot be reached');
    const res = await request(app.getHttpServer()).get('/api/summary');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe(ErrorCode.MODEL_UNAVAILABLE);
  });

  it('answers health at once and readiness from the generator', async () => {
    // GIVEN the generator's answer is not kept (READY_CACHE_SECONDS=0)
    await app.close();
    ({ app } = await createBffApp(loadBffConfig(testEnv({ READY_CACHE_SECONDS: '0' })), { generator }));
    await app.init();
    expect((await request(app.getHttpServer()).get('/api/health')).body).toEqual({ status: 'ok' });
    expect((await request(app.getHttpServer()).get('/api/ready')).status).toBe(200);
    generator.failWith = ProblemError.of(ErrorCode.MODEL_UNAVAILABLE, 'cannot be reached');
    const notReady = await request(app.getHttpServer()).get('/api/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body.code).toBe(ErrorCode.MODEL_UNAVAILABLE);
  });

  it('asks the generator for readiness at most once per READY_CACHE_SECONDS, however many checks come', async () => {
    // WHEN 10 readiness checks arrive within the cache's few seconds
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await request(app.getHttpServer()).get('/api/ready')).status);
    // THEN each is answered, from one question to the generator
    expect(statuses).toEqual(Array(10).fill(200));
    expect(generator.calls.filter((c) => c === 'ping')).toHaveLength(1);
  });

  it('serves its OpenAPI document and sets security headers and the request id', async () => {
    const res = await request(app.getHttpServer()).get('/api/docs-json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/generations',
        '/api/generations/{id}',
        '/api/models',
        '/api/services',
        '/api/summary',
      ]),
    );
    expect(
      res.body.paths['/api/services'].get.responses['200'].content['application/json'].schema.items
        .properties,
    ).toHaveProperty('eta');
    expect(
      res.body.paths['/api/models'].get.responses['200'].content['application/json'].schema.items.properties,
    ).toHaveProperty('availability');
    expect(res.body.paths['/api/generations'].post.responses['429'].description).toMatch(
      /RATE_LIMITED.*BUDGET_EXCEEDED.*QUEUE_FULL/,
    );
    expect(res.body.components.schemas.ProblemDetails.properties.budget.properties).toHaveProperty(
      'remainingUsd',
    );
    // The document says what the code answers: the request schema comes from the contract class,
    // problem codes and statuses from the error-code table.
    const body = res.body.paths['/api/generations'].post.requestBody.content['application/json'].schema;
    expect(body.properties.prompt).toMatchObject({ type: 'string', minLength: 1, maxLength: 10_000 });
    expect(body.properties.count).toMatchObject({ type: 'integer', minimum: 1, maximum: 4 });
    expect(body.additionalProperties).toBe(false);
    expect(res.body.paths['/api/generations'].post.responses['503'].description).toMatch(
      /^SERVICE_UNAVAILABLE /,
    );
    expect(res.body.info.description).toContain('503 SERVICE_UNAVAILABLE');
    expect(res.body.components.schemas.ProblemDetails.properties.code.enum).toEqual(Object.values(ErrorCode));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const api = await request(app.getHttpServer()).get('/api/health').set('x-request-id', 'trace-123');
    expect(api.headers['x-request-id']).toBe('trace-123');
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await request(app.getHttpServer()).get('/api/nope');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe(loadBffConfig.name, () => {
  it('waits for the generator longer than API Gateway does (29 s), so the gateway answers first', () => {
    expect(loadBffConfig(testEnv()).GENERATOR_TIMEOUT_MS).toBeGreaterThan(API_GATEWAY_TIMEOUT_MS);
    expect(loadBffConfig(testEnv()).GENERATOR_TIMEOUT_MS).toBe(31_000);
    // and a request in progress at SIGTERM can still wait that long before the BFF gives up draining
    expect(loadBffConfig(testEnv()).SHUTDOWN_DEADLINE_MS).toBeGreaterThan(
      loadBffConfig(testEnv()).GENERATOR_TIMEOUT_MS,
    );
    expect(() => loadBffConfig(testEnv({ GENERATOR_TIMEOUT_MS: '25000' }))).toThrow(
      /GENERATOR_TIMEOUT_MS must be more than 29000/,
    );
  });

  it('names every missing or malformed setting', () => {
    expect(() => loadBffConfig({ COOKIE_SECRET: 'short', PORT: 'abc' })).toThrow(
      /setting GENERATOR_API_URL is missing[\s\S]*COOKIE_SECRET must be at least 32/,
    );
    expect(() => loadBffConfig({ GENERATOR_API_URL: 'not a url', COOKIE_SECRET: 'x'.repeat(40) })).toThrow(
      /setting GENERATOR_API_URL/,
    );
  });

  it('never echoes the cookie secret in its refusal', () => {
    expect(() => loadBffConfig(testEnv({ COOKIE_SECRET: 'hunter2-is-my-password' }))).toThrow(
      /^(?![\s\S]*hunter2)[\s\S]*COOKIE_SECRET must be at least 32 characters/,
    );
  });

  it('is what the README says: every setting in its BFF table, with the code’s default and description', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    expect(settingsTableProblems(BFF_SETTINGS, readSettingsTable(readme, 'BFF'))).toEqual([]);
  });
});

describe('BFF behind an ALB that signs users in', () => {
  const oidcConfig = loadBffConfig(
    testEnv({
      OIDC_ALB_ARN:
        'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/imagegen/50dc6c495c0c9188',
      OIDC_ISSUER: 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Example',
      OIDC_CLIENT_ID: 'app-client-1',
    }),
  );

  it('will not start with the ALB but without the issuer or app client to check its tokens against', () => {
    expect(() =>
      loadBffConfig(
        testEnv({
          OIDC_ALB_ARN:
            'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/imagegen/50dc6c495c0c9188',
        }),
      ),
    ).toThrow(/OIDC_ISSUER[\s\S]*OIDC_CLIENT_ID/);
  });
  const verifier = {
    ownerOf: async (t: string) =>
      t === 'good-token'
        ? 'oidc:user-1'
        : Promise.reject(ProblemError.of(ErrorCode.UNAUTHORIZED, 'bad token')),
  };
  let oidcApp: NestExpressApplication;
  let fake: FakeGenerator;

  beforeEach(async () => {
    fake = new FakeGenerator();
    ({ app: oidcApp } = await createBffApp(oidcConfig, { generator: fake, oidc: verifier as never }));
    await oidcApp.init();
  });
  afterEach(() => oidcApp.close());

  it("uses the signed-in user's subject as the owner, and sets no anonymous cookie", async () => {
    const res = await request(oidcApp.getHttpServer())
      .post('/api/generations')
      .set('x-amzn-oidc-data', 'good-token')
      .send({ modelId: CORE, prompt: 'x' });
    expect(res.status).toBe(202);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(fake.created[0].ownerId).toBe('oidc:user-1');
  });

  it('refuses a request without a valid token with a 403 problem, and still answers health checks', async () => {
    expect((await request(oidcApp.getHttpServer()).get('/api/generations')).status).toBe(403);
    const forged = await request(oidcApp.getHttpServer())
      .get('/api/generations')
      .set('x-amzn-oidc-data', 'forged');
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe(ErrorCode.UNAUTHORIZED);
    expect((await request(oidcApp.getHttpServer()).get('/api/health')).status).toBe(200);
  });
});
