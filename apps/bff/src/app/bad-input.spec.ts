import { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo, connect } from 'node:net';
import request from 'supertest';

import { ErrorCode } from '@imagegen/contracts';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

let app: NestExpressApplication;
let generator: FakeGenerator;

beforeEach(async () => {
  generator = new FakeGenerator();
  ({ app } = await createBffApp(loadBffConfig(testEnv()), { generator }));
  await app.init();
});
afterEach(() => app.close());

const http = () => request(app.getHttpServer());

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
}

describe('BFF bad input', () => {
  describe('ids that are not ids', () => {
    const ids = [
      ['path traversal with encoded slashes', '..%2F..%2Fetc%2Fpasswd'],
      ['encoded dots and slashes', '%2e%2e%2f%2e%2e%2fsecret'],
      ['an id followed by an encoded traversal', 'job0000000001%2F..%2F..'],
      ['a double-encoded slash', 'job0000000001%252F..'],
      ['a backslash traversal', '..%5C..%5Cwindows'],
      ['a null byte', 'job0000000001%00'],
      ['broken percent-encoding', '%E0%A4%A'],
      ['upper case', 'JOB0000000001'],
      ['300 characters', 'a'.repeat(300)],
      ['an S3-like key', 'images%2Fanon-1%2Fjob0000000001.png'],
    ];
    const routes: [string, (id: string) => request.Test][] = [
      ['GET', (id) => http().get(`/api/generations/${id}`)],
      ['DELETE', (id) => http().delete(`/api/generations/${id}`)],
      ['cancel', (id) => http().post(`/api/generations/${id}/cancel`)],
      ['events', (id) => http().get(`/api/generations/${id}/events`)],
    ];
    it.each(ids.flatMap(([name, id]) => routes.map(([route, send]) => [`${name} (${route})`, id, send] as const)))(
      'answers %s with a 4xx problem, and never asks the generator',
      async (_name, id, send) => {
        const res = await send(id);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(generator.calls).toEqual([]);
      },
    );

    it('answers an id that cannot be an id 404 NOT_FOUND, as for another owner’s job', async () => {
      expectProblem(await http().get('/api/generations/..%2F..%2Fetc%2Fpasswd'), 404, ErrorCode.NOT_FOUND);
    });
  });

  describe('page cursors and limits', () => {
    it.each([
      ['a cursor of 257 characters', `cursor=${'c'.repeat(257)}`, 'cursor'],
      ['a cursor with a space', 'cursor=g1.a%20b', 'cursor'],
      ['a cursor with a line break', 'cursor=g1.a%0Ab', 'cursor'],
      ['a cursor with unicode', 'cursor=g1.%C3%A9', 'cursor'],
      ['a cursor given twice', 'cursor=g1.a&cursor=g1.b', 'cursor'],
      ['a limit of 17 digits', `limit=${'9'.repeat(17)}`, 'limit'],
      ['a limit given twice', 'limit=5&limit=6', 'limit'],
    ])('refuses %s with 400 VALIDATION_FAILED naming it, and never asks the generator', async (_name, query, field) => {
      const res = await http().get(`/api/generations?${query}`);
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      expect(generator.calls).toEqual([]);
    });

    it.each([
      ['a malformed cursor', 'cursor=not-a-cursor', { cursor: 'not-a-cursor' }],
      ['a limit of 1000', 'limit=1000', { limit: '1000' }],
      ['a limit of 0', 'limit=0', { limit: '0' }],
      ['a negative limit', 'limit=-1', { limit: '-1' }],
      ['a limit that is not a number', 'limit=ten', { limit: 'ten' }],
    ])("passes %s to the generator as it is, and answers the generator's 400", async (_name, query, sent) => {
      const res = await http().get(`/api/generations?${query}`);
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(generator.listed).toEqual([{ ownerId: expect.any(String), query: sent }]);
    });
  });

  describe('Idempotency-Key', () => {
    const create = (key: string) => http().post('/api/generations').set('content-type', 'application/json').set('Idempotency-Key', key).send({ modelId: CORE, prompt: 'x' });

    it.each([
      ['of 256 characters', 'k'.repeat(256)],
      ['of 129 characters', 'k'.repeat(129)],
      ['of 3 characters', 'abc'],
      ['with spaces', 'click 123456'],
      ['with a slash', 'click/123456'],
      ['with quotes and angle brackets', '"><script>1</script>'],
      ['with a Latin-1 letter', 'click\u00e9123456'],
    ])('refuses a key %s with 400 VALIDATION_FAILED, and creates nothing', async (_name, key) => {
      const res = await create(key);
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      expect(generator.calls).toEqual([]);
    });

    it('refuses the key sent twice', async () => {
      const res = await http().post('/api/generations').set('content-type', 'application/json').set('Idempotency-Key', ['click-123456', 'click-654321'] as unknown as string) // two header lines.send({ modelId: CORE, prompt: 'x' });
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(generator.calls).toEqual([]);
    });

    it('takes a UUID key and passes it on', async () => {
      const res = await create('0b6f7a52-1c1e-4b8e-9a34-2f0c3e0d9a11');
      expect(res.status).toBe(202);
      expect(generator.keys).toEqual(['0b6f7a52-1c1e-4b8e-9a34-2f0c3e0d9a11']);
    });
  });

  describe('requests Node itself refuses', () => {
    /** Sends raw bytes to the listening app and answers what came back. */
    async function raw(bytes: string): Promise<string> {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      return new Promise((resolve, reject) => {
        let out = '';
        const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
        socket.on('data', (d: Buffer) => (out += d.toString()));
        socket.on('close', () => resolve(out));
        socket.on('error', reject);
      });
    }

    it('answers headers over the size limit with a 413 problem', async () => {
      const out = await raw(`GET /api/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(out).toMatch(/^HTTP\/1\.1 413 /);
      expect(out).toMatch(/\r\nContent-Type: application\/problem\+json/);
      expect(out).toMatch(/\r\nContent-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n/);
      expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE });
    });

    it('answers a request that is not HTTP with a 400 problem', async () => {
      const out = await raw('GET /api/models HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      expect(out).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: ErrorCode.VALIDATION_FAILED });
    });
  });
});
