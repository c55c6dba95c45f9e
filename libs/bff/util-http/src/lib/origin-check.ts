import type { NextFunction, Request, Response } from 'express';

import { ErrorCode, problem } from '@imagegen/contracts';

import { sendProblem } from './problem-details.filter';

/** The methods that change state: only the app's own pages may send them. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Set on the request by `viewerProtocol`: the browser reached the app over HTTPS. */
export interface ViewerAwareRequest extends Request {
  viewerHttps?: boolean;
}

/**
 * Whether the browser reached the app over HTTPS: the ALB terminating TLS says so in
 * X-Forwarded-Proto (`req.secure`); behind CloudFront the ALB is reached over HTTP and sets
 * X-Forwarded-Proto to `http`, so the public origin (`https://…cloudfront.net`) says so instead.
 */
export function servedOverHttps(req: Request): boolean {
  return req.secure || (req as ViewerAwareRequest).viewerHttps === true;
}

/** Marks every request as served over HTTPS when the app's public origin is an https URL. */
export function viewerProtocol(publicOrigin: string | undefined) {
  const https = publicOrigin !== undefined && new URL(publicOrigin).protocol === 'https:';
  return (req: ViewerAwareRequest, _res: Response, next: NextFunction): void => {
    if (https) req.viewerHttps = true;
    next();
  };
}

/**
 * Refuses (403 CROSS_ORIGIN) a state-changing request that a browser sent from another site: a
 * page elsewhere cannot make a visitor's browser start or delete jobs with their cookie.
 *
 * The order is the one of Go's net/http CrossOriginProtection and the OWASP CSRF cheat sheet
 * (https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html):
 * - `Sec-Fetch-Site` (sent by every current browser) `same-origin` or `none` passes; any other value
 *   passes only with an `Origin` that is the app's own;
 * - without it, an `Origin` must be the app's own (`publicOrigin`; unset: the request's own host);
 * - without either, the request is not from a browser (curl, the SDK, tests): no cookie of a
 *   visitor rides on it, so it passes (the rate limits still apply).
 */
export function sameOriginWrites(publicOrigin: string | undefined) {
  const allowed = publicOrigin === undefined ? undefined : new URL(publicOrigin).origin;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!STATE_CHANGING.has(req.method)) return next();
    const site = header(req, 'sec-fetch-site');
    const origin = header(req, 'origin');
    const own = allowed ?? `${req.protocol}://${req.get('host') ?? ''}`;
    if (site === 'same-origin' || site === 'none') return next();
    if (origin === undefined && site === undefined) return next();
    if (origin !== undefined && origin === own) return next();
    sendProblem(
      res,
      problem(
        ErrorCode.CROSS_ORIGIN,
        `${req.method} requests must come from the app's own pages (${own}), not from ${origin ?? `a ${site} page`}`,
      ),
      String((req as Request & { id?: unknown }).id ?? ''),
    );
  };
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
