import { App } from 'aws-cdk-lib';

import { buildImagegen, ImagegenStacks } from './app';
import { DEFAULT_CONFIG, ImagegenConfig } from './config';

/** A synth-ready app for tests; Lambda bundling is skipped unless asked for (it runs esbuild). */
export function testApp(
  overrides: Partial<ImagegenConfig> = {},
  options: { bundle?: boolean; context?: Record<string, unknown> } = {},
): { app: App; stacks: ImagegenStacks } {
  const app = new App({
    context: {
      ...(options.bundle ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] }),
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...options.context,
    },
  });
  const stacks = buildImagegen(app, { ...DEFAULT_CONFIG, ...overrides });
  return { app, stacks };
}
