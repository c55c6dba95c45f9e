import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { ErrorCode } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';
import { verifySigV4 } from '@imagegen/shared/util-sigv4';

import { HttpGeneratorClient } from './http-generator-client';

const CREDS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret/test' };
let server: Server;
let base: string;
let reply: (req: IncomingMessage, body: Buffer) => { status: number; body: unknown; type?: string } = () => ({
  status: 200,
  body: {},
});
const seen: { verified: boolean; headers: IncomingMessage['headers']; url: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const verdict = await verifySigV4(
        { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
        {
          service: 'execute-api',
          region: 'us-west-2',
          lookupSecret: (id) => (id === CREDS.accessKeyId ? CREDS.secretAccessKey : undefined),
        },
      );
      seen.push({ verified: verdict.ok, headers: req.headers, url: req.url ?? '' });
      const out = reply(req, body);
      res
        .writeHead(out.status, { 'content-type': out.type ?? 'application/json' })
        .end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (timeoutMs?: number) =>
  new HttpGeneratorClient({
    baseUrl: base,
    region: 'us-west-2',
    credentials: CREDS,
    ...(timeoutMs ? { timeoutMs } : {}),
  });

describe(HttpGeneratorClient.name, () => {
  it('signs each call with SigV4 and sends the owner and request id', async () => {
    reply = () => ({ status: 202, body: { id: 'g1', status: 'queued' } });
    const job = await client().create('anon-1', { prompt: 'x' }, 'req-9');
    expect(job).toEqual({ id: 'g1', status: 'queued' });
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ verified: true, url: '/prod/generations' });
    expect(last.headers).toMatchObject({ 'x-imagegen-owner': 'anon-1', 'x-request-id': 'req-9' });
  });

  it('passes the generator’s problems through with their code and retry hint', async () => {
    reply = () => ({
      status: 429,
      type: 'application/problem+json',
      body: {
        type: 't',
        title: 'busy',
        status: 429,
        code: 'MODEL_THROTTLED',
        retryAfterSeconds: 7,
        requestId: 'x',
      },
    });
    const p = await problemOf(client().get('anon-1', 'g1', 'r'));
    expect(p).toMatchObject({ status: 429, code: ErrorCode.MODEL_THROTTLED, retryAfterSeconds: 7 });
    expect(p).not.toHaveProperty('requestId');
  });

  it('turns API Gateway’s own refusals and timeouts into clear problems, never a bare 500', async () => {
    reply = () => ({ status: 403, body: { message: 'The request signature we calculated does not match' } });
    expect((await problemOf(client().list('anon-1', {}, 'r'))).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    reply = () => ({ status: 504, body: { message: 'Endpoint request timed out' } });
    expect((await problemOf(client().list('anon-1', {}, 'r'))).code).toBe(ErrorCode.MODEL_TIMEOUT);
  });

  it("answers the API stage's throttle (429 Too Many Requests) as the BFF's own RATE_LIMITED problem, with a retry hint", async () => {
    reply = () => ({ status: 429, body: { message: 'Too Many Requests' } });
    expect(await problemOf(client().list('anon-1', {}, 'r'))).toMatchObject({
      status: 429,
      code: ErrorCode.RATE_LIMITED,
      retryAfterSeconds: 1,
    });
  });

  it('answers SERVICE_UNAVAILABLE when the API cannot be reached', async () => {
    const down = new HttpGeneratorClient({
      baseUrl: 'http://127.0.0.1:9/prod',
      region: 'us-west-2',
      credentials: CREDS,
    });
    const p = await problemOf(down.ping('r'));
    expect(p).toMatchObject({ status: 503, code: ErrorCode.SERVICE_UNAVAILABLE, retryAfterSeconds: 5 });
  });

  it('asks for the model list signed and without an owner, and answers it as the generator sent it', async () => {
    // GIVEN a generator that knows one model
    const models = [
      {
        id: 'stability.sd3-5-large-v1:0',
        available: false,
        availability: 'no-access',
        eta: { p50Seconds: 9 },
      },
    ];
    reply = () => ({ status: 200, body: models });
    // WHEN the BFF asks for the models
    const answer = await client().models('req-m');
    // THEN it gets them, over a signed GET /models that names nobody as owner
    expect(answer).toEqual(models);
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ verified: true, url: '/prod/models' });
    expect(last.headers['x-imagegen-owner']).toBeUndefined();
    expect(last.headers['x-request-id']).toBe('req-m');
  });

  it('asks for the Image Services signed and without an owner, over GET /services', async () => {
    const services = [
      { id: 'stability.stable-image-inpaint-v1:0', eta: { p50Seconds: 7, source: 'measured' } },
    ];
    reply = () => ({ status: 200, body: services });
    expect(await client().services('req-s')).toEqual(services);
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ verified: true, url: '/prod/services' });
    expect(last.headers['x-imagegen-owner']).toBeUndefined();
  });

  it("asks for an owner's summary signed and with the owner", async () => {
    // GIVEN a generator with a summary for the owner
    const summary = {
      retentionDays: 30,
      presignExpirySeconds: 900,
      month: '2026-11',
      spentUsd: 0.12,
      images: 3,
    };
    reply = () => ({ status: 200, body: summary });
    // WHEN the BFF asks for it
    const answer = await client().summary('anon-7', 'req-s');
    // THEN it gets it over a signed GET /summary for that owner
    expect(answer).toEqual(summary);
    expect(seen[seen.length - 1]).toMatchObject({
      verified: true,
      url: '/prod/summary',
      headers: expect.objectContaining({ 'x-imagegen-owner': 'anon-7' }),
    });
  });

  it('passes problems of the model list and the summary through like any other call', async () => {
    // GIVEN a generator that refuses with a problem, then one whose gateway fails
    reply = () => ({
      status: 403,
      type: 'application/problem+json',
      body: { type: 't', title: 'no', status: 403, code: 'UNAUTHORIZED' },
    });
    expect((await problemOf(client().summary('anon-1', 'r'))).code).toBe(ErrorCode.UNAUTHORIZED);
    reply = () => ({ status: 502, body: { message: 'Internal server error' } });
    // THEN the BFF sees a clear problem each time, never a bare error
    expect((await problemOf(client().models('r'))).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('encodes ids and queries safely', async () => {
    reply = () => ({ status: 200, body: { items: [] } });
    await client().list('anon-1', { cursor: 'g1.a b&c', limit: '5' }, 'r');
    expect(seen[seen.length - 1].url).toBe('/prod/generations?cursor=g1.a+b%26c&limit=5');
    expect(seen[seen.length - 1].verified).toBe(true);
  });

  it('asks for the edits of a job by parent', async () => {
    reply = () => ({ status: 200, body: { items: [] } });
    await client().list('anon-1', { parent: 'job0000000001', limit: '5' }, 'r');
    expect(seen[seen.length - 1].url).toBe('/prod/generations?limit=5&parent=job0000000001');
  });

  it('sends upload tickets, checks and edits signed, with the owner, the body and the idempotency key', async () => {
    const bodies: unknown[] = [];
    reply = (req, body) => {
      bodies.push(body.length ? JSON.parse(body.toString()) : undefined);
      return { status: req.url?.endsWith('/edits') ? 202 : 201, body: { ok: req.url } };
    };
    await client().createUpload('anon-1', { contentType: 'image/png', bytes: 10 }, 'r1');
    await client().checkUpload('anon-1', 'up0123456789ab', 'r2');
    await client().createEdit('anon-1', { serviceId: 's' }, 'r3', 'key-12345678');
    const last = seen.slice(-3);
    expect(last.map((s) => [s.url, s.verified, s.headers['x-imagegen-owner']])).toEqual([
      ['/prod/uploads', true, 'anon-1'],
      ['/prod/uploads/up0123456789ab/check', true, 'anon-1'],
      ['/prod/edits', true, 'anon-1'],
    ]);
    expect(last[2].headers['idempotency-key']).toBe('key-12345678');
    expect(bodies).toEqual([{ contentType: 'image/png', bytes: 10 }, undefined, { serviceId: 's' }]);
  });

  it('passes a refused upload check through with its code', async () => {
    reply = () => ({
      status: 422,
      type: 'application/problem+json',
      body: { type: 't', title: 'no', status: 422, code: 'INPUT_IMAGE_ANIMATED', detail: 'animated' },
    });
    const p = await problemOf(client().checkUpload('anon-1', 'up0123456789ab', 'r'));
    expect(p).toMatchObject({ status: 422, code: ErrorCode.INPUT_IMAGE_ANIMATED });
  });
});
