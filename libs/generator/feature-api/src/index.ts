export * from './lib/aws-app';
export * from './lib/generator-app';
export * from './lib/handlers';
export * from './lib/router';
export * from './lib/settings';
