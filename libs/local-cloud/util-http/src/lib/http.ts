import { createServer, IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { ErrorCode, problem, PROBLEM_CONTENT_TYPE } from '@imagegen/contracts';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request body, refusing (and draining) anything above `limit` bytes. */
export function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Requests being answered now. */
  inFlight(): number;
  /**
   * The first step of a graceful shutdown: the server keeps listening, but from now on every new
   * request is answered by `refuse` (with `Connection: close`), so a caller gets a clean answer
   * rather than a reset, while the requests in progress run on. Resolves once they have ended, or
   * at `deadline` (epoch ms), whichever comes first. `close()` then stops listening.
   */
  drain(refuse: RequestListener, deadline?: number): Promise<void>;
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
  ) {
    super(`port ${port} (${what}) is already in use`);
    this.name = 'PortInUseError';
  }
}

/** Names a local listener answers to (with its port): loopback only, and the address it listens on. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Whether a request's `Host` names this listener by a loopback name and its port. The stand-ins use
 * published fixed keys: a page of another site whose name was rebound to 127.0.0.1 (DNS rebinding)
 * reaches the port, but sends its own name as `Host`, and is refused.
 */
export function isLocalHost(hostHeader: string | undefined, port: number, listenHost = '127.0.0.1'): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  const listening = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  const names = new Set([...LOOPBACK_NAMES, listening.toLowerCase()]);
  names.delete('0.0.0.0');
  names.delete('[::]');
  for (const name of names) {
    if (host === `${name}:${port}`) return true;
    if (port === 80 && host === name) return true;
  }
  return false;
}

/** 421 Misdirected Request for a `Host` that is not this listener's loopback name (see isLocalHost). */
function refuseForeignHost(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res
    .writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
    .end(
      'misdirected request: this local service answers to 127.0.0.1, localhost or [::1] with its port only\n',
    );
}

/**
 * Listens on loopback; port 0 picks a free one. Requests whose `Host` is not a loopback name with
 * this port are refused with 421 (DNS rebinding). A taken port is a PortInUseError naming what wanted it.
 * Counts the requests in progress, so a shutdown can let them finish (`drain`).
 */
export function listen(
  handler: RequestListener,
  port: number,
  what: string,
  host = '127.0.0.1',
  serverOptions: { readonly maxHeaderSize?: number } = {},
): Promise<RunningServer> {
  const active = new Set<ServerResponse>();
  let refuse: RequestListener | undefined;
  let drained: (() => void)[] = [];
  let actualPort = port;
  const server = createServer(serverOptions, (req, res) => {
    if (!isLocalHost(req.headers.host, actualPort, host)) return refuseForeignHost(req, res);
    if (refuse) {
      res.setHeader('connection', 'close');
      return refuse(req, res);
    }
    active.add(res);
    const done = () => {
      if (!active.delete(res) || !refuse) return;
      // A kept-alive connection whose request just ended is idle now: let it go.
      setImmediate(() => server.closeIdleConnections());
      if (active.size === 0) {
        drained.forEach((resolve) => resolve());
        drained = [];
      }
    };
    res.once('finish', done);
    res.once('close', done);
    handler(req, res);
  });
  server.keepAliveTimeout = 65_000;
  const drain = (refuser: RequestListener, deadline?: number): Promise<void> => {
    refuse ??= refuser;
    if (active.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer =
        deadline === undefined ? undefined : setTimeout(resolve, Math.max(0, deadline - Date.now()));
      drained.push(() => (clearTimeout(timer), resolve()));
    });
  };
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, what) : err),
    );
    server.listen(port, host, () => {
      const actual = (server.address() as AddressInfo).port;
      actualPort = actual;
      resolve({
        server,
        port: actual,
        url: `http://${host}:${actual}`,
        inFlight: () => active.size,
        drain,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * Answers a request a stopping server no longer takes: 503 problem+json with the stable code
 * SERVICE_UNAVAILABLE and a Retry-After, never a reset.
 */
export function refuseWhileStopping(detail = 'imagegen is stopping: try again in a moment'): RequestListener {
  return (req, res) => {
    req.resume();
    const body = JSON.stringify(problem(ErrorCode.SERVICE_UNAVAILABLE, detail, { retryAfterSeconds: 5 }));
    res.writeHead(503, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      'retry-after': '5',
      'cache-control': 'no-store',
      connection: 'close',
    });
    res.end(body);
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The stand-ins' admin endpoints (`/__faults`, `/__stats`, …) are for test runners and scripts on
 * this machine, never for web pages: a request carrying an `Origin` header (which every browser
 * adds to a cross-origin or non-GET fetch) is answered 403 here, so a page cannot flip faults.
 * Answers true when it refused the request.
 */
export function refuseBrowserAdmin(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.origin === undefined) return false;
  sendJson(res, 403, { message: 'the admin endpoints take no requests from web pages' });
  return true;
}

export type JsonParse = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

/** Parses a JSON request body (an empty body is an empty object). */
export function parseJson(body: Buffer): JsonParse {
  if (body.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Checks an admin patch: a JSON object whose keys are all known. Answers the problems found. */
export function objectPatchProblems(input: unknown, known: readonly string[]): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return ['the body must be a JSON object'];
  return Object.keys(input)
    .filter((k) => !known.includes(k))
    .map((k) => `unknown setting ${k}`);
}
