import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from './repo-root';

// The images cannot be built here (no Docker engine): these check what can be checked without one,
// after `nx build`: the files each COPY names, and the nginx config served by a real nginx.
const root = repoRoot();
const NGINX = '/usr/sbin/nginx';
const PORT = 4480;

describe('docker/', () => {
  it.each(['docker/web.Dockerfile', 'docker/bff.Dockerfile'])('%s copies only files that exist after the build', (file) => {
    const copies = [...readFileSync(join(root, file), 'utf8').matchAll(/^COPY (?:--from=build )?(\S+) \S+$/gm)].map((m) => m[1]);
    expect(copies.length).toBeGreaterThan(0);
    for (const source of copies) {
      const path = source.startsWith('/src/') ? source.slice('/src/'.length) : source;
      expect({ source, exists: existsSync(join(root, path)) }).toEqual({ source, exists: true });
    }
  });

  it('runs the BFF as a non-root user with a health check, and node as PID 1 so SIGTERM reaches it', () => {
    const bff = readFileSync(join(root, 'docker/bff.Dockerfile'), 'utf8');
    expect(bff).toMatch(/^USER node$/m);
    expect(bff).toMatch(/^HEALTHCHECK .*\/api\/health/m);
    expect(bff).toMatch(/^CMD \["node", /m);
    expect(bff).toMatch(/npm ci --omit=dev/);
    expect(readFileSync(join(root, 'docker/web.Dockerfile'), 'utf8')).toMatch(/^FROM nginxinc\/nginx-unprivileged:/m);
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

    it('serves the app with security headers and no cache for index.html', async () => {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<ig-root>');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('server')).toBe('nginx');
    });

    it('falls back to index.html for app routes, and 404s missing assets', async () => {
      expect(await (await fetch(`${base}/some/route`)).text()).toContain('<ig-root>');
      expect((await fetch(`${base}/missing-ABCDEFGH.js`)).status).toBe(404);
    });

    it('caches hashed bundles for a year and gzips them', async () => {
      const html = await (await fetch(`${base}/`)).text();
      const script = /(main-[A-Z0-9]+\.js)/.exec(html)?.[1];
    expect(script).toBeDefined();
      const res = await fetch(`${base}/${script}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-encoding')).toBe('gzip');
    });
  });
});
