export * from './lib/alb-oidc';
export * from './lib/body-parsing';
export * from './lib/client-errors';
export * from './lib/graceful-shutdown';
export * from './lib/owner';
export * from './lib/problem-details.filter';
export * from './lib/rate-limit';
export * from './lib/security-headers';
