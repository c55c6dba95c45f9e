export * from './lib/field-errors';
