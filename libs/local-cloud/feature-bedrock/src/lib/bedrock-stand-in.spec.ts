import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import sharp from 'sharp';

import { BedrockStandIn, startBedrockStandIn } from './bedrock-stand-in';
import { latencyFor, REALISTIC_LATENCY_MS } from './faults';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const CORE = 'stability.stable-image-core-v1:1';
const SD35 = 'stability.sd3-5-large-v1:0';
const ULTRA = 'stability.stable-image-ultra-v1:1';
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
    new InvokeModelCommand({
      modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: new TextEncoder().encode(JSON.stringify(body)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(out.body));
}

async function errorOf(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as Error & { $metadata?: { httpStatusCode?: number } };
  if (!err) throw new Error('expected an error');
  return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
}

beforeAll(async () => {
  standIn = await startBedrockStandIn({ port: 0, credentials: { ...CREDS, region: 'us-west-2' } });
});
afterAll(() => standIn.close());
beforeEach(() =>
  standIn.setFaults({
    throttleRate: 0,
    errorRate: 0,
    timeoutRate: 0,
    throttleNext: 0,
    errorNext: 0,
    latencyMs: 0,
    latencyJitter: 0,
    accessDeniedModels: [],
    faultSeed: null,
  }),
);

/** The control-plane client, as the generator builds it: only the endpoint differs from AWS. */
function controlPlane(s: BedrockStandIn, region = 'us-west-2', credentials = CREDS) {
  return new BedrockClient({ region, endpoint: s.url, credentials, maxAttempts: 1 });
}

describe(startBedrockStandIn.name, () => {
  it('answers a Stable Image Core request with a PNG at the model size, marked as offline output', async () => {
    const out = await invoke(CORE, {
      prompt: 'a lighthouse',
      seed: 5,
      aspect_ratio: '16:9',
      output_format: 'png',
    });
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
    [
      'an unknown model',
      'stability.nope-v9',
      { prompt: 'x' },
      'ValidationException',
      400,
      /model identifier is invalid/,
    ],
    [
      'a retired model',
      'stability.stable-diffusion-xl-v1',
      { prompt: 'x' },
      'ResourceNotFoundException',
      404,
      /end of its life/,
    ],
    [
      'an unknown field',
      CORE,
      { prompt: 'x', steps: 30 },
      'ValidationException',
      400,
      /extraneous key \[steps\]/,
    ],
    ['no prompt', CORE, { seed: 1 }, 'ValidationException', 400, /required key \[prompt\]/],
    [
      'a bad aspect ratio',
      CORE,
      { prompt: 'x', aspect_ratio: '4:3' },
      'ValidationException',
      400,
      /aspect_ratio/,
    ],
    [
      'a Core seed past the 4294967295 its AWS page allows',
      CORE,
      { prompt: 'x', seed: 4_294_967_296 },
      'ValidationException',
      400,
      /#\/seed: 4294967296 is not less or equal to 4294967295/,
    ],
    [
      'an Ultra seed past 4294967294',
      ULTRA,
      { prompt: 'x', seed: 4_294_967_295 },
      'ValidationException',
      400,
      /#\/seed/,
    ],
    [
      'a seed that is not an integer',
      SD35,
      { prompt: 'x', seed: 1.5 },
      'ValidationException',
      400,
      /#\/seed: expected type: Integer/,
    ],
    [
      'WebP from Stable Image Core (its AWS page lists JPEG and PNG only)',
      CORE,
      { prompt: 'x', output_format: 'webp' },
      'ValidationException',
      400,
      /#\/output_format: webp is not a valid enum value/,
    ],
    [
      'a prompt over the 10,000 characters the page allows',
      SD35,
      { prompt: 'x'.repeat(10_001) },
      'ValidationException',
      400,
      /#\/prompt: expected maxLength: 10000, actual: 10001/,
    ],
    [
      'a negative prompt over 10,000 characters',
      CORE,
      { prompt: 'x', negative_prompt: 'y'.repeat(10_001) },
      'ValidationException',
      400,
      /#\/negative_prompt: expected maxLength: 10000/,
    ],
    [
      'image-to-image on Core, which takes text-to-image only',
      CORE,
      { prompt: 'x', mode: 'image-to-image' },
      'ValidationException',
      400,
      /#\/mode/,
    ],
    [
      'image-to-image on SD3.5 Large without an image',
      SD35,
      { prompt: 'x', mode: 'image-to-image', strength: 0.5 },
      'ValidationException',
      400,
      /required key \[image\]/,
    ],
  ])('refuses %s like Bedrock', async (_name, modelId, body, name, status, message) => {
    const err = await errorOf(invoke(modelId, body));
    expect(err).toMatchObject({ name, status });
    expect(err.message).toMatch(message);
  });

  it('takes what the pages allow at their edges: a 10,000-character prompt, seed 4294967295 on Core, JPEG', async () => {
    const out = await invoke(CORE, {
      prompt: 'x'.repeat(10_000),
      seed: 4_294_967_295,
      output_format: 'jpeg',
    });
    expect(out.seeds).toEqual([4_294_967_295]);
    expect((await sharp(Buffer.from(out.images[0], 'base64')).metadata()).format).toBe('jpeg');
  });

  it('answers a refusal in Bedrock\'s wire shape: HTTP 400, x-amzn-ErrorType ValidationException, {"message"}', async () => {
    // GIVEN a stand-in that takes unsigned calls (to read the raw answer)
    const open = await startBedrockStandIn({ port: 0 });
    try {
      const res = await fetch(`${open.url}/model/${encodeURIComponent(CORE)}/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x', output_format: 'webp' }),
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
      expect(Object.keys(await res.json())).toEqual(['message']);
    } finally {
      await open.close();
    }
  });

  it('refuses a request signed with the wrong secret', async () => {
    const err = await errorOf(invoke(CORE, { prompt: 'x' }, client({ ...CREDS, secretAccessKey: 'wrong' })));
    expect(err.status).toBe(403);
  });

  it('injects faults: throttling, errors, access denied, and the content filter', async () => {
    standIn.setFaults({
      throttleNext: 1,
      errorNext: 1,
      accessDeniedModels: ['stability.stable-image-ultra-v1:1'],
    });
    expect((await errorOf(invoke(CORE, { prompt: 'x' }))).name).toBe('ThrottlingException');
    expect((await errorOf(invoke(CORE, { prompt: 'x' }))).name).toBe('InternalServerException');
    expect((await errorOf(invoke('stability.stable-image-ultra-v1:1', { prompt: 'x' }))).name).toBe(
      'AccessDeniedException',
    );
    expect(await invoke(CORE, { prompt: 'a forbidden-content scene' })).toEqual({
      seeds: [expect.any(Number)],
      finish_reasons: ['Filter reason: prompt'],
      images: [],
    });
    expect((await invoke(CORE, { prompt: 'fine' })).images).toHaveLength(1);
  });

  it('with a fault seed, meets the same requests with the same faults whatever order they come in', async () => {
    // GIVEN half the invokes throttled, drawn from a seed
    const outcome = async (prompt: string) =>
      await invoke(SD35, { prompt, output_format: 'jpeg' }).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    const prompts = Array.from({ length: 8 }, (_v, i) => `prompt ${i}`);
    standIn.setFaults({ throttleRate: 0.5, faultSeed: 42 });
    // WHEN the same requests come once in order, and again (the seed set anew) in reverse order
    const first: string[] = [];
    for (const p of prompts) first.push(await outcome(p));
    standIn.setFaults({ faultSeed: 42 });
    const second: string[] = [];
    for (const p of [...prompts].reverse()) second.push(await outcome(p));
    // THEN each request met the same fault both times, and about half were throttled
    expect(second.reverse()).toEqual(first);
    expect(first.filter((o) => o === 'ThrottlingException').length).toBeGreaterThan(0);
    expect(first.filter((o) => o === 'ok').length).toBeGreaterThan(0);
    // AND a retry of the same request draws anew (so the SDK's retries can get through)
    const retries = await Promise.all(Array.from({ length: 8 }, () => outcome(prompts[0])));
    expect(new Set(retries).size).toBe(2);
  }, 30_000);

  it('takes fault settings over HTTP and refuses bad ones', async () => {
    const ok = await fetch(`${standIn.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ latencyMs: { default: 1, [CORE]: 2 } }),
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${standIn.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ throttleRate: 2, bogus: 1 }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(
      /unknown fault setting bogus; throttleRate must be a number from 0 to 1/,
    );
  });

  it('takes a latency per model, and "realistic" over HTTP, and refuses a jitter out of range', async () => {
    // GIVEN only Core is slow
    standIn.setFaults({ latencyMs: { [CORE]: 30, default: 0 } });
    const before = standIn.stats().modelTimeMs;
    // WHEN Core and SD 3.5 Large each make an image
    await invoke(CORE, { prompt: 'x' });
    const afterCore = standIn.stats().modelTimeMs;
    await invoke(SD35, { prompt: 'x' });
    // THEN only Core's invoke spent model time
    expect(afterCore - before).toBe(30);
    expect(standIn.stats().modelTimeMs).toBe(afterCore);

    const realistic = await fetch(`${standIn.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ latencyMs: 'realistic', latencyJitter: 0.2 }),
    });
    expect(await realistic.json()).toMatchObject({ latencyMs: 'realistic', latencyJitter: 0.2 });
    const bad = await fetch(`${standIn.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ latencyJitter: 1.5 }),
    });
    expect(bad.status).toBe(400);
  });

  it('counts invokes in flight and starts the peak again on reset, over HTTP', async () => {
    standIn.resetStats();
    await invoke(CORE, { prompt: 'x' });
    expect(await (await fetch(`${standIn.url}/__stats`)).json()).toMatchObject({
      inFlight: 0,
      maxInFlight: 1,
    });
    const reset = await fetch(`${standIn.url}/__stats/reset`, { method: 'POST' });
    expect(await reset.json()).toMatchObject({ inFlight: 0, maxInFlight: 0 });
    // AND a web page may not use the admin endpoints
    expect(
      (
        await fetch(`${standIn.url}/__faults`, {
          method: 'POST',
          body: '{}',
          headers: { origin: 'http://127.0.0.1:4200' },
        })
      ).status,
    ).toBe(403);
  });
});

describe('the Bedrock control plane stand-in', () => {
  it('answers GetFoundationModelAvailability for a callable model, through the real SDK client', async () => {
    const before = standIn.stats().availabilityChecks;
    // WHEN the generator asks whether it may call Core
    const out = await controlPlane(standIn).send(
      new GetFoundationModelAvailabilityCommand({ modelId: CORE }),
    );
    // THEN every part of the answer says yes
    expect(out).toMatchObject({
      modelId: CORE,
      agreementAvailability: { status: 'AVAILABLE' },
      authorizationStatus: 'AUTHORIZED',
      entitlementAvailability: 'AVAILABLE',
      regionAvailability: 'AVAILABLE',
    });
    expect(standIn.stats().availabilityChecks - before).toBe(1);
  });

  it('says NOT_AUTHORIZED for a model the account has no access to (the accessDeniedModels fault)', async () => {
    standIn.setFaults({ accessDeniedModels: [ULTRA] });
    const out = await controlPlane(standIn).send(
      new GetFoundationModelAvailabilityCommand({ modelId: ULTRA }),
    );
    expect(out).toMatchObject({
      authorizationStatus: 'NOT_AUTHORIZED',
      entitlementAvailability: 'NOT_AVAILABLE',
      agreementAvailability: { status: 'NOT_AVAILABLE' },
      regionAvailability: 'AVAILABLE',
    });
  });

  it('says the region does not serve a model whose catalog region is another one', async () => {
    // GIVEN a Bedrock in Frankfurt (the catalog serves these models from us-west-2)
    const frankfurt = await startBedrockStandIn({
      port: 0,
      credentials: { ...CREDS, region: 'eu-central-1' },
    });
    try {
      const out = await controlPlane(frankfurt, 'eu-central-1').send(
        new GetFoundationModelAvailabilityCommand({ modelId: CORE }),
      );
      expect(out).toMatchObject({
        regionAvailability: 'NOT_AVAILABLE',
        entitlementAvailability: 'AVAILABLE',
      });
    } finally {
      await frankfurt.close();
    }
  });

  it.each([
    ['a model Bedrock does not have', 'stability.nope-v9:0', 'ResourceNotFoundException', 404],
    ['a retired model', 'stability.stable-diffusion-xl-v1', 'ResourceNotFoundException', 404],
    ['an id that is not a model id', 'NOT_A_MODEL', 'ValidationException', 400],
  ])('refuses %s like Bedrock', async (_what, modelId, name, status) => {
    const err = await errorOf(
      controlPlane(standIn).send(new GetFoundationModelAvailabilityCommand({ modelId })),
    );
    expect(err).toMatchObject({ name, status });
  });

  it('refuses a control-plane call signed with the wrong secret', async () => {
    const err = await errorOf(
      controlPlane(standIn, 'us-west-2', { ...CREDS, secretAccessKey: 'wrong' }).send(
        new GetFoundationModelAvailabilityCommand({ modelId: CORE }),
      ),
    );
    expect(err.status).toBe(403);
  });
});

describe(latencyFor.name, () => {
  it('gives each model its own realistic time: Core fastest, Ultra slowest, the default for the rest', () => {
    const realistic = { latencyMs: 'realistic' as const };
    expect([CORE, SD35, ULTRA, 'some.other-model'].map((id) => latencyFor(realistic, id))).toEqual([
      2_000,
      3_500,
      5_000,
      REALISTIC_LATENCY_MS['default'],
    ]);
  });

  it('spreads the latency by the jitter, never below zero, and not at all without it', () => {
    const faults = { latencyMs: 1_000, latencyJitter: 0.2 };
    expect(latencyFor(faults, CORE, () => 0)).toBe(800);
    expect(latencyFor(faults, CORE, () => 0.5)).toBe(1_000);
    expect(latencyFor(faults, CORE, () => 0.999_999)).toBe(1_200);
    expect(latencyFor({ latencyMs: 1_000 }, CORE, () => 0)).toBe(1_000);
    expect(latencyFor({ latencyMs: 0, latencyJitter: 1 }, CORE, () => 0)).toBe(0);
  });
});
