export * from './lib/dynamodb-stand-in';
export * from './lib/retention-sweeper';
export * from './lib/s3-stand-in';
