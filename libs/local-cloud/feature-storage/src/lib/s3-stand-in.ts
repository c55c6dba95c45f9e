// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for two untyped local servers
/// <reference path="../vendor.d.ts" />
import { mkdirSync } from 'node:fs';
import { IncomingMessage, ServerResponse, request as httpRequest } from 'node:http';

import S3rver from 's3rver';

import { BodyTooLargeError, RunningServer, listen, readBody } from '@imagegen/local-cloud/util-http';
import { VerifyFailure, verifySigV4 } from '@imagegen/shared/util-sigv4';

export interface S3StandInOptions {
  readonly port: number;
  readonly host?: string;
  /** Where objects are kept (survives restarts). */
  readonly dataDir: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Origins allowed to read objects from a browser (CORS); `*` for any. */
  readonly corsOrigins?: readonly string[];
}

export interface S3StandIn {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MESSAGES: Readonly<Record<VerifyFailure, [string, string]>> = {
  missing: ['AccessDenied', 'Access Denied'],
  malformed: ['AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter.'],
  'unknown-key': ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
  expired: ['AccessDenied', 'Request has expired'],
  mismatch: ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
};

function withoutAuthParams(url: string): string {
  const [path, query] = url.split('?', 2);
  if (!query) return url;
  const kept = query.split('&').filter((p) => !/^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)=/i.test(p));
  return kept.length ? `${path}?${kept.join('&')}` : path;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', ...headers });
  res.end(xml);
}

/**
 * S3 on loopback: s3rver (which checks no signature) behind a front that verifies SigV4 exactly
 * as S3 does (header-signed and presigned), so tampered, wrongly signed or expired links get 403.
 */
export async function startS3StandIn(options: S3StandInOptions): Promise<S3StandIn> {
  mkdirSync(options.dataDir, { recursive: true });
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: options.dataDir,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  const inner = (await s3rver.run()) as { port: number };
  const { accessKeyId, secretAccessKey } = options.credentials;
  const corsOrigins = options.corsOrigins ?? ['*'];

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!origin) return {};
    if (!corsOrigins.includes('*') && !corsOrigins.includes(origin)) return {};
    return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'ETag, Content-Length' };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cors = corsHeaders(req);
    if (req.method === 'OPTIONS') {
      if (!cors['access-control-allow-origin']) return s3Error(res, 403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed.');
      res.writeHead(200, { ...cors, 'access-control-allow-methods': 'GET, HEAD', 'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*', 'access-control-max-age': '3000' });
      return void res.end();
    }
    let body: Buffer;
    try {
      body = await readBody(req, 100 * 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return s3Error(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', cors);
      throw err;
    }
    const verdict = await verifySigV4(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
      { service: 's3', region: options.region, lookupSecret: (id) => (id === accessKeyId ? secretAccessKey : undefined) },
    );
    if (!verdict.ok) {
      const [code, message] = MESSAGES[verdict.reason];
      return s3Error(res, 403, code, message, cors);
    }
    // Verified here; s3rver gets an anonymous request (it would refuse our local key id otherwise).
    const { authorization: _auth, ...headers } = req.headers;
    const upstream = httpRequest(
      { host: '127.0.0.1', port: inner.port, method: req.method, path: withoutAuthParams(req.url ?? '/'), headers: { ...headers, host: `127.0.0.1:${inner.port}`, 'content-length': String(body.length) } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...cors });
        up.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : s3Error(res, 503, 'ServiceUnavailable', 'Please reduce your request rate.', cors)));
    upstream.end(body);
  }

  const front: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      });
    },
    options.port,
    'S3 stand-in',
    options.host,
  );
  return {
    url: front.url,
    port: front.port,
    close: async () => {
      await front.close();
      await s3rver.close();
    },
  };
}
