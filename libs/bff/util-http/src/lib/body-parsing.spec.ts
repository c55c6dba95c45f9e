import { Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import express from 'express';
import request from 'supertest';

import { ErrorCode } from '@imagegen/contracts';

import { jsonBodyOnly, nestsDeeperThan } from './body-parsing';

const nested = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

describe(nestsDeeperThan.name, () => {
  it.each([
    ['a scalar', 1, 0, false],
    ['null', null, 0, false],
    ['an empty object at its depth', {}, 1, false],
    ['an empty object past it', {}, 0, true],
    ['arrays 3 deep at 3', [[[1]]], 3, false],
    ['arrays 3 deep past 2', [[[1]]], 2, true],
    ['the deepest branch, not the first', { a: 1, b: [{ c: [2] }] }, 3, true],
    ['objects 32 deep at 32', nested(32), 32, false],
    ['objects 33 deep past 32', nested(33), 32, true],
  ])('judges %s', (_name, value, max, deeper) => {
    expect(nestsDeeperThan(value, max)).toBe(deeper);
  });

  it('walks a value a million levels deep without overflowing the stack', () => {
    // GIVEN arrays nested far deeper than any recursion survives (JSON.parse itself does not recurse)
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    // WHEN it is judged  THEN the answer comes, and the walk stopped past the limit
    expect(nestsDeeperThan(deep, 32)).toBe(true);
  });
});

describe(jsonBodyOnly.name, () => {
  let server: Server;
  const app = express()
    .use(jsonBodyOnly('1kb', { maxDepth: 3, drainLimit: 64 * 1024 }))
    .post('/echo', (req, res) => void res.json(req.body));

  beforeEach(
    () => new Promise<void>((listening) => (server = app.listen(0, '127.0.0.1', () => listening()))),
  );
  afterEach(() => new Promise((closed) => server.close(closed)));

  it('takes a body nested up to maxDepth, and refuses a deeper one with 400 VALIDATION_FAILED', async () => {
    expect(
      (
        await request(server)
          .post('/echo')
          .send({ a: { b: [1] } })
      ).status,
    ).toBe(200);
    const res = await request(server)
      .post('/echo')
      .send({ a: { b: [[1]] } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: ErrorCode.VALIDATION_FAILED,
      errors: [{ field: '(body)', rule: 'maxDepth' }],
    });
  });

  it('stops reading a chunked body past the drain limit, and answers at once with Connection: close', async () => {
    // GIVEN a chunked upload in another content type that has sent 80 kB (past the 64 kB drain limit) and goes on
    const { port } = server.address() as AddressInfo;
    const out = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
        socket.write(
          'POST /echo HTTP/1.1\r\nHost: x\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n',
        );
        for (let i = 0; i < 5; i++) socket.write(`4000\r\n${'a'.repeat(0x4000)}\r\n`);
      });
      socket.on('data', (d: Buffer) => (received += d.toString()));
      socket.on('end', () => socket.end());
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    // THEN the refusal came without the end of the body, and the server closed the connection
    expect(out).toMatch(/^HTTP\/1\.1 415 /);
    expect(out).toMatch(/\r\nConnection: close\r\n/i);
    expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toMatchObject({
      code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    });
  });
});
