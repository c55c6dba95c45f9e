import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { NestExpressApplication } from '@nestjs/platform-express';

import { GracefulShutdown } from '@imagegen/bff/util-http';
import { ErrorCode } from '@imagegen/contracts';
import { createLogger } from '@imagegen/shared/util-logging';

import { CORE, FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
};

/** A raw kept-alive connection to the app: what came back, and when the server closed it. */
function connection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return { socket, received: () => received, closed };
}

/** Splits what a connection received into responses: status, headers, body. */
function responses(raw: string) {
  return raw
    .split(/(?=HTTP\/1\.1 \d{3} )/)
    .filter(Boolean)
    .map((r) => {
      const [head, body] = [r.slice(0, r.indexOf('\r\n\r\n')), r.slice(r.indexOf('\r\n\r\n') + 4)];
      const [status, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      return { status: Number(status.split(' ')[1]), headers, body };
    });
}

/** Log lines, as JSON objects. */
function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'bff', level: 'info', destination }) };
}

describe('BFF graceful shutdown (listening app)', () => {
  let app: NestExpressApplication;
  let generator: FakeGenerator;
  let exits: number[];
  let signals: EventEmitter;
  let port: number;
  let seen: string[];
  let logs: Record<string, unknown>[];

  async function start(deadlineMs: number) {
    generator = new FakeGenerator();
    exits = [];
    signals = new EventEmitter();
    const { lines, logger } = logCapture();
    logs = lines;
    const shutdown = new GracefulShutdown({ deadlineMs, log: logger, exit: (code) => exits.push(code) });
    ({ app } = await createBffApp(loadBffConfig(testEnv()), { generator, shutdown, logger }));
    await app.listen(0, '127.0.0.1');
    const server: Server = app.getHttpServer();
    port = (server.address() as AddressInfo).port;
    seen = [];
    server.on('request', (req: IncomingMessage) => seen.push(`${req.method} ${req.url}`));
    shutdown.exitOnSignals({ server, close: () => app.close() }, ['SIGTERM'], signals);
  }

  const base = () => `http://127.0.0.1:${port}`;
  const postJob = (cookie: string) =>
    `POST /api/generations HTTP/1.1\r\nHost: test\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify({ modelId: CORE, prompt: 'in flight' }).length}\r\n\r\n${JSON.stringify({ modelId: CORE, prompt: 'in flight' })}`;

  it('on SIGTERM ends event streams, takes no new connection, answers 503 on a kept-alive one, finishes the request in progress and exits 0', async () => {
    // GIVEN an owner following a job
    await start(20_000);
    const first = await fetch(`${base()}/api/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelId: CORE, prompt: 'x' }),
    });
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
    const job = (await first.json()) as { id: string };
    const stream = (
      await fetch(`${base()}/api/generations/${job.id}/events`, { headers: { cookie } })
    ).body?.getReader();
    await stream?.read(); // the queued job
    // AND a job creation in progress on a kept-alive connection (the generator holds it)
    let release!: () => void;
    generator.hold = new Promise((r) => (release = r));
    const conn = connection(port);
    conn.socket.write(postJob(cookie));
    await until(() => generator.calls.filter((c) => c === 'create').length === 2);

    // WHEN SIGTERM comes, and then a readiness check arrives on that kept-alive connection
    signals.emit('SIGTERM');
    conn.socket.write('GET /api/ready HTTP/1.1\r\nHost: test\r\n\r\n');

    // THEN the event stream ends
    let done = false;
    while (!done) done = (await stream?.read())?.done ?? true;
    // AND a new connection is refused
    await expect(fetch(`${base()}/api/health`)).rejects.toThrow();
    // AND once the job creation finishes, it is answered 202, then the check 503 with Connection: close
    await until(() => seen.includes('GET /api/ready'));
    release();
    await conn.closed;
    const [created, ready] = responses(conn.received());
    expect(created.status).toBe(202);
    expect(JSON.parse(created.body)).toMatchObject({ status: 'queued', request: { prompt: 'in flight' } });
    expect(ready.status).toBe(503);
    expect(ready.headers).toMatchObject({
      connection: 'close',
      'retry-after': '1',
      'content-type': expect.stringMatching(/^application\/problem\+json/),
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-request-id': expect.any(String),
    });
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 503,
      code: ErrorCode.SERVICE_UNAVAILABLE,
      requestId: ready.headers['x-request-id'],
    });
    // AND the process exits 0, with both jobs made (nothing lost)
    await until(() => exits.length > 0);
    expect(exits).toEqual([0]);
    expect(generator.created).toHaveLength(2);
    expect(logs.map((l) => l['msg'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^shutting down/), expect.stringMatching(/^drained/)]),
    );
  });

  it('exits 1 at the hard deadline and logs each request it cut', async () => {
    // GIVEN a job creation that never finishes, and a short deadline
    await start(300);
    let release!: () => void;
    generator.hold = new Promise((r) => (release = r));
    const conn = connection(port);
    conn.socket.write(postJob('none=1'));
    await until(() => generator.calls.includes('create'));
    // WHEN SIGTERM comes
    signals.emit('SIGTERM');
    await until(() => exits.length > 0);
    // THEN the exit code is 1, and the log names the request cut, with its request id
    expect(exits).toEqual([1]);
    const cut = logs.find(
      (l) => l['level'] === 'error' && String(l['msg']).startsWith('shutdown deadline reached'),
    );
    expect(cut?.['cut']).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/generations', requestId: expect.any(String) }),
    ]);
    release();
    await conn.closed;
    await app.close();
  });
});

describe('BFF process (main.ts)', () => {
  let generatorApi: Server;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await new Promise<void>((r) => generatorApi.close(() => r()));
  });

  it('drains on a real SIGTERM: the request in progress is answered, then the process exits 0', async () => {
    // GIVEN a generator API that holds job creations until released
    const held: (() => void)[] = [];
    generatorApi = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const job = {
          id: 'job0000000001',
          status: 'queued',
          createdAt: 't',
          updatedAt: 't',
          modelId: CORE,
          request: { modelId: CORE, prompt: 'x' },
          images: [],
          estimatedCostUsd: 0.04,
        };
        held.push(() => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(job)));
      });
    });
    await new Promise<void>((r) => generatorApi.listen(0, '127.0.0.1', r));
    // AND the BFF running as its own process, as in production
    const root = join(__dirname, '../../../..');
    child = spawn(
      process.execPath,
      ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/bff/src/main.ts'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...testEnv({
            LOG_LEVEL: 'info',
            PORT: '0',
            GENERATOR_API_URL: `http://127.0.0.1:${(generatorApi.address() as AddressInfo).port}/prod`,
          }),
          AWS_ACCESS_KEY_ID: 'AKIDTEST',
          AWS_SECRET_ACCESS_KEY: 'test-secret',
          TS_NODE_PROJECT: 'apps/bff/tsconfig.spec.json',
          TS_NODE_TRANSPILE_ONLY: 'true',
        },
      },
    );
    const lines: Record<string, unknown>[] = [];
    let pending = '';
    child.stdout?.on('data', (d: Buffer) => {
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p));
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child?.on('exit', (code, signal) => r({ code, signal })),
    );
    await until(() => lines.some((l) => l['msg'] === 'listening'));
    const port = lines.find((l) => l['msg'] === 'listening')?.['port'];
    // AND a job creation in progress
    const inFlight = fetch(`http://127.0.0.1:${port}/api/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelId: CORE, prompt: 'x' }),
    });
    await until(() => held.length === 1);

    // WHEN the process gets SIGTERM
    child.kill('SIGTERM');
    await until(() => lines.some((l) => String(l['msg']).startsWith('shutting down')));

    // THEN it takes no new connection, answers the request in progress once the generator does, and exits 0
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    held[0]();
    expect((await inFlight).status).toBe(202);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(lines.some((l) => String(l['msg']).startsWith('drained'))).toBe(true);
  }, 60_000);
});
