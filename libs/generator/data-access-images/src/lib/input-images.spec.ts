import { crc32 } from 'node:zlib';
import sharp from 'sharp';

import { ErrorCode } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';
import { embedParametersText, readParametersText } from '@imagegen/shared/util-image-codecs';

import {
  FitMode,
  fitPlan,
  ImageSize,
  InputImageLimits,
  inspectInputImage,
  MAX_DECODE_PIXELS,
  measureInputCheck,
  prepareInputImage,
  prepareMask,
} from './input-images';

jest.setTimeout(30_000);

// The limits the catalog passes for the Stability AI Image Services (edit and control): each side
// at least 64 px, at most 9,437,184 px, aspect between 1:2.5 and 2.5:1.
// https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html
const AWS_EDIT: InputImageLimits = {
  minSide: 64,
  minPixels: 64 * 64,
  maxPixels: 9_437_184,
  minAspect: 1 / 2.5,
  maxAspect: 2.5,
};
// Fast upscale: sides 32 to 1,536 px, 1,024 to 1,048,576 px (same page).
const AWS_FAST_UPSCALE: InputImageLimits = {
  minSide: 32,
  maxSide: 1536,
  minPixels: 1024,
  maxPixels: 1_048_576,
  minAspect: 1 / 2.5,
  maxAspect: 2.5,
};
// Small limits of the same shape, so that the sharp tests stay small and quick.
const SMALL: InputImageLimits = {
  minSide: 64,
  minPixels: 64 * 64,
  maxPixels: 40_000,
  minAspect: 1 / 2.5,
  maxAspect: 2.5,
};

type Format = 'png' | 'jpeg' | 'webp';

/** A noisy picture (like a photo, hard to compress) of the given size and format. */
async function photo(width: number, height: number, format: Format = 'jpeg'): Promise<Buffer> {
  const image = sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 30 },
    },
  });
  return (format === 'png' ? image.png() : format === 'jpeg' ? image.jpeg() : image.webp()).toBuffer();
}

/** An image made of vertical colour bands, left to right, each `bandWidth` px wide. */
async function bands(colours: string[], bandWidth: number, height: number, format: Format): Promise<Buffer> {
  const band = (colour: string) =>
    sharp({ create: { width: bandWidth, height, channels: 3, background: colour } })
      .png()
      .toBuffer();
  const image = sharp({
    create: { width: bandWidth * colours.length, height, channels: 3, background: '#000' },
  }).composite(
    await Promise.all(colours.map(async (c, i) => ({ input: await band(c), left: i * bandWidth, top: 0 }))),
  );
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 95 }).toBuffer();
}

/** The RGBA pixel at (x, y) of an encoded image. */
async function pixelAt(image: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 4;
  return [...data.subarray(at, at + 4)];
}

/** The one channel of a greyscale image (sharp hands raw pixels back as sRGB otherwise). */
function greyPixels(image: Uint8Array): Promise<Buffer> {
  return sharp(image).extractChannel(0).raw().toBuffer();
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** The data of each chunk of a PNG, by type. */
function pngChunks(png: Buffer): Map<string, Buffer> {
  const chunks = new Map<string, Buffer>();
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    chunks.set(
      type,
      Buffer.concat([chunks.get(type) ?? Buffer.alloc(0), png.subarray(at + 8, at + 8 + length)]),
    );
    at += 12 + length;
  }
  return chunks;
}

/** A PNG whose header claims a huge size, with a few bytes of pixel data: a decompression bomb. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose start-of-frame marker claims another size. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await photo(64, 64, 'jpeg'));
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

/** A two-frame animated PNG (acTL, fcTL, fdAT chunks around a still PNG's IDAT). */
async function animatedPng(): Promise<Buffer> {
  const still = pngChunks(await photo(32, 32, 'png'));
  const idat = still.get('IDAT') as Buffer;
  const frameControl = (sequence: number) => {
    const fctl = Buffer.alloc(26);
    fctl.writeUInt32BE(sequence, 0);
    fctl.writeUInt32BE(32, 4);
    fctl.writeUInt32BE(32, 8);
    fctl.writeUInt16BE(1, 20); // delay 1/10 s
    fctl.writeUInt16BE(10, 22);
    return pngChunk('fcTL', fctl);
  };
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(2, 0); // frames
  const sequence2 = Buffer.alloc(4);
  sequence2.writeUInt32BE(2);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', still.get('IHDR') as Buffer),
    pngChunk('acTL', actl),
    frameControl(0),
    pngChunk('IDAT', idat),
    frameControl(1),
    pngChunk('fdAT', Buffer.concat([sequence2, idat])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A two-frame animated WebP. */
function animatedWebp(): Promise<Buffer> {
  const frames = Buffer.alloc(32 * 64 * 3, 200);
  frames.fill(20, frames.length / 2);
  return sharp(frames, { raw: { width: 32, height: 64, channels: 3, pageHeight: 32 } })
    .webp({ loop: 0, delay: [100, 100] })
    .toBuffer();
}

/** A 2×2 24-bit Windows bitmap. */
function bmp(): Buffer {
  const file = Buffer.alloc(54 + 16);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(2, 18);
  file.writeInt32LE(2, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.fill(0xff, 54);
  return file;
}

const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>';

describe(inspectInputImage.name, () => {
  it.each(['png', 'jpeg', 'webp'] as const)(
    'reads a %s: its type, size, alpha and length',
    async (format) => {
      const bytes = await photo(120, 80, format);
      await expect(inspectInputImage(bytes)).resolves.toEqual({
        format,
        width: 120,
        height: 80,
        hasAlpha: false,
        bytes: bytes.length,
      });
    },
  );

  it('reports the alpha channel of a transparent PNG', async () => {
    const bytes = await sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    await expect(inspectInputImage(bytes)).resolves.toMatchObject({ format: 'png', hasAlpha: true });
  });

  it('refuses zero bytes as unreadable', async () => {
    const problem = await problemOf(inspectInputImage(new Uint8Array(0)));
    expect(problem).toMatchObject({ code: ErrorCode.INPUT_IMAGE_UNREADABLE, status: 422 });
    expect(problem.detail).toContain('empty');
  });

  it.each(['png', 'jpeg', 'webp'] as const)('refuses a truncated %s as unreadable', async (format) => {
    const whole = await photo(256, 256, format);
    const problem = await problemOf(inspectInputImage(whole.subarray(0, Math.floor(whole.length / 2))));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_UNREADABLE);
  });

  it('refuses a PNG signature followed by garbage as unreadable', async () => {
    const bytes = Buffer.concat([PNG_SIGNATURE, Buffer.from('not a chunk at all, just words')]);
    const problem = await problemOf(inspectInputImage(bytes));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_UNREADABLE);
    expect(problem.detail).toContain('PNG');
  });

  const others: [string, () => Promise<Buffer> | Buffer, string][] = [
    [
      'a GIF',
      () =>
        sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
          .gif()
          .toBuffer(),
      'GIF',
    ],
    ['a BMP', bmp, 'BMP'],
    [
      'a TIFF',
      () =>
        sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
          .tiff()
          .toBuffer(),
      'TIFF',
    ],
    ['an SVG', () => Buffer.from(SVG), 'SVG'],
    ['an SVG with an XML declaration', () => Buffer.from(`\uFEFF<?xml version="1.0"?>\n${SVG}`), 'SVG'],
    ['an AVIF', () => photo(64, 64, 'png').then((png) => sharp(png).avif().toBuffer()), 'AVIF'],
    [
      'a HEIC',
      () => Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]),
      'HEIC',
    ],
    ['a PDF', () => Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), 'PDF'],
    [
      'a text file',
      () => Buffer.from('hello.png: this file is not a picture, whatever its name says\n'),
      'text',
    ],
    [
      'random bytes',
      () => Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfe, 0x00, 0x9c, 0x00]),
      'not a JPEG, PNG or WebP',
    ],
  ];

  it.each(others)('refuses %s (whatever its name) as the wrong type', async (_, make, named) => {
    const problem = await problemOf(inspectInputImage(await make()));
    expect(problem).toMatchObject({ code: ErrorCode.INPUT_IMAGE_TYPE, status: 422 });
    expect(problem.detail).toContain(named);
  });

  it('refuses a PNG whose header claims 100000×100000 px, from the header alone', async () => {
    // The file's pixel data is a few bytes: decoding it would fail as unreadable, not too large.
    const problem = await problemOf(inspectInputImage(pngClaiming(100_000, 100_000)));
    expect(problem).toMatchObject({ code: ErrorCode.INPUT_IMAGE_TOO_LARGE, status: 422 });
    expect(problem.detail).toContain('100,000×100,000 px');
    expect(problem.detail).toContain(MAX_DECODE_PIXELS.toLocaleString('en-US'));
  });

  it('refuses a JPEG whose header claims 60000×60000 px', async () => {
    const problem = await problemOf(inspectInputImage(await jpegClaiming(60_000, 60_000)));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_TOO_LARGE);
  });

  it('refuses an animated WebP', async () => {
    const problem = await problemOf(inspectInputImage(await animatedWebp()));
    expect(problem).toMatchObject({ code: ErrorCode.INPUT_IMAGE_ANIMATED, status: 422 });
    expect(problem.detail).toContain('2 frames');
  });

  it('refuses an animated PNG', async () => {
    const problem = await problemOf(inspectInputImage(await animatedPng()));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_ANIMATED);
  });

  it('gives the size as displayed: a landscape JPEG with EXIF orientation 6 is portrait', async () => {
    const bytes = await sharp(await photo(300, 200))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    await expect(inspectInputImage(bytes)).resolves.toMatchObject({ width: 200, height: 300 });
  });
});

describe(fitPlan.name, () => {
  it('leaves an image within the limits as it is', () => {
    expect(fitPlan({ width: 1024, height: 1024 }, AWS_EDIT, 'reject')).toEqual({
      width: 1024,
      height: 1024,
      action: 'none',
    });
  });

  it('refuses an image with too many pixels when no fit is asked, saying what to do', () => {
    expect(() => fitPlan({ width: 12_000, height: 9_000 }, AWS_EDIT, 'reject')).toThrow(
      expect.objectContaining({
        problem: expect.objectContaining({
          code: ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS,
          detail: expect.stringMatching(/12,000×9,000 px.*at most 9,437,184 px.*'Fit' to downscale/),
        }),
      }),
    );
  });

  it.each<[ImageSize, RegExp]>([
    [{ width: 50, height: 300 }, /each side at least 64 px/],
    [{ width: 3000, height: 1000 }, /aspect 3:1.*between 1:2\.5 and 2\.5:1.*'Crop' or 'Pad'/],
  ])('refuses %j when no fit is asked: %s', (size, detail) => {
    expect(() => fitPlan(size, AWS_EDIT, 'reject')).toThrow(
      expect.objectContaining({
        problem: expect.objectContaining({ detail: expect.stringMatching(detail) }),
      }),
    );
  });

  it('downscales to the pixel cap keeping the aspect, as large as the cap allows', () => {
    const plan = fitPlan({ width: 4000, height: 3000 }, AWS_EDIT, 'downscale');
    expect(plan.action).toBe('downscale');
    expect(plan.width * plan.height).toBeLessThanOrEqual(AWS_EDIT.maxPixels);
    expect((plan.width + 1) * (plan.height + 1)).toBeGreaterThan(AWS_EDIT.maxPixels);
    expect(plan.width / plan.height).toBeCloseTo(4 / 3, 2);
  });

  it('downscales to the longest side allowed (fast upscale: 1,536 px)', () => {
    expect(fitPlan({ width: 2000, height: 850 }, AWS_FAST_UPSCALE, 'downscale')).toEqual({
      width: 1536,
      height: 652,
      action: 'downscale',
    });
  });

  it('enlarges an image below the minimum side when a fit is asked, and says so', () => {
    expect(fitPlan({ width: 40, height: 50 }, AWS_EDIT, 'downscale')).toEqual({
      width: 64,
      height: 80,
      action: 'upscale',
    });
  });

  it('will not downscale an image whose aspect is outside the limits: resizing keeps the aspect', () => {
    expect(() => fitPlan({ width: 3000, height: 1000 }, AWS_EDIT, 'downscale')).toThrow(
      expect.objectContaining({
        problem: expect.objectContaining({
          code: ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS,
          detail: expect.stringContaining("'Crop' or 'Pad'"),
        }),
      }),
    );
  });

  it('crops a too-wide image to the widest aspect allowed, keeping its height', () => {
    expect(fitPlan({ width: 3000, height: 1000 }, AWS_EDIT, 'crop')).toEqual({
      width: 2500,
      height: 1000,
      action: 'crop',
    });
  });

  it('crops a too-tall image to the tallest aspect allowed, keeping its width', () => {
    expect(fitPlan({ width: 1000, height: 3000 }, AWS_EDIT, 'crop')).toEqual({
      width: 1000,
      height: 2500,
      action: 'crop',
    });
  });

  it('pads a too-wide image to the widest aspect allowed, keeping its width', () => {
    expect(fitPlan({ width: 3000, height: 1000 }, AWS_EDIT, 'pad')).toEqual({
      width: 3000,
      height: 1200,
      action: 'pad',
    });
  });

  it('crops, then downscales when the cropped image still has too many pixels', () => {
    const plan = fitPlan({ width: 9000, height: 2000 }, AWS_EDIT, 'crop');
    expect(plan.action).toBe('crop');
    expect(plan.width * plan.height).toBeLessThanOrEqual(AWS_EDIT.maxPixels);
    expect(plan.width / plan.height).toBeLessThanOrEqual(2.5);
    expect(plan.width / plan.height).toBeGreaterThan(2.49);
  });

  it('only downscales, under crop or pad, an image whose aspect is already allowed', () => {
    expect(fitPlan({ width: 4000, height: 3000 }, AWS_EDIT, 'crop').action).toBe('downscale');
    expect(fitPlan({ width: 4000, height: 3000 }, AWS_EDIT, 'pad').action).toBe('downscale');
  });

  const sizes: ImageSize[] = [
    { width: 12_000, height: 4_000 },
    { width: 641, height: 6_410 },
    { width: 7_001, height: 2_799 },
    { width: 30, height: 100 },
    { width: 70, height: 20 },
    { width: 5_000, height: 5_000 },
    { width: 2_501, height: 1_000 },
  ];
  it.each(['crop', 'pad'] as FitMode[])('brings every size within the limits with %s', (fit) => {
    for (const limits of [AWS_EDIT, AWS_FAST_UPSCALE]) {
      for (const size of sizes) {
        const { width, height } = fitPlan(size, limits, fit);
        expect(Math.min(width, height)).toBeGreaterThanOrEqual(limits.minSide);
        expect(Math.max(width, height)).toBeLessThanOrEqual(limits.maxSide ?? Infinity);
        expect(width * height).toBeLessThanOrEqual(limits.maxPixels);
        expect(width * height).toBeGreaterThanOrEqual(limits.minPixels);
        expect(width / height).toBeLessThanOrEqual(limits.maxAspect);
        expect(width / height).toBeGreaterThanOrEqual(limits.minAspect);
      }
    }
  });
});

describe(prepareInputImage.name, () => {
  it('passes a 9 MP photo (4000×2250 JPEG) within the AWS limits unchanged in size, as a PNG', async () => {
    const prepared = await prepareInputImage(await photo(4000, 2250), AWS_EDIT, 'reject');
    expect(prepared).toMatchObject({ width: 4000, height: 2250, hasAlpha: false });
    expect(prepared.fitted).toBeUndefined();
    expect(await sharp(prepared.bytes).metadata()).toMatchObject({
      format: 'png',
      width: 4000,
      height: 2250,
    });
  });

  it('turns a JPEG with EXIF orientation 6 upright: what was stored on the left is on top', async () => {
    const stored = await bands(['#ff0000', '#0000ff'], 150, 200, 'jpeg'); // red left, blue right
    const rotated = await sharp(stored).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const prepared = await prepareInputImage(rotated, AWS_EDIT, 'reject');
    expect([prepared.width, prepared.height]).toEqual([200, 300]);
    const meta = await sharp(prepared.bytes).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([200, 300, undefined]);
    const [top, bottom] = [await pixelAt(prepared.bytes, 100, 40), await pixelAt(prepared.bytes, 100, 260)];
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(50);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(50);
  });

  it('strips EXIF, XMP and the ICC profile of a JPEG', async () => {
    const xmp =
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Jane Doe"/></rdf:RDF></x:xmpmeta>';
    const bytes = await sharp(await photo(128, 96))
      .withIccProfile('p3')
      .withXmp(xmp)
      .withExif({ IFD0: { Artist: 'Jane Doe', Copyright: 'Jane Doe 2026' } })
      .jpeg()
      .toBuffer();
    const before = await sharp(bytes).metadata();
    expect([!!before.exif, !!before.xmp, !!before.icc]).toEqual([true, true, true]);

    const prepared = await prepareInputImage(bytes, AWS_EDIT, 'reject');
    const after = await sharp(prepared.bytes).metadata();
    expect(after).toMatchObject({ format: 'png', space: 'srgb', hasProfile: false });
    expect([after.exif, after.xmp, after.icc, after.iptc]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(Buffer.from(prepared.bytes).includes('Jane Doe')).toBe(false);
  });

  it("strips a PNG's text chunks (e.g. another app's generation parameters)", async () => {
    const png = await photo(96, 96, 'png');
    const bytes = embedParametersText(png, 'png', 'a secret prompt\nSteps: 30', { width: 96, height: 96 });
    expect((await sharp(bytes).metadata()).comments?.length).toBeGreaterThan(0);

    const prepared = await prepareInputImage(bytes, AWS_EDIT, 'reject');
    expect((await sharp(prepared.bytes).metadata()).comments).toBeUndefined();
    expect(readParametersText(prepared.bytes)).toBeUndefined();
    expect(Buffer.from(prepared.bytes).includes('secret')).toBe(false);
  });

  it('refuses an image outside the limits when no fit is asked', async () => {
    const problem = await problemOf(prepareInputImage(await photo(400, 300), SMALL, 'reject'));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS);
    expect(problem.detail).toContain('400×300 px');
  });

  it('downscales to the pixel cap keeping the aspect, and says from what', async () => {
    const prepared = await prepareInputImage(await photo(400, 200), SMALL, 'downscale');
    expect(prepared.fitted).toEqual({ from: { width: 400, height: 200 }, action: 'downscale' });
    expect(prepared.width * prepared.height).toBeLessThanOrEqual(SMALL.maxPixels);
    expect(prepared.width / prepared.height).toBeCloseTo(2, 1);
    const meta = await sharp(prepared.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([prepared.width, prepared.height]);
  });

  it('enlarges a small image to the minimum side', async () => {
    const prepared = await prepareInputImage(await photo(40, 40, 'webp'), SMALL, 'downscale');
    expect(prepared).toMatchObject({ width: 64, height: 64, fitted: { action: 'upscale' } });
  });

  it('crops the centre of a too-wide image to the allowed aspect: the outer edges go', async () => {
    // A 25 px red band at each end of a green 300×100 (3:1); 2.5:1 keeps the middle 250 px.
    const green = Array<string>(10).fill('#00ff00');
    const bytes = await bands(['#ff0000', ...green, '#ff0000'], 25, 100, 'png');
    const prepared = await prepareInputImage(bytes, { ...SMALL, maxPixels: 1_000_000 }, 'crop');
    expect(prepared).toMatchObject({ width: 250, height: 100, fitted: { action: 'crop' } });
    const { channels } = await sharp(prepared.bytes).stats();
    expect(channels[0].max).toBe(0); // no red left
    expect(channels[1].min).toBe(255);
  });

  it('pads a too-wide JPEG with transparent edges to the allowed aspect, as a PNG with alpha', async () => {
    const bytes = await bands(['#0000ff'], 300, 100, 'jpeg');
    const prepared = await prepareInputImage(bytes, { ...SMALL, maxPixels: 1_000_000 }, 'pad');
    expect(prepared).toMatchObject({ width: 300, height: 120, hasAlpha: true, fitted: { action: 'pad' } });
    expect((await sharp(prepared.bytes).metadata()).hasAlpha).toBe(true);
    expect((await pixelAt(prepared.bytes, 150, 2))[3]).toBe(0); // the band added on top
    expect((await pixelAt(prepared.bytes, 150, 117))[3]).toBe(0); // and below
    const [, , blue, alpha] = await pixelAt(prepared.bytes, 150, 60);
    expect([blue > 240, alpha]).toEqual([true, 255]);
  });

  it('pads, then downscales when the padded image has too many pixels', async () => {
    const prepared = await prepareInputImage(await photo(600, 200), SMALL, 'pad');
    expect(prepared.fitted?.action).toBe('pad');
    expect(prepared.width * prepared.height).toBeLessThanOrEqual(SMALL.maxPixels);
    expect(prepared.width / prepared.height).toBeLessThanOrEqual(2.5);
  });

  it('refuses a truncated JPEG whose header is whole', async () => {
    const whole = await photo(300, 300);
    const problem = await problemOf(
      prepareInputImage(whole.subarray(0, whole.length - 2000), SMALL, 'downscale'),
    );
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_UNREADABLE);
  });
});

describe(prepareMask.name, () => {
  it('makes one greyscale channel at the image size from a colour mask of another size', async () => {
    // black | white, 50 px each: white marks what to edit.
    const mask = await bands(['#000000', '#ffffff'], 50, 50, 'png');
    const out = await prepareMask(mask, { width: 200, height: 100 });
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 200, height: 100, channels: 1, hasAlpha: false });
    const data = await greyPixels(out);
    expect(data[50 * 200 + 10]).toBe(0); // left: kept
    expect(data[50 * 200 + 190]).toBe(255); // right: edited
  });

  it('keeps grey levels (partial edits) and treats transparent pixels as black', async () => {
    // Left half: white but fully transparent; right half: opaque mid grey.
    const rgba = Buffer.alloc(64 * 64 * 4);
    for (let i = 0; i < 64 * 64; i++) {
      const left = i % 64 < 32;
      rgba.fill(left ? 255 : 128, i * 4, i * 4 + 3);
      rgba[i * 4 + 3] = left ? 0 : 255;
    }
    const mask = await sharp(rgba, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toBuffer();
    const out = await prepareMask(mask, { width: 64, height: 64 });
    expect((await sharp(out).metadata()).channels).toBe(1);
    const data = await greyPixels(out);
    expect(data[32 * 64 + 10]).toBe(0);
    expect(data[32 * 64 + 50]).toBeGreaterThan(120);
    expect(data[32 * 64 + 50]).toBeLessThan(136);
  });

  it('refuses a mask that is not a JPEG, PNG or WebP', async () => {
    const problem = await problemOf(prepareMask(Buffer.from(SVG), { width: 64, height: 64 }));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_TYPE);
  });
});

describe(measureInputCheck.name, () => {
  it('times the check of a good image', async () => {
    const ms = await measureInputCheck(await photo(200, 200), SMALL);
    expect(Number.isFinite(ms)).toBe(true);
  });

  it('refuses a bad image with its problem, as the worker would', async () => {
    const problem = await problemOf(measureInputCheck(pngClaiming(100_000, 100_000), AWS_EDIT));
    expect(problem.code).toBe(ErrorCode.INPUT_IMAGE_TOO_LARGE);
  });
});
