export * from './lib/generation-form';
export * from './lib/generation-view';
export * from './lib/problem-banner';
export * from './lib/prompt-field';
export * from './lib/prompt-assistant';
export * from './lib/image-drop';
