// NestJS 12 ships ES modules only, and Jest runs CommonJS: our TypeScript goes through ts-jest as
// before, and the ES-module-only packages are compiled to CommonJS with TypeScript's transpiler.
// `import.meta.url`, which CommonJS has no syntax for, becomes the file's URL.
const { createHash } = require('node:crypto');
const ts = require('typescript');
const tsJest = require('ts-jest');

// `const require = createRequire(import.meta.url)`: CommonJS has its own `require` already.
const OWN_REQUIRE = /^const require = createRequire\(import\.meta\.url\);$/m;
const IMPORT_META_URL = /\bimport\.meta\.url\b/g;

function toCommonJs(source, path) {
  const code = source
    .replace(OWN_REQUIRE, '')
    .replace(IMPORT_META_URL, "require('node:url').pathToFileURL(__filename).href");
  const out = ts.transpileModule(code, {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      allowJs: true,
      esModuleInterop: true,
      sourceMap: false,
    },
  });
  return { code: out.outputText };
}

module.exports = {
  createTransformer(options) {
    const inner = (tsJest.default ?? tsJest).createTransformer(options);
    const ours = (path) => !path.includes('/node_modules/');
    return {
      canInstrument: inner.canInstrument,
      process: (source, path, opts) =>
        ours(path) ? inner.process(source, path, opts) : toCommonJs(source, path),
      processAsync: async (source, path, opts) =>
        ours(path) ? inner.processAsync(source, path, opts) : toCommonJs(source, path),
      getCacheKey: (source, path, opts) =>
        ours(path)
          ? inner.getCacheKey(source, path, opts)
          : createHash('sha256').update('esm-interop-1').update(path).update(source).digest('hex'),
    };
  },
};
