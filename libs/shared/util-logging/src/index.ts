export * from './lib/emf';
export * from './lib/logger';
export * from './lib/pretty';
