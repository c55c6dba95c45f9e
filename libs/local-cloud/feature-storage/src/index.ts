export * from './lib/dynamodb-stand-in';
export * from './lib/s3-stand-in';
