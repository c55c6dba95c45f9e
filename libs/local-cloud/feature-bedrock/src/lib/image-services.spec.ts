import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import sharp from 'sharp';

import { createAuthorizer, LOCAL_PRINCIPAL_KEYS, localPrincipals } from '@imagegen/local-cloud/util-iam';
import { sdkRefusal } from '@imagegen/local-cloud/util-iam/testing';
import { searchRegion, subjectEllipse } from '@imagegen/local-cloud/util-offline-engine';

import { AWS_IMAGE_SERVICE_RULES, STYLE_PRESETS } from './aws-image-services-rules';
import { BedrockStandIn, startBedrockStandIn } from './bedrock-stand-in';
import { filteredInputImage } from './image-inputs';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const INPAINT = 'stability.stable-image-inpaint-v1:0';
const us = (id: string) => `us.${id}`;
let standIn: BedrockStandIn;

beforeAll(async () => {
  standIn = await startBedrockStandIn({
    port: 0,
    credentials: { ...CREDS, region: 'us-west-2' },
    faults: { latencyMs: 0, latencyJitter: 0 },
  });
});
afterAll(() => standIn.close());

const client = (endpoint = standIn.url, credentials = CREDS, region = 'us-west-2') =>
  new BedrockRuntimeClient({
    region,
    endpoint,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });

async function invoke(modelId: string, body: unknown, c = client()) {
  const out = await c.send(
    new InvokeModelCommand({
      modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: new TextEncoder().encode(JSON.stringify(body)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(out.body)) as {
    seeds: number[];
    finish_reasons: Array<string | null>;
    images: string[];
  };
}

/** A detailed picture (every pixel differs from its neighbours), as base64. */
async function picture(
  width = 160,
  height = 120,
  format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png',
): Promise<string> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const [x, y] = [i % width, Math.floor(i / width)];
    raw[i * 3] = (x * 7) % 256;
    raw[i * 3 + 1] = (y * 11) % 256;
    raw[i * 3 + 2] = ((x + y) % 2) * 200;
  }
  return (
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .toFormat(format)
      .toBuffer()
  ).toString('base64');
}

async function pixels(base64: string) {
  const { data, info } = await sharp(Buffer.from(base64, 'base64'))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data,
    width: info.width,
    height: info.height,
    format: (await sharp(Buffer.from(base64, 'base64')).metadata()).format,
  };
}

/** (x, y) of the pixels that differ between two same-size images. */
async function changed(a: string, b: string) {
  const [x, y] = [await pixels(a), await pixels(b)];
  expect([y.width, y.height]).toEqual([x.width, x.height]);
  const out: Array<[number, number]> = [];
  for (let p = 0; p < x.width * x.height; p++)
    if (x.data.readUInt32BE(p * 4) !== y.data.readUInt32BE(p * 4))
      out.push([p % x.width, Math.floor(p / x.width)]);
  return out;
}

async function maskOf(width: number, height: number, white: (x: number, y: number) => boolean) {
  const raw = Buffer.alloc(width * height);
  for (let i = 0; i < raw.length; i++) raw[i] = white(i % width, Math.floor(i / width)) ? 255 : 0;
  return (
    await sharp(raw, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer()
  ).toString('base64');
}

describe('Stability Image Services on the Bedrock stand-in', () => {
  it('serves the thirteen services the AWS page lists', () => {
    expect(AWS_IMAGE_SERVICE_RULES.map((m) => m.modelId).sort()).toEqual(
      [
        'stable-conservative-upscale-v1:0',
        'stable-creative-upscale-v1:0',
        'stable-fast-upscale-v1:0',
        'stable-image-control-sketch-v1:0',
        'stable-image-control-structure-v1:0',
        'stable-image-erase-object-v1:0',
        'stable-image-inpaint-v1:0',
        'stable-image-remove-background-v1:0',
        'stable-image-search-recolor-v1:0',
        'stable-image-search-replace-v1:0',
        'stable-image-style-guide-v1:0',
        'stable-outpaint-v1:0',
        'stable-style-transfer-v1:0',
      ].map((id) => `stability.${id}`),
    );
    expect(STYLE_PRESETS).toHaveLength(17);
  });

  describe('a valid call answers the geometry the page describes', () => {
    it('inpaint changes only the mask (grown by grow_mask)', async () => {
      const image = await picture();
      const mask = await maskOf(160, 120, (x, y) => x >= 40 && x < 80 && y >= 30 && y < 60);
      const out = await invoke(us(INPAINT), { prompt: 'a lantern', image, mask, grow_mask: 4, seed: 3 });
      expect(out).toMatchObject({ seeds: [3], finish_reasons: [null] });
      const diff = await changed(image, out.images[0]);
      expect(diff.length).toBeGreaterThan(40 * 30 * 0.9);
      expect(diff.every(([x, y]) => x >= 36 && x < 84 && y >= 26 && y < 64)).toBe(true);
    });

    it('erase without a mask edits the transparent pixels; with a smaller mask, resizes it', async () => {
      const raw = Buffer.alloc(128 * 96 * 4, 200);
      for (let i = 0; i < 128 * 96; i++) {
        raw[i * 4] = (i * 13) % 256;
        raw[i * 4 + 3] = i % 128 < 32 ? 0 : 255; // the left quarter transparent
      }
      const image = (
        await sharp(raw, { raw: { width: 128, height: 96, channels: 4 } })
          .png()
          .toBuffer()
      ).toString('base64');
      const byAlpha = await invoke(us('stability.stable-image-erase-object-v1:0'), { image, grow_mask: 0 });
      expect((await changed(image, byAlpha.images[0])).every(([x]) => x < 32)).toBe(true);

      const opaque = await picture(128, 96);
      const small = await maskOf(64, 48, (x) => x >= 32); // the right half, at half the size
      const byMask = await invoke(us('stability.stable-image-erase-object-v1:0'), {
        image: opaque,
        mask: small,
        grow_mask: 0,
      });
      const diff = await changed(opaque, byMask.images[0]);
      expect(diff.length).toBeGreaterThan(64 * 96 * 0.5);
      expect(diff.every(([x]) => x >= 64)).toBe(true);
    });

    it('outpaint returns the extended size with the original pixels in place', async () => {
      const image = await picture(128, 96);
      const out = await pixels(
        (
          await invoke(us('stability.stable-outpaint-v1:0'), {
            image,
            left: 16,
            right: 8,
            up: 4,
            creativity: 1,
          })
        ).images[0],
      );
      expect([out.width, out.height]).toEqual([128 + 24, 96 + 4]);
      const orig = await pixels(image);
      for (const y of [0, 50, 95])
        expect(
          out.data.subarray(((y + 4) * out.width + 16) * 4, ((y + 4) * out.width + 16 + 128) * 4),
        ).toEqual(orig.data.subarray(y * 128 * 4, (y + 1) * 128 * 4));
    });

    it.each([
      ['stability.stable-image-search-replace-v1:0', { search_prompt: 'the cat' }, 'the cat'],
      ['stability.stable-image-search-recolor-v1:0', { select_prompt: 'the jacket' }, 'the jacket'],
    ])('%s changes only the region its search prompt gives', async (id, extra, search) => {
      const image = await picture();
      const out = await invoke(us(id), { prompt: 'a pink one', image, grow_mask: 0, ...extra });
      const box = searchRegion({ width: 160, height: 120 }, search);
      const diff = await changed(image, out.images[0]);
      expect(diff.length).toBeGreaterThan(0);
      expect(
        diff.every(
          ([x, y]) => x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height,
        ),
      ).toBe(true);
    });

    it('remove background answers a PNG with alpha: some pixels transparent, some opaque', async () => {
      const out = await pixels(
        (await invoke(us('stability.stable-image-remove-background-v1:0'), { image: await picture() }))
          .images[0],
      );
      expect(out.format).toBe('png');
      const { cx, cy } = subjectEllipse({ width: 160, height: 120 });
      expect(out.data[3]).toBe(0);
      expect(out.data[(Math.floor(cy) * 160 + Math.floor(cx)) * 4 + 3]).toBe(255);
    });

    it.each([
      ['stability.stable-fast-upscale-v1:0', {}, [640, 480]],
      ['stability.stable-conservative-upscale-v1:0', { prompt: 'sharp' }, [4096, 3072]],
      ['stability.stable-creative-upscale-v1:0', { prompt: 'sharp', creativity: 0.5 }, [4096, 3072]],
    ] as const)('%s answers the documented size', async (id, extra, [w, h]) => {
      const out = await invoke(us(id), { image: await picture(), output_format: 'jpeg', ...extra });
      expect(await pixels(out.images[0])).toMatchObject({ width: w, height: h, format: 'jpeg' });
    });

    it.each([
      ['stability.stable-image-control-sketch-v1:0', { prompt: 'a house', control_strength: 1 }],
      ['stability.stable-image-control-structure-v1:0', { prompt: 'a tunnel', style_preset: 'neon-punk' }],
    ])('%s keeps the input size', async (id, extra) => {
      const out = await invoke(us(id), { image: await picture(), output_format: 'webp', ...extra });
      expect(await pixels(out.images[0])).toMatchObject({ width: 160, height: 120, format: 'webp' });
    });

    it('style transfer keeps the init image size; style guide answers its aspect ratio', async () => {
      const transfer = await invoke(us('stability.stable-style-transfer-v1:0'), {
        init_image: await picture(),
        style_image: await picture(100, 100, 'jpeg'),
        change_strength: 0.1,
      });
      expect(await pixels(transfer.images[0])).toMatchObject({ width: 160, height: 120 });
      const guide = await invoke(us('stability.stable-image-style-guide-v1:0'), {
        prompt: 'a metropolis',
        image: await picture(),
        aspect_ratio: '16:9',
        fidelity: 0.9,
      });
      expect(await pixels(guide.images[0])).toMatchObject({ width: 1344, height: 768 });
    });

    it('SD3.5 Large image-to-image keeps the input size, deterministic in inputs and seed', async () => {
      const body = {
        prompt: 'a fox',
        mode: 'image-to-image',
        image: await picture(),
        strength: 0.6,
        seed: 9,
      };
      const a = await invoke('stability.sd3-5-large-v1:0', body);
      expect(await pixels(a.images[0])).toMatchObject({ width: 160, height: 120 });
      expect((await invoke('stability.sd3-5-large-v1:0', body)).images[0]).toBe(a.images[0]);
      expect((await invoke('stability.sd3-5-large-v1:0', { ...body, seed: 10 })).images[0]).not.toBe(
        a.images[0],
      );
      expect(
        (await sdkRefusal(invoke('stability.sd3-5-large-v1:0', { ...body, image: await picture(63, 64) })))
          .message,
      ).toMatch(/#\/image: every side of the image must be at least 64 pixels/);
    });
  });

  describe('refusals, as Bedrock answers them (ValidationException, 400)', () => {
    it.each([
      ['a field the service does not take', INPAINT, { steps: 3 }, /extraneous key \[steps\]/],
      ['inpaint without a prompt', INPAINT, { prompt: undefined }, /required key \[prompt\] not found/],
      ['grow_mask 21', INPAINT, { grow_mask: 21 }, /#\/grow_mask: 21 is not less or equal to 20/],
      ['a style preset off the list', INPAINT, { style_preset: 'watercolor' }, /#\/style_preset: watercolor/],
      ['output_format gif', INPAINT, { output_format: 'gif' }, /#\/output_format: gif/],
      ['seed 4294967295', INPAINT, { seed: 4_294_967_295 }, /#\/seed/],
      [
        'a negative prompt of 10,001 characters',
        INPAINT,
        { negative_prompt: 'n'.repeat(10_001) },
        /maxLength: 10000/,
      ],
      [
        'remove background with a seed (its page lists none)',
        'stability.stable-image-remove-background-v1:0',
        { prompt: undefined, seed: 1 },
        /extraneous key \[seed\]/,
      ],
      [
        'outpaint with no direction above 0',
        'stability.stable-outpaint-v1:0',
        { prompt: undefined, left: 0 },
        /at least one of \[left, right, up, down\]/,
      ],
      [
        'outpaint left 2001',
        'stability.stable-outpaint-v1:0',
        { prompt: undefined, left: 2001 },
        /#\/left: 2001/,
      ],
      [
        'creative upscale creativity 0.6',
        'stability.stable-creative-upscale-v1:0',
        { creativity: 0.6 },
        /#\/creativity: 0.6/,
      ],
      [
        'outpaint creativity 0.05',
        'stability.stable-outpaint-v1:0',
        { prompt: undefined, up: 1, creativity: 0.05 },
        /#\/creativity/,
      ],
      [
        'recolor without select_prompt',
        'stability.stable-image-search-recolor-v1:0',
        {},
        /required key \[select_prompt\]/,
      ],
      [
        'control strength 1.5',
        'stability.stable-image-control-sketch-v1:0',
        { control_strength: 1.5 },
        /#\/control_strength/,
      ],
      [
        'an image that is not base64',
        INPAINT,
        { image: async () => 'not base64!' },
        /#\/image: expected a base64-encoded image/,
      ],
      [
        'bytes that are not an image',
        INPAINT,
        { image: async () => Buffer.from('hello world!').toString('base64') },
        /#\/image: the image could not be decoded/,
      ],
      [
        'a truncated PNG (its header reads, its pixels do not)',
        INPAINT,
        {
          image: async () => {
            const png = Buffer.from(await picture(), 'base64');
            return png.subarray(0, Math.floor(png.length / 2)).toString('base64');
          },
        },
        /#\/image: the image could not be decoded/,
      ],
      ['a GIF', INPAINT, { image: () => picture(100, 100, 'gif') }, /#\/image: unsupported image format gif/],
      [
        'a side under 64 px',
        INPAINT,
        { image: () => picture(63, 100) },
        /every side of the image must be at least 64 pixels \(got 63x100\)/,
      ],
      [
        'an aspect past 1:2.5',
        INPAINT,
        { image: () => picture(64, 161) },
        /aspect ratio must be between 1:2.5 and 2.5:1 \(got 64x161\)/,
      ],
    ] as Array<[string, string, { image?: () => Promise<string> } & Record<string, unknown>, RegExp]>)(
      'refuses %s',
      async (_name, id, over, message) => {
        const image = await (over.image ?? (() => picture()))();
        const body = { prompt: 'x', ...over, image };
        expect(await sdkRefusal(invoke(us(id), body))).toMatchObject({
          name: 'ValidationException',
          status: 400,
          message: expect.stringMatching(message),
        });
      },
    );

    it('refuses an image past 9,437,184 pixels, and past the upscalers’ own limits', async () => {
      const big = (
        await sharp({ create: { width: 3073, height: 3072, channels: 3, background: '#336699' } })
          .png()
          .toBuffer()
      ).toString('base64');
      expect((await sdkRefusal(invoke(us(INPAINT), { prompt: 'x', image: big }))).message).toMatch(
        /total pixel count cannot exceed 9437184 \(got 3073x3072\)/,
      );
      expect(
        (
          await sdkRefusal(
            invoke(us('stability.stable-creative-upscale-v1:0'), {
              prompt: 'x',
              image: await picture(1025, 1024),
            }),
          )
        ).message,
      ).toMatch(/cannot exceed 1048576/);
      expect(
        (
          await sdkRefusal(
            invoke(us('stability.stable-fast-upscale-v1:0'), { image: await picture(1537, 640) }),
          )
        ).message,
      ).toMatch(/at most 1536 pixels/);
      expect(
        (await sdkRefusal(invoke(us('stability.stable-fast-upscale-v1:0'), { image: await picture(31, 64) })))
          .message,
      ).toMatch(/at least 32 pixels/);
      // Fast upscale takes what the edit services refuse: a 32x40 image (sides 32..1536, 1,024+ pixels).
      expect(
        await pixels(
          (await invoke(us('stability.stable-fast-upscale-v1:0'), { image: await picture(32, 40) }))
            .images[0],
        ),
      ).toMatchObject({ width: 128, height: 160 });
    });

    it('refuses a body over InvokeModel’s 25,000,000 bytes', async () => {
      const body = { prompt: 'x', image: 'A'.repeat(25_000_000) };
      expect(await sdkRefusal(invoke(us(INPAINT), body))).toMatchObject({
        name: 'ValidationException',
        status: 400,
        message: expect.stringMatching(/Member must have length less than or equal to 25000000/),
      });
    });
  });

  describe('invocation through the US cross-Region inference profile only', () => {
    it('accepts us.<id> and its inference-profile ARN, refuses the bare id as on-demand', async () => {
      const body = { image: await picture() };
      const id = 'stability.stable-image-remove-background-v1:0';
      expect((await invoke(us(id), body)).finish_reasons).toEqual([null]);
      const arn = `arn:aws:bedrock:us-west-2:000000000000:inference-profile/us.${id}`;
      expect((await invoke(arn, body)).finish_reasons).toEqual([null]);
      expect(await sdkRefusal(invoke(id, body))).toEqual({
        name: 'ValidationException',
        status: 400,
        message: `Invocation of model ID ${id} with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
      });
    });

    it('knows no eu. profile for them, and no us. profile for the text-to-image models', async () => {
      for (const id of [
        'eu.stability.stable-image-remove-background-v1:0',
        'us.stability.stable-image-core-v1:1',
      ])
        expect(await sdkRefusal(invoke(id, { image: await picture(), prompt: 'x' }))).toMatchObject({
          name: 'ValidationException',
          message: 'The provided model identifier is invalid.',
        });
    });

    it('refuses the profile from a Region outside it', async () => {
      const eu = await startBedrockStandIn({ port: 0, region: 'eu-west-1', faults: { latencyMs: 0 } });
      try {
        expect(
          await sdkRefusal(
            invoke(us(INPAINT), { prompt: 'x', image: await picture() }, client(eu.url, CREDS, 'eu-west-1')),
          ),
        ).toMatchObject({
          name: 'ValidationException',
          message: 'The provided model identifier is invalid.',
        });
      } finally {
        await eu.close();
      }
    });
  });

  describe('the input-image filter', () => {
    it.each(['png', 'jpeg', 'webp'] as const)(
      'answers HTTP 200, "Filter reason: input image" and no image for a %s whose top-left 8x8 px are #FF00FF',
      async (format) => {
        const image = (await filteredInputImage(128, 128, format)).toString('base64');
        const out = await invoke(us(INPAINT), { prompt: 'x', image, seed: 4 });
        expect(out).toEqual({ seeds: [4], finish_reasons: ['Filter reason: input image'], images: [] });
      },
    );

    it('looks at style transfer’s style image too, but never at a mask', async () => {
      const trigger = (await filteredInputImage(128, 128)).toString('base64');
      const transfer = await invoke(us('stability.stable-style-transfer-v1:0'), {
        init_image: await picture(),
        style_image: trigger,
      });
      expect(transfer.finish_reasons).toEqual(['Filter reason: input image']);
      const masked = await invoke(us(INPAINT), {
        prompt: 'x',
        image: await picture(128, 128),
        mask: trigger,
      });
      expect(masked.finish_reasons).toEqual([null]);
    });
  });
});

describe('IAM for the inference profile', () => {
  const SERVICE = 'stability.stable-image-inpaint-v1:0';
  const fm = (region: string) => `arn:aws:bedrock:${region}::foundation-model/${SERVICE}`;
  const profile = `arn:aws:bedrock:us-west-2:000000000000:inference-profile/us.${SERVICE}`;
  const policy = (resources: string[]) =>
    createAuthorizer({
      principals: localPrincipals({
        worker: {
          roleLogicalId: 'WorkerRole',
          roleName: 'imagegen-WorkerRole',
          statements: [{ Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: resources }],
        },
      }),
    });

  async function callWith(resources: string[]) {
    const s = await startBedrockStandIn({
      port: 0,
      region: 'us-west-2',
      authorizer: policy(resources),
      faults: { latencyMs: 0 },
    });
    try {
      return await invoke(
        us(SERVICE),
        { prompt: 'x', image: await picture() },
        client(s.url, LOCAL_PRINCIPAL_KEYS.worker),
      ).then(
        (out) => ({ ok: out.finish_reasons }),
        (err: unknown) => sdkRefusal(Promise.reject(err)),
      );
    } finally {
      await s.close();
    }
  }

  it('allows the profile ARN in the calling Region plus the model in us-east-1, us-east-2 and us-west-2', async () => {
    expect(await callWith([profile, fm('us-east-1'), fm('us-east-2'), fm('us-west-2')])).toEqual({
      ok: [null],
    });
  });

  it('refuses a policy missing one destination Region, naming it', async () => {
    expect(await callWith([profile, fm('us-east-1'), fm('us-west-2')])).toEqual({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole/worker is not authorized to perform: bedrock:InvokeModel on resource: ${fm('us-east-2')} because no identity-based policy allows the bedrock:InvokeModel action`,
    });
  });

  it('refuses a policy without the profile ARN', async () => {
    expect(await callWith([fm('us-east-1'), fm('us-east-2'), fm('us-west-2')])).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`on resource: ${profile} `),
    });
  });
});
