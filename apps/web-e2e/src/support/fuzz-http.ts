import { IncomingHttpHeaders, request } from 'node:http';

import { isErrorCode, PROBLEM_CONTENT_TYPE } from '@imagegen/contracts';

export interface RawRequest {
  /** `http://127.0.0.1:port` */
  readonly origin: string;
  readonly method: string;
  /** Sent byte for byte (no normalisation of `..`, `%2F`, …). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked (in two chunks) instead of a Content-Length. */
  readonly chunked?: boolean;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a connection of its own (a refused body may close it), with a deadline: no answer is a failure. */
export function sendRaw(req: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const url = new URL(req.origin);
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    let out: ReturnType<typeof request> | undefined;
    const timer = setTimeout(() => {
      done(() => reject(new Error(`no answer within ${timeoutMs} ms`)));
      out?.destroy();
    }, timeoutMs);
    try {
      out = open();
    } catch (err) {
      // Node refused to send it (a character a request line or header may not hold): a bug of the generator of requests.
      return done(() => reject(new Error(`the client could not send it: ${(err as Error).message}`)));
    }
    out.on('error', (err) => done(() => reject(err)));
    if (req.body === undefined) return void out.end();
    if (req.chunked) {
      // Said outright: Node frames a GET, DELETE, … body in no way unless told to.
      out.setHeader('transfer-encoding', 'chunked');
      const half = Math.floor(req.body.length / 2);
      out.write(req.body.subarray(0, half));
      out.end(req.body.subarray(half));
    } else {
      out.setHeader('content-length', String(req.body.length));
      out.end(req.body);
    }

    function open() {
      return request(
        {
          host: url.hostname,
          port: Number(url.port),
          method: req.method,
          path: req.path,
          headers: { connection: 'close', ...req.headers },
          agent: false,
          setHost: !('host' in req.headers),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            done(() =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
            ),
          );
          res.on('error', (err) => done(() => reject(err)));
          res.on('aborted', () => done(() => reject(new Error('the answer was cut off'))));
        },
      );
    }
  });
}

export const contentTypeOf = (res: RawResponse): string => String(res.headers['content-type'] ?? '');

/** A stack frame or a path of the server in a refusal: never for clients (fuzzed strings contain neither). */
const LEAK = /\bat [\w.<>]+ \(?[^\s()]*\.[cm]?[jt]s:\d+|node_modules|\/dist\/apps\//;

/**
 * Why an answer breaks the rule, or undefined when it keeps it: a 2xx, or a 4xx
 * `application/problem+json` with a known stable code and its own status (429 with Retry-After).
 * Never a 5xx, a 1xx/3xx, or anything that leaks internals.
 */
export function ruleBroken(
  method: string,
  res: RawResponse,
  front: 'app' | 'api-gateway' = 'app',
): string | undefined {
  const type = contentTypeOf(res);
  const text = res.body.toString('utf8');
  // API Gateway's own answer to a path or method the API does not define (ADR 0007): never reaches the handler.
  if (
    front === 'api-gateway' &&
    res.status === 403 &&
    res.headers['x-amzn-errortype'] === 'MissingAuthenticationTokenException' &&
    (method === 'HEAD' || text === '{"message":"Missing Authentication Token"}')
  )
    return undefined;
  // API Gateway's own 414 past its URL limits (limits.html; ADR 0012): never reaches the handler either.
  if (
    front === 'api-gateway' &&
    res.status === 414 &&
    (method === 'HEAD' || text === '{"message":"Request URI too long"}')
  )
    return undefined;
  if (res.status >= 500) return `a ${res.status}`;
  if (res.status < 200 || (res.status >= 300 && res.status < 400)) return `an unexpected ${res.status}`;
  if (res.status < 300) return undefined;
  if (LEAK.test(text)) return 'the refusal leaks internals (a stack frame or a server path)';
  if (!type.startsWith(PROBLEM_CONTENT_TYPE))
    return `a ${res.status} as "${type}", not ${PROBLEM_CONTENT_TYPE}`;
  if (res.status === 429 && !/^\d+$/.test(String(res.headers['retry-after'] ?? '')))
    return 'a 429 without Retry-After';
  if (method === 'HEAD') return undefined; // no body to a HEAD
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${res.status} whose body is not JSON`;
  }
  const p = body as Record<string, unknown> | null;
  if (!p || typeof p !== 'object') return `a ${res.status} whose body is not an object`;
  if (!isErrorCode(p['code'])) return `a ${res.status} with an unknown code ${JSON.stringify(p['code'])}`;
  if (p['status'] !== res.status)
    return `a ${res.status} whose problem says status ${JSON.stringify(p['status'])}`;
  if (typeof p['title'] !== 'string' || typeof p['type'] !== 'string')
    return `a ${res.status} problem without title or type`;
  return undefined;
}

/** The problem's code of an answer (for the histogram), or '' for a 2xx. */
export function codeOf(res: RawResponse): string {
  if (res.status < 300) return '';
  try {
    return String((JSON.parse(res.body.toString('utf8')) as { code?: unknown }).code ?? '');
  } catch {
    return '';
  }
}

/** A short account of an exchange, for a failure message. */
export function describeExchange(req: RawRequest, res: RawResponse | undefined, why: string): string {
  const body =
    req.body === undefined
      ? '(none)'
      : req.body.length > 400
        ? `${JSON.stringify(req.body.subarray(0, 300).toString('utf8'))}… (${req.body.length} bytes)`
        : JSON.stringify(req.body.toString('utf8'));
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      .filter(([k]) => !['authorization', 'x-amz-date', 'cookie'].includes(k.toLowerCase()))
      .map(([k, v]) => [k, v.length > 200 ? `${v.slice(0, 200)}… (${v.length})` : v]),
  );
  const answer = res
    ? `${res.status} ${contentTypeOf(res)} ${res.body.toString('utf8').slice(0, 600)}`
    : '(no answer)';
  return [
    `${why}`,
    `request:  ${req.method} ${req.origin}${req.path.length > 300 ? `${req.path.slice(0, 300)}… (${req.path.length})` : req.path}${req.chunked ? ' (chunked)' : ''}`,
    `headers:  ${JSON.stringify(headers)}`,
    `body:     ${body}`,
    `response: ${answer}`,
  ].join('\n');
}
