import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

let app: NestExpressApplication;
let generator: FakeGenerator;
let base: string;
let nextIp = 1;
/** Each request from its own address, so that only the rate-limit case is ever limited. */
const freshIp = () => `198.51.100.${nextIp++}`;

beforeAll(async () => {
  generator = new FakeGenerator();
  ({ app } = await createBffApp(loadBffConfig(testEnv({ RATE_LIMIT_PER_IP: '2' })), { generator }));
  await app.listen(0, '127.0.0.1');
  base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
});
afterAll(() => app.close());

type HeaderMap = Record<string, string | undefined>;
const SCHEMES = [
  ['HTTP', 'http'],
  ['HTTPS (behind the ALB)', 'https'],
] as const;

/** The answers to pin: each kind the BFF gives, with its response headers. */
const ANSWERS: Record<
  string,
  (proto: string) => Promise<{ status: number; type: string; headers: HeaderMap }>
> = {
  'a JSON answer': async (proto) =>
    answer(
      await request(app.getHttpServer())
        .get('/api/models')
        .set('x-forwarded-proto', proto)
        .set('x-forwarded-for', freshIp()),
    ),
  'a problem from validation': async (proto) =>
    answer(
      await request(app.getHttpServer())
        .post('/api/generations')
        .set('x-forwarded-proto', proto)
        .set('x-forwarded-for', freshIp())
        .send({ modelId: CORE, prompt: '' }),
    ),
  'a problem from the body parser (413)': async (proto) =>
    answer(
      await request(app.getHttpServer())
        .post('/api/generations')
        .set('x-forwarded-proto', proto)
        .set('x-forwarded-for', freshIp())
        .send({ modelId: CORE, prompt: 'x'.repeat(100_000) }),
    ),
  'a 404 for an unknown route': async (proto) =>
    answer(
      await request(app.getHttpServer())
        .get('/api/nope')
        .set('x-forwarded-proto', proto)
        .set('x-forwarded-for', freshIp()),
    ),
  'a 429 of the rate limit': async (proto) => {
    const ip = freshIp();
    const send = () =>
      request(app.getHttpServer())
        .get('/api/models')
        .set('x-forwarded-proto', proto)
        .set('x-forwarded-for', ip);
    await send();
    await send();
    return answer(await send());
  },
  'an event stream': async (proto) => {
    const job = await generator.create('anon-headers', { modelId: CORE, prompt: 'x' }, 'r');
    const cookie = await ownerCookieFor(job.id);
    const res = await fetch(`${base}/api/generations/${job.id}/events`, {
      headers: { cookie, 'x-forwarded-proto': proto, 'x-forwarded-for': freshIp() },
    });
    await res.body?.cancel();
    const headers: HeaderMap = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    return { status: res.status, type: res.headers.get('content-type') ?? '', headers };
  },
};

/** Gives the job to a new anonymous owner and answers that owner's cookie. */
async function ownerCookieFor(id: string): Promise<string> {
  const res = await request(app.getHttpServer()).get('/api/generations').set('x-forwarded-for', freshIp());
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
  const owner = generator.listed[generator.listed.length - 1].ownerId;
  const job = generator.jobs.get(id);
  if (job) generator.jobs.set(id, { ...job, ownerId: owner });
  return cookie;
}

function answer(res: request.Response) {
  return { status: res.status, type: String(res.headers['content-type']), headers: res.headers as HeaderMap };
}

describe('BFF security headers', () => {
  describe.each(SCHEMES)('over %s', (_scheme, proto) => {
    it.each(Object.keys(ANSWERS))(
      'pins helmet’s headers, the API CSP, nosniff and Referrer-Policy on %s',
      async (kind) => {
        const { status, type, headers } = await ANSWERS[kind](proto);
        expect(status).toBeGreaterThan(0);
        expect(type).toBeTruthy();
        expect(headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(headers['x-content-type-options']).toBe('nosniff');
        expect(headers['referrer-policy']).toBe('no-referrer');
        expect(headers['x-frame-options']).toBe('DENY');
        expect(headers['cross-origin-opener-policy']).toBe('same-origin');
        expect(headers['cross-origin-resource-policy']).toBe('same-origin');
        expect(headers['x-powered-by']).toBeUndefined();
        expect(headers['cache-control']).toMatch(/no-store/);
        expect(headers['etag']).toBeUndefined();
        expect(headers['x-request-id']).toBeTruthy();
        if (proto === 'https')
          expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
        else expect(headers['strict-transport-security']).toBeUndefined();
      },
    );
  });

  it('never answers a conditional request 304: every answer is fresh', async () => {
    for (const path of ['/api/health', '/api/models', '/api/summary']) {
      const res = await request(app.getHttpServer())
        .get(path)
        .set('if-none-match', '*')
        .set('x-forwarded-for', freshIp());
      expect([path, res.status]).toEqual([path, 200]);
    }
  });

  it('answers each kind as what it is', async () => {
    const kinds = Object.fromEntries(
      await Promise.all(Object.entries(ANSWERS).map(async ([k, f]) => [k, await f('http')] as const)),
    );
    expect(kinds['a JSON answer']).toMatchObject({
      status: 200,
      type: expect.stringMatching(/^application\/json/),
    });
    expect(kinds['a problem from validation']).toMatchObject({
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(kinds['a problem from the body parser (413)']).toMatchObject({
      status: 413,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(kinds['a 404 for an unknown route']).toMatchObject({
      status: 404,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(kinds['a 429 of the rate limit']).toMatchObject({
      status: 429,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(kinds['an event stream']).toMatchObject({
      status: 200,
      type: expect.stringMatching(/^text\/event-stream/),
    });
  });

  it.each(SCHEMES)(
    'issues the owner cookie httpOnly and SameSite=Lax over %s, Secure and __Host- prefixed only over HTTPS',
    async (_scheme, proto) => {
      const res = await request(app.getHttpServer())
        .get('/api/summary')
        .set('x-forwarded-proto', proto)
        .set('x-forwarded-for', freshIp());
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(
        proto === 'https' ? /^__Host-imagegen_owner=s%3Aanon-/ : /^imagegen_owner=s%3Aanon-/,
      );
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Path=\//);
      if (proto === 'https') expect(cookie).toMatch(/; Secure/);
      else expect(cookie).not.toMatch(/Secure/);
    },
  );
});
