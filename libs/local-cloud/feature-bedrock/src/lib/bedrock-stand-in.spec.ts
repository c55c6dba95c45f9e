import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import sharp from 'sharp';

import { BedrockStandIn, startBedrockStandIn } from './bedrock-stand-in';

const CREDS = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'localsecretkey/imagegen/0000000000000000' };
const CORE = 'stability.stable-image-core-v1:1';
let standIn: BedrockStandIn;

function client(credentials = CREDS) {
  return new BedrockRuntimeClient({
    region: 'us-west-2',
    endpoint: standIn.url,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
}

async function invoke(modelId: string, body: unknown, c = client()) {
  const out = await c.send(
    new InvokeModelCommand({ modelId, contentType: 'application/json', accept: 'application/json', body: new TextEncoder().encode(JSON.stringify(body)) }),
  );
  return JSON.parse(new TextDecoder().decode(out.body));
}

async function errorOf(promise: Promise<unknown>) {
  const err = (await promise.then(() => undefined, (e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
  if (!err) throw new Error('expected an error');
  return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
}

beforeAll(async () => {
  standIn = await startBedrockStandIn({ port: 0, credentials: { ...CREDS, region: 'us-west-2' } });
});
afterAll(() => standIn.close());
beforeEach(() => standIn.setFaults({ throttleRate: 0, errorRate: 0, timeoutRate: 0, throttleNext: 0, errorNext: 0, latencyMs: 0, accessDeniedModels: [] }));

describe(startBedrockStandIn.name, () => {
  it('answers a Stable Image Core request with a PNG at the model size, marked as offline output', async () => {
    const out = await invoke(CORE, { prompt: 'a lighthouse', seed: 5, aspect_ratio: '16:9', output_format: 'png' });
    expect(out).toMatchObject({ seeds: [5], finish_reasons: [null], x_imagegen_engine: 'offline' });
    const meta = await sharp(Buffer.from(out.images[0], 'base64')).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 2016, height: 1152 });
  });

  it('picks and reports a seed when asked for seed 0', async () => {
    const out = await invoke('stability.sd3-5-large-v1:0', { prompt: 'x', seed: 0, output_format: 'jpeg' });
    expect(out.seeds[0]).toBeGreaterThan(0);
    expect((await sharp(Buffer.from(out.images[0], 'base64')).metadata()).format).toBe('jpeg');
  });

  it.each([
    ['an unknown model', 'stability.nope-v9', { prompt: 'x' }, 'ValidationException', 400, /model identifier is invalid/],
    ['a retired model', 'stability.stable-diffusion-xl-v1', { prompt: 'x' }, 'ResourceNotFoundException', 404, /end of its life/],
    ['an unknown field', CORE, { prompt: 'x', steps: 30 }, 'ValidationException', 400, /extraneous key \[steps\]/],
    ['no prompt', CORE, { seed: 1 }, 'ValidationException', 400, /required key \[prompt\]/],
    ['a bad aspect ratio', CORE, { prompt: 'x', aspect_ratio: '4:3' }, 'ValidationException', 400, /aspect_ratio/],
    ['a seed out of range', CORE, { prompt: 'x', seed: 4_294_967_295 }, 'ValidationException', 400, /seed/],
  ])('refuses %s like Bedrock', async (_name, modelId, body, name, status, message) => {
    const err = await errorOf(invoke(modelId, body));
    expect(err).toMatchObject({ name, status });
    expect(err.message).toMatch(message);
  });

  it('refuses a request signed with the wrong secret', async () => {
    const err = await errorOf(invoke(CORE, { prompt: 'x' }, client({ ...CREDS, secretAccessKey: 'wrong' })));
    expect(err.status).toBe(403);
  });

  it('injects faults: throttling, errors, access denied, and the content filter', async () => {
    standIn.setFaults({ throttleNext: 1, errorNext: 1, accessDeniedModels: ['stability.stable-image-ultra-v1:1'] });
    expect((await errorOf(invoke(CORE, { prompt: 'x' }))).name).toBe('ThrottlingException');
    expect((await errorOf(invoke(CORE, { prompt: 'x' }))).name).toBe('InternalServerException');
    expect((await errorOf(invoke('stability.stable-image-ultra-v1:1', { prompt: 'x' }))).name).toBe('AccessDeniedException');
    expect(await invoke(CORE, { prompt: 'a forbidden-content scene' })).toEqual({
      seeds: [expect.any(Number)],
      finish_reasons: ['Filter reason: prompt'],
      images: [],
    });
    expect((await invoke(CORE, { prompt: 'fine' })).images).toHaveLength(1);
  });

  it('takes fault settings over HTTP and refuses bad ones', async () => {
    const ok = await fetch(`${standIn.url}/__faults`, { method: 'POST', body: JSON.stringify({ latencyMs: { default: 1, [CORE]: 2 } }) });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${standIn.url}/__faults`, { method: 'POST', body: JSON.stringify({ throttleRate: 2, bogus: 1 }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/unknown fault setting bogus; throttleRate must be a number from 0 to 1/);
  });
});
