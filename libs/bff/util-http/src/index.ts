export * from './lib/alb-oidc';
export * from './lib/body-parsing';
export * from './lib/owner';
export * from './lib/problem-details.filter';
export * from './lib/security-headers';
