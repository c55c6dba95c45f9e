// The BFF image's dependencies: exactly the packages its bundle loads, nothing else of the monorepo's.
// The bundle leaves third-party code outside (`thirdParty: false`); esbuild's metafile lists what it
// requires, and this writes dist/apps/bff/package.json with those packages (versions from the root
// lock) and a package-lock.json cut from the root lock to their dependency closure, for
// `npm ci --omit=dev` in docker/bff.Dockerfile. Run by the esbuild plugin in esbuild.config.cjs.
const { builtinModules } = require('node:module');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

/** Loaded by name at run time, never imported: NestFactory requires the HTTP adapter itself. */
const RUNTIME_LOADED = ['@nestjs/platform-express'];

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The third-party packages a bundle requires (its external imports, built-ins aside), sorted. */
function externalPackages(metafile) {
  const names = new Set();
  for (const output of Object.values(metafile.outputs))
    for (const i of output.imports ?? [])
      if (i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path.split('/')[0]))
        names.add(packageName(i.path));
  return [...names].sort();
}

/** Where npm resolves `name` from the package installed at `from` (a lock key): nearest node_modules up. */
function resolveIn(packages, from, name) {
  let dir = from;
  for (;;) {
    const key = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

/**
 * package.json and package-lock.json for `names`: versions and entries taken from the root lock,
 * kept to what those packages need (dependencies, optional ones, required peers).
 */
function runtimePackage(rootLock, names, meta = { name: 'imagegen-bff' }, allowScripts = {}) {
  const packages = rootLock.packages;
  const keep = new Map();
  const visit = (key) => {
    if (keep.has(key)) return;
    const entry = packages[key];
    keep.set(key, entry);
    const optionalPeers = entry.peerDependenciesMeta ?? {};
    const deps = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((p) => !optionalPeers[p]?.optional),
    ];
    for (const dep of deps) {
      const found = resolveIn(packages, key, dep);
      if (found) visit(found);
      else if (!entry.optionalDependencies?.[dep] && !entry.peerDependencies?.[dep])
        throw new Error(`${key} needs ${dep}, which the root lock does not have`);
    }
  };
  const dependencies = {};
  for (const name of names) {
    const key = `node_modules/${name}`;
    if (!packages[key])
      throw new Error(`the BFF loads ${name}, which the root package-lock.json does not have`);
    dependencies[name] = packages[key].version;
    visit(key);
  }
  // The monorepo's reviewed install-script decisions for the packages kept (e.g. @scarf/scarf's telemetry
  // stays denied), so `npm ci` with strict-allow-scripts passes and runs nothing unreviewed.
  const kept = new Set(
    [...keep.keys()].map((key) => packageName(key.slice(key.lastIndexOf('node_modules/') + 13))),
  );
  const reviewed = Object.fromEntries(Object.entries(allowScripts).filter(([name]) => kept.has(name)));
  const manifest = {
    ...meta,
    version: '0.0.0',
    private: true,
    dependencies,
    ...(Object.keys(reviewed).length ? { allowScripts: reviewed } : {}),
  };
  const lockPackages = { '': { name: manifest.name, version: manifest.version, dependencies } };
  for (const key of [...keep.keys()].sort()) {
    // Dev-only in the monorepo says nothing here: every kept package is a runtime one.
    const { dev: _dev, devOptional, ...entry } = keep.get(key);
    lockPackages[key] = devOptional ? { ...entry, optional: true } : entry;
  }
  const lock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: lockPackages,
  };
  return { manifest, lock };
}

/** Writes `outdir`/package.json and package-lock.json for the BFF bundle described by `metafile`. */
function writeRuntimePackage(metafile, outdir, root = join(__dirname, '../..')) {
  const rootLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const { allowScripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = [...new Set([...externalPackages(metafile), ...RUNTIME_LOADED])].sort();
  const { manifest, lock } = runtimePackage(rootLock, names, undefined, allowScripts);
  writeFileSync(join(outdir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(join(outdir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
  return manifest;
}

module.exports = { RUNTIME_LOADED, externalPackages, runtimePackage, writeRuntimePackage, packageName };
