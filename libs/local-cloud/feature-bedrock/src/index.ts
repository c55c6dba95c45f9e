export * from './lib/bedrock-stand-in';
export * from './lib/faults';
export * from './lib/aws-model-rules';
