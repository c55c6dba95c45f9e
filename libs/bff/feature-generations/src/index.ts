export * from './lib/edits.service';
export * from './lib/follow-generation';
export * from './lib/generations.module';
export * from './lib/generations.service';
export * from './lib/models.service';
export * from './lib/openapi';
export * from './lib/request-checks';
