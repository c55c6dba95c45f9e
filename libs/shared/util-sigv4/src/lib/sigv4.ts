import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface SignOptions {
  readonly service: string;
  readonly region: string;
  readonly credentials: Credentials;
}

export interface RequestToSign {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const existing = query[key];
    query[key] =
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function signer(service: string, region: string, credentials: Credentials): SignatureV4 {
  // S3 signs the path as sent; every other service double-encodes it.
  return new SignatureV4({ service, region, credentials, sha256: Sha256, uriEscapePath: service !== 's3' });
}

/** A request as it goes on the wire: its path and query exactly as given (odd paths included, never normalised). */
export interface RawRequestToSign {
  readonly method: string;
  readonly protocol: 'http:' | 'https:';
  /** `hostname` or `hostname:port`. */
  readonly host: string;
  /** Path and query as sent, still percent-encoded. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** Signs a request whose path goes on the wire as given: answers the headers to send (authorization, x-amz-date, …). */
export async function signRawRequest(
  request: RawRequestToSign,
  options: SignOptions,
): Promise<Record<string, string>> {
  const q = request.path.indexOf('?');
  const [hostname, port] = request.host.split(':');
  const signed = await signer(options.service, options.region, options.credentials).sign(
    new HttpRequest({
      method: request.method.toUpperCase(),
      protocol: request.protocol,
      hostname,
      port: port ? Number(port) : undefined,
      path: q < 0 ? request.path : request.path.slice(0, q),
      query: parseQuery(q < 0 ? '' : request.path.slice(q + 1)),
      headers: { ...request.headers, host: request.host },
      body: request.body ?? '',
    }),
  );
  return signed.headers;
}

/** Signs a plain HTTP request with SigV4: answers the headers to send (authorization, x-amz-date, …). */
export async function signRequest(
  request: RequestToSign,
  options: SignOptions,
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  return signRawRequest(
    {
      method: request.method,
      protocol: url.protocol as 'http:' | 'https:',
      host: url.host,
      path: url.pathname + url.search,
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
    },
    options,
  );
}

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query exactly as received (still percent-encoded). */
  readonly url: string;
  /** Lower-cased header names, as Node's IncomingMessage has them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface VerifyOptions {
  readonly service: string;
  readonly region: string;
  readonly lookupSecret: (accessKeyId: string) => string | undefined;
  readonly now?: Date;
}

export type VerifyFailure = 'missing' | 'malformed' | 'unknown-key' | 'expired' | 'mismatch';
export type VerifyResult =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly reason: VerifyFailure };

const AUTH_HEADER =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const AMZ_DATE = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/;
const CLOCK_SKEW_MS = 15 * 60 * 1000;
const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];

function parseAmzDate(value: string | undefined): Date | undefined {
  const m = value ? AMZ_DATE.exec(value) : null;
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

function header(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function signatureFromAuthorization(value: string | undefined): string {
  return /Signature=([0-9a-f]{64})/.exec(value ?? '')?.[1] ?? '';
}

/**
 * Verifies a SigV4-signed request (Authorization header or presigned query) by recomputing the
 * signature with @smithy/signature-v4 over exactly what the caller signed, and comparing in constant time.
 */
export async function verifySigV4(request: ReceivedRequest, options: VerifyOptions): Promise<VerifyResult> {
  const now = options.now ?? new Date();
  const qIndex = request.url.indexOf('?');
  const path = qIndex < 0 ? request.url : request.url.slice(0, qIndex);
  const query = parseQuery(qIndex < 0 ? '' : request.url.slice(qIndex + 1));
  const authorization = header(request.headers, 'authorization');
  const presigned = typeof query['X-Amz-Signature'] === 'string';

  if (!authorization && !presigned) return { ok: false, reason: 'missing' };

  let accessKeyId: string,
    region: string,
    service: string,
    signedHeaders: string[],
    signature: string,
    date: Date | undefined;
  let expiresIn: number | undefined;
  if (presigned) {
    const credential = CREDENTIAL.exec(String(query['X-Amz-Credential'] ?? ''));
    date = parseAmzDate(String(query['X-Amz-Date'] ?? ''));
    expiresIn = Number(query['X-Amz-Expires']);
    if (
      !credential ||
      !date ||
      !Number.isInteger(expiresIn) ||
      query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256'
    ) {
      return { ok: false, reason: 'malformed' };
    }
    [, accessKeyId, , region, service] = credential;
    signedHeaders = String(query['X-Amz-SignedHeaders'] ?? '')
      .split(';')
      .filter(Boolean);
    signature = String(query['X-Amz-Signature']);
    if (now.getTime() > date.getTime() + expiresIn * 1000) return { ok: false, reason: 'expired' };
    if (date.getTime() - now.getTime() > CLOCK_SKEW_MS) return { ok: false, reason: 'malformed' };
  } else {
    const m = AUTH_HEADER.exec(authorization ?? '');
    date = parseAmzDate(header(request.headers, 'x-amz-date'));
    if (!m || !date) return { ok: false, reason: 'malformed' };
    [, accessKeyId, , region, service] = m;
    signedHeaders = m[5].split(';');
    signature = m[6];
    if (Math.abs(now.getTime() - date.getTime()) > CLOCK_SKEW_MS) return { ok: false, reason: 'expired' };
  }
  if (service !== options.service || region !== options.region || !signedHeaders.includes('host')) {
    return { ok: false, reason: 'mismatch' };
  }
  const secret = options.lookupSecret(accessKeyId);
  if (!secret) return { ok: false, reason: 'unknown-key' };

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = header(request.headers, name) ?? '';
  const sigv4 = signer(service, region, { accessKeyId, secretAccessKey: secret });

  let expected: string;
  if (presigned) {
    const rest = Object.fromEntries(Object.entries(query).filter(([k]) => !PRESIGN_PARAMS.includes(k)));
    // The presigner hoists the payload hash header into the query; put it back where it reads it.
    const payloadHash = rest['X-Amz-Content-Sha256'];
    delete rest['X-Amz-Content-Sha256'];
    const out = await sigv4.presign(
      new HttpRequest({
        method: request.method,
        path,
        query: rest,
        headers: {
          ...headers,
          ...(typeof payloadHash === 'string' ? { 'X-Amz-Content-Sha256': payloadHash } : {}),
        },
      }),
      { signingDate: date, expiresIn },
    );
    expected = String(out.query?.['X-Amz-Signature'] ?? '');
  } else {
    const contentHash = headers['x-amz-content-sha256'];
    if (contentHash && !contentHash.startsWith('UNSIGNED-PAYLOAD') && !contentHash.startsWith('STREAMING-')) {
      const bodyHash = createHash('sha256').update(request.body).digest('hex');
      if (!sameSignature(bodyHash, contentHash)) return { ok: false, reason: 'mismatch' };
    }
    const out = await sigv4.sign(
      new HttpRequest({
        method: request.method,
        path,
        query,
        headers,
        body: contentHash ? undefined : request.body,
      }),
      { signingDate: date },
    );
    expected = signatureFromAuthorization(out.headers['authorization']);
  }
  return sameSignature(expected, signature) ? { ok: true, accessKeyId } : { ok: false, reason: 'mismatch' };
}
