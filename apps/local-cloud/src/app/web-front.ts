import { createReadStream, existsSync, statSync } from 'node:fs';
import { request as httpRequest, IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

import { ErrorCode, problem, PROBLEM_CONTENT_TYPE } from '@imagegen/contracts';
import { listen, RunningServer } from '@imagegen/local-cloud/util-http';

/** The local stand-in for the ALB + nginx: the web build at `/`, the BFF at `/api` (one origin). */
export interface WebFrontOptions {
  readonly port: number;
  readonly host?: string;
  /** Folder of the Angular build (dist/apps/web/browser). */
  readonly webRoot: string;
  /** Where the BFF listens, e.g. http://127.0.0.1:3333. */
  readonly bffUrl: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const HASHED_ASSET = /-[A-Z0-9]{8,}\.(js|css|woff2)$/i;

/**
 * The headers docker/nginx.conf puts on every page and asset, errors included (the script policy is the
 * hash-based CSP Angular's autoCsp writes into index.html; this one adds what a meta tag cannot say).
 * HSTS is not sent: the local front speaks plain HTTP.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cross-origin-opener-policy': 'same-origin',
};

/** The front on loopback; `drain` (graceful shutdown) answers new requests 503 problem+json while the others finish. */
export function startWebFront(options: WebFrontOptions): Promise<RunningServer> {
  const webRoot = resolve(options.webRoot);
  const bff = new URL(options.bffUrl);
  return listen(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/api' || path.startsWith('/api/')) return proxyToBff(req, res, bff);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...PAGE_SECURITY_HEADERS, allow: 'GET, HEAD' }).end();
        return;
      }
      serveStatic(path, webRoot, res);
    },
    options.port,
    'web front',
    options.host,
  );
}

function serveStatic(urlPath: string, webRoot: string, res: ServerResponse): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    res.writeHead(400, PAGE_SECURITY_HEADERS).end();
    return;
  }
  const candidate = normalize(join(webRoot, decoded));
  // Inside the root: the root itself or under it with a separator (not a sibling such as `<root>-old`).
  const inside = candidate === webRoot || candidate.startsWith(webRoot + sep);
  const isFile = inside && existsSync(candidate) && statSync(candidate).isFile();
  // SPA fallback: any unknown path without a file extension is the app's index.html.
  const file = isFile ? candidate : extname(decoded) ? undefined : join(webRoot, 'index.html');
  if (!file || !existsSync(file)) {
    res
      .writeHead(404, { ...PAGE_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' })
      .end('not found');
    return;
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...PAGE_SECURITY_HEADERS,
    'content-type': type,
    'cache-control': HASHED_ASSET.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

/** Headers about one connection, not the message (RFC 9110 §7.6.1): a proxy never passes them on. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
];

function endToEnd(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const named = String(headers['connection'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.includes(name) && !named.includes(name)),
  );
}

function proxyToBff(req: IncomingMessage, res: ServerResponse, bff: URL): void {
  const upstream = httpRequest(
    {
      host: bff.hostname,
      port: bff.port,
      method: req.method,
      path: req.url,
      headers: {
        ...endToEnd(req.headers),
        host: req.headers.host ?? bff.host,
        'x-forwarded-for': req.socket.remoteAddress ?? '',
        'x-forwarded-proto': 'http',
      },
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, endToEnd(upstreamRes.headers));
      // Server-sent events and long responses stream through unbuffered.
      upstreamRes.pipe(res);
    },
  );
  answerBadGatewayOnError(upstream, res);
  req.pipe(upstream);
  res.on('close', () => upstream.destroy());
}

function answerBadGatewayOnError(upstream: ReturnType<typeof httpRequest>, res: ServerResponse): void {
  upstream.on('error', () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const details = problem(
      ErrorCode.SERVICE_UNAVAILABLE,
      'The app server is starting or has stopped: try again in a moment.',
      { retryAfterSeconds: 2 },
    );
    res
      .writeHead(details.status, {
        'content-type': PROBLEM_CONTENT_TYPE,
        'retry-after': '2',
        'cache-control': 'no-store',
      })
      .end(JSON.stringify(details));
  });
}
