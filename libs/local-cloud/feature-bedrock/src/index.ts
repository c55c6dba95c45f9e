export * from './lib/bedrock-stand-in';
export * from './lib/faults';
export * from './lib/aws-model-rules';
export * from './lib/aws-text-model-rules';
export * from './lib/converse-stream';
export * from './lib/event-stream';
export * from './lib/offline-writer';
