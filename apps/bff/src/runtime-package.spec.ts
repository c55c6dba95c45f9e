// The BFF image's package list (apps/bff/runtime-package.cjs, run by the build's esbuild plugin).
const { externalPackages, runtimePackage } = require('../runtime-package.cjs') as {
  externalPackages(metafile: unknown): string[];
  runtimePackage(
    lock: unknown,
    names: string[],
  ): {
    manifest: { dependencies: Record<string, string> };
    lock: { packages: Record<string, Record<string, unknown>> };
  };
};

const LOCK = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'monorepo', dependencies: { a: '1.0.0', big: '9.0.0' } },
    'node_modules/a': { version: '1.0.0', dependencies: { b: '^2.0.0', c: '^1.0.0' } },
    // a's own b (another version), nested under it
    'node_modules/a/node_modules/b': { version: '2.0.0', dev: true },
    'node_modules/b': { version: '1.0.0' },
    'node_modules/c': {
      version: '1.0.0',
      devOptional: true,
      peerDependencies: { d: '*', e: '*' },
      peerDependenciesMeta: { e: { optional: true } },
    },
    'node_modules/d': { version: '1.0.0', peer: true },
    'node_modules/e': { version: '1.0.0' },
    'node_modules/big': { version: '9.0.0' },
  },
};

describe('the BFF runtime package list', () => {
  it('names the packages a bundle requires, not built-ins or relative files', () => {
    const metafile = {
      outputs: {
        'dist/apps/bff/main.js': {
          imports: [
            { path: '@nestjs/common', external: true },
            { path: '@nestjs/common/decorators', external: true },
            { path: 'rxjs/operators', external: true },
            { path: 'node:crypto', external: true },
            { path: 'fs', external: true },
            { path: 'libs/x.ts', external: false },
          ],
        },
      },
    };
    expect(externalPackages(metafile)).toEqual(['@nestjs/common', 'rxjs']);
  });

  it('keeps only the closure of those packages, as npm resolves it, flagged as runtime packages', () => {
    const { manifest, lock } = runtimePackage(LOCK, ['a']);
    expect(manifest.dependencies).toEqual({ a: '1.0.0' });
    // a, its nested b (not the hoisted one), c, and c's required peer d; not the optional peer e, nor big
    expect(Object.keys(lock.packages).sort()).toEqual([
      '',
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/c',
      'node_modules/d',
    ]);
    // npm ci --omit=dev would skip what the monorepo only needed for development
    expect(lock.packages['node_modules/a/node_modules/b']).not.toHaveProperty('dev');
    expect(lock.packages['node_modules/c']).toMatchObject({ optional: true });
    expect(lock.packages['node_modules/c']).not.toHaveProperty('devOptional');
    expect(lock.packages['']).toMatchObject({ dependencies: { a: '1.0.0' } });
  });

  it('refuses a package the root lock does not have', () => {
    expect(() => runtimePackage(LOCK, ['missing'])).toThrow('the BFF loads missing');
  });
});
