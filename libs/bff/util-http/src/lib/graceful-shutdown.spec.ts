import { EventEmitter } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';

import { ErrorCode } from '@imagegen/contracts';

import { GracefulShutdown } from './graceful-shutdown';

/** A server whose `/slow` requests wait until released, and whose `/stream` responses stay open until draining. */
function serve(shutdown: GracefulShutdown) {
  const waiting: (() => void)[] = [];
  const seen: string[] = [];
  const server = createServer((req, res) =>
    shutdown.middleware(req, res, () => {
      if (req.url === '/slow') return void waiting.push(() => res.end('slow done'));
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
        res.write('data: first\n\n');
        shutdown.draining.subscribe(() => res.end());
        return;
      }
      if (req.url === '/never') return; // never answers
      res.end('fast');
    }),
  );
  server.on('request', (req: { url?: string }) => seen.push(req.url ?? ''));
  return { server, release: () => waiting.splice(0).forEach((r) => r()), waiting, seen };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A raw keep-alive connection: what it received so far, and when the server closed it. */
function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return {
    send: (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`),
    received: () => received,
    closed,
  };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
};

function recorder() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    log: {
      info: (obj: object, msg: string) =>
        lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      error: (obj: object, msg: string) =>
        lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    },
  };
}

describe(GracefulShutdown.name, () => {
  it('lets the request in progress finish, answers one arriving on its kept-alive connection 503 with Connection: close, and takes no new connection', async () => {
    // GIVEN a request in progress on a kept-alive connection
    const { log } = recorder();
    const shutdown = new GracefulShutdown({ deadlineMs: 60_000, log });
    const { server, release, waiting, seen } = serve(shutdown);
    const port = await listen(server);
    const conn = rawConnection(port);
    conn.send('/slow');
    await until(() => waiting.length === 1);
    let closedApp = false;

    // WHEN the shutdown starts, and then another request arrives on that same connection
    const code = shutdown.shutdown('SIGTERM', { server, close: async () => void (closedApp = true) });
    conn.send('/ready');
    await until(() => seen.includes('/ready'));

    // THEN a new connection is refused
    await expect(fetch(`http://127.0.0.1:${port}/fast`)).rejects.toThrow();
    // AND the request in progress finishes, the late one gets a clean 503 problem, and the connection closes
    release();
    await conn.closed;
    const [first, second] = conn.received().split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 [\s\S]*slow done$/);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(second).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 503,
      code: ErrorCode.SERVICE_UNAVAILABLE,
    });
    // AND the app closes and the exit code is 0
    expect(await code).toBe(0);
    expect(closedApp).toBe(true);
  });

  it('closes a kept-alive connection as soon as its request ends, while others are still in progress', async () => {
    // GIVEN two requests in progress on two kept-alive connections
    const shutdown = new GracefulShutdown({ deadlineMs: 60_000, log: recorder().log });
    const { server, waiting } = serve(shutdown);
    const port = await listen(server);
    const [a, b] = [rawConnection(port), rawConnection(port)];
    a.send('/slow');
    b.send('/slow');
    await until(() => waiting.length === 2);
    // WHEN the shutdown starts and the first request ends
    const code = shutdown.shutdown('SIGTERM', { server, close: async () => undefined });
    waiting.shift()?.();
    // THEN its connection closes while the other request goes on
    await a.closed;
    expect(a.received()).toMatch(/slow done$/);
    expect(b.received()).toBe('');
    waiting.shift()?.();
    await b.closed;
    expect(await code).toBe(0);
  });

  it('ends long-lived responses, and closes their kept-alive connections', async () => {
    // GIVEN an open event stream
    const shutdown = new GracefulShutdown({ deadlineMs: 60_000, log: recorder().log });
    const { server } = serve(shutdown);
    const port = await listen(server);
    const conn = rawConnection(port);
    conn.send('/stream');
    await until(() => conn.received().includes('data: first'));
    // WHEN the shutdown starts
    const code = await shutdown.shutdown('SIGTERM', { server, close: async () => undefined });
    // THEN the stream has ended, its connection is closed, and the exit code is 0
    await conn.closed;
    expect(code).toBe(0);
    expect(shutdown.isDraining).toBe(true);
  });

  it('exits 1 at the hard deadline and logs each request it cuts', async () => {
    // GIVEN a request that never ends, and a short deadline
    const { lines, log } = recorder();
    const shutdown = new GracefulShutdown({ deadlineMs: 50, log });
    const { server, seen } = serve(shutdown);
    const port = await listen(server);
    rawConnection(port).send('/never');
    await until(() => seen.includes('/never'));
    // WHEN the shutdown runs out of time
    const code = await shutdown.shutdown('SIGTERM', { server, close: async () => undefined });
    // THEN the exit code is 1, and the log names the request that was cut
    expect(code).toBe(1);
    const cut = lines.find((l) => l.level === 'error');
    expect(cut?.obj['cut']).toEqual([expect.objectContaining({ method: 'GET', path: '/never' })]);
    server.closeAllConnections();
  });

  it('drains on SIGTERM and exits once with the code, whatever signals follow', async () => {
    // GIVEN a listening server and a process that records how it exits
    const exits: number[] = [];
    const shutdown = new GracefulShutdown({
      deadlineMs: 60_000,
      log: recorder().log,
      exit: (c) => exits.push(c),
    });
    const { server } = serve(shutdown);
    await listen(server);
    const signals = new EventEmitter();
    shutdown.exitOnSignals({ server, close: async () => undefined }, ['SIGTERM', 'SIGINT'], signals);
    // WHEN SIGTERM comes, then SIGINT
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    await until(() => exits.length > 0);
    // THEN the server has stopped listening and the process exits once, with 0
    expect(server.listening).toBe(false);
    expect(exits).toEqual([0]);
  });
});
