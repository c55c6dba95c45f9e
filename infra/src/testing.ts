import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';

import { buildImagegen, ImagegenStacks } from './app';
import { DEFAULT_CONFIG, ImagegenConfig } from './config';
import {
  GENERATOR_ARCHITECTURE,
  GENERATOR_DIST_CONTEXT,
  NATIVE_MODULE_HANDLERS,
  npmCpu,
  WORKER_NODE_MODULES,
} from './constructs/generator-api';

/**
 * Stand-in handler folders, so templates can be checked without building the generator: a stub
 * index.js each, and in the worker's and the API's the module folders the synth checks for (no binaries).
 */
export function stubGeneratorDist(): string {
  const dir = join(tmpdir(), 'imagegen-infra-generator-stub');
  for (const handler of ['api', 'worker', 'abandoned']) {
    mkdirSync(join(dir, handler), { recursive: true });
    writeFileSync(join(dir, handler, 'index.js'), 'exports.handler = async () => undefined;\n');
  }
  const modules = [...WORKER_NODE_MODULES, `@img/sharp-linux-${npmCpu(GENERATOR_ARCHITECTURE)}`];
  for (const handler of NATIVE_MODULE_HANDLERS)
    for (const module of modules) {
      mkdirSync(join(dir, handler, 'node_modules', module), { recursive: true });
      writeFileSync(join(dir, handler, 'node_modules', module, 'package.json'), '{}\n');
    }
  return dir;
}

/**
 * A synth-ready app for tests. The generator's handlers are stubs unless `generatorDist` names a
 * folder the test built (apps/generator/bundle.cjs); Docker image assets are never built.
 */
export function testApp(
  overrides: Partial<ImagegenConfig> = {},
  options: { generatorDist?: string; context?: Record<string, unknown> } = {},
): { app: App; stacks: ImagegenStacks } {
  const app = new App({
    context: {
      ...(options.generatorDist
        ? { 'aws:cdk:enable-asset-metadata': true }
        : { 'aws:cdk:bundling-stacks': [] }),
      [GENERATOR_DIST_CONTEXT]: options.generatorDist ?? stubGeneratorDist(),
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...options.context,
    },
  });
  const stacks = buildImagegen(app, { ...DEFAULT_CONFIG, ...overrides });
  return { app, stacks };
}
