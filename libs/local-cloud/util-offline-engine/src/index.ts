export * from './lib/offline-engine';
export * from './lib/seeded';
