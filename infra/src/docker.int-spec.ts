import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { repoRoot } from './repo-root';

// The BFF build's list of what its bundle loads by name at run time (apps/bff/runtime-package.cjs).
// eslint-disable-next-line @nx/enforce-module-boundaries -- a build script, not a library
const { RUNTIME_LOADED } = require('../../apps/bff/runtime-package.cjs') as { RUNTIME_LOADED: string[] };

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
const BFF_PORT = 4481;

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
      /^ARG NGINX_IMAGE=nginxinc\/nginx-unprivileged:/m,
    );
  });

  describe('the BFF image’s node_modules', () => {
    const bff = join(root, 'dist/apps/bff');
    const manifest = () =>
      JSON.parse(readFileSync(join(bff, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

    it('installs from the build’s package.json and lock, not the monorepo’s', () => {
      const dockerfile = readFileSync(join(root, 'docker/bff.Dockerfile'), 'utf8');
      const deps = dockerfile.slice(
        dockerfile.indexOf('AS deps'),
        dockerfile.indexOf('FROM', dockerfile.indexOf('AS deps')),
      );
      expect(deps).toMatch(/^COPY --from=build \/src\/dist\/apps\/bff\/package\.json /m);
      expect(deps).toMatch(/^COPY --from=build \/src\/dist\/apps\/bff\/package-lock\.json /m);
      expect(deps).not.toMatch(/^COPY package\.json/m);
      expect(deps).toMatch(/npm ci --omit=dev/);
    });

    it('lists exactly the packages the bundle requires, and the adapter Nest loads by name', () => {
      // Given every bare require() left in the bundle (third-party code stays outside it)
      const required = new Set(
        [...readFileSync(join(bff, 'main.js'), 'utf8').matchAll(/require\("([^"]+)"\)/g)]
          .map((m) => m[1])
          .filter((p) => !p.startsWith('node:') && !p.startsWith('.'))
          .map((p) => (p.startsWith('@') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0])),
      );
      // Then the image's dependencies are those, plus what is loaded by name, and nothing else
      expect(Object.keys(manifest().dependencies).sort()).toEqual([...required, ...RUNTIME_LOADED].sort());
      const lock = JSON.parse(readFileSync(join(bff, 'package-lock.json'), 'utf8'));
      expect(lock.packages[''].dependencies).toEqual(manifest().dependencies);
      // And none of the monorepo's other packages come along
      for (const name of [
        '@angular/core',
        '@angular/material',
        'sharp',
        // (Bedrock Runtime comes along: the prompt assistant streams from it, ADR 0014)
        '@aws-sdk/client-sqs',
        '@aws-sdk/client-lambda',
        '@aws-sdk/client-s3',
      ])
        expect({ name, locked: `node_modules/${name}` in lock.packages }).toEqual({ name, locked: false });
    });

    it('starts from a folder holding only those node_modules and answers /api/health', async () => {
      // Given the image's layout: npm ci --omit=dev of the build's package.json and lock, and the bundle
      const app = mkdtempSync(join(tmpdir(), 'imagegen-bff-image-'));
      try {
        copyFileSync(join(bff, 'package.json'), join(app, 'package.json'));
        copyFileSync(join(bff, 'package-lock.json'), join(app, 'package-lock.json'));
        execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
          cwd: app,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        mkdirSync(join(app, 'dist/apps/bff'), { recursive: true });
        copyFileSync(join(bff, 'main.js'), join(app, 'dist/apps/bff/main.js'));
        // When the BFF starts there as the image's CMD does
        const child = spawn(process.execPath, ['dist/apps/bff/main.js'], {
          cwd: app,
          env: {
            PATH: process.env['PATH'],
            NODE_ENV: 'production',
            HOST: '127.0.0.1',
            PORT: String(BFF_PORT),
            GENERATOR_API_URL: 'http://127.0.0.1:9',
            COOKIE_SECRET: 'docker-spec-secret-docker-spec-secret-00',
            LOG_LEVEL: 'warn',
            AWS_ACCESS_KEY_ID: 'LOCALACCESSKEY0000000',
            AWS_SECRET_ACCESS_KEY: 'docker-spec',
            AWS_REGION: 'us-west-2',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr?.on('data', (c) => (stderr += String(c)));
        try {
          // Then it answers its health check (a missing package would have stopped it at start)
          let health: Response | undefined;
          for (let i = 0; i < 300 && !health && child.exitCode === null; i++) {
            health = await fetch(`http://127.0.0.1:${BFF_PORT}/api/health`).catch(() => undefined);
            if (!health) await new Promise((r) => setTimeout(r, 100));
          }
          expect({ status: health?.status, stderr: health ? '' : stderr }).toEqual({
            status: 200,
            stderr: '',
          });
        } finally {
          child.kill('SIGTERM');
        }
      } finally {
        rmSync(app, { recursive: true, force: true });
      }
    }, 300_000);
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
