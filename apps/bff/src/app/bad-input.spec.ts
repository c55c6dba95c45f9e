import { AddressInfo, connect, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { NestExpressApplication } from '@nestjs/platform-express';
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
    it.each(
      ids.flatMap(([name, id]) => routes.map(([route, send]) => [`${name} (${route})`, id, send] as const)),
    )('answers %s with a 4xx problem, and never asks the generator', async (_name, id, send) => {
      const res = await send(id);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(generator.calls).toEqual([]);
    });

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
    ])(
      'refuses %s with 400 VALIDATION_FAILED naming it, and never asks the generator',
      async (_name, query, field) => {
        const res = await http().get(`/api/generations?${query}`);
        expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
        expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
        expect(generator.calls).toEqual([]);
      },
    );

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
    const create = (key: string) =>
      http()
        .post('/api/generations')
        .set('content-type', 'application/json')
        .set('Idempotency-Key', key)
        .send({ modelId: CORE, prompt: 'x' });

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
      const res = await http()
        .post('/api/generations')
        .set('content-type', 'application/json')
        .set('Idempotency-Key', ['click-123456', 'click-654321'] as unknown as string); // two header lines.send({ modelId: CORE, prompt: 'x' });
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(generator.calls).toEqual([]);
    });

    it('takes a UUID key and passes it on', async () => {
      const res = await create('0b6f7a52-1c1e-4b8e-9a34-2f0c3e0d9a11');
      expect(res.status).toBe(202);
      expect(generator.keys).toEqual(['0b6f7a52-1c1e-4b8e-9a34-2f0c3e0d9a11']);
    });
  });

  describe('request bodies', () => {
    const send = (body: string | Buffer, headers: Record<string, string> = {}) =>
      http()
        .post('/api/generations')
        .set({ 'content-type': 'application/json', ...headers })
        .send(body);
    const nested = (open: string, inner: string, close: string, depth: number) =>
      `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

    it.each([
      ['arrays 10,000 deep', nested('[', '1', ']', 10_000)],
      ['objects 10,000 deep', nested('{"a":', '1', '}', 10_000)],
      ['a prompt of arrays 10,000 deep', `{"modelId":"${CORE}","prompt":${nested('[', '"x"', ']', 10_000)}}`],
      ['objects 33 deep', nested('{"a":', '1', '}', 33)],
    ])(
      'refuses a body of %s with 400 VALIDATION_FAILED naming the depth, and never asks the generator',
      async (_name, body) => {
        // GIVEN a body that nests deeper than any request does (a valid one nests 2 levels)  WHEN it is sent
        const res = await send(body);
        // THEN it is refused as such, before any validation walks it (without the fix: 500, the stack overflowed)
        expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: '(body)', rule: 'maxDepth' })]);
        expect(generator.calls).toEqual([]);
      },
    );

    it('judges a body nested 32 levels deep on its fields, as any other', async () => {
      const res = await send(
        JSON.stringify({ modelId: CORE, prompt: 'x', extra: JSON.parse(nested('{"a":', '1', '}', 31)) }),
      );
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'extra' })]);
    });

    it.each([
      ['gzip', 'gzip'],
      ['deflate', 'deflate'],
      ['br', 'br'],
      ['compress', 'compress'],
      ['an unknown coding', 'x-foo'],
      ['two codings', 'gzip, identity'],
    ])(
      'refuses a body in Content-Encoding %s with 415 UNSUPPORTED_MEDIA_TYPE and Accept-Encoding: identity',
      async (_name, coding) => {
        const res = await send(JSON.stringify({ modelId: CORE, prompt: 'x' }), {
          'content-encoding': coding,
        });
        expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        expect(res.headers['accept-encoding']).toBe('identity');
        expect(generator.calls).toEqual([]);
      },
    );

    it('refuses a body that really is gzipped the same way: bodies are small JSON, sent as they are', async () => {
      const res = await send(gzipSync(JSON.stringify({ modelId: CORE, prompt: 'x' })), {
        'content-encoding': 'gzip',
      });
      expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
      expect(generator.calls).toEqual([]);
    });

    it('takes a body in Content-Encoding identity', async () => {
      const res = await send(JSON.stringify({ modelId: CORE, prompt: 'x' }), {
        'content-encoding': 'identity',
      });
      expect(res.status).toBe(202);
    });
  });

  describe('large bodies refused while they are still being sent (listening app)', () => {
    const sockets: Socket[] = [];
    afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));

    /**
     * Sends `head`, then each chunk once the previous one is written, as a proxy streams an upload
     * (it keeps sending until the whole body is out, and ends its side only then); resolves with
     * what came back once the server closed, rejects on a reset.
     */
    async function upload(head: string, chunks: readonly Buffer[]): Promise<string> {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      return new Promise((resolve, reject) => {
        let out = '';
        let uploaded = false;
        let answered = false;
        const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        sockets.push(socket);
        socket.on('data', (d: Buffer) => (out += d.toString()));
        socket.on('error', reject);
        socket.on('end', () => ((answered = true), uploaded && socket.end()));
        socket.on('close', () => resolve(out));
        socket.on('connect', async () => {
          socket.write(head);
          for (const chunk of chunks) {
            await new Promise<void>((done) => socket.write(chunk, () => done()));
            await new Promise((r) => setImmediate(r)); // the server answers between two chunks if it does not read them
          }
          uploaded = true;
          if (answered) socket.end();
        });
      });
    }
    const chunksOf = (bytes: Buffer, size = 16_384) =>
      Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
        bytes.subarray(i * size, (i + 1) * size),
      );
    const chunked = (bytes: Buffer) =>
      Buffer.concat([
        ...chunksOf(bytes).flatMap((c) => [
          Buffer.from(`${c.length.toString(16)}\r\n`),
          c,
          Buffer.from('\r\n'),
        ]),
        Buffer.from('0\r\n\r\n'),
      ]);
    const statusOf = (out: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(out)?.[1]);
    const problemOf = (out: string) => JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
    const big = Buffer.alloc(300_000, 'a');

    it.each([
      ['in another content type', 'content-type: text/plain', big, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
      [
        'in an unknown Content-Encoding',
        'content-type: application/json\r\ncontent-encoding: x-foo',
        big,
        415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      ],
      ['over the JSON size limit', 'content-type: application/json', big, 413, ErrorCode.PAYLOAD_TOO_LARGE],
    ])(
      'reads a 300 kB body %s before it refuses it, so the client sending it gets the problem, not a reset',
      async (_name, headers, body, status, code) => {
        // GIVEN a client (a proxy) that streams the whole body and closes the connection after the answer
        const head = `POST /api/generations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\ncontent-length: ${body.length}\r\n\r\n`;
        // WHEN it sends the body in chunks  THEN it receives the problem (without the fix: ECONNRESET, the server closed mid-upload)
        const out = await upload(head, chunksOf(body));
        expect(statusOf(out)).toBe(status);
        expect(problemOf(out)).toMatchObject({ status, code });
        expect(generator.calls).toEqual([]);
      },
    );

    it('reads a chunked 300 kB body in another content type before it refuses it', async () => {
      const head =
        'POST /api/generations HTTP/1.1\r\nHost: x\r\nConnection: close\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n';
      const out = await upload(head, chunksOf(chunked(big)));
      expect(statusOf(out)).toBe(415);
      expect(problemOf(out)).toMatchObject({ code: ErrorCode.UNSUPPORTED_MEDIA_TYPE });
    });

    it.each([
      ['in another content type', 'text/plain', 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
      ['of JSON', 'application/json', 413, ErrorCode.PAYLOAD_TOO_LARGE],
    ])(
      'answers a body %s declared far too big to read at once, with Connection: close',
      async (_name, type, status, code) => {
        // GIVEN a request that announces 100 MB  WHEN only its first bytes have come
        const head = `POST /api/generations HTTP/1.1\r\nHost: x\r\ncontent-type: ${type}\r\ncontent-length: 100000000\r\n\r\n`;
        const out = await upload(head, [big.subarray(0, 16_384)]);
        // THEN the problem comes without waiting for the rest, and the server closes the connection
        expect(statusOf(out)).toBe(status);
        expect(out).toMatch(/\r\nConnection: close\r\n/i);
        expect(problemOf(out)).toMatchObject({ status, code });
      },
    );
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
      expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({
        status: 413,
        code: ErrorCode.PAYLOAD_TOO_LARGE,
      });
    });

    it('answers a request that is not HTTP with a 400 problem', async () => {
      const out = await raw('GET /api/models HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      expect(out).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({
        status: 400,
        code: ErrorCode.VALIDATION_FAILED,
      });
    });
  });
});
