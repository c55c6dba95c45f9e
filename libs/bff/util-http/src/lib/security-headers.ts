import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

import { servedOverHttps } from './origin-check';

/** The Content-Security-Policy of every API answer: nothing may load, nothing may frame it. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * Security headers on every response (helmet), with a Content-Security-Policy that allows
 * nothing for API answers and only same-origin assets for the OpenAPI page. API answers are
 * one owner's data with short-lived links: `Cache-Control: no-store` (no cache and no proxy keeps
 * them, and no conditional 304 is ever answered: the app also sends no ETag).
 */
export function securityHeaders(docsPath: string) {
  const base = helmet({
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
    hsts: false,
    frameguard: { action: 'deny' },
  });
  const strictHsts = helmet.hsts({ maxAge: 31_536_000, includeSubDomains: true });
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader(
      'content-security-policy',
      req.path.startsWith(docsPath)
        ? "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"
        : API_CONTENT_SECURITY_POLICY,
    );
    if (!req.path.startsWith(docsPath)) {
      res.setHeader('cache-control', 'no-store');
      // No validators, nothing to revalidate: a conditional GET is answered in full (Express would
      // answer `If-None-Match: *` 304 for any answer, though nothing may have cached it).
      delete req.headers['if-none-match'];
      delete req.headers['if-modified-since'];
    }
    base(req, res, (err?: unknown) => {
      if (err) return next(err);
      // HSTS only when the browser reached us over HTTPS (the ALB says so in X-Forwarded-Proto;
      // behind CloudFront, the https public origin).
      if (servedOverHttps(req)) return strictHsts(req, res, next);
      next();
    });
  };
}
