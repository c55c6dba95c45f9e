import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadTemplates, synthInputsHash } from './synth';

describe(loadTemplates.name, () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'imagegen-synth-'));
    writeFileSync(join(root, 'nx.json'), '{}');
    mkdirSync(join(root, 'infra/src'), { recursive: true });
    mkdirSync(join(root, 'libs/contracts/src'), { recursive: true });
    writeFileSync(join(root, 'infra/src/main.ts'), 'export {};');
    writeFileSync(join(root, 'libs/contracts/src/catalog.ts'), 'export const A = 1;');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A cache entry as loadTemplates writes it, for the inputs as they are now. */
  const seedCache = () => {
    const stacks = [{ stackName: 'S', template: { Resources: {} } }];
    mkdirSync(join(root, 'cache'), { recursive: true });
    const hash = synthInputsHash(root);
    const recipe = JSON.parse(
      JSON.stringify({ recipe: 'local-synth-v1', hash, createdAt: new Date().toISOString(), stacks }),
    );
    writeFileSync(join(root, 'cache/templates.json'), JSON.stringify(recipe));
    return stacks;
  };

  it('reuses the cached templates while the infra source, the contracts and the CDK version are unchanged', async () => {
    const stacks = seedCache();
    const onSynth = jest.fn();
    const loaded = await loadTemplates({ root, cacheDir: join(root, 'cache'), onSynth });
    expect(loaded).toMatchObject({ stacks, fromCache: true });
    expect(onSynth).not.toHaveBeenCalled();
  });

  it('synthesizes anew when an input changed (the catalog infra reads, here), and says why', async () => {
    seedCache();
    writeFileSync(join(root, 'libs/contracts/src/catalog.ts'), 'export const A = 2;');
    const onSynth = jest.fn();
    // (this fake workspace has no esbuild: the synth itself fails, after saying why it runs)
    await expect(loadTemplates({ root, cacheDir: join(root, 'cache'), onSynth })).rejects.toThrow();
    expect(onSynth).toHaveBeenCalledWith('the infra source changed since the cached templates were made');
    expect(JSON.parse(readFileSync(join(root, 'cache/templates.json'), 'utf8')).stacks).toHaveLength(1);
  });

  it('hashes file contents and names, not spec files', () => {
    const before = synthInputsHash(root);
    writeFileSync(join(root, 'infra/src/app.spec.ts'), 'test');
    expect(synthInputsHash(root)).toBe(before);
    writeFileSync(join(root, 'infra/src/other.ts'), 'export {};');
    expect(synthInputsHash(root)).not.toBe(before);
  });
});
