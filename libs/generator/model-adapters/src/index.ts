export * from './lib/adapters';
export * from './lib/image-size';
export * from './lib/model-adapter';
export * from './lib/stability-v2';
export * from './lib/stability-services';
