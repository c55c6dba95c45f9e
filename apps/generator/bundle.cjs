// The generator's Lambda artifacts, built once: what the benchmark measures is what CDK deploys.
//
//   node apps/generator/bundle.cjs build                 → dist/apps/generator/{api,worker,abandoned}/index.js
//   node apps/generator/bundle.cjs lambda-deps --cpu arm64 → dist/apps/generator/{api,worker}/node_modules (sharp)
//
// One minified esbuild bundle per handler (Node 24, CommonJS, no source map: the deployed file is
// the measured one), each within BUDGET_BYTES, and a metafile per handler beside the folders (not
// deployed) that says which modules went in. sharp is never bundled: the worker's folder (thumbnails,
// an edit's input checks) and the API's (an upload's check) get it from apps/generator/lambda-deps (its
// own lock file) for Lambda's platform, without Docker.
// The Nx targets generator:build and generator:lambda-deps run this; the specs call its functions.
const { execFileSync } = require('node:child_process');
const { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { readFile } = require('node:fs/promises');
const { join, relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../..');
/** Handler name → entry; each bundle exports `handler` (Lambda handler `index.handler`). */
const HANDLERS = {
  api: 'apps/generator/src/api.ts',
  worker: 'apps/generator/src/worker.ts',
  abandoned: 'apps/generator/src/abandoned.ts',
};
/** Each handler's bundle at most this (minified). */
const BUDGET_BYTES = 600 * 1024;
/**
 * Loaded at run time, never bundled: sharp from the worker's node_modules; Powertools (Metrics, Tracer
 * and what Tracer alone needs, aws-xray-sdk-core) from the Powertools for AWS Lambda layer every
 * generator function has (infra, generator-api.ts), as its page asks of esbuild users: "exclude
 * `@aws-lambda-powertools/*` ... from being bundled since the packages are already present the layer"
 * (https://docs.aws.amazon.com/powertools/typescript/latest/getting-started/lambda-layers). One
 * Powertools release at run time, the layer's. Locally (specs, node) they resolve from node_modules.
 */
const EXTERNAL = ['sharp', '@aws-lambda-powertools/*', 'aws-xray-sdk-core'];
const LAMBDA_DEPS = 'apps/generator/lambda-deps';
/** The handlers that load sharp at run time: the worker (thumbnails, input checks), the API (upload checks). */
const NATIVE_HANDLERS = ['api', 'worker'];
const DIST = 'dist/apps/generator';

/**
 * The SDK's generated schemas key their objects by constants (`{ [_e]: _c }`); esbuild must assume a
 * computed key has side effects, so it keeps every schema of the service (~75 KiB for Bedrock's
 * control plane, where the API calls one operation). Writing those keys as the string literals they
 * name (`{ "error": _c }`, the same object) lets unused schemas be tree-shaken.
 */
const sdkSchemaKeys = {
  name: 'sdk-schema-keys',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, 'utf8');
        const strings = new Map(
          [...source.matchAll(/^const (_\w+) = ("[^"\\]*");$/gm)].map((m) => [m[1], m[2]]),
        );
        const contents = source.replace(/([{,]\s*)\[(_\w+)\]:/g, (all, before, name) =>
          strings.has(name) ? `${before}${strings.get(name)}:` : all,
        );
        return { contents, loader: 'js' };
      },
    );
  },
};

/**
 * Bundles every handler into `<outdir>/<handler>/index.js` (the folder is emptied first). Returns
 * per handler the bytes and the bundled input files (workspace-relative); throws when one is over
 * budget, naming its largest inputs.
 */
/** The one esbuild target of the workspace (nx.json's default for every esbuild build). */
const ESBUILD_TARGET = JSON.parse(readFileSync(join(__dirname, '../../nx.json'), 'utf8')).targetDefaults[
  '@nx/esbuild:esbuild'
].options.target;

async function bundleGenerator({ outdir = join(ROOT, DIST), root = ROOT } = {}) {
  const esbuild = require('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = {};
  for (const [name, entry] of Object.entries(HANDLERS)) {
    const out = join(outdir, name, 'index.js');
    const built = await esbuild.build({
      absWorkingDir: root,
      entryPoints: [join(root, entry)],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: ESBUILD_TARGET,
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      // ES modules of the SDK (their `module` field) tree-shake; its CommonJS builds do not.
      mainFields: ['module', 'main'],
      external: EXTERNAL,
      // Lambda gives credentials in the environment: the SDK's whole default chain is not shipped.
      alias: { '@aws-sdk/credential-provider-node': './apps/generator/src/lambda-credentials.ts' },
      plugins: [sdkSchemaKeys],
      tsconfig: join(root, 'apps/generator/tsconfig.json'),
      metafile: true,
      logLevel: 'warning',
    });
    writeFileSync(join(outdir, `${name}.meta.json`), JSON.stringify(built.metafile));
    const inputs = Object.keys(built.metafile.outputs[relative(root, out)]?.inputs ?? {});
    result[name] = { bytes: statSync(out).size, inputs, metafile: built.metafile };
  }
  const over = Object.entries(result).filter(([, r]) => r.bytes > BUDGET_BYTES);
  if (over.length) {
    const largest = (r) =>
      Object.entries(r.metafile.outputs)
        .flatMap(([, o]) => Object.entries(o.inputs))
        .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
        .slice(0, 8)
        .map(([f, i]) => `    ${(i.bytesInOutput / 1024).toFixed(1)} KiB ${f}`)
        .join('\n');
    throw new Error(
      over
        .map(
          ([name, r]) =>
            `the ${name} handler's bundle is ${(r.bytes / 1024).toFixed(1)} KiB, over its budget of ${BUDGET_BYTES / 1024} KiB; largest inputs:\n${largest(r)}`,
        )
        .join('\n'),
    );
  }
  return result;
}

/**
 * `npm ci` settings for Lambda's platform (Amazon Linux: glibc) rather than this machine's, so the
 * right prebuilt binary is fetched without Docker. Install scripts stay off: sharp's only checks for
 * a local libvips build, and the prebuilt one is used. (infra checks the staged worker holds the
 * binary for the functions' architecture.)
 */
function lambdaNpmEnvironment(cpu) {
  if (cpu !== 'arm64' && cpu !== 'x64') throw new Error(`no Lambda architecture for the npm cpu "${cpu}"`);
  return {
    npm_config_os: 'linux',
    npm_config_cpu: cpu,
    npm_config_libc: 'glibc',
    npm_config_ignore_scripts: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/** Installs the worker's native modules (apps/generator/lambda-deps) into `workerDir`/node_modules. */
function installWorkerDeps({ workerDir = join(ROOT, DIST, 'worker'), cpu = 'arm64', root = ROOT } = {}) {
  if (!existsSync(join(workerDir, 'index.js')))
    throw new Error(`${workerDir}/index.js is missing: run \`npx nx build generator\` first`);
  for (const f of ['package.json', 'package-lock.json'])
    cpSync(join(root, LAMBDA_DEPS, f), join(workerDir, f));
  rmSync(join(workerDir, 'node_modules'), { recursive: true, force: true });
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: workerDir,
    env: { ...process.env, ...lambdaNpmEnvironment(cpu) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

module.exports = {
  BUDGET_BYTES,
  DIST,
  EXTERNAL,
  HANDLERS,
  NATIVE_HANDLERS,
  bundleGenerator,
  installWorkerDeps,
  lambdaNpmEnvironment,
};

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const run =
    command === 'build'
      ? bundleGenerator().then((r) => {
          for (const [name, { bytes }] of Object.entries(r))
            console.log(`${DIST}/${name}/index.js  ${(bytes / 1024).toFixed(1)} KiB`);
        })
      : command === 'lambda-deps'
        ? Promise.resolve().then(() => {
            for (const handler of NATIVE_HANDLERS)
              installWorkerDeps({ workerDir: join(ROOT, DIST, handler), cpu: option('cpu', 'arm64') });
          })
        : Promise.reject(new Error('usage: bundle.cjs build | lambda-deps [--cpu arm64|x64]'));
  run.catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
