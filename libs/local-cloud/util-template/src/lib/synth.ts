import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { StackTemplate } from './template-types';

/** Bumped when the way templates are made or stored changes: every older cache is then stale. */
const RECIPE = 'local-synth-v1';

/** What the infra app's synthesized templates depend on (besides the installed CDK): hashed for the cache. */
export const SYNTH_INPUTS = [
  'infra/src',
  'infra/cdk.json',
  'infra/cdk.context.json',
  'infra/tsconfig.json',
  'libs/contracts/src',
  // The settings infra reads and the loader that checks them.
  'libs/infra/util-deploy-settings/src',
  'libs/shared/util-config/src',
  'tsconfig.base.json',
] as const;

/** The installed packages whose versions change what synth writes. */
const SYNTH_PACKAGES = ['aws-cdk-lib', 'constructs', 'cdk-nag', 'esbuild'] as const;

export interface LoadTemplatesOptions {
  /** The workspace root (the folder with nx.json); default: found upwards from the current directory. */
  readonly root?: string;
  /** Where the templates and their input hash are kept; default `<root>/.local-cloud/template-cache`. */
  readonly cacheDir?: string;
  /** Called before a (slow) synth, to say why. */
  readonly onSynth?: (reason: string) => void;
}

export interface LoadedTemplates {
  readonly stacks: StackTemplate[];
  /** SHA-256 of the synth inputs the templates were made from. */
  readonly hash: string;
  readonly fromCache: boolean;
  readonly ms: number;
}

interface CacheFile {
  readonly recipe: string;
  readonly hash: string;
  readonly createdAt: string;
  readonly stacks: StackTemplate[];
}

export class SynthError extends Error {
  override readonly name = 'SynthError';
}

/** The workspace root: the nearest folder upwards with nx.json. */
export function workspaceRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new SynthError(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== '__snapshots__' && e.name !== 'cdk.out')
    .flatMap((e) => filesUnder(join(path, e.name)))
    .filter((f) => !/\.(spec|int-spec|test)\.ts$/.test(f));
}

/** SHA-256 over the synth inputs (paths and contents) and the CDK packages' versions. */
export function synthInputsHash(root: string): string {
  const hash = createHash('sha256').update(RECIPE);
  for (const input of SYNTH_INPUTS) {
    for (const file of filesUnder(join(root, input)).sort()) {
      hash.update(`\0${relative(root, file)}\0`).update(readFileSync(file));
    }
  }
  for (const pkg of SYNTH_PACKAGES) {
    const manifest = join(root, 'node_modules', pkg, 'package.json');
    const version = existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')).version as string)
      : '-';
    hash.update(`\0${pkg}@${version}`);
  }
  return hash.digest('hex');
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? ok() : fail(new SynthError(`${args.join(' ').slice(0, 200)} exited ${code}:\n${output}`)),
    );
  });
}

/** The stacks of a cloud assembly folder (manifest.json), with their templates. */
export function readAssembly(outdir: string): StackTemplate[] {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([id, a]) => ({
      stackName: a.properties?.stackName ?? id,
      template: JSON.parse(readFileSync(join(outdir, a.properties?.templateFile ?? ''), 'utf8')),
    }));
}

/**
 * Synthesizes the infra app as `cdk synth` does (the app command of infra/cdk.json: esbuild, then
 * node), with cdk.json's context and CDK's own switch `aws:cdk:bundling-stacks: []`, so no Lambda
 * is bundled: the templates are those of a deploy, the assets mere placeholders.
 */
export async function synthesize(root: string): Promise<StackTemplate[]> {
  // Inside the workspace: the bundle finds aws-cdk-lib in node_modules, and infra's repoRoot() finds nx.json.
  const work = mkdtempSync(join(root, 'tmp', 'local-cloud-synth-'));
  try {
    const bundle = join(work, 'main.js');
    const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
    await run(
      esbuild,
      [
        'infra/src/main.ts',
        '--bundle',
        '--platform=node',
        '--format=cjs',
        '--target=node20',
        `--outfile=${bundle}`,
        '--tsconfig=infra/tsconfig.json',
        '--external:aws-cdk-lib',
        '--external:constructs',
        '--external:cdk-nag',
        '--log-level=warning',
      ],
      root,
      process.env,
    );
    const cdkJson = JSON.parse(readFileSync(join(root, 'infra/cdk.json'), 'utf8')) as { context?: object };
    const contextFile = join(root, 'infra/cdk.context.json');
    const context = {
      ...(existsSync(contextFile) ? JSON.parse(readFileSync(contextFile, 'utf8')) : {}),
      ...cdkJson.context,
      'aws:cdk:bundling-stacks': [],
    };
    const outdir = join(work, 'cdk.out');
    mkdirSync(outdir);
    await run(process.execPath, [bundle], join(root, 'infra'), {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
    });
    return readAssembly(outdir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The synthesized templates of the infra app: from the cache when it was made from the same
 * inputs (infra/src, cdk.json, the contracts the app reads, the CDK version), else synthesized
 * anew (without bundling) and cached.
 */
export async function loadTemplates(options: LoadTemplatesOptions = {}): Promise<LoadedTemplates> {
  const started = Date.now();
  const root = options.root ?? workspaceRoot();
  const cacheDir = options.cacheDir ?? join(root, '.local-cloud', 'template-cache');
  const cacheFile = join(cacheDir, 'templates.json');
  const hash = synthInputsHash(root);
  let reason = 'no cached templates';
  if (existsSync(cacheFile)) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheFile;
      if (cached.recipe === RECIPE && cached.hash === hash)
        return { stacks: cached.stacks, hash, fromCache: true, ms: Date.now() - started };
      reason = 'the infra source changed since the cached templates were made';
    } catch {
      reason = 'the cached templates are unreadable';
    }
  }
  options.onSynth?.(reason);
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const stacks = await synthesize(root);
  mkdirSync(cacheDir, { recursive: true });
  const entry: CacheFile = { recipe: RECIPE, hash, createdAt: new Date().toISOString(), stacks };
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(entry));
  renameSync(tmp, cacheFile);
  return { stacks, hash, fromCache: false, ms: Date.now() - started };
}
