import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';

import { ErrorCode, problem, ProblemDetails, validationProblem } from '@imagegen/contracts';

import { sendProblem, toProblemDetails } from './problem-details.filter';

/** Deepest nesting of arrays and objects a body may have: no valid request nests more than 2 levels. */
export const MAX_BODY_DEPTH = 32;

/**
 * Most bytes of a body the BFF reads (and throws away) before it refuses it, so that the client,
 * or a proxy streaming the upload, gets the answer instead of a reset connection. Reading this much
 * costs a few milliseconds; a body announced or found larger is refused at once, with
 * `Connection: close`.
 */
export const BODY_DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

export interface JsonBodyOptions {
  /** Deepest nesting accepted (default MAX_BODY_DEPTH). */
  readonly maxDepth?: number;
  /** Most bytes read of a body that is refused (default BODY_DRAIN_LIMIT_BYTES). */
  readonly drainLimit?: number;
}

/**
 * JSON bodies only, up to `limit`: a body in another content type or in a Content-Encoding
 * (compressed) is 415, a larger one 413, a malformed one or one nested deeper than `maxDepth` 400,
 * each as problem+json (Express's parser errors never reach Nest's filters). A refused body is
 * read first, up to `drainLimit` bytes, as body-parser does before its 413.
 */
export function jsonBodyOnly(limit: string | number, options: JsonBodyOptions = {}): RequestHandler {
  const maxDepth = options.maxDepth ?? MAX_BODY_DEPTH;
  const drainLimit = options.drainLimit ?? BODY_DRAIN_LIMIT_BYTES;
  // inflate: false refuses every Content-Encoding (415) should one get past the check below.
  const parse = json({ limit, strict: true, inflate: false });
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const requestId = (req as Request & { id?: string }).id;
    const refuse = (details: ProblemDetails) => refuseAfterBody(req, res, details, drainLimit, requestId);
    if (hasBody && !req.is('application/json')) {
      return refuse(problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request body as application/json'));
    }
    if (hasBody && (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() !== 'identity') {
      // RFC 7694: name the codings taken. Bodies are small JSON: compressing them buys nothing.
      res.setHeader('accept-encoding', 'identity');
      return refuse(
        problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request body as it is, without Content-Encoding'),
      );
    }
    if (Number(req.headers['content-length']) > drainLimit) {
      return refuse(problem(ErrorCode.PAYLOAD_TOO_LARGE, 'the request body is too large'));
    }
    parse(req, res, (err?: unknown) => {
      if (err) return refuse(toProblemDetails(err));
      // Checked here, before the validation pipe and class-transformer walk the body recursively
      // (a body thousands of levels deep overflows their stack).
      if (nestsDeeperThan(req.body, maxDepth)) {
        return refuse(
          validationProblem([
            {
              field: '(body)',
              rule: 'maxDepth',
              message: `the body nests arrays and objects more than ${maxDepth} levels deep`,
            },
          ]),
        );
      }
      next();
    });
  };
}

/**
 * Whether a parsed JSON value nests arrays and objects more than `max` levels deep (a scalar is 0
 * levels, `{"a":1}` one). Walks with an explicit stack, never recursing, whatever the depth.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { readonly value: unknown; readonly depth: number }[] = [{ value, depth: 0 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    if (typeof top.value !== 'object' || top.value === null) continue;
    const depth = top.depth + 1;
    if (depth > max) return true;
    for (const child of Array.isArray(top.value) ? top.value : Object.values(top.value))
      stack.push({ value: child, depth });
  }
  return false;
}

/**
 * Answers `details` once the request body has been read and thrown away, so that the client still
 * sending it is not reset mid-upload (a proxy in front would answer 502). A body announced or found
 * longer than `drainLimit` is answered at once with `Connection: close`; a client gone on the way
 * gets nothing.
 */
function refuseAfterBody(
  req: Request,
  res: Response,
  details: ProblemDetails,
  drainLimit: number,
  requestId?: string,
): void {
  const answer = (close: boolean) => {
    if (res.headersSent) return;
    if (close) res.setHeader('connection', 'close');
    sendProblem(res, details, requestId);
  };
  if (req.complete || req.readableEnded) return answer(false);
  if (Number(req.headers['content-length'] ?? 0) > drainLimit) return answer(true);
  let read = 0;
  const stop = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', stop);
  };
  const onData = (chunk: Buffer) => {
    read += chunk.length;
    if (read <= drainLimit) return;
    stop();
    answer(true);
  };
  const onEnd = () => {
    stop();
    answer(false);
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('error', stop);
}
