import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { ErrorCode } from '@imagegen/contracts';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

let app: NestExpressApplication;
let generator: FakeGenerator;

async function start(limits: Record<string, string>) {
  generator = new FakeGenerator();
  ({ app } = await createBffApp(
    loadBffConfig(
      testEnv({
        RATE_LIMIT_PER_IP: '1000',
        RATE_LIMIT_PER_OWNER: '1000',
        RATE_LIMIT_JOBS_PER_OWNER: '1000',
        RATE_LIMIT_JOBS_PER_IP: '1000',
        ...limits,
      }),
    ),
    { generator },
  ));
  await app.init();
}
afterEach(() => app.close());

const http = () => request(app.getHttpServer());
const create = (cookie?: string[]) => {
  const r = http().post('/api/generations').set('content-type', 'application/json');
  return (cookie ? r.set('Cookie', cookie) : r).send({ modelId: CORE, prompt: 'x' });
};
/** A new anonymous owner: its cookie. */
const newOwner = async () =>
  (await http().get('/api/generations')).headers['set-cookie'] as unknown as string[];

function expectRateLimited(res: request.Response) {
  expect(res.status).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 429, code: ErrorCode.RATE_LIMITED });
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
}

describe('BFF rate limits', () => {
  it('refuses an owner over RATE_LIMIT_PER_OWNER with 429 RATE_LIMITED and Retry-After, and not another owner', async () => {
    // GIVEN 3 requests a minute per owner
    await start({ RATE_LIMIT_PER_OWNER: '3' });
    const alice = await newOwner();
    // WHEN alice sends 3 more requests, and bob one
    expect((await http().get('/api/summary').set('Cookie', alice)).status).toBe(200);
    expect((await http().get('/api/generations').set('Cookie', alice)).status).toBe(200);
    const refused = await http().get('/api/generations').set('Cookie', alice);
    // THEN alice's fourth is refused and never reaches the generator
    expectRateLimited(refused);
    expect(generator.calls).toEqual(['list', 'summary', 'list']);
    // AND bob is answered
    const bob = await newOwner();
    expect((await http().get('/api/generations').set('Cookie', bob)).status).toBe(200);
  });

  it('refuses a job over RATE_LIMIT_JOBS_PER_OWNER and creates nothing, while reading goes on', async () => {
    // GIVEN 2 new jobs a minute per owner
    await start({ RATE_LIMIT_JOBS_PER_OWNER: '2' });
    const cookie = await newOwner();
    const first = await create(cookie);
    expect(first.status).toBe(202);
    expect((await create(cookie)).status).toBe(202);
    // WHEN the owner asks for a third job
    const third = await create(cookie);
    // THEN it is refused, the generator made two jobs only, and reading still works
    expectRateLimited(third);
    expect(third.body.detail).toMatch(/too many new jobs/);
    expect(generator.created).toHaveLength(2);
    expect((await http().get(`/api/generations/${first.body.id}`).set('Cookie', cookie)).status).toBe(200);
  });

  it('refuses a client address over RATE_LIMIT_PER_IP whatever the owner, and not another address', async () => {
    // GIVEN 3 requests a minute per address (the ALB names it in X-Forwarded-For)
    await start({ RATE_LIMIT_PER_IP: '3' });
    const from = (ip: string) => http().get('/api/generations').set('x-forwarded-for', ip); // no cookie: a new owner each time
    // WHEN one address sends 4 requests, each as a new owner, and another address one
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.7')).status).toBe(200);
    const refused = await from('203.0.113.7');
    // THEN the fourth is refused, the other address is answered
    expectRateLimited(refused);
    expect((await from('198.51.100.2')).status).toBe(200);
  });

  it('refuses a cookie-less flood of jobs from one address as tightly as one owner (each request would be a new owner)', async () => {
    // GIVEN 2 new jobs a minute per owner
    await start({ RATE_LIMIT_JOBS_PER_OWNER: '2' });
    // WHEN one address sends 5 jobs without a cookie
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await create()).status);
    // THEN 2 are made and the rest refused, while a person with a cookie at another address is not
    expect(statuses).toEqual([202, 202, 429, 429, 429]);
    expect(generator.created).toHaveLength(2);
    const other = await http().get('/api/models').set('x-forwarded-for', '198.51.100.2');
    const cookie = other.headers['set-cookie'] as unknown as string[];
    expect((await create(cookie)).status).toBe(202);
  });

  it('refuses jobs over RATE_LIMIT_JOBS_PER_IP from one address, whatever the owners', async () => {
    // GIVEN 2 new jobs a minute per address
    await start({ RATE_LIMIT_JOBS_PER_IP: '2' });
    const owners = [await newOwner(), await newOwner(), await newOwner()];
    // WHEN three owners at one address each send a job
    const statuses = [];
    for (const cookie of owners) statuses.push((await create(cookie)).status);
    // THEN the third is refused
    expect(statuses).toEqual([202, 202, 429]);
  });

  it('caps the live job streams open at once per owner (SSE_STREAMS_PER_OWNER), and frees a place when one ends', async () => {
    // GIVEN 1 stream per owner
    await start({ SSE_STREAMS_PER_OWNER: '1' });
    const cookie = await newOwner();
    const job = (await create(cookie)).body as { id: string };
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/api/generations/${job.id}/events`;
    const headers = { cookie: cookie.map((c) => c.split(';')[0]).join('; ') };
    // WHEN the owner opens a stream, then a second while the first is open
    const firstStream = new AbortController();
    const first = await fetch(url, { headers, signal: firstStream.signal });
    const second = await fetch(url, { headers });
    // THEN the second is refused with a problem, and the generator was not asked for it
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      detail: expect.stringMatching(/live job streams/),
    });
    // AND once the first ends, a new one opens
    firstStream.abort();
    await first.body?.cancel().catch(() => undefined);
    let third = await fetch(url, { headers });
    for (let i = 0; i < 20 && third.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // the server sees the closed connection
      third = await fetch(url, { headers });
    }
    expect(third.status).toBe(200);
    await third.body?.cancel();
  });

  it('never counts the health and readiness checks', async () => {
    // GIVEN 1 request a minute per address, used up
    await start({ RATE_LIMIT_PER_IP: '1' });
    await http().get('/api/models');
    expectRateLimited(await http().get('/api/models'));
    // WHEN the load balancer checks health and readiness
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await http().get('/api/health')).status, (await http().get('/api/ready')).status);
    // THEN each check is answered
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('counts an event stream once, at open, however long it runs', async () => {
    // GIVEN 3 requests a minute per owner, one used to create a job
    await start({ RATE_LIMIT_PER_OWNER: '3' });
    const created = await create();
    const cookie = created.headers['set-cookie'] as unknown as string[];
    // WHEN the owner follows the job while the BFF polls the generator many times
    const polled = setInterval(() => {
      if (generator.calls.filter((c) => c === 'get').length >= 4) generator.finish(created.body.id);
    }, 10);
    const stream = await http()
      .get(`/api/generations/${created.body.id}/events`)
      .set('Cookie', cookie)
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => cb(null, text));
      });
    clearInterval(polled);
    // THEN the stream delivered the job, and the owner still has one request left, then none
    expect(String(stream.body)).toMatch(/"status":"succeeded"/);
    expect(generator.calls.filter((c) => c === 'get').length).toBeGreaterThanOrEqual(4);
    expect((await http().get(`/api/generations/${created.body.id}`).set('Cookie', cookie)).status).toBe(200);
    expectRateLimited(await http().get(`/api/generations/${created.body.id}`).set('Cookie', cookie));
  });
});

describe('rate limit settings', () => {
  it('are validated at start-up', () => {
    expect(() => loadBffConfig(testEnv({ RATE_LIMIT_PER_IP: '0' }))).toThrow(/RATE_LIMIT_PER_IP/);
    expect(() => loadBffConfig(testEnv({ RATE_LIMIT_JOBS_PER_OWNER: 'many' }))).toThrow(
      /RATE_LIMIT_JOBS_PER_OWNER/,
    );
    expect(() => loadBffConfig(testEnv({ RATE_LIMIT_WINDOW_SECONDS: '1.5' }))).toThrow(
      /RATE_LIMIT_WINDOW_SECONDS/,
    );
    expect(loadBffConfig(testEnv())).toMatchObject({
      RATE_LIMIT_PER_IP: 600,
      RATE_LIMIT_PER_OWNER: 300,
      RATE_LIMIT_JOBS_PER_OWNER: 30,
      RATE_LIMIT_WINDOW_SECONDS: 60,
      RATE_LIMIT_JOBS_PER_IP: 20,
      SSE_STREAMS_PER_OWNER: 6,
      SSE_STREAMS_PER_IP: 20,
      READY_CACHE_SECONDS: 5,
    });
    expect(loadBffConfig(testEnv()).RATE_LIMIT_TABLE).toBeUndefined();
    expect(() => loadBffConfig(testEnv({ RATE_LIMIT_JOBS_PER_IP: '0' }))).toThrow(/RATE_LIMIT_JOBS_PER_IP/);
    expect(() => loadBffConfig(testEnv({ RATE_LIMIT_TABLE: 'no spaces' }))).toThrow(/RATE_LIMIT_TABLE/);
    expect(() => loadBffConfig(testEnv({ SSE_STREAMS_PER_IP: '0' }))).toThrow(/SSE_STREAMS_PER_IP/);
  });
});
