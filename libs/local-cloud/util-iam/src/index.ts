export * from './lib/authorizer';
export * from './lib/evaluate';
export * from './lib/policy';
export * from './lib/requests';
export * from './lib/resource-policy';
