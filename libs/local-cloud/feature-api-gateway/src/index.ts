export * from './lib/api-gateway-stand-in';
