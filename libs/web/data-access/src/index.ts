export * from './lib/download';
export * from './lib/fresh-links';
export * from './lib/generations-api';
export * from './lib/model-list';
export * from './lib/problem-messages';
export * from './lib/stores/generation-store';
export * from './lib/stores/compare-store';
export * from './lib/stores/gallery-store';
