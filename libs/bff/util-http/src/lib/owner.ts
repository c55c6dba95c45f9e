import { randomBytes } from 'node:crypto';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { ErrorCode, OWNER_HEADER, OWNER_ID_PATTERN, problem } from '@imagegen/contracts';

import { servedOverHttps } from './origin-check';
import { sendProblem, toProblemDetails } from './problem-details.filter';

/** The owner cookie's name over plain HTTP (local development). */
export const OWNER_COOKIE = 'imagegen_owner';
/**
 * Its name over HTTPS: the `__Host-` prefix makes browsers accept it only with Secure, Path=/ and
 * no Domain, so neither a sibling subdomain nor a plain-HTTP page can plant or overwrite it
 * (https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie#cookie_prefixes).
 */
export const SECURE_OWNER_COOKIE = `__Host-${OWNER_COOKIE}`;

/** The owner cookie's name for this request: prefixed when the browser came over HTTPS. */
export const ownerCookieName = (req: Request): string =>
  servedOverHttps(req) ? SECURE_OWNER_COOKIE : OWNER_COOKIE;
const MAX_AGE_MS = 400 * 24 * 60 * 60 * 1000; // browsers cap cookies at 400 days

export interface OwnedRequest extends Request {
  ownerId?: string;
  /** The owner was made for this request (no valid cookie came): the rate limits count it by address. */
  ownerIsNew?: boolean;
}

export function newAnonymousOwnerId(): string {
  return `anon-${randomBytes(16).toString('base64url')}`;
}

/**
 * Every visitor gets an anonymous owner id in a signed, httpOnly, SameSite=Lax cookie (over HTTPS:
 * Secure and `__Host-` prefixed; only that one is read then). A missing, unsigned or tampered cookie
 * means a new owner. Needs cookie-parser with the secret.
 */
export function anonymousOwner(req: OwnedRequest, res: Response, next: NextFunction): void {
  // Only the BFF may name the owner to the generator: never trust one from the browser.
  delete req.headers[OWNER_HEADER];
  const https = servedOverHttps(req);
  const name = https ? SECURE_OWNER_COOKIE : OWNER_COOKIE;
  const signed = (req.signedCookies as Record<string, unknown> | undefined)?.[name];
  if (typeof signed === 'string' && OWNER_ID_PATTERN.test(signed)) {
    req.ownerId = signed;
    return next();
  }
  const ownerId = newAnonymousOwnerId();
  res.cookie(name, ownerId, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: https,
    maxAge: MAX_AGE_MS,
    path: '/',
  });
  req.ownerId = ownerId;
  req.ownerIsNew = true;
  next();
}

/**
 * Behind an ALB with Cognito/OIDC sign-in: the owner is the token's subject (the header is verified,
 * never trusted as is); without a valid token the request is refused. Otherwise `anonymousOwner`.
 */
export function signedInOwner(verifier: { ownerOf(token: string): Promise<string> }) {
  return (req: OwnedRequest, res: Response, next: NextFunction): void => {
    delete req.headers[OWNER_HEADER];
    const token = req.headers['x-amzn-oidc-data'];
    const requestId = (req as OwnedRequest & { id?: string }).id;
    if (typeof token !== 'string' || token.length === 0) {
      return sendProblem(
        res,
        problem(ErrorCode.UNAUTHORIZED, 'sign in first: the load balancer did not vouch for this request'),
        requestId,
      );
    }
    verifier.ownerOf(token).then(
      (ownerId) => {
        req.ownerId = ownerId;
        next();
      },
      (err: unknown) => sendProblem(res, toProblemDetails(err), requestId),
    );
  };
}

/** The owner of the current request (set by `anonymousOwner` or `signedInOwner`). */
export const OwnerId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<OwnedRequest>();
  if (!req.ownerId) throw new Error('anonymousOwner middleware is not installed');
  return req.ownerId;
});

/** The request id (pino-http sets `req.id`). */
export const RequestId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  return String(ctx.switchToHttp().getRequest<Request & { id?: unknown }>().id ?? '');
});
