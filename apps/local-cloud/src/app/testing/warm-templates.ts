import { join } from 'node:path';

// Jest's global setup is transformed but not resolved by the workspace's path aliases: the module by its path.
// eslint-disable-next-line @nx/enforce-module-boundaries -- see above; the module imports node built-ins only
import { loadTemplates, workspaceRoot } from '../../../../../libs/local-cloud/util-template/src/lib/synth';

/**
 * Jest global setup of the integration tests: the synthesized templates every local cloud reads,
 * made once (a cold synth takes longer than one test's timeout) and cached for every later start.
 */
export default async function warmTemplates(): Promise<void> {
  const root = workspaceRoot(__dirname);
  const loaded = await loadTemplates({
    root,
    cacheDir: process.env['LOCAL_TEMPLATE_CACHE_DIR'] ?? join(root, '.local-cloud', 'template-cache'),
  });
  if (!loaded.fromCache) process.stdout.write(`\nsynthesized the infra templates in ${loaded.ms} ms\n`);
}
