import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

import { requestIdFor } from './request-id';

/**
 * The access log and request id, as the very first middleware: every answer (including the ones
 * middleware gives before Nest routes: 413, 415, 503 while draining) carries `x-request-id` and is
 * logged with it. Method, path and status only: no cookies, headers or bodies in the logs.
 */
export function accessLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestIdFor,
    customProps: (req) => ({ requestId: (req as IncomingMessage & { id?: unknown }).id }),
    serializers: {
      req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url?.split('?')[0] }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => req.url === '/api/health' },
  });
}
