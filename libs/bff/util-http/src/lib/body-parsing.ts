import { json } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { ErrorCode, problem } from '@imagegen/contracts';

import { sendProblem, toProblemDetails } from './problem-details.filter';

/**
 * JSON bodies only, up to `limit`: a body in another content type is 415, a larger one 413,
 * a malformed one 400, each as problem+json (Express's parser errors never reach Nest's filters).
 */
export function jsonBodyOnly(limit: string | number): RequestHandler {
  const parse = json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const requestId = (req as Request & { id?: string }).id;
    if (hasBody && !req.is('application/json')) {
      return sendProblem(res, problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request body as application/json'), requestId);
    }
    parse(req, res, (err?: unknown) => (err ? sendProblem(res, toProblemDetails(err), requestId) : next()));
  };
}
