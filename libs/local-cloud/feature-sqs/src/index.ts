export * from './lib/sqs-stand-in';
