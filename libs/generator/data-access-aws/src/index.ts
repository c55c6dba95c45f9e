export * from './lib/aws-clients';
export * from './lib/bedrock-errors';
export * from './lib/bedrock-image-model';
export * from './lib/dynamo-generation-repository';
export * from './lib/lambda-worker-invoker';
export * from './lib/s3-image-store';
export * from './lib/bedrock-model-access';
export * from './lib/aws-unavailable';
