// NestJS needs `emitDecoratorMetadata` (DI and ValidationPipe read the parameter types), which
// esbuild does not emit. This plugin compiles each workspace .ts file with TypeScript's
// transpileModule (metadata included) and lets esbuild bundle the result.
const { readFile } = require('node:fs/promises');
const { dirname } = require('node:path');
const ts = require('typescript');

const { writeRuntimePackage } = require('./runtime-package.cjs');

const decoratorMetadata = {
  name: 'decorator-metadata',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const source = await readFile(args.path, 'utf8');
      const out = ts.transpileModule(source, {
        fileName: args.path,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
          esModuleInterop: true,
          inlineSourceMap: true,
          inlineSources: true,
        },
      });
      return { contents: out.outputText, loader: 'js' };
    });
  },
};

// The image installs only what the bundle requires: package.json and package-lock.json beside main.js
// (runtime-package.cjs), from esbuild's own list of the bundle's external imports.
const runtimePackage = {
  name: 'runtime-package',
  setup(build) {
    build.initialOptions.metafile = true;
    build.onEnd((result) => {
      if (result.errors.length || !result.metafile) return;
      const { outdir, outfile } = build.initialOptions;
      writeRuntimePackage(result.metafile, outdir ?? dirname(outfile));
    });
  },
};

module.exports = {
  plugins: [decoratorMetadata, runtimePackage],
  // TypeScript's decorator output (`let X = class X {}`) makes esbuild rename inner class names
  // (`ModelsController2`); Nest logs and errors name classes, so keep their names.
  keepNames: true,
  outExtension: { '.js': '.js' },
};
