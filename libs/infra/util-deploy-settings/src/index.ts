export * from './lib/deploy-settings';
