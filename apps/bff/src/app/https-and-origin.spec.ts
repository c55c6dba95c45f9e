import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { ErrorCode } from '@imagegen/contracts';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

const CLOUDFRONT = 'https://d111111abcdef8.cloudfront.net';

let generator: FakeGenerator;
const apps: NestExpressApplication[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A BFF whose public origin is `publicOrigin` (as infra sets PUBLIC_ORIGIN), behind plain HTTP (CloudFront → ALB). */
async function bff(publicOrigin?: string) {
  generator = new FakeGenerator();
  const { app } = await createBffApp(
    loadBffConfig(testEnv(publicOrigin ? { PUBLIC_ORIGIN: publicOrigin } : {})),
    { generator },
  );
  await app.init();
  apps.push(app);
  return app;
}
const job = { modelId: CORE, prompt: 'a lighthouse' };

describe('owner cookie over HTTPS', () => {
  it('is Secure, __Host- prefixed, Path=/ and without Domain when the public origin is https (CloudFront in front)', async () => {
    const app = await bff(CLOUDFRONT);
    const res = await request(app.getHttpServer()).get('/api/models').set('x-forwarded-proto', 'http');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-imagegen_owner=s%3Aanon-/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it('keeps the owner with the __Host- cookie, and ignores an unprefixed one planted over HTTP', async () => {
    const app = await bff(CLOUDFRONT);
    const first = await request(app.getHttpServer()).get('/api/models');
    const cookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    await request(app.getHttpServer()).post('/api/generations').set('cookie', cookie).send(job).expect(202);
    const planted = cookie.replace('__Host-', '');
    const other = await request(app.getHttpServer())
      .post('/api/generations')
      .set('cookie', planted)
      .send(job);
    expect(other.status).toBe(202);
    expect(String(other.headers['set-cookie'])).toMatch(/^__Host-imagegen_owner=/);
    expect(generator.created[1].ownerId).not.toBe(generator.created[0].ownerId);
  });

  it('stays a plain cookie, without Secure, on http://localhost', async () => {
    const app = await bff('http://localhost:4200');
    const res = await request(app.getHttpServer()).get('/api/models');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^imagegen_owner=s%3Aanon-/);
    expect(cookie).not.toMatch(/Secure/);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('state-changing requests from another site', () => {
  it.each([
    ['an Origin of another site', { origin: 'https://evil.example' }],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['a same-site sibling', { 'sec-fetch-site': 'same-site', origin: 'https://other.cloudfront.net' }],
    ['an opaque Origin (sandboxed frame)', { origin: 'null' }],
    ['a cross-site request without Origin', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses a POST with %s (403 CROSS_ORIGIN), before any job or owner', async (_name, headers) => {
    const app = await bff(CLOUDFRONT);
    const res = await request(app.getHttpServer()).post('/api/generations').set(headers).send(job);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: ErrorCode.CROSS_ORIGIN, status: 403 });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(generator.created).toHaveLength(0);
  });

  it('refuses a cross-site DELETE, and lets a cross-site GET through (it changes nothing)', async () => {
    const app = await bff(CLOUDFRONT);
    const evil = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    const del = await request(app.getHttpServer()).delete('/api/generations/abc').set(evil);
    expect(del.body).toMatchObject({ code: ErrorCode.CROSS_ORIGIN });
    await request(app.getHttpServer()).get('/api/models').set(evil).expect(200);
  });

  it.each([
    ['the Origin of the app', { origin: CLOUDFRONT }],
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin', origin: CLOUDFRONT }],
    ['Sec-Fetch-Site same-origin, Origin absent', { 'sec-fetch-site': 'same-origin' }],
    ['neither header (not a browser: curl, an SDK)', {}],
  ])('accepts a POST with %s', async (_name, headers) => {
    const app = await bff(CLOUDFRONT);
    await request(app.getHttpServer()).post('/api/generations').set(headers).send(job).expect(202);
  });

  it("without PUBLIC_ORIGIN, takes the request's own host as the app's origin", async () => {
    const app = await bff();
    const server = request(app.getHttpServer());
    await server
      .post('/api/generations')
      .set({ host: 'app.test', origin: 'http://app.test' })
      .send(job)
      .expect(202);
    await server
      .post('/api/generations')
      .set({ host: 'app.test', origin: 'http://evil.test' })
      .send(job)
      .expect(403);
  });
});
