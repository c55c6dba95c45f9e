import { createHmac, timingSafeEqual } from 'node:crypto';

// S3's browser-based upload (POST Object with a SigV4-signed POST policy), checked as S3 checks it:
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-UsingHTTPPOST.html (form fields),
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html (policy, conditions),
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html (signature),
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html (answers),
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (error codes and statuses).

/** One part of a multipart/form-data body. */
interface FormPart {
  /** The field name, lower-cased: S3 matches form field names without regard to case. */
  readonly name: string;
  readonly value: Buffer;
  readonly filename?: string;
}

/** A browser upload form as S3 reads it: the fields before the file, and the file. */
export interface UploadForm {
  /** Field name (lower-cased) → value; a field given twice has its values joined by commas (S3's rule). */
  readonly fields: ReadonlyMap<string, string>;
  readonly file?: { readonly bytes: Buffer; readonly filename: string };
}

/** An S3 error answer: status, code, message and the extra elements S3 adds for it. */
export interface PostRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extra?: Readonly<Record<string, string>>;
}

export type FormParse =
  | { readonly ok: true; readonly form: UploadForm }
  | ({ readonly ok: false } & PostRefusal);

/** The most form data S3 reads before the file ("HTML Forms", https://docs.aws.amazon.com/AmazonS3/latest/dev/HTTPPOSTForms.html). */
const MAX_PRE_DATA_BYTES = 20 * 1024;

const MALFORMED: PostRefusal = {
  status: 400,
  code: 'MalformedPOSTRequest',
  message: 'The body of your POST request is not well-formed multipart/form-data.',
};

/** The boundary of a multipart/form-data Content-Type, or undefined when the body is not one. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!/^\s*multipart\/form-data\s*(;|$)/i.test(contentType ?? '')) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]) : '';
}

function partHeaders(head: string): { name?: string; filename?: string } {
  const disposition = head
    .split('\r\n')
    .find((line) => /^content-disposition\s*:/i.test(line))
    ?.replace(/^content-disposition\s*:\s*/i, '');
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) return {};
  const param = (p: string) => new RegExp(`;\\s*${p}="([^"]*)"`, 'i').exec(disposition)?.[1];
  const filename = param('filename');
  return { name: param('name'), ...(filename !== undefined ? { filename } : {}) };
}

/**
 * Reads a multipart/form-data body. "The file or content must be the last field in the form": any
 * field after it is ignored, and a form without one has no `file`.
 */
export function parseUploadForm(body: Buffer, boundary: string): FormParse {
  if (!boundary) return { ok: false, ...MALFORMED };
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) return { ok: false, ...MALFORMED };
  const parts: FormPart[] = [];
  /** Where the file's part begins: the size of the fields before it. */
  let fileStart: number | undefined;
  for (;;) {
    const partStart = at;
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') break;
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') return { ok: false, ...MALFORMED };
    const headEnd = body.indexOf('\r\n\r\n', at + 2);
    if (headEnd < 0) return { ok: false, ...MALFORMED };
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4);
    if (next < 0) return { ok: false, ...MALFORMED };
    const { name, filename } = partHeaders(body.subarray(at + 2, headEnd).toString('utf8'));
    if (name === undefined) return { ok: false, ...MALFORMED };
    if (name.toLowerCase() === 'file') fileStart ??= partStart;
    parts.push({
      name: name.toLowerCase(),
      value: body.subarray(headEnd + 4, next),
      ...(filename !== undefined ? { filename } : {}),
    });
    at = next + 2;
  }
  // "The form data and boundaries (excluding the contents of the file) cannot exceed 20 KB."
  if (fileStart !== undefined && fileStart > MAX_PRE_DATA_BYTES)
    return {
      ok: false,
      status: 400,
      code: 'MaxPostPreDataLengthExceededError',
      message: 'Your POST request fields preceding the upload file were too large.',
    };
  const fields = new Map<string, string>();
  for (const part of parts) {
    if (part.name === 'file') {
      // Only the last part of the path a browser may send: "C:\dir\file.txt" is file.txt.
      const filename = (part.filename ?? '').split(/[/\\]/).pop() ?? '';
      return { ok: true, form: { fields, file: { bytes: part.value, filename } } };
    }
    const value = part.value.toString('utf8');
    const before = fields.get(part.name);
    fields.set(part.name, before === undefined ? value : `${before},${value}`);
  }
  return { ok: true, form: { fields } };
}

/** What a checked upload is: who signed it, and the object it stores. */
export interface AcceptedUpload {
  readonly accessKeyId: string;
  readonly key: string;
  /** The fields stored with the object (Content-Type, Cache-Control, x-amz-meta-*, …), lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bytes: Buffer;
  readonly successStatus: 200 | 201 | 204;
  readonly successRedirect?: string;
}

export interface PostPolicyContext {
  readonly bucket: string;
  readonly region: string;
  readonly lookupSecret: (accessKeyId: string) => string | undefined;
  /** The time the policy's expiration is checked against (the stand-in's test clock). */
  readonly now: Date;
}

/** Fields S3 never asks the policy for: "except x-amz-signature, file, policy, and field names that have an x-ignore- prefix". */
const UNCHECKED_FIELDS = new Set(['x-amz-signature', 'file', 'policy']);
/** Fields stored with the object as its headers (REST-specific headers of PutObject). */
const STORED_HEADERS = [
  'cache-control',
  'content-type',
  'content-disposition',
  'content-encoding',
  'expires',
];
/** S3 stores an object uploaded without a type as this ("binary/octet-stream", S3's default). */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';
/** PostObject's own ceiling without a content-length-range: 5 GB, as for a single PUT (RESTObjectPOST.html). */
const MAX_POST_OBJECT_BYTES = 5 * 1024 ** 3;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

const denied = (message: string): PostRefusal => ({
  status: 403,
  code: 'AccessDenied',
  message: `Invalid according to Policy: ${message}`,
});

const invalidPolicy = (message: string): PostRefusal => ({
  status: 400,
  code: 'InvalidPolicyDocument',
  message: `Invalid Policy: ${message}`,
});

/** A condition as S3 quotes it in "Policy Condition failed: [...]": JSON with a space after each comma. */
function quoteCondition(parts: readonly unknown[]): string {
  return `[${parts.map((p) => JSON.stringify(p)).join(', ')}]`;
}

/** The SigV4 signature of a POST policy: HMAC-SHA256 of the base64 policy with the signing key, in hex. */
export function postPolicySignature(
  secret: string,
  date: string,
  region: string,
  service: string,
  policyBase64: string,
): string {
  const hmac = (key: string | Buffer, data: string) =>
    createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return createHmac('sha256', signingKey).update(policyBase64, 'utf8').digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Condition =
  | {
      readonly kind: 'eq' | 'starts-with';
      readonly field: string;
      readonly value: string;
      readonly quoted: string;
    }
  | { readonly kind: 'range'; readonly min: number; readonly max: number };

/** The policy's conditions, or the InvalidPolicyDocument refusal for one S3 could not read. */
function readConditions(raw: unknown): Condition[] | PostRefusal {
  if (!Array.isArray(raw)) return invalidPolicy('Policy missing conditions.');
  const out: Condition[] = [];
  for (const c of raw) {
    if (Array.isArray(c)) {
      const [op, a, b] = c as unknown[];
      const operator = String(op).toLowerCase();
      if (operator === 'content-length-range') {
        const min = Number(a);
        const max = Number(b);
        if (c.length !== 3 || !Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min)
          return invalidPolicy('Invalid content-length-range condition.');
        out.push({ kind: 'range', min, max });
        continue;
      }
      if (
        (operator !== 'eq' && operator !== 'starts-with') ||
        c.length !== 3 ||
        typeof a !== 'string' ||
        !a.startsWith('$') ||
        typeof b !== 'string'
      )
        return invalidPolicy(`Invalid Condition: ${quoteCondition(c)}`);
      out.push({ kind: operator, field: a.slice(1).toLowerCase(), value: b, quoted: quoteCondition(c) });
    } else if (typeof c === 'object' && c !== null && Object.keys(c).length === 1) {
      const [[name, value]] = Object.entries(c as Record<string, unknown>);
      if (typeof value !== 'string') return invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
      out.push({
        kind: 'eq',
        field: name.toLowerCase(),
        value,
        quoted: quoteCondition(['eq', `$${name}`, value]),
      });
    } else {
      return invalidPolicy(`Invalid Condition: ${JSON.stringify(c)}`);
    }
  }
  return out;
}

/** An ISO 8601 GMT expiration ("2013-08-01T12:00:00.000Z"). */
function parseExpiration(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * Whether one condition holds for the form. Exact match: the value is the one given. Starts-with:
 * the value begins with it ("" matches any content); for Content-Type a comma-separated list is read
 * as a list, each of whose values must meet the condition.
 */
function holds(c: Extract<Condition, { field: string }>, value: string | undefined): boolean {
  if (value === undefined) return c.kind === 'starts-with' && c.value === '';
  if (c.kind === 'eq') return value === c.value;
  if (c.field === 'content-type' && value.includes(','))
    return value.split(',').every((v) => v.trim().startsWith(c.value));
  return value.startsWith(c.value);
}

/**
 * Checks a parsed upload form against its POST policy, as S3 does, in S3's order: the fields every
 * upload needs, the policy document, the signature, the expiration, every condition, that no field
 * is missing from the policy, then the file's size against content-length-range. Answers the upload
 * to store, or S3's refusal.
 */
export function checkUpload(form: UploadForm, context: PostPolicyContext): AcceptedUpload | PostRefusal {
  const field = (name: string) => form.fields.get(name);
  const rawKey = field('key');
  if (rawKey === undefined)
    return {
      status: 400,
      code: 'InvalidArgument',
      message:
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      extra: { ArgumentName: 'key', ArgumentValue: '' },
    };
  if (!form.file)
    return {
      status: 400,
      code: 'InvalidArgument',
      message: 'POST requires exactly one file upload per request.',
      extra: { ArgumentName: 'file', ArgumentValue: '0' },
    };
  const policyBase64 = field('policy');
  // Without a policy the request is anonymous: allowed only on a publicly writable bucket, which ours is not.
  if (policyBase64 === undefined) return { status: 403, code: 'AccessDenied', message: 'Access Denied' };

  for (const name of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'])
    if (field(name) === undefined)
      return {
        status: 400,
        code: 'InvalidArgument',
        message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
        extra: { ArgumentName: name, ArgumentValue: '' },
      };
  if (field('x-amz-algorithm') !== 'AWS4-HMAC-SHA256')
    return {
      status: 400,
      code: 'InvalidArgument',
      message: 'Only the AWS4-HMAC-SHA256 algorithm is supported.',
      extra: { ArgumentName: 'x-amz-algorithm', ArgumentValue: field('x-amz-algorithm') ?? '' },
    };
  const credential = CREDENTIAL.exec(field('x-amz-credential') ?? '');
  if (!credential)
    return {
      status: 400,
      code: 'InvalidArgument',
      message: 'Invalid x-amz-credential field.',
      extra: { ArgumentName: 'x-amz-credential', ArgumentValue: field('x-amz-credential') ?? '' },
    };

  let policy: Record<string, unknown>;
  try {
    const text = Buffer.from(policyBase64, 'base64').toString('utf8');
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    policy = parsed as Record<string, unknown>;
  } catch {
    return invalidPolicy('Invalid JSON.');
  }
  if (policy['expiration'] === undefined) return invalidPolicy('Policy missing expiration.');
  const expiration = parseExpiration(policy['expiration']);
  if (!expiration) return invalidPolicy(`Invalid 'expiration' value: '${String(policy['expiration'])}'`);
  const conditions = readConditions(policy['conditions']);
  if (!Array.isArray(conditions)) return conditions;

  const [, accessKeyId, date, region, service] = credential;
  const secret = context.lookupSecret(accessKeyId);
  if (!secret)
    return {
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      extra: { AWSAccessKeyId: accessKeyId },
    };
  const expected = postPolicySignature(secret, date, region, service, policyBase64);
  if (service !== 's3' || region !== context.region || !sameHex(expected, field('x-amz-signature') ?? ''))
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };

  // "The expiration element specifies the expiration date and time of the POST policy": not valid after it.
  if (context.now.getTime() > expiration.getTime()) return denied('Policy expired.');

  // ${filename} in any field is the uploaded file's name; conditions are matched on the expanded values.
  const expand = (v: string) => v.split('${filename}').join(form.file?.filename ?? '');
  const values = new Map<string, string>([...form.fields].map(([k, v]) => [k, expand(v)]));
  // The bucket condition is matched against the bucket posted to.
  values.set('bucket', context.bucket);
  const named = new Set<string>();
  let range: { min: number; max: number } | undefined;
  for (const c of conditions) {
    if (c.kind === 'range') {
      range = { min: Math.max(range?.min ?? 0, c.min), max: Math.min(range?.max ?? Infinity, c.max) };
      continue;
    }
    named.add(c.field);
    if (!holds(c, values.get(c.field))) return denied(`Policy Condition failed: ${c.quoted}`);
  }
  // "Each form field that you specify in a form (except x-amz-signature, file, policy, and field names
  // that have an x-ignore- prefix) must appear in the list of conditions."
  const extra = [...form.fields.keys()].filter(
    (name) => !UNCHECKED_FIELDS.has(name) && !name.startsWith('x-ignore-') && !named.has(name),
  );
  if (extra.length) return denied(`Extra input fields: ${extra.join(', ')}`);

  const size = form.file.bytes.length;
  const max = Math.min(range?.max ?? MAX_POST_OBJECT_BYTES, MAX_POST_OBJECT_BYTES);
  if (size > max)
    return {
      status: 400,
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size',
      extra: { ProposedSize: String(size), MaxSizeAllowed: String(max) },
    };
  if (range && size < range.min)
    return {
      status: 400,
      code: 'EntityTooSmall',
      message: 'Your proposed upload is smaller than the minimum allowed size',
      extra: { ProposedSize: String(size), MinSizeAllowed: String(range.min) },
    };

  const headers: Record<string, string> = {};
  for (const [name, value] of values)
    if (STORED_HEADERS.includes(name) || name.startsWith('x-amz-meta-')) headers[name] = value;
  headers['content-type'] ??= DEFAULT_CONTENT_TYPE;
  // "Valid values are 200, 201, or 204 (default)"; any other value answers 204.
  const status = Number(values.get('success_action_status'));
  const redirect = values.get('success_action_redirect') ?? values.get('redirect');
  return {
    accessKeyId,
    key: expand(rawKey),
    headers,
    bytes: form.file.bytes,
    successStatus: status === 200 || status === 201 ? status : 204,
    ...(redirect ? { successRedirect: redirect } : {}),
  };
}

/** A refusal as S3 writes it: `<Error><Code>…</Code><Message>…</Message>…</Error>`. */
export function refusalXml(refusal: PostRefusal, escape: (s: string) => string): string {
  const extra = Object.entries(refusal.extra ?? {})
    .map(([k, v]) => `<${k}>${escape(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message>${extra}</Error>`;
}
