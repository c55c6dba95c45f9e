export * from './lib/api/generator-routes';
export * from './lib/catalog/model-catalog';
export * from './lib/errors/error-code';
export * from './lib/errors/problem-details';
export * from './lib/generations/generate-image-request';
export * from './lib/generations/generation';
export * from './lib/observability/metrics';
export * from './lib/validation/validate-generate-image-request';
