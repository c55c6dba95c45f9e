export * from './lib/bedrock-stand-in';
export * from './lib/faults';
