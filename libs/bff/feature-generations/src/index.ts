export * from './lib/follow-generation';
export * from './lib/generations.module';
export * from './lib/models.controller';
export * from './lib/openapi';
