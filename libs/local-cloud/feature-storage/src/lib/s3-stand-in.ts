// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for two untyped local servers
/// <reference path="../vendor.d.ts" />
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { ClientRequest, request as httpRequest, IncomingMessage, ServerResponse } from 'node:http';
import S3rver from 's3rver';

import {
  BodyTooLargeError,
  listen,
  objectPatchProblems,
  parseJson,
  readBody,
  refuseBrowserAdmin,
  RunningServer,
  sendJson,
  sleep,
} from '@imagegen/local-cloud/util-http';
import {
  AccessCheck,
  accessDeniedMessage,
  Authorizer,
  deleteObjectsKeys,
  s3Calls,
  ServiceCall,
} from '@imagegen/local-cloud/util-iam';
import { VerifyFailure, verifySigV4 } from '@imagegen/shared/util-sigv4';

import { removeEmptyFolders, removeInterruptedWrites } from './interrupted-writes';
import {
  AcceptedUpload,
  checkUpload,
  formBoundary,
  parseUploadForm,
  PostRefusal,
  refusalXml,
} from './post-object';
import { hardenStore, S3rverStore } from './s3rver-store';

export interface S3StandInOptions {
  readonly port: number;
  readonly host?: string;
  /** Where objects are kept (survives restarts). */
  readonly dataDir: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Origins allowed to read objects from a browser (CORS); `*` for any. Ignored when `corsRules` is given. */
  readonly corsOrigins?: readonly string[];
  /**
   * IAM enforcement: every signed request (presigned URLs when used, as their signer) is authorized
   * as the principal of its access key; a refusal is S3's 403 AccessDenied. Without it, any request
   * signed with `credentials` is allowed (as before).
   */
  readonly authorizer?: Authorizer;
  /** The bucket's CORS rules as the template defines them (CorsConfiguration.CorsRules). */
  readonly corsRules?: readonly S3CorsRule[];
}

/** One CORS rule of the bucket (S3 applies the first rule that matches the origin and method). */
export interface S3CorsRule {
  readonly allowedMethods: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly exposedHeaders?: readonly string[];
  readonly maxAge?: number;
}

/** An origin or header pattern of a CORS rule: `*` matches any run of characters (S3 allows one). */
function corsMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(value);
}

/** Fault injection (`POST /__faults`): every field optional; a POST changes only the fields it names. */
export interface S3Faults {
  /** Every request is answered 503 ServiceUnavailable (S3 down). */
  readonly unavailable?: boolean;
  /** The next N writes (PUT, POST, DELETE: put, copy, delete) are answered 503 ServiceUnavailable (counts down). */
  readonly failWritesNext?: number;
  /** Share of writes answered 503 ServiceUnavailable (0..1). */
  readonly failWritesRate?: number;
}

export const NO_S3_FAULTS: Required<S3Faults> = { unavailable: false, failWritesNext: 0, failWritesRate: 0 };

export interface S3Stats {
  /** S3 requests received (admin endpoints and CORS preflights excluded). */
  readonly requests: number;
  /** Writes that reached the store (PUT, POST, DELETE after signature and fault checks). */
  readonly writes: number;
  /** Of those, CopyObject requests. */
  readonly copies: number;
  /** Requests answered with an injected fault. */
  readonly faultsInjected: number;
  /** Objects in the bucket now. */
  readonly objects: number;
}

/** One object as the store holds it. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: string;
}

export interface S3StandIn {
  readonly url: string;
  readonly port: number;
  /** Objects a killed process had not finished writing, removed at start (S3 never shows a partial PUT). */
  readonly interruptedWrites: readonly string[];
  setFaults(patch: S3Faults): void;
  faults(): Required<S3Faults>;
  stats(): Promise<S3Stats>;
  /** Zeroes the request counters. */
  resetStats(): void;
  /**
   * Moves the test clock presigned URLs are checked against (X-Amz-Date + X-Amz-Expires) by `seconds`
   * from real time, for link-expiry tests. As if the whole world moved on, the signer included: links
   * signed before the move are aged by it; links signed after it are checked as if signed with the
   * moved clock, so a refreshed link works. Resolves at the next whole second (X-Amz-Date has
   * second precision), from when the move is in effect.
   */
  setClockOffset(seconds: number): Promise<void>;
  clockOffsetSeconds(): number;
  /** The bucket's objects under a prefix, read straight from the store (no signature, no faults). */
  listObjects(prefix?: string): Promise<StoredObject[]>;
  close(): Promise<void>;
}

const MAX_CLOCK_OFFSET_SECONDS = 10 * 366 * 86_400;
/** How long a stop waits for the store calls still running (they fail fast once their request is gone). */
const STORE_SETTLE_MS = 5_000;

/** Problems of a fault patch (from JSON), in words naming the setting. */
export function s3FaultProblems(input: unknown): string[] {
  const problems = objectPatchProblems(input, Object.keys(NO_S3_FAULTS));
  if (problems.length) return problems;
  const f = input as Record<string, unknown>;
  if (f['unavailable'] !== undefined && typeof f['unavailable'] !== 'boolean')
    problems.push('unavailable must be true or false');
  const next = f['failWritesNext'];
  if (next !== undefined && !(Number.isInteger(next) && (next as number) >= 0))
    problems.push('failWritesNext must be a whole number ≥ 0');
  const rate = f['failWritesRate'];
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1))
    problems.push('failWritesRate must be a number from 0 to 1');
  return problems;
}

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) =>
    e.startsWith('#x') || e.startsWith('#X')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : (XML_ENTITIES[e.toLowerCase()] ?? ''),
  );
}

function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlText(m[1]) : undefined;
}

/**
 * s3rver reads x-amz-copy-source with decodeURI, which leaves `%3A`, `%40`, `%2F`… encoded: hand it
 * the source in the one encoding decodeURI undoes exactly (the signature was checked on the original).
 */
function copySourceForStore(value: string): string {
  const source = value.split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(source);
  } catch {
    decoded = source;
  }
  return encodeURI(decoded);
}

const MESSAGES: Readonly<Record<VerifyFailure, [string, string]>> = {
  missing: ['AccessDenied', 'Access Denied'],
  malformed: ['AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter.'],
  'unknown-key': ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
  expired: ['AccessDenied', 'Request has expired'],
  mismatch: [
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
};

function withoutAuthParams(url: string): string {
  const [path, query] = url.split('?', 2);
  if (!query) return url;
  const kept = query
    .split('&')
    .filter(
      (p) => !/^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)=/i.test(p),
    );
  return kept.length ? `${path}?${kept.join('&')}` : path;
}

const ACCESS_DENIED_XML = (key: string) =>
  `<Error><Key>${xmlEscape(key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;

function xmlEscape(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`,
  );
}

/** A DeleteObjects body naming only some of the objects (the ones the caller may delete). */
function deleteBody(objects: readonly { key: string; versionId?: string }[], quiet: boolean): string {
  const items = objects
    .map(
      (o) =>
        `<Object><Key>${xmlEscape(o.key)}</Key>${o.versionId ? `<VersionId>${xmlEscape(o.versionId)}</VersionId>` : ''}</Object>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}${quiet ? '<Quiet>true</Quiet>' : ''}</Delete>`;
}

/** success_action_redirect as a URL, or undefined when S3 "cannot interpret the URL" (it then ignores the field). */
function redirectUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function s3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', ...headers });
  res.end(xml);
}

/**
 * S3 on loopback: s3rver (which checks no signature) behind a front that verifies SigV4 exactly
 * as S3 does (header-signed and presigned), so tampered, wrongly signed or expired links get 403.
 * Browser uploads (POST to the bucket URL with a signed POST policy, post-object.ts) are checked
 * and stored by the front itself; only a checked upload reaches the store.
 * The front also injects faults, counts requests, shifts the presigned-URL clock for tests and
 * lists the store's keys (admin endpoints under `/__`: no bucket name starts with `_`).
 */
export async function startS3StandIn(options: S3StandInOptions): Promise<S3StandIn> {
  mkdirSync(options.dataDir, { recursive: true });
  const interrupted = removeInterruptedWrites(options.dataDir);
  removeEmptyFolders(options.dataDir);
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: options.dataDir,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  });
  // s3rver closes its (silent) logger when its server closes; a request still ending then (one cut off by a stop)
  // logs to a logger left with no transport, and winston warns about that on the console, after the test that
  // stopped the stack: Jest then fails the run ("Cannot log after tests are done"). The logger stays open (and
  // silent) for as long as s3rver lives.
  (s3rver as unknown as { logger: { close: () => unknown } }).logger.close = () => undefined;
  const store = hardenStore((s3rver as unknown as { store: S3rverStore }).store);
  const inner = (await s3rver.run()) as { port: number };
  /** Requests on their way to s3rver (destroyed on close). */
  const upstreams = new Set<ClientRequest>();
  const { accessKeyId, secretAccessKey } = options.credentials;
  const { authorizer } = options;
  const scope = { region: options.region, account: authorizer?.account ?? '' };
  const lookupSecret = (id: string) =>
    authorizer?.secretFor(id) ?? (id === accessKeyId ? secretAccessKey : undefined);
  /** As the principal of the key (the stand-in's own key, unknown to the authorizer, is allowed everything). */
  const authorizeAs = (id: string, calls: readonly ServiceCall[]): AccessCheck =>
    authorizer?.secretFor(id) !== undefined ? authorizer.check(id, calls) : { allowed: true };
  const corsRules: readonly S3CorsRule[] = options.corsRules ?? [
    { allowedMethods: ['GET', 'HEAD'], allowedOrigins: options.corsOrigins ?? ['*'], maxAge: 3000 },
  ];
  /** The first rule for this origin and method (S3's rule selection), and whether the asked headers pass it. */
  const corsRule = (origin: string, method: string, askedHeaders: readonly string[] = []) =>
    corsRules.find(
      (r) =>
        r.allowedOrigins.some((o) => corsMatch(o, origin)) &&
        r.allowedMethods.includes(method.toUpperCase()) &&
        askedHeaders.every((h) => (r.allowedHeaders ?? []).some((a) => corsMatch(a, h))),
    );
  let faults: Required<S3Faults> = { ...NO_S3_FAULTS };
  /** Each move of the test clock: the offset in effect from `fromMs` (real time) on. */
  let clockMoves: readonly { readonly fromMs: number; readonly offsetSeconds: number }[] = [];
  const offsetAt = (ms: number) => [...clockMoves].reverse().find((m) => m.fromMs <= ms)?.offsetSeconds ?? 0;
  let counters = { requests: 0, writes: 0, copies: 0, faultsInjected: 0 };

  // Like S3 with a CORS rule: every answer varies on Origin, so a browser never reuses an answer
  // fetched without CORS headers (an <img>) for a CORS request (a download by fetch).
  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!origin) return { vary: 'Origin' };
    const method =
      req.method === 'OPTIONS'
        ? String(req.headers['access-control-request-method'] ?? '')
        : (req.method ?? '');
    const asked = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    const rule = corsRule(origin, method, req.method === 'OPTIONS' ? asked : []);
    if (!rule) return { vary: 'Origin' };
    return {
      'access-control-allow-origin': origin,
      vary: 'Origin',
      // A preflight is answered with "the HTTP method that was sent in the original request"
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html).
      'access-control-allow-methods':
        req.method === 'OPTIONS' ? method.toUpperCase() : rule.allowedMethods.join(', '),
      ...(rule.exposedHeaders?.length
        ? { 'access-control-expose-headers': rule.exposedHeaders.join(', ') }
        : {}),
      ...(rule.maxAge !== undefined ? { 'access-control-max-age': String(rule.maxAge) } : {}),
    };
  };

  async function listObjects(prefix = ''): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const query = new URLSearchParams({
        'list-type': '2',
        prefix,
        'max-keys': '1000',
        ...(token ? { 'continuation-token': token } : {}),
      });
      const res = await fetch(
        `http://127.0.0.1:${inner.port}/${encodeURIComponent(options.bucket)}?${query}`,
      );
      const xml = await res.text();
      if (!res.ok) throw new Error(`listing the store failed: HTTP ${res.status}`);
      for (const [, entry] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        objects.push({
          key: xmlField(entry, 'Key') ?? '',
          size: Number(xmlField(entry, 'Size') ?? 0),
          lastModified: xmlField(entry, 'LastModified') ?? '',
        });
      }
      token = xmlField(xml, 'IsTruncated') === 'true' ? xmlField(xml, 'NextContinuationToken') : undefined;
    } while (token);
    return objects;
  }

  const stats = async (): Promise<S3Stats> => ({ ...counters, objects: (await listObjects()).length });

  const setFaults = (patch: S3Faults) => {
    const problems = s3FaultProblems(patch);
    if (problems.length) throw new Error(problems.join('; '));
    faults = { ...faults, ...patch };
  };

  const setClockOffset = async (seconds: number): Promise<void> => {
    if (!Number.isInteger(seconds) || Math.abs(seconds) > MAX_CLOCK_OFFSET_SECONDS)
      throw new Error(`offsetSeconds must be a whole number of seconds within ±${MAX_CLOCK_OFFSET_SECONDS}`);
    const last = clockMoves[clockMoves.length - 1];
    let fromMs = last?.fromMs ?? 0;
    if ((last?.offsetSeconds ?? 0) !== seconds) {
      // From the next whole second: every link signed before the call has an X-Amz-Date before it.
      fromMs = Math.floor(Date.now() / 1000) * 1000 + 1000;
      clockMoves = [...clockMoves.slice(-99), { fromMs, offsetSeconds: seconds }];
    }
    // (a timer may fire a millisecond early by Date.now())
    while (Date.now() < fromMs) await sleep(fromMs - Date.now() + 1);
  };

  /** The time a presigned URL signed at X-Amz-Date `signedAt` is checked against now. */
  const presignedNow = (url: string): Date | undefined =>
    signedNow(/[?&]X-Amz-Date=(\d{8}T\d{6}Z)/i.exec(url)?.[1] ?? '');

  /** The time a request signed at `amzDate` (X-Amz-Date, `YYYYMMDDTHHMMSSZ`) is checked against now. */
  const signedNow = (amzDate: string): Date | undefined => {
    if (clockMoves.length === 0) return undefined;
    const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/i.exec(amzDate);
    if (!m) return undefined;
    const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    const now = Date.now();
    const aged = offsetAt(now) - offsetAt(signedAt);
    return aged === 0 ? undefined : new Date(now + aged * 1000);
  };

  const clock = () => {
    const offsetSeconds = offsetAt(Date.now());
    return { offsetSeconds, now: new Date(Date.now() + offsetSeconds * 1000).toISOString() };
  };

  /** Admin: `GET|POST /__faults`, `GET /__stats`, `POST /__stats/reset`, `GET|POST /__clock`, `GET /__objects?prefix=`. */
  async function admin(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    body: Buffer,
  ): Promise<void> {
    if (refuseBrowserAdmin(req, res)) return;
    const route = `${req.method} ${path}`;
    if (route === 'GET /__faults') return sendJson(res, 200, faults);
    if (route === 'GET /__stats') return sendJson(res, 200, await stats());
    if (route === 'POST /__stats/reset') {
      counters = { requests: 0, writes: 0, copies: 0, faultsInjected: 0 };
      return sendJson(res, 200, await stats());
    }
    if (route === 'GET /__clock') return sendJson(res, 200, clock());
    if (route === 'GET /__objects') {
      const prefix = query.get('prefix') ?? '';
      const objects = await listObjects(prefix);
      return sendJson(res, 200, { bucket: options.bucket, prefix, count: objects.length, objects });
    }
    if (route === 'POST /__faults' || route === 'POST /__clock') {
      const patch = parseJson(body);
      if (!patch.ok) return sendJson(res, 400, { message: 'the body must be JSON' });
      try {
        if (route === 'POST /__faults') {
          setFaults(patch.value as S3Faults);
          return sendJson(res, 200, faults);
        }
        const problems = objectPatchProblems(patch.value, ['offsetSeconds']);
        if (problems.length) throw new Error(problems.join('; '));
        await setClockOffset((patch.value as { offsetSeconds?: number }).offsetSeconds ?? 0);
        return sendJson(res, 200, clock());
      } catch (err) {
        return sendJson(res, 400, { message: (err as Error).message });
      }
    }
    sendJson(res, 404, { message: `no admin endpoint ${route.slice(0, 100)}` });
  }

  function injectedFault(res: ServerResponse, cors: Record<string, string>): void {
    counters.faultsInjected++;
    s3Error(res, 503, 'ServiceUnavailable', 'Service is unable to handle request.', cors);
  }

  function refuse(res: ServerResponse, refusal: PostRefusal, cors: Record<string, string>): void {
    const xml = refusalXml(refusal, xmlEscape);
    res.writeHead(refusal.status, { 'content-type': 'application/xml', ...cors });
    res.end(xml);
  }

  /**
   * PostObject: the form is checked as S3 checks it (post-object.ts), then the signer's IAM must allow
   * s3:PutObject on the key, as for a PUT. Nothing reaches the store before every check has passed, so
   * a refused upload leaves nothing behind.
   */
  async function postObject(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    body: Buffer,
    cors: Record<string, string>,
  ): Promise<void> {
    if (bucket !== options.bucket)
      return refuse(
        res,
        {
          status: 404,
          code: 'NoSuchBucket',
          message: 'The specified bucket does not exist',
          extra: { BucketName: bucket },
        },
        cors,
      );
    const boundary = formBoundary(req.headers['content-type']);
    if (boundary === undefined)
      return refuse(
        res,
        {
          status: 412,
          code: 'PreconditionFailed',
          message: 'At least one of the pre-conditions you specified did not hold',
          extra: { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' },
        },
        cors,
      );
    const parsed = parseUploadForm(body, boundary);
    if (!parsed.ok) return refuse(res, parsed, cors);
    const testNow = signedNow(parsed.form.fields.get('x-amz-date') ?? '');
    const checked = checkUpload(parsed.form, {
      bucket,
      region: options.region,
      lookupSecret,
      now: testNow ?? new Date(),
    });
    if (!('accessKeyId' in checked)) return refuse(res, checked, cors);
    const objectPath = `/${encodeURIComponent(bucket)}/${checked.key.split('/').map(encodeURIComponent).join('/')}`;
    if (authorizer) {
      const check = authorizeAs(
        checked.accessKeyId,
        s3Calls({ method: 'PUT', url: objectPath, headers: {} }, scope),
      );
      if (!check.allowed)
        return s3Error(res, 403, 'AccessDenied', xmlEscape(accessDeniedMessage(check)), cors);
    }
    const failNext = faults.failWritesNext > 0;
    if (failNext) faults = { ...faults, failWritesNext: faults.failWritesNext - 1 };
    if (failNext || Math.random() < faults.failWritesRate) return injectedFault(res, cors);
    const stored = await storeUpload(objectPath, checked);
    if (stored.status >= 300) {
      res.writeHead(stored.status, { 'content-type': 'application/xml', ...cors });
      return void res.end(stored.body);
    }
    counters.writes++;
    postAnswer(req, res, bucket, objectPath, checked, stored.etag, cors);
  }

  /** Writes an accepted upload to the store as a PUT of its file with its fields as headers. */
  function storeUpload(
    objectPath: string,
    upload: AcceptedUpload,
  ): Promise<{ status: number; etag: string; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const put = httpRequest(
        {
          host: '127.0.0.1',
          port: inner.port,
          method: 'PUT',
          path: objectPath,
          headers: {
            ...upload.headers,
            host: `127.0.0.1:${inner.port}`,
            'content-length': String(upload.bytes.length),
          },
        },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () =>
            resolve({
              status: up.statusCode ?? 500,
              etag: String(up.headers.etag ?? ''),
              body: Buffer.concat(chunks),
            }),
          );
          up.on('error', reject);
        },
      );
      put.on('error', reject);
      put.end(upload.bytes);
    });
  }

  /**
   * PostObject's success answer: a redirect to success_action_redirect (with bucket, key and etag),
   * else success_action_status: 201 with a PostResponse document, 200 or 204 (the default) empty; the
   * object's ETag and Location as headers (https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html).
   */
  function postAnswer(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    objectPath: string,
    upload: AcceptedUpload,
    etag: string,
    cors: Record<string, string>,
  ): void {
    const location = `http://${req.headers.host ?? `127.0.0.1:${front.port}`}${objectPath}`;
    const headers = { ...cors, etag, location };
    const redirect = upload.successRedirect ? redirectUrl(upload.successRedirect) : undefined;
    if (redirect) {
      redirect.searchParams.set('bucket', bucket);
      redirect.searchParams.set('key', upload.key);
      redirect.searchParams.set('etag', etag);
      res.writeHead(303, { ...headers, location: redirect.toString() });
      return void res.end();
    }
    if (upload.successStatus === 201) {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${xmlEscape(location)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(upload.key)}</Key><ETag>${xmlEscape(etag)}</ETag></PostResponse>`;
      res.writeHead(201, { ...headers, 'content-type': 'application/xml' });
      return void res.end(xml);
    }
    res.writeHead(upload.successStatus, headers);
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
    const cors = corsHeaders(req);
    if (path.startsWith('/__')) {
      let adminBody: Buffer;
      try {
        adminBody = await readBody(req, 64 * 1024);
      } catch {
        return sendJson(res, 413, { message: 'the body is too large' });
      }
      return admin(req, res, path, new URLSearchParams(rawQuery), adminBody);
    }
    if (req.method === 'OPTIONS') {
      if (!cors['access-control-allow-origin'])
        return s3Error(res, 403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed.');
      res.writeHead(200, {
        ...cors,
        ...(req.headers['access-control-request-headers']
          ? { 'access-control-allow-headers': req.headers['access-control-request-headers'] }
          : {}),
      });
      return void res.end();
    }
    let body: Buffer;
    try {
      body = await readBody(req, 100 * 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return s3Error(
          res,
          400,
          'EntityTooLarge',
          'Your proposed upload exceeds the maximum allowed size',
          cors,
        );
      throw err;
    }
    counters.requests++;
    if (faults.unavailable) return injectedFault(res, cors);
    // POST to the bucket itself (no sub-resource): a browser-based upload (PostObject), signed by its form.
    const postBucket = req.method === 'POST' && !rawQuery ? /^\/([^/]+)\/?$/.exec(path)?.[1] : undefined;
    if (postBucket !== undefined) return postObject(req, res, decodeURIComponent(postBucket), body, cors);
    const url = req.url ?? '/';
    // The test clock moves only the expiry of presigned URLs: SDK calls are signed now, with real time.
    const testNow = /[?&]X-Amz-Signature=/i.test(url) ? presignedNow(url) : undefined;
    const verdict = await verifySigV4(
      { method: req.method ?? 'GET', url, headers: req.headers, body },
      {
        service: 's3',
        region: options.region,
        lookupSecret,
        ...(testNow ? { now: testNow } : {}),
      },
    );
    if (!verdict.ok) {
      const [code, message] = MESSAGES[verdict.reason];
      return s3Error(res, 403, code, message, cors);
    }
    // IAM: DeleteObjects is authorized key by key (refused keys come back as errors in its 200 answer,
    // as in S3); any other request needs every one of its authorizations.
    let deleteRefused: { key: string; versionId?: string }[] = [];
    const isDeleteObjects = req.method === 'POST' && /(^|&)delete(=|&|$)/.test(rawQuery);
    if (options.authorizer) {
      const calls = s3Calls({ method: req.method ?? 'GET', url, headers: req.headers, body }, scope);
      if (isDeleteObjects) {
        const objects = deleteObjectsKeys(body);
        const refusedAt = new Set(
          calls.flatMap((c, i) => (authorizeAs(verdict.accessKeyId, [c]).allowed ? [] : [i])),
        );
        if (refusedAt.size > 0) {
          deleteRefused = objects.filter((_o, i) => refusedAt.has(i));
          const allowed = objects.filter((_o, i) => !refusedAt.has(i));
          const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(body.toString('utf8'));
          if (allowed.length === 0) {
            const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${deleteRefused.map((o) => ACCESS_DENIED_XML(o.key)).join('')}</DeleteResult>`;
            res.writeHead(200, { 'content-type': 'application/xml', ...cors });
            return void res.end(xml);
          }
          body = Buffer.from(deleteBody(allowed, quiet));
          for (const h of Object.keys(req.headers))
            if (
              h === 'content-md5' ||
              h.startsWith('x-amz-checksum-') ||
              h === 'x-amz-sdk-checksum-algorithm'
            )
              delete req.headers[h];
          req.headers['content-md5'] = createHash('md5').update(body).digest('base64');
        }
      } else {
        const check = authorizeAs(verdict.accessKeyId, calls);
        // Same-account refusals carry S3's added context: who, what, on which resource, and why.
        if (!check.allowed)
          return s3Error(res, 403, 'AccessDenied', xmlEscape(accessDeniedMessage(check)), cors);
      }
    }
    const isWrite = req.method === 'PUT' || req.method === 'POST' || req.method === 'DELETE';
    if (isWrite) {
      const failNext = faults.failWritesNext > 0;
      if (failNext) faults = { ...faults, failWritesNext: faults.failWritesNext - 1 };
      if (failNext || Math.random() < faults.failWritesRate) return injectedFault(res, cors);
    }
    // Verified here; s3rver gets an anonymous request (it would refuse our local key id otherwise).
    const { authorization: _auth, ...headers } = req.headers;
    const copySource = headers['x-amz-copy-source'];
    if (typeof copySource === 'string') headers['x-amz-copy-source'] = copySourceForStore(copySource);
    const upstream: ClientRequest = httpRequest(
      {
        host: '127.0.0.1',
        port: inner.port,
        method: req.method,
        path: withoutAuthParams(url),
        headers: { ...headers, host: `127.0.0.1:${inner.port}`, 'content-length': String(body.length) },
      },
      (up) => {
        if (isWrite && (up.statusCode ?? 500) < 300) {
          counters.writes++;
          if (typeof copySource === 'string') counters.copies++;
        }
        if (deleteRefused.length > 0 && (up.statusCode ?? 500) < 300) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const errors = deleteRefused.map((o) => ACCESS_DENIED_XML(o.key)).join('');
            const xml = Buffer.concat(chunks)
              .toString('utf8')
              .replace(/<\/DeleteResult>\s*$/, `${errors}</DeleteResult>`);
            const { 'content-length': _length, ...upHeaders } = up.headers;
            res.writeHead(up.statusCode ?? 200, {
              ...upHeaders,
              ...cors,
              'content-length': Buffer.byteLength(xml),
            });
            res.end(xml);
          });
          return;
        }
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...cors });
        up.pipe(res);
      },
    );
    upstreams.add(upstream);
    upstream.once('close', () => upstreams.delete(upstream));
    upstream.on('error', () =>
      res.headersSent
        ? res.destroy()
        : s3Error(res, 503, 'ServiceUnavailable', 'Please reduce your request rate.', cors),
    );
    upstream.end(body);
  }

  const front: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent)
          s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      });
    },
    options.port,
    'S3 stand-in',
    options.host,
  );
  return {
    interruptedWrites: interrupted,
    url: front.url,
    port: front.port,
    setFaults,
    faults: () => faults,
    stats,
    resetStats: () => {
      counters = { requests: 0, writes: 0, copies: 0, faultsInjected: 0 };
    },
    setClockOffset,
    clockOffsetSeconds: () => offsetAt(Date.now()),
    listObjects,
    close: async () => {
      await front.close();
      // Requests still on their way to the store end with the stack: a pending one (a worker's PUT cut off by a
      // stop) would otherwise keep s3rver's server, and the process, open for ever.
      for (const pending of upstreams) pending.destroy();
      (
        s3rver as unknown as { httpServer?: { closeAllConnections?: () => void } }
      ).httpServer?.closeAllConnections?.();
      // Store calls those requests started end (their request is gone, so they fail) before the stop is over: a
      // caller may remove the data folder next, and no write may land in it after that.
      await store.settle(STORE_SETTLE_MS);
      await s3rver.close();
    },
  };
}
