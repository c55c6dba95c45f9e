export * from './lib/sigv4';
