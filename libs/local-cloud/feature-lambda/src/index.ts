export * from './lib/lambda-stand-in';
export * from './lib/memory';
