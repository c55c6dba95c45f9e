import { METHODS } from 'node:http';
import fc from 'fast-check';

import {
  ASPECT_RATIOS,
  EDIT_IMAGE_REQUEST_FIELDS,
  FIT_MODES,
  IDEMPOTENCY_KEY_HEADER,
  IMAGE_SERVICES,
  MODEL_CATALOG,
  OUTPUT_FORMATS,
  OWNER_HEADER,
  REQUEST_ID_HEADER,
  UPLOAD_CONTENT_TYPES,
  UPLOAD_ID_PATTERN,
  UPLOAD_MAX_BYTES,
} from '@imagegen/contracts';

// Generated requests of every kind for the BFF (/api/…) and the generator API (the API Gateway stage).
// Most are invalid on purpose; a few percent are valid creations, so that the run stays fast.

export type Target = 'bff' | 'generator';

/** A JSON token JSON.stringify cannot write (1e999, -0, 9007199254740993, …), written as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A JSON object as key/value pairs: duplicate keys and `__proto__` stay what they are in the text. */
export class Pairs {
  constructor(readonly pairs: readonly (readonly [string, unknown])[]) {}
}

/** A body as pieces repeated: huge and deeply nested bodies stay small when a failure prints them. */
export interface FuzzBody {
  readonly pieces: readonly (readonly [text: string, times: number])[];
  /** How the text becomes bytes: latin1 and utf16le make bodies that are not UTF-8. */
  readonly encoding: 'utf8' | 'latin1' | 'utf16le';
}

/** Who a request is sent as. */
export type FuzzOwner =
  /** One of the run's own owners: its cookie (BFF) or its owner header (generator). */
  | { readonly kind: 'pool'; readonly index: number }
  /** No cookie / no owner header. */
  | { readonly kind: 'none' }
  /** BFF: a cookie that is not a valid one (`tamper` alters a real one's signature). Generator: a malformed owner header. */
  | { readonly kind: 'forged'; readonly value: string };

export interface FuzzRequest {
  readonly target: Target;
  /** What the request aims at (the histogram's rows): create, list, get, cancel, delete, events, … */
  readonly route: string;
  readonly method: string;
  /**
   * Under /api (BFF) or the stage (generator). `{own}` and `{other}` stand for a real job id of this owner / of
   * another one, here and in the body.
   */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: FuzzBody;
  readonly chunked: boolean;
  readonly owner: FuzzOwner;
  /** Which real job `{own}` / `{other}` name. */
  readonly pick: number;
}

export const POOL_SIZE = 3;
const CORE = 'stability.stable-image-core-v1:1';
const MODEL_IDS = MODEL_CATALOG.map((m) => m.id);
/** Idempotency keys the run reuses, so that replays and conflicts happen. */
const POOL_KEYS = ['fuzz-key-0001', 'fuzz-key-0002', 'fuzz_key_0003'];
const ODD_METHODS = METHODS.filter((m) => m !== 'CONNECT'); // CONNECT opens a tunnel: not a request with an answer

// ── Strings ───────────────────────────────────────────────────────────────────────────────────

/** Strings that have broken web apps: markup, script, template and SQL injection, odd unicode. */
const NASTY = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '"><svg onload=alert(1)>',
  "'; DROP TABLE generations; --",
  '{{constructor.constructor("alert(1)")()}}',
  '${7*7}',
  '../../etc/passwd',
  '\u0000',
  '\u202e\u0644\u0627',
  '\ufeff',
  '\u2028\u2029',
  '\ud800',
  '\udfff',
  'e\u0301\u0301\u0301',
  '🧨👩‍👩‍👧‍👦',
  '\t\n\r',
  '   ',
  '',
  'null',
  '__proto__',
  'constructor',
  'NaN',
  '%00%2e%2e%2f',
  'A'.repeat(10_001),
];

const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('\ud800', '\udc00', '\u0000', '\u001f', '\u007f', '\u0085', '\u200b'),
      maxLength: 8,
    }),
  },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
);

/** A prompt the validator accepts: visible text, markup and unicode included, no control characters. */
const promptText = fc
  .tuple(
    fc.constantFrom(
      'a fox',
      'a lighthouse',
      'a quiet harbour',
      '<b>kite</b>',
      'un café à Paris',
      '富士山',
      '🦊 in snow',
    ),
    fc.option(anyString, { nil: undefined }),
  )
  .map(
    ([base, extra]) =>
      // eslint-disable-next-line no-control-regex -- removes what the validator refuses
      `${base}${extra === undefined ? '' : ` ${extra.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')}`}`,
  );

/** Printable (latin1) header values of every shape: what Node lets a client send. */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.string({
    unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 10,
  }),
  fc.integer({ min: 100, max: 1000 }).map((n) => 'v'.repeat(n)),
  fc.constantFrom('<script>alert(1)</script>', '../../', '%00', 'null', '*', ',,,', 'a, b', ' padded '),
);

// ── JSON values ──────────────────────────────────────────────────────────────────────────────

const RAW_NUMBERS = [
  '1e999',
  '-1e999',
  '-0',
  '1e-400',
  '9007199254740993',
  '4294967295',
  '4294967296',
  '18446744073709551616',
  '0.0000001',
  '1E2',
  '-1',
  '1.0',
  '2.5',
  '123456789012345678901234567890',
  '1e308',
  '5e-324',
];

const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(...RAW_NUMBERS).map((t) => new RawJson(t)),
  anyString,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>({}, [], [1, 2], { $gt: '' }, new Pairs([['__proto__', null]])),
);

/** Serialises our JSON model (RawJson, Pairs, plain values) to text. */
export function toJsonText(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (v instanceof Pairs)
    return `{${v.pairs.map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (v !== null && typeof v === 'object') return toJsonText(new Pairs(Object.entries(v)));
  return JSON.stringify(v) ?? 'null';
}

const validRequest = fc
  .record(
    {
      // Mostly the default model; every catalog model at times (a retired one answers 410 MODEL_RETIRED).
      modelId: fc.oneof(
        { weight: 4, arbitrary: fc.constant(CORE) },
        { weight: 1, arbitrary: fc.constantFrom(...MODEL_IDS) },
      ),
      prompt: promptText,
      negativePrompt: promptText,
      aspectRatio: fc.constantFrom(...ASPECT_RATIOS),
      seed: fc.integer({ min: 0, max: 4_294_967_294 }),
      count: fc.constantFrom(1, 1, 1, 2),
      outputFormat: fc.constantFrom(...OUTPUT_FORMATS),
    },
    { requiredKeys: ['modelId', 'prompt'] },
  )
  .map((r) => new Pairs(Object.entries(r)));

const FIELDS = ['modelId', 'prompt', 'negativePrompt', 'aspectRatio', 'seed', 'count', 'outputFormat'];
const oddKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'cfg_scale',
    'modelid',
    'Prompt',
    'prompt ',
    '',
    'ownerId',
    'id',
    'status',
  ),
  anyString,
);

/** A valid request with one thing wrong (or, by chance, still valid). */
const mutatedRequest = fc
  .tuple(
    validRequest,
    fc.nat(),
    fc.constantFrom('replace', 'add', 'drop', 'duplicate', 'null'),
    fc.constantFrom(...FIELDS),
    wrongValue,
    oddKey,
  )
  .map(([req, n, how, field, value, key]) => {
    const pairs = [...req.pairs];
    const at = n % pairs.length;
    switch (how) {
      case 'replace':
        return new Pairs([...pairs.filter(([k]) => k !== field), [field, value]]);
      case 'add':
        return new Pairs([...pairs, [key, value]]);
      case 'drop':
        return new Pairs(pairs.filter((_p, i) => i !== at));
      case 'duplicate':
        return new Pairs([...pairs, [pairs[at][0], value]]);
      default:
        return new Pairs(pairs.map(([k, v], i) => [k, i === at ? null : v] as const));
    }
  });

const randomRequest = fc
  .dictionary(fc.oneof(fc.constantFrom(...FIELDS), oddKey), wrongValue, { maxKeys: 6 })
  .map((d) => new Pairs(Object.entries(d)));

const text = (s: string, encoding: FuzzBody['encoding'] = 'utf8'): FuzzBody => ({
  pieces: [[s, 1]],
  encoding,
});

/** Bodies of a creation: valid, nearly valid, wrong types, truncated, huge, deep, not JSON, not UTF-8. */
const createBody: fc.Arbitrary<FuzzBody | undefined> = fc.oneof(
  { weight: 3, arbitrary: validRequest.map((r) => text(toJsonText(r))) },
  { weight: 10, arbitrary: mutatedRequest.map((r) => text(toJsonText(r))) },
  { weight: 3, arbitrary: randomRequest.map((r) => text(toJsonText(r))) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => text(JSON.stringify(v))) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(validRequest, mutatedRequest), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([r, f]) => {
        const s = toJsonText(r);
        return text(s.slice(0, Math.floor(s.length * f * 0.999)));
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom(
          'prompt=x&modelId=y',
          '<xml/>',
          'undefined',
          "{'a':1}",
          '{"a":1,}',
          '{"a":01}',
          '[',
          '"',
          '{"prompt":"\\x41"}',
          '{"prompt":"\\u12"}',
        ),
      )
      .map((s) => text(s)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('a', '€', '🧨', '\\u0000', '<', '\\"', ' '),
        fc.integer({ min: 16_000, max: 300_000 }),
      )
      .map(
        ([unit, times]): FuzzBody => ({
          pieces: [
            [`{"modelId":"${CORE}","prompt":"`, 1],
            [unit, times],
            ['"}', 1],
          ],
          encoding: 'utf8',
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"prompt":[', ']}']),
        fc.integer({ min: 100, max: 30_000 }),
        fc.boolean(),
      )
      .map(
        ([[open, close], times, balanced]): FuzzBody => ({
          pieces: [
            [open, times],
            ['1', 1],
            [close, balanced ? times : 1],
          ],
          encoding: 'utf8',
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        `{"__proto__":{"admin":true},"modelId":"${CORE}","prompt":"x"}`,
        `{"constructor":{"prototype":{"admin":true}},"modelId":"${CORE}","prompt":"x"}`,
        `{"modelId":"${CORE}","prompt":"x","prompt":"y"}`,
        `\ufeff{"modelId":"${CORE}","prompt":"a bom"}`,
        `  \n{"modelId":"${CORE}","prompt":"spaced"}\n  `,
        `{"modelId":"${CORE}","prompt":"x"}{"modelId":"${CORE}","prompt":"y"}`,
        `{"modelId":"${CORE}","prompt":"x"} trailing`,
        '',
      )
      .map((s) => text(s)),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<FuzzBody['encoding']>('latin1', 'utf16le')
      .map((encoding) => text(`{"modelId":"${CORE}","prompt":"caf\u00e9 \u00ff\u00fe"}`, encoding)),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const SERVICE_IDS = IMAGE_SERVICES.map((s) => s.id);
const wellFormedUploadId = fc.stringMatching(UPLOAD_ID_PATTERN);
const uploadId = fc.oneof(
  wellFormedUploadId,
  fc.constantFrom('{own}', 'up', 'up../../x', 'UP0123456789'),
  anyString,
);
/** An input image: an upload nobody made, a job's image or kept input (mine, someone else's), or not a reference at all. */
const imageRef = fc.oneof(
  { weight: 2, arbitrary: fc.record({ uploadId }) },
  {
    weight: 2,
    arbitrary: fc.record({
      generationId: fc.constantFrom('{own}', '{other}'),
      imageId: fc.oneof(fc.constantFrom('0', '1', '-1', '01'), anyString),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      generationId: fc.constantFrom('{own}', '{other}'),
      input: fc.oneof(fc.constantFrom('image', 'styleImage', 'mask', 'output'), anyString),
    }),
  },
  { weight: 1, arbitrary: wrongValue },
);
/** Every service's parameters (by AWS's names), and fields no service takes here (SD3.5's own `mode`, `image`). */
const PARAM_NAMES = [...new Set(IMAGE_SERVICES.flatMap((s) => s.params.map((p) => p.name))), 'mode', 'image'];
const editParams = fc.oneof(
  fc
    .dictionary(
      fc.oneof(fc.constantFrom(...PARAM_NAMES), oddKey),
      fc.oneof(promptText, fc.integer({ min: -10, max: 3000 }), fc.double({ min: 0, max: 1 }), wrongValue),
      { maxKeys: 4 },
    )
    .map((d) => new Pairs(Object.entries(d))),
  wrongValue,
);
/** An edit of every service, mostly refused: its inputs are nobody's, of another owner, or malformed. */
const editRequest = fc
  .record(
    {
      serviceId: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...SERVICE_IDS) },
        { weight: 1, arbitrary: fc.oneof(fc.constantFrom(CORE), anyString) },
      ),
      image: imageRef,
      mask: fc.oneof(fc.record({ uploadId }), wrongValue),
      styleImage: imageRef,
      params: editParams,
      seed: fc.oneof(fc.integer({ min: 0, max: 4_294_967_294 }), wrongValue),
      count: fc.constantFrom<unknown>(1, 2, 0, 5, '1'),
      outputFormat: fc.constantFrom<unknown>(...OUTPUT_FORMATS, 'gif'),
      fit: fc.constantFrom<unknown>(...FIT_MODES, 'stretch', ''),
    },
    { requiredKeys: ['serviceId', 'image'] },
  )
  .map((r) => new Pairs(Object.entries(r)));
const editBody: fc.Arbitrary<FuzzBody | undefined> = fc.oneof(
  { weight: 6, arbitrary: editRequest.map((r) => text(toJsonText(r))) },
  {
    weight: 2,
    arbitrary: fc
      .dictionary(fc.oneof(fc.constantFrom(...EDIT_IMAGE_REQUEST_FIELDS), oddKey), wrongValue, { maxKeys: 6 })
      .map((d) => text(toJsonText(new Pairs(Object.entries(d))))),
  },
  { weight: 2, arbitrary: createBody },
);
/** Upload tickets asked for: allowed types and sizes, others, the bounds, wrong types, or any creation body. */
const uploadBody: fc.Arbitrary<FuzzBody | undefined> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          contentType: fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom<unknown>(...UPLOAD_CONTENT_TYPES) },
            {
              weight: 1,
              arbitrary: fc.constantFrom<unknown>(
                'image/gif',
                'image/svg+xml',
                'text/html',
                'IMAGE/PNG',
                'image/png; x=1',
              ),
            },
            { weight: 1, arbitrary: wrongValue },
          ),
          bytes: fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: 1, max: UPLOAD_MAX_BYTES }) },
            {
              weight: 1,
              arbitrary: fc.constantFrom<unknown>(0, 1, UPLOAD_MAX_BYTES, UPLOAD_MAX_BYTES + 1, -1, 1.5),
            },
            { weight: 1, arbitrary: wrongValue },
          ),
        },
        { requiredKeys: ['contentType'] },
      )
      .map((r) => text(toJsonText(new Pairs(Object.entries(r))))),
  },
  { weight: 1, arbitrary: createBody },
);

const contentType = fc.oneof(
  { weight: 14, arbitrary: fc.constant<string | undefined>('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      '',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/json;;;',
      'application/problem+json',
      'application/vnd.api+json',
      'application/json, text/html',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '*/*',
      'application/*',
      'json',
    ),
  },
);

const idempotencyKey = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>(undefined) },
  { weight: 2, arbitrary: fc.constantFrom(...POOL_KEYS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{8,128}$/) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom(
        '',
        ' ',
        'short',
        'sev7en!',
        'has space in it',
        'fuzz-key-0001,fuzz-key-0002',
        Buffer.from('ключ-ключ-ключ', 'utf8').toString('latin1') /* UTF-8 bytes, as a client sends them */,
        '../../../../',
        '<script>x</script>',
        '%00%00%00%00',
      ),
      fc.integer({ min: 129, max: 2000 }).map((n) => 'k'.repeat(n)),
      headerValue,
    ),
  },
);

const ODD_HEADER_NAMES = [
  'accept',
  'accept-encoding',
  'accept-language',
  'origin',
  'referer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
  'x-http-method-override',
  'range',
  'if-none-match',
  'if-modified-since',
  'cache-control',
  'x-amzn-oidc-data',
  'x-amzn-trace-id',
  'content-encoding',
  'content-language',
  'user-agent',
  'via',
  'x-api-key',
];

const oddHeaders = fc.dictionary(
  // (never the headers the signature, the owner or the request id travel in: those are fuzzed on their own)
  fc.oneof(
    fc.constantFrom(...ODD_HEADER_NAMES),
    fc.stringMatching(/^x-[a-z0-9-]{1,20}$/).filter((h) => !/^x-(amz|imagegen|request-id)/.test(h)),
  ),
  fc.oneof(
    headerValue,
    fc.constantFrom(
      'gzip',
      'deflate',
      'br',
      'x-unknown',
      'identity',
      'https',
      '10.0.0.1, 127.0.0.1',
      'bytes=0-1',
      'DELETE',
    ),
  ),
  { maxKeys: 3 },
);

// ── Paths ────────────────────────────────────────────────────────────────────────────────────

const TRAVERSALS = [
  '..',
  '.',
  '../summary',
  '..%2Fsummary',
  '..%2f..%2fmodels',
  '%2e%2e',
  '%2e%2e%2fmodels',
  '.%2e',
  '..;',
  '..%5c..%5cmodels',
  '%252e%252e%252f',
  '..%00',
  '%2F',
  'a%2Fb',
  '{own}%2F..%2F{other}',
  '{other}%2F',
  '{own}%00',
  '{own}.json',
  '{own}%20',
  '{own};x=1',
  '{own}%3Fx',
  '{own}#x',
  '{OWN}',
];

/** A job id in a path: real ones (mine, someone else's), well-formed but nobody's, traversal, encodings, very long. */
const idSegment = fc.oneof(
  { weight: 3, arbitrary: fc.constant('{own}') },
  { weight: 2, arbitrary: fc.constant('{other}') },
  { weight: 2, arbitrary: fc.stringMatching(/^[0-9a-z]{10,40}$/) },
  { weight: 3, arbitrary: fc.constantFrom(...TRAVERSALS) },
  { weight: 1, arbitrary: fc.integer({ min: 41, max: 4000 }).map((n) => 'a'.repeat(n)) },
  {
    weight: 2,
    arbitrary: anyString
      .filter((s) => s.length > 0)
      .map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%c0%af', '%00', '%E0%80%AF', '%ff', '%u002e', '%') },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9A-Z]{10,40}$/) },
);

const cursorValue = fc.oneof(
  fc.constantFrom(
    'g1.{own}',
    'g1.{other}',
    'g1.',
    'g1',
    'g2.{own}',
    'g1.%2e%2e%2f',
    'g1.{own}%00',
    '%00',
    '',
    'null',
    '[object%20Object]',
  ),
  fc.stringMatching(/^g1\.[0-9a-z]{10,40}$/),
  fc.integer({ min: 200, max: 2000 }).map((n) => `g1.${'a'.repeat(n)}`),
  anyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
);
const limitValue = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '20',
    '100',
    '101',
    '-1',
    '1.5',
    '1e2',
    'abc',
    '',
    '99999999999999999999',
    '%201',
    '0x10',
    '+5',
    '01',
    'NaN',
    'Infinity',
    '%D9%A1',
    '1%00',
  ),
  fc.integer().map(String),
);
const queryPart = fc.oneof(
  cursorValue.map((c) => `cursor=${c}`),
  limitValue.map((l) => `limit=${l}`),
  fc.constantFrom(
    'cursor[]=x',
    'limit[$gt]=1',
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    'cursor',
    '&&',
    '=',
    'limit=1&limit=2',
    'cursor=a&cursor=b',
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z_]{1,10}$/), fc.stringMatching(/^[a-z0-9]{0,10}$/))
    .map(([k, v]) => `${k}=${v}`),
);
const query = fc.array(queryPart, { maxLength: 4 }).map((ps) => (ps.length ? `?${ps.join('&')}` : ''));

const routePath = {
  create: fc.oneof(
    { weight: 12, arbitrary: fc.constant('/generations') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '/generations/',
        '/GENERATIONS',
        '//generations',
        '/generations?x=1',
        '/generations;x',
        '/./generations',
        '/generations/%2e',
      ),
    },
  ),
  list: query.map((q) => `/generations${q}`),
  get: idSegment.map((id) => `/generations/${id}`),
  cancel: idSegment.map((id) => `/generations/${id}/cancel`),
  delete: idSegment.map((id) => `/generations/${id}`),
  events: idSegment.map((id) => `/generations/${id}/events`),
  models: query.map((q) => `/models${q}`),
  services: query.map((q) => `/services${q}`),
  edit: fc.oneof(
    { weight: 8, arbitrary: fc.constant('/edits') },
    { weight: 1, arbitrary: fc.constantFrom('/edits/', '/EDITS', '/edits/{own}', '/edits?x=1') },
  ),
  upload: fc.oneof(
    { weight: 8, arbitrary: fc.constant('/uploads') },
    { weight: 1, arbitrary: fc.constantFrom('/uploads/', '/uploads/check', '/uploads?x=1') },
  ),
  uploadCheck: fc.oneof(wellFormedUploadId, idSegment).map((id) => `/uploads/${id}/check`),
  summary: fc.constantFrom('/summary', '/summary/', '/summary?x=1'),
  health: fc.constantFrom('/health', '/ready'),
  docs: fc.constantFrom('/docs-json', '/docs', '/docs/'),
  unknown: fc
    .array(
      fc.oneof(
        fc.stringMatching(/^[a-z0-9._~-]{0,12}$/),
        fc.constantFrom('..', '%2e%2e', 'admin', '.env', 'generations', '%00', 'etc%2Fpasswd'),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((s) => `/${s.join('/')}`),
} as const;

type Route = keyof typeof routePath;
const METHOD_OF: Readonly<Record<Route, string>> = {
  create: 'POST',
  list: 'GET',
  get: 'GET',
  cancel: 'POST',
  delete: 'DELETE',
  events: 'GET',
  models: 'GET',
  services: 'GET',
  edit: 'POST',
  upload: 'POST',
  uploadCheck: 'POST',
  summary: 'GET',
  health: 'GET',
  docs: 'GET',
  unknown: 'GET',
};

/** How often each route is drawn, on both targets. */
const COMMON_ROUTE_WEIGHTS = {
  create: 10,
  list: 3,
  get: 3,
  cancel: 2,
  delete: 2,
  models: 1,
  services: 1,
  edit: 4,
  upload: 2,
  uploadCheck: 1,
  summary: 1,
  unknown: 2,
} as const satisfies Partial<Record<Route, number>>;
const ROUTE_WEIGHTS: Readonly<Record<Target, Readonly<Partial<Record<Route, number>>>>> = {
  // The BFF's own routes: the live stream, its health and its API docs.
  bff: { ...COMMON_ROUTE_WEIGHTS, events: 2, health: 1, docs: 1 },
  generator: COMMON_ROUTE_WEIGHTS,
};

/** The body of each route that takes one. */
const BODY_OF: Readonly<Partial<Record<Route, fc.Arbitrary<FuzzBody | undefined>>>> = {
  create: createBody,
  edit: editBody,
  upload: uploadBody,
};

/** A body on a request that takes none (GET, DELETE, …): usually none. */
const strayBody = fc.oneof(
  { weight: 6, arbitrary: fc.constant<FuzzBody | undefined>(undefined) },
  { weight: 1, arbitrary: createBody },
);

/** Generator owner headers that are not owners: empty, spaces, too long, other characters. */
const malformedOwner = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'owner/../x', 'a,b', '<script>', '*', 'x'.repeat(129), 'anon-\u00e9'),
  headerValue.filter((v) => !/^[A-Za-z0-9._:@|-]{1,128}$/.test(v.trim())),
);

function ownerArb(target: Target): fc.Arbitrary<FuzzOwner> {
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .integer({ min: 0, max: POOL_SIZE - 1 })
        .map((index): FuzzOwner => ({ kind: 'pool', index })),
    },
    { weight: 1, arbitrary: fc.constant<FuzzOwner>({ kind: 'none' }) },
    {
      weight: 2,
      arbitrary:
        target === 'bff'
          ? fc
              .oneof(
                fc.constantFrom('tamper', 'unsigned', 's:anon-forged.AAAA', 'j:{"x":1}', '%', ''),
                headerValue,
              )
              .map((value): FuzzOwner => ({ kind: 'forged', value }))
          : malformedOwner.map((value): FuzzOwner => ({ kind: 'forged', value })),
    },
  );
}

/** Every kind of request for one target. */
export function fuzzRequest(target: Target): fc.Arbitrary<FuzzRequest> {
  const routes = Object.entries(ROUTE_WEIGHTS[target]) as [Route, number][];
  return fc.oneof(...routes.map(([route, weight]) => ({ weight, arbitrary: requestFor(target, route) })));
}

function requestFor(target: Target, route: Route): fc.Arbitrary<FuzzRequest> {
  const natural = METHOD_OF[route];
  const method = fc.oneof(
    { weight: 8, arbitrary: fc.constant(natural) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) },
  );
  return fc
    .record({
      method,
      path: routePath[route],
      body: BODY_OF[route] ?? strayBody,
      contentType,
      idempotencyKey: route === 'create' || route === 'edit' ? idempotencyKey : fc.constant(undefined),
      requestId: fc.option(fc.oneof(headerValue, fc.stringMatching(/^[\w.:-]{1,128}$/)), {
        nil: undefined,
        freq: 4,
      }),
      spoofedOwner:
        target === 'bff'
          ? fc.option(fc.constantFrom('readiness-probe', 'fuzz-spoofed-owner', 'anon-x'), {
              nil: undefined,
              freq: 8,
            })
          : fc.constant(undefined),
      odd: fc.option(oddHeaders, { nil: undefined, freq: 2 }),
      chunked: fc.oneof(
        { weight: 8, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
      owner: ownerArb(target),
      pick: fc.nat(),
    })
    .map((r): FuzzRequest => {
      const headers: Record<string, string> = { ...(r.odd ?? {}) };
      if (r.body !== undefined && r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = r.idempotencyKey;
      if (r.requestId !== undefined) headers[REQUEST_ID_HEADER] = r.requestId;
      // The browser may not name an owner: the BFF must drop this header.
      if (r.spoofedOwner !== undefined) headers[OWNER_HEADER] = r.spoofedOwner;
      const body = r.method === 'HEAD' ? undefined : r.body; // a HEAD never carries one
      return {
        target,
        route,
        method: r.method,
        path: r.path,
        headers,
        ...(body === undefined ? {} : { body }),
        chunked: r.chunked,
        owner: r.owner,
        pick: r.pick,
      };
    });
}

/** The bytes of a body (`fill` puts the real ids in place of `{own}` and `{other}`). */
export function bodyBytes(body: FuzzBody, fill: (text: string) => string = (t) => t): Buffer {
  return Buffer.from(fill(body.pieces.map(([piece, times]) => piece.repeat(times)).join('')), body.encoding);
}
