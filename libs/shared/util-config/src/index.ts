export * from './lib/settings';
export * from './lib/settings-table';
