import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import {
  ErrorCode,
  isProblemDetails,
  problem,
  PROBLEM_CONTENT_TYPE,
  ProblemDetails,
  ProblemError,
  validationProblem,
} from '@imagegen/contracts';

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.VALIDATION_FAILED,
  403: ErrorCode.UNAUTHORIZED,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMITED,
};

/**
 * Errors thrown by Express's body parsers (http-errors), before Nest routes the request: most have a
 * `type`; some (the decompressor's, the stream's) only a `status` / `statusCode`.
 */
interface BodyParserError {
  readonly type?: string;
  readonly status?: unknown;
  readonly statusCode?: unknown;
}

/** The 4xx status an error carries (`status` or `statusCode`, as http-errors sets both), if any. */
function clientStatusOf(err: BodyParserError | undefined): number | undefined {
  const status = err?.status ?? err?.statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500
    ? status
    : undefined;
}

/** Maps anything thrown to RFC 9457 problem details with a stable code. Unknown errors are INTERNAL. */
export function toProblemDetails(err: unknown): ProblemDetails {
  if (err instanceof ProblemError) return err.problem;
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    if (isProblemDetails(response)) return response;
    const message =
      typeof response === 'object' && response !== null
        ? (response as { message?: unknown }).message
        : response;
    const detail = Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : undefined;
    const code = STATUS_CODES[status];
    return code
      ? problem(code, detail)
      : problem(ErrorCode.INTERNAL, 'something went wrong on our side: try again');
  }
  const parser = err as BodyParserError | undefined;
  switch (parser?.type) {
    case 'entity.too.large':
      return problem(ErrorCode.PAYLOAD_TOO_LARGE, 'the request body is too large');
    case 'entity.parse.failed':
      return validationProblem([{ field: '(body)', rule: 'isJson', message: 'the body is not valid JSON' }]);
    case 'encoding.unsupported':
      return problem(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        'send the request body as it is, without Content-Encoding',
      );
    case 'charset.unsupported':
      return problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the body as UTF-8 JSON');
    default: {
      // Any other refusal of the body (it could not be read or decoded, it was cut short) by the 4xx
      // it carries, never a 500: too large, not a type taken, or else a request that is not valid.
      const status = clientStatusOf(parser);
      if (status === 413) return problem(ErrorCode.PAYLOAD_TOO_LARGE, 'the request body is too large');
      if (status === 415)
        return problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request body as UTF-8 JSON');
      if (status !== undefined)
        return problem(ErrorCode.VALIDATION_FAILED, 'the request body could not be read');
      return problem(ErrorCode.INTERNAL, 'something went wrong on our side: try again');
    }
  }
}

/** Writes a problem as `application/problem+json` with the request id and Retry-After. */
export function sendProblem(res: Response, details: ProblemDetails, requestId?: string): void {
  if (details.retryAfterSeconds) res.setHeader('retry-after', String(details.retryAfterSeconds));
  res
    .status(details.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...details, ...(requestId ? { requestId } : {}) }));
}

/** The one place errors become HTTP answers. No stack or AWS internals ever reach the client. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    const details = toProblemDetails(exception);
    if (details.status >= 500 && !(exception instanceof ProblemError)) {
      this.logger.error({ err: exception, requestId: req.id }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, details, req.id ? String(req.id) : undefined);
  }
}
