export * from './lib/offline-engine';
