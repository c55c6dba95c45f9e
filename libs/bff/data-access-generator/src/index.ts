export * from './lib/generator-client';
export * from './lib/http-generator-client';
