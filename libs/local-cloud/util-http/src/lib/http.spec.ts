import { request } from 'node:http';

import {
  BodyTooLargeError,
  isLocalHost,
  listen,
  objectPatchProblems,
  parseJson,
  PortInUseError,
  readBody,
  refuseBrowserAdmin,
  sendJson,
} from './http';

describe(listen.name, () => {
  it('serves on a free loopback port and says which port is taken when it is', async () => {
    const first = await listen(
      (req, res) => {
        readBody(req, 10).then(
          (body) => sendJson(res, 200, { size: body.length }),
          (err) => sendJson(res, err instanceof BodyTooLargeError ? 413 : 500, { message: err.message }),
        );
      },
      0,
      'test',
    );
    try {
      const ok = await fetch(first.url, { method: 'POST', body: '12345' });
      expect(await ok.json()).toEqual({ size: 5 });
      const big = await fetch(first.url, { method: 'POST', body: 'x'.repeat(11) });
      expect(big.status).toBe(413);
      await expect(listen(() => undefined, first.port, 'S3 stand-in')).rejects.toEqual(
        new PortInUseError(first.port, 'S3 stand-in'),
      );
    } finally {
      await first.close();
    }
  });
});

describe(isLocalHost.name, () => {
  it('takes loopback names with the port only: a rebound foreign name is refused', () => {
    for (const host of ['127.0.0.1:4566', 'localhost:4566', 'LOCALHOST:4566', '[::1]:4566'])
      expect({ host, ok: isLocalHost(host, 4566) }).toEqual({ host, ok: true });
    for (const host of ['evil.example:4566', 'evil.example', '127.0.0.1:4567', 'localhost', '', undefined])
      expect({ host, ok: isLocalHost(host, 4566) }).toEqual({ host, ok: false });
    expect(isLocalHost('localhost', 80)).toBe(true);
    // The address it listens on counts too, a wildcard never does
    expect(isLocalHost('192.168.1.5:4566', 4566, '192.168.1.5')).toBe(true);
    expect(isLocalHost('0.0.0.0:4566', 4566, '0.0.0.0')).toBe(false);
  });

  it('is checked by every listener: another Host answers 421', async () => {
    const server = await listen((_req, res) => res.end('ok'), 0, 'test');
    try {
      const status = (host: string) =>
        new Promise<number>((ok, fail) => {
          request(server.url, { headers: { host } }, (res) => {
            res.resume();
            ok(res.statusCode ?? 0);
          })
            .on('error', fail)
            .end();
        });
      expect(await status(`attacker.example:${server.port}`)).toBe(421);
      expect(await status(`localhost:${server.port}`)).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe(refuseBrowserAdmin.name, () => {
  it('lets scripts in and keeps web pages out of the admin endpoints', async () => {
    // GIVEN an admin endpoint behind the guard
    const server = await listen(
      (req, res) => {
        if (refuseBrowserAdmin(req, res)) return;
        sendJson(res, 200, { ok: true });
      },
      0,
      'test',
    );
    try {
      // WHEN a script calls it, and a page (which sends Origin) does
      const script = await fetch(`${server.url}/__faults`, { method: 'POST', body: '{}' });
      const page = await fetch(`${server.url}/__faults`, {
        method: 'POST',
        body: '{}',
        headers: { origin: 'http://evil.example' },
      });
      // THEN only the script gets through
      expect(script.status).toBe(200);
      expect(page.status).toBe(403);
    } finally {
      await server.close();
    }
  });
});

describe(objectPatchProblems.name, () => {
  it('names unknown keys and refuses what is not an object', () => {
    expect(objectPatchProblems({ a: 1 }, ['a'])).toEqual([]);
    expect(objectPatchProblems({ a: 1, b: 2 }, ['a'])).toEqual(['unknown setting b']);
    expect(objectPatchProblems([1], ['a'])).toEqual(['the body must be a JSON object']);
    expect(parseJson(Buffer.from('{"a":'))).toEqual({ ok: false });
    expect(parseJson(Buffer.alloc(0))).toEqual({ ok: true, value: {} });
  });
});
