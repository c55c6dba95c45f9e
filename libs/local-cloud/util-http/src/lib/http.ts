import { IncomingMessage, RequestListener, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
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

/** Listens on loopback; port 0 picks a free one. A taken port is a PortInUseError naming what wanted it. */
export function listen(handler: RequestListener, port: number, what: string, host = '127.0.0.1'): Promise<RunningServer> {
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, what) : err),
    );
    server.listen(port, host, () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        server,
        port: actual,
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
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
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['the body must be a JSON object'];
  return Object.keys(input)
    .filter((k) => !known.includes(k))
    .map((k) => `unknown setting ${k}`);
}
