export * from './lib/lambda-stand-in';
