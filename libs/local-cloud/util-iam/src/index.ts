export * from './lib/evaluate';
export * from './lib/policy';
