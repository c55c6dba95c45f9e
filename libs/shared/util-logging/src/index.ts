export * from './lib/emf';
export * from './lib/logger';
