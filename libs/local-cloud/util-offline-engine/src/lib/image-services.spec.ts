import sharp from 'sharp';

import {
  editImage,
  EditRequest,
  growMask,
  searchRegion,
  subjectEllipse,
  upscaledSize,
} from './image-services';

const W = 120;
const H = 80;

/** A checkered, coloured PNG: every pixel differs from its neighbours, so any change shows. */
async function picture(width = W, height = H, alpha?: (x: number, y: number) => number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      raw[i] = (x * 7) % 256;
      raw[i + 1] = (y * 11) % 256;
      raw[i + 2] = ((x + y) % 2) * 200;
      raw[i + 3] = alpha ? alpha(x, y) : 255;
    }
  return sharp(raw, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/** White where `white(x, y)`, black elsewhere. */
function maskPng(width: number, height: number, white: (x: number, y: number) => number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * width + x] = white(x, y);
  return sharp(raw, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

async function rgba(bytes: Buffer) {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Pixels (x, y) whose RGBA differ between two images of the same size. */
async function changed(a: Buffer, b: Buffer): Promise<Array<[number, number]>> {
  const [x, y] = [await rgba(a), await rgba(b)];
  expect([y.width, y.height]).toEqual([x.width, x.height]);
  const out: Array<[number, number]> = [];
  for (let p = 0; p < x.width * x.height; p++)
    if (x.data.readUInt32BE(p * 4) !== y.data.readUInt32BE(p * 4))
      out.push([p % x.width, Math.floor(p / x.width)]);
  return out;
}

const base = (over: Partial<EditRequest> & Pick<EditRequest, 'service' | 'image'>): EditRequest => ({
  prompt: 'a red fox',
  seed: 7,
  format: 'png',
  ...over,
});

describe(editImage.name, () => {
  it('inpaint changes the white of the mask and its grow_mask rim, nothing else', async () => {
    const image = await picture();
    const mask = await maskPng(W, H, (x, y) => (x >= 40 && x < 60 && y >= 30 && y < 50 ? 255 : 0));
    const out = await editImage(base({ service: 'inpaint', image, mask, growMask: 3 }));
    const diff = await changed(image, out);
    expect(diff.length).toBeGreaterThan(20 * 20 * 0.9);
    for (const [x, y] of diff) {
      expect(x).toBeGreaterThanOrEqual(37);
      expect(x).toBeLessThan(63);
      expect(y).toBeGreaterThanOrEqual(27);
      expect(y).toBeLessThan(53);
    }
  });

  it('inpaint without a mask edits the transparent pixels only', async () => {
    const image = await picture(W, H, (x) => (x < 30 ? 0 : 255));
    const out = await editImage(base({ service: 'inpaint', image, growMask: 0 }));
    const diff = await changed(image, out);
    expect(diff.every(([x]) => x < 30)).toBe(true);
    expect(diff.length).toBe(30 * H);
    const px = await rgba(out);
    expect(px.data[3]).toBe(255); // filled in, now opaque
  });

  it('resizes a mask of another size, and a grey mask blends partially', async () => {
    const image = await picture();
    const half = await maskPng(W / 2, H / 2, (x) => (x < W / 4 ? 128 : 0)); // left half of the image, grey
    const out = await rgba(
      await editImage(base({ service: 'erase-object', image, mask: half, growMask: 0 })),
    );
    const diff = await changed(
      image,
      await editImage(base({ service: 'erase-object', image, mask: half, growMask: 0 })),
    );
    expect(diff.every(([x]) => x < W / 2)).toBe(true);
    expect(diff.length).toBeGreaterThan((W / 2) * H * 0.5);
    const orig = await rgba(image);
    const full = await rgba(
      await editImage(
        base({
          service: 'erase-object',
          image,
          mask: await maskPng(W, H, (x) => (x < W / 2 ? 255 : 0)),
          growMask: 0,
        }),
      ),
    );
    // Grey: halfway between the original and the fully erased pixel.
    const i = (10 * W + 10) * 4;
    expect(out.data[i]).toBeCloseTo((orig.data[i] + full.data[i]) / 2, -1);
  });

  it('outpaint returns the extended size with the original pixels in place', async () => {
    const image = await picture();
    const out = await editImage(
      base({ service: 'outpaint', image, outpaint: { left: 10, right: 20, up: 5, down: 0 } }),
    );
    const px = await rgba(out);
    expect([px.width, px.height]).toEqual([W + 30, H + 5]);
    const orig = await rgba(image);
    for (let y = 0; y < H; y++)
      expect(px.data.subarray(((y + 5) * px.width + 10) * 4, ((y + 5) * px.width + 10 + W) * 4)).toEqual(
        orig.data.subarray(y * W * 4, (y + 1) * W * 4),
      );
  });

  it('search and replace / recolor change only the box the search prompt gives (plus grow_mask)', async () => {
    const image = await picture();
    for (const service of ['search-replace', 'search-recolor'] as const) {
      const box = searchRegion({ width: W, height: H }, 'the jacket');
      const diff = await changed(
        image,
        await editImage(base({ service, image, searchPrompt: 'the jacket', growMask: 0 })),
      );
      expect(diff.length).toBeGreaterThan(box.width * box.height * 0.5);
      for (const [x, y] of diff) {
        expect(x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height).toBe(
          true,
        );
      }
    }
    expect(searchRegion({ width: W, height: H }, 'a hat')).not.toEqual(
      searchRegion({ width: W, height: H }, 'the jacket'),
    );
  });

  it('remove background answers a PNG with alpha: the subject opaque, the corners transparent', async () => {
    const out = await editImage(base({ service: 'remove-background', image: await picture() }));
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ format: 'png', hasAlpha: true, width: W, height: H });
    const px = await rgba(out);
    const { cx, cy } = subjectEllipse({ width: W, height: H });
    expect(px.data[3]).toBe(0);
    expect(px.data[(Math.floor(cy) * W + Math.floor(cx)) * 4 + 3]).toBe(255);
  });

  it.each([
    ['fast-upscale', 100, 60, 400, 240],
    ['creative-upscale', 100, 60, 4096, 2458],
    ['conservative-upscale', 64, 128, 2048, 4096],
  ] as const)('%s turns %dx%d into %dx%d', async (service, w, h, ow, oh) => {
    expect(upscaledSize(service, { width: w, height: h })).toEqual({ width: ow, height: oh });
    const out = await editImage(base({ service, image: await picture(w, h), format: 'jpeg' }));
    expect(await sharp(out).metadata()).toMatchObject({ format: 'jpeg', width: ow, height: oh });
  });

  it('control and style transfer keep the input size; style guide answers its aspect ratio size', async () => {
    const image = await picture();
    for (const service of [
      'control-sketch',
      'control-structure',
      'style-transfer',
      'image-to-image',
    ] as const) {
      const out = await editImage(base({ service, image, styleImage: image, format: 'webp' }));
      expect(await sharp(out).metadata()).toMatchObject({ format: 'webp', width: W, height: H });
    }
    const guided = await editImage(
      base({ service: 'style-guide', image, outputSize: { width: 1344, height: 768 } }),
    );
    expect(await sharp(guided).metadata()).toMatchObject({ width: 1344, height: 768 });
  });

  it('is deterministic in inputs and seed, and the seed changes the picture', async () => {
    const image = await picture();
    const mask = await maskPng(W, H, (x) => (x < 60 ? 255 : 0));
    const a = await editImage(base({ service: 'inpaint', image, mask }));
    expect(a.equals(await editImage(base({ service: 'inpaint', image, mask })))).toBe(true);
    expect(a.equals(await editImage(base({ service: 'inpaint', image, mask, seed: 8 })))).toBe(false);
  });
});

describe(growMask.name, () => {
  it('grows a one-pixel mask by the radius, weaker further out', () => {
    const mask = new Uint8Array(11 * 11);
    mask[5 * 11 + 5] = 255;
    const grown = growMask(mask, { width: 11, height: 11 }, 2);
    expect(grown[5 * 11 + 5]).toBe(255);
    expect(grown[5 * 11 + 7]).toBeGreaterThan(0);
    expect(grown[5 * 11 + 7]).toBeLessThan(grown[5 * 11 + 6]);
    expect(grown[5 * 11 + 8]).toBe(0);
  });
});
