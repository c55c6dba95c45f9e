import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { refuseWhileStopping, RunningServer } from '@imagegen/local-cloud/util-http';

import { PAGE_SECURITY_HEADERS, startWebFront } from './web-front';

let front: RunningServer;
let bff: Server;
let base: string;
let rootName: string;
const seen: Record<string, unknown>[] = [];

beforeAll(async () => {
  const webRoot = mkdtempSync(join(tmpdir(), 'web-'));
  writeFileSync(join(webRoot, 'index.html'), '<html>app</html>');
  writeFileSync(join(webRoot, 'main-ABCDEFGH.js'), 'console.log(1)');
  // A sibling whose name starts with the root's: outside the build all the same.
  mkdirSync(`${webRoot}-old`);
  writeFileSync(join(`${webRoot}-old`, 'secret.txt'), 'secret');
  rootName = basename(webRoot);
  bff = createServer((req, res) => {
    seen.push(req.headers);
    res
      .writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' })
      .end(JSON.stringify({ url: req.url, proto: req.headers['x-forwarded-proto'] }));
  });
  await new Promise<void>((r) => bff.listen(0, '127.0.0.1', r));
  front = await startWebFront({
    port: 0,
    webRoot,
    bffUrl: `http://127.0.0.1:${(bff.address() as AddressInfo).port}`,
  });
  base = front.url;
});

afterAll(async () => {
  await front.close();
  await new Promise((r) => bff.close(r));
});

describe(startWebFront.name, () => {
  it('sends /api to the BFF on the same origin', async () => {
    expect(await (await fetch(`${base}/api/models?x=1`)).json()).toEqual({
      url: '/api/models?x=1',
      proto: 'http',
    });
  });

  it('serves hashed assets for a year and the app for any route, never files outside the build', async () => {
    const asset = await fetch(`${base}/main-ABCDEFGH.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const route = await fetch(`${base}/gallery/123`);
    expect(await route.text()).toBe('<html>app</html>');
    expect(route.headers.get('cache-control')).toBe('no-cache');
    const escape = await fetch(`${base}/..%2F..%2F..%2F..%2Fetc%2Fpasswd`);
    expect(await escape.text()).toBe('<html>app</html>');
    expect((await fetch(`${base}/..%2F..%2Fsecret.json`)).status).toBe(404);
  });

  it('never serves a sibling folder whose name starts with the build folder’s', async () => {
    const res = await fetch(`${base}/..%2F${rootName}-old%2Fsecret.txt`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('secret');
  });

  it('answers only to loopback names (DNS rebinding): another Host is 421 Misdirected Request', async () => {
    const get = (host: string) =>
      new Promise<number>((ok, fail) => {
        request(`${base}/`, { headers: { host } }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        })
          .on('error', fail)
          .end();
      });
    expect(await get(`evil.example:${front.port}`)).toBe(421);
    expect(await get('evil.example')).toBe(421);
    expect(await get(`localhost:${front.port}`)).toBe(200);
    expect(await get(`127.0.0.1:${front.port}`)).toBe(200);
    expect(await get(`localhost:${front.port + 1}`)).toBe(421);
  });

  it("does not pass one connection's headers on: a client's Connection: close does not spoil the BFF connection of the next", async () => {
    // GIVEN a client that asks to close its connection (and names a header as hop-by-hop)
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request(
        `${base}/api/generations/x/events`,
        { headers: { connection: 'close, x-secret-hop', 'x-secret-hop': '1', 'keep-alive': 'timeout=5' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      )
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(200);
    expect(seen.at(-1)).not.toHaveProperty('connection', 'close');
    expect(seen.at(-1)).not.toHaveProperty('x-secret-hop');
    expect(seen.at(-1)).not.toHaveProperty('keep-alive');
    // THEN the next request, from anyone, is answered normally
    expect((await fetch(`${base}/api/generations`)).status).toBe(200);
  });

  it('puts the security headers of docker/nginx.conf on pages, assets and errors alike', async () => {
    for (const [path, method] of [
      ['/', 'GET'],
      ['/gallery/x', 'GET'],
      ['/main-ABCDEFGH.js', 'GET'],
      ['/missing.png', 'GET'],
      ['/', 'POST'],
    ]) {
      const res = await fetch(`${base}${path}`, { method });
      for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS))
        expect([path, method, name, res.headers.get(name)]).toEqual([path, method, name, value]);
    }
    expect(PAGE_SECURITY_HEADERS['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('answers 503 SERVICE_UNAVAILABLE problem+json with Retry-After when the BFF does not answer', async () => {
    const dead = await startWebFront({ port: 0, webRoot: tmpdir(), bffUrl: 'http://127.0.0.1:1' });
    const res = await fetch(`${dead.url}/api/models`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    await dead.close();
  });

  it('answers 503 problem+json once it stops, rather than dropping the connection', async () => {
    // WHEN the front drains (the last test here: it stays draining)
    await front.drain(refuseWhileStopping());
    const res = await fetch(`${base}/api/models`);
    // THEN the caller is told to come back, in the API's error shape
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });
});
