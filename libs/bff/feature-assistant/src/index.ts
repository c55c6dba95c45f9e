export * from './lib/assistant.module';
export * from './lib/assistant.service';
export * from './lib/owner-rate';
export * from './lib/text-stream';
