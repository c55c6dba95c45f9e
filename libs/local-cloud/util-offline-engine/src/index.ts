export * from './lib/offline-engine';
export * from './lib/seeded';
export * from './lib/image-services';
