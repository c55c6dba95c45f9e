import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { defaultProvider } from './lambda-credentials';

type Handler = 'api' | 'worker' | 'abandoned';
interface Bundle {
  readonly bytes: number;
  /** Files esbuild put in (workspace-relative), from its metafile. */
  readonly inputs: string[];
}
// The build generator:build runs (and CDK deploys): the budget holds for exactly those files.
const build = require('../bundle.cjs') as {
  BUDGET_BYTES: number;
  HANDLERS: Record<Handler, string>;
  bundleGenerator(options: { outdir: string }): Promise<Record<Handler, Bundle>>;
};

describe('generator Lambda bundles (apps/generator/bundle.cjs, built here into a temporary folder)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'imagegen-generator-bundle-'));
  let bundles: Record<Handler, Bundle>;
  const has = (handler: Handler, pattern: RegExp) => bundles[handler].inputs.some((f) => pattern.test(f));

  beforeAll(async () => {
    bundles = await build.bundleGenerator({ outdir });
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds one minified bundle per handler, each within the budget, and no source map', () => {
    expect(Object.keys(bundles).sort()).toEqual(['abandoned', 'api', 'worker']);
    for (const handler of Object.keys(build.HANDLERS) as Handler[]) {
      const bytes = statSync(join(outdir, handler, 'index.js')).size;
      expect({ handler, bytes, withinBudget: bytes <= build.BUDGET_BYTES }).toEqual({
        handler,
        bytes,
        withinBudget: true,
      });
      expect(readdirSync(join(outdir, handler))).toEqual(['index.js']);
    }
    expect(build.BUDGET_BYTES).toBe(600 * 1024);
  });

  it('gives each function only the clients and modules it calls', () => {
    // The API: SQS (the worker queue) and Bedrock's control plane; no model runtime, no thumbnailer
    expect(has('api', /@aws-sdk\/client-sqs\//)).toBe(true);
    expect(has('api', /@aws-sdk\/client-bedrock\//)).toBe(true);
    expect(has('api', /@aws-sdk\/client-bedrock-runtime\//)).toBe(false);
    expect(has('api', /sharp-thumbnailer/)).toBe(false);
    // The worker: the model runtime and the thumbnailer; no SQS client (Lambda polls for it), no control plane
    expect(has('worker', /@aws-sdk\/client-bedrock-runtime\//)).toBe(true);
    expect(has('worker', /sharp-thumbnailer/)).toBe(true);
    expect(has('worker', /@aws-sdk\/client-sqs\//)).toBe(false);
    expect(has('worker', /@aws-sdk\/client-bedrock\//)).toBe(false);
    // The abandoned-job function: DynamoDB (and S3) only
    for (const client of ['sqs', 'lambda', 'bedrock', 'bedrock-runtime'])
      expect({ client, bundled: has('abandoned', new RegExp(`@aws-sdk/client-${client}/`)) }).toEqual({
        client,
        bundled: false,
      });
    // None: sharp itself (the worker's node_modules has it) or the SDK's default credential chain
    for (const handler of Object.keys(bundles) as Handler[]) {
      // Nor Powertools (Tracer with aws-xray-sdk-core, Metrics): the Powertools layer has them
      expect({
        handler,
        tracer: has(handler, /node_modules\/(@aws-lambda-powertools\/tracer|aws-xray-sdk-core|cls-hooked)\//),
        powertools: has(handler, /node_modules\/@aws-lambda-powertools\//),
      }).toEqual({ handler, tracer: false, powertools: false });
      expect({
        handler,
        requiresFromLayer: ['tracer', 'metrics'].map((p) =>
          readFileSync(join(outdir, handler, 'index.js'), 'utf8').includes(
            `require("@aws-lambda-powertools/${p}")`,
          ),
        ),
      }).toEqual({ handler, requiresFromLayer: [true, true] });
      expect({ handler, sharp: has(handler, /node_modules\/(sharp|@img)\//) }).toEqual({
        handler,
        sharp: false,
      });
      expect({ handler, chain: has(handler, /credential-provider-node\//) }).toEqual({
        handler,
        chain: false,
      });
    }
  });

  it('exports `handler`, which builds the function from the environment on first call', () => {
    // A plain Node process loads each bundle as Lambda would (Jest would transform 500 KiB files)
    const script = `Promise.all(${JSON.stringify(Object.keys(bundles))}.map((h) =>
      require(${JSON.stringify(outdir)} + '/' + h + '/index.js').handler({}).then(() => 'resolved', (e) => e.message),
    )).then((r) => console.log(JSON.stringify(r)))`;
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'GENERATIONS_TABLE')),
      // Lambda puts the layer's /opt/nodejs/node_modules on NODE_PATH; here the workspace's stands in for it
      NODE_PATH: resolve(__dirname, '../../../node_modules'),
    };
    const out = execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    // Each refuses to start, naming every missing setting at once (GENERATIONS_TABLE among them)
    const messages = JSON.parse(out) as string[];
    expect(messages).toHaveLength(Object.keys(bundles).length);
    for (const message of messages)
      expect(message).toMatch(/^generator (api|worker) settings:\n- setting GENERATIONS_TABLE is missing/);
  });
});

describe('Powertools from the layer (the bundles `require` it; Lambda has /opt/nodejs/node_modules on NODE_PATH)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'imagegen-generator-layer-'));
  const workspaceModules = resolve(__dirname, '../../../node_modules');
  beforeAll(() => build.bundleGenerator({ outdir }), 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** Runs the API bundle's handler once on an unknown route, as in Lambda, with this NODE_PATH. */
  const invokeApi = (nodePath: string) => {
    const script = `require(${JSON.stringify(join(outdir, 'api', 'index.js'))})
      .handler({ httpMethod: 'GET', path: '/nope', resource: '/{proxy+}', headers: {}, requestContext: {} }, { awsRequestId: 'r-1' })
      .then((r) => console.log('STATUS ' + r.statusCode))`;
    return execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'],
        NODE_PATH: nodePath,
        // Lambda's environment: Powertools Tracer traces only where AWS_EXECUTION_ENV is set
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_REGION: 'us-west-2',
        AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        POWERTOOLS_SERVICE_NAME: 'generator-api',
        GENERATIONS_TABLE: 'jobs',
        IMAGES_BUCKET: 'images',
        WORKER_QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/123456789012/worker',
      },
    });
  };

  it('builds the API with its clients traced by the layer’s Tracer, and answers', () => {
    const out = invokeApi(workspaceModules);
    expect(out).toContain('STATUS 404');
    expect(out).not.toContain('Powertools Tracer could not be loaded');
  });

  it('still answers, its clients untraced and one warning, when Tracer cannot be loaded', () => {
    // A layer with Metrics but no Tracer
    const partial = mkdtempSync(join(tmpdir(), 'imagegen-partial-layer-'));
    try {
      mkdirSync(join(partial, '@aws-lambda-powertools'));
      symlinkSync(
        join(workspaceModules, '@aws-lambda-powertools/metrics'),
        join(partial, '@aws-lambda-powertools/metrics'),
      );
      const out = invokeApi(partial);
      expect(out).toContain('STATUS 404');
      const warnings = out.split('\n').filter((l) => l.includes('Powertools Tracer could not be loaded'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({ level: 'warn', service: 'generator-api' });
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });
});

describe('the Lambda bundles’ credentials (lambda-credentials.ts, in place of the default chain)', () => {
  const saved = { ...process.env };
  afterEach(() => (process.env = { ...saved }));

  it('reads the role credentials Lambda puts in the environment', async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'ASIAEXAMPLE';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
    process.env['AWS_SESSION_TOKEN'] = 'token';
    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('says what is missing when they are not there', async () => {
    delete process.env['AWS_ACCESS_KEY_ID'];
    await expect(defaultProvider()()).rejects.toThrow(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set',
    );
  });
});
