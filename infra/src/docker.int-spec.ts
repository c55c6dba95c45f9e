import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { repoRoot } from './repo-root';

// The images cannot be built here (no Docker engine): these check what can be checked without one,
// after `nx build`: the files each COPY names, and the nginx config served by a real nginx.
const root = repoRoot();
/** nginx: NGINX_PATH, else the first on PATH, else /usr/sbin/nginx (not on every user's PATH). */
const NGINX =
  process.env['NGINX_PATH'] ??
  [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/sbin']
    .map((dir) => join(dir, 'nginx'))
    .find((file) => existsSync(file)) ??
  '/usr/sbin/nginx';
const PORT = 4480;

describe('docker/', () => {
  it.each(['docker/web.Dockerfile', 'docker/bff.Dockerfile'])(
    '%s copies only files that exist after the build',
    (file) => {
      const copies = [
        ...readFileSync(join(root, file), 'utf8').matchAll(/^COPY (?:--from=build )?(\S+) \S+$/gm),
      ].map((m) => m[1]);
      expect(copies.length).toBeGreaterThan(0);
      for (const source of copies) {
        const path = source.startsWith('/src/') ? source.slice('/src/'.length) : source;
        expect({ source, exists: existsSync(join(root, path)) }).toEqual({ source, exists: true });
      }
    },
  );

  it('runs the BFF as a non-root user with a health check, and node as PID 1 so SIGTERM reaches it', () => {
    const bff = readFileSync(join(root, 'docker/bff.Dockerfile'), 'utf8');
    expect(bff).toMatch(/^USER node$/m);
    expect(bff).toMatch(/^HEALTHCHECK .*\/api\/health/m);
    expect(bff).toMatch(/^CMD \["node", /m);
    expect(bff).toMatch(/npm ci --omit=dev/);
    expect(readFileSync(join(root, 'docker/web.Dockerfile'), 'utf8')).toMatch(
      /^FROM nginxinc\/nginx-unprivileged:/m,
    );
  });

  describe('nginx.conf', () => {
    let nginx: ChildProcess;
    const base = `http://127.0.0.1:${PORT}`;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'imagegen-nginx-'));
      const site = readFileSync(join(root, 'docker/nginx.conf'), 'utf8')
        .replace('listen 8080;', `listen 127.0.0.1:${PORT};`)
        .replace('/usr/share/nginx/html', join(root, 'dist/apps/web/browser'));
      writeFileSync(join(dir, 'site.conf'), site);
      writeFileSync(
        join(dir, 'nginx.conf'),
        `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log stderr warn;
         events {}
         http { include /etc/nginx/mime.types; access_log off;
           client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
           include ${dir}/site.conf; }`,
      );
      execFileSync(NGINX, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf')]);
      nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'inherit' });
      for (let i = 0; i < 50; i++) {
        try {
          await fetch(base);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    });

    afterAll(() => nginx?.kill('SIGQUIT'));

    /** A hashed bundle named by index.html. */
    const bundle = async () => {
      const script = /(main-[A-Z0-9]+\.js)/.exec(await (await fetch(`${base}/`)).text())?.[1];
      expect(script).toBeDefined();
      return `/${script}`;
    };

    it('serves the app with no cache for index.html', async () => {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<ig-root>');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('server')).toBe('nginx');
    });

    it('puts the security headers on every response: the page, app routes, hashed bundles, other files and 404s', async () => {
      // Given each kind of response nginx gives
      const paths = [
        '/',
        '/gallery/some-id',
        await bundle(),
        '/favicon.svg',
        '/missing-ABCDEFGH.js',
        '/missing.png',
      ];
      for (const path of paths) {
        // When it is fetched
        const res = await fetch(`${base}${path}`);
        await res.arrayBuffer();
        // Then it carries the same headers (no location's add_header drops the server's ones)
        const csp = res.headers.get('content-security-policy') ?? '';
        expect({ path, csp }).toEqual({ path, csp: expect.stringContaining("frame-ancestors 'none'") });
        expect(csp).toContain("object-src 'none'");
        expect(csp).toContain("base-uri 'self'");
        // And it leaves scripts to index.html's hash-based policy: a header script-src or default-src
        // without Angular's hashes would block its inline loaders
        expect(csp).not.toMatch(/script-src|default-src/);
        expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({
          path,
          nosniff: 'nosniff',
        });
        expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(res.headers.get('permissions-policy')).toContain('camera=()');
      }
    });

    it('allows no inline script that index.html’s CSP does not name by hash (no unsafe-inline needed)', async () => {
      // Given the built page
      const html = await (await fetch(`${base}/`)).text();
      // Then its CSP meta tag trusts scripts by hash and 'strict-dynamic' (CSP3 browsers then ignore 'unsafe-inline')
      const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
      const scriptSrc = policy.split(';').find((d) => d.trim().startsWith('script-src')) ?? '';
      expect(scriptSrc).toContain("'strict-dynamic'");
      // And every inline script is one of those hashes
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
      expect(inline.length).toBeGreaterThan(0);
      for (const body of inline)
        expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
      // And no inline event handler (those cannot be hashed in a meta policy)
      expect(html).not.toMatch(/\son[a-z]+="/i);
    });

    it('sends HSTS only when the browser came over HTTPS (the ALB’s X-Forwarded-Proto), on errors too', async () => {
      for (const path of ['/', await bundle(), '/missing-ABCDEFGH.js']) {
        const plain = await fetch(`${base}${path}`);
        const overHttp = await fetch(`${base}${path}`, { headers: { 'x-forwarded-proto': 'http' } });
        const overHttps = await fetch(`${base}${path}`, { headers: { 'x-forwarded-proto': 'https' } });
        await Promise.all([plain, overHttp, overHttps].map((r) => r.arrayBuffer()));
        expect({ path, hsts: plain.headers.get('strict-transport-security') }).toEqual({ path, hsts: null });
        expect(overHttp.headers.get('strict-transport-security')).toBeNull();
        expect({ path, hsts: overHttps.headers.get('strict-transport-security') }).toEqual({
          path,
          hsts: 'max-age=31536000; includeSubDomains',
        });
      }
    });

    it('falls back to index.html for app routes (not cached), and 404s missing assets (never cached)', async () => {
      const route = await fetch(`${base}/some/route`);
      expect(await route.text()).toContain('<ig-root>');
      expect(route.headers.get('cache-control')).toBe('no-cache');
      const missing = await fetch(`${base}/missing-ABCDEFGH.js`);
      await missing.arrayBuffer();
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBeNull();
    });

    it('caches hashed bundles for a year and gzips them', async () => {
      const res = await fetch(`${base}${await bundle()}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-encoding')).toBe('gzip');
    });
  });
});
