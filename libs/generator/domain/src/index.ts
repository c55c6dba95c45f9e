export * from './lib/cursor';
export * from './lib/generation-view';
export * from './lib/ids';
export * from './lib/image-parameters';
export * from './lib/ports';
export * from './lib/use-cases';
