export * from './lib/template-types';
export * from './lib/resolver';
export * from './lib/cloud-model';
export * from './lib/synth';
