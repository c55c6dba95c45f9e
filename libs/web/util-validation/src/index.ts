export * from './lib/field-errors';
export * from './lib/prompt-language';
