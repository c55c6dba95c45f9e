export * from './lib/control-plane-stand-in';
