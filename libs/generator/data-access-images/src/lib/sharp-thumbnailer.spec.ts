import sharp from 'sharp';

import { NormalizedGenerateImageRequest, OutputFormat } from '@imagegen/contracts';
import { parametersText } from '@imagegen/generator/domain';
import { readParametersText } from '@imagegen/shared/util-image-codecs';

import { ParametersWriter } from './parameters-writer';
import { SharpThumbnailer } from './sharp-thumbnailer';

/** A noisy picture (hard to compress, like a real one) of the given size and format. */
async function picture(width: number, height: number, format: OutputFormat): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (i >> 4) % 256 ^ ((x >> 16) & 0x1f);
  }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return new Uint8Array(
    await (format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg() : img.webp()).toBuffer(),
  );
}

describe(SharpThumbnailer.name, () => {
  it('makes a small WebP of at most 384 px on its longest edge, keeping the aspect ratio', async () => {
    const thumb = await new SharpThumbnailer().make(await picture(1344, 768, 'png'));
    const meta = await sharp(thumb.bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 384, height: 219 });
    expect(thumb).toMatchObject({ width: 384, height: 219, format: 'webp' });
    expect(thumb.bytes.length).toBeLessThan(60_000);
  });

  it('never enlarges a small image', async () => {
    const thumb = await new SharpThumbnailer().make(await picture(200, 100, 'jpeg'));
    expect([thumb.width, thumb.height]).toEqual([200, 100]);
  });

  it('refuses bytes that are not an image', async () => {
    await expect(new SharpThumbnailer().make(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });
});

describe('parameters inside the file, read by libvips', () => {
  const request: NormalizedGenerateImageRequest = {
    modelId: 'stability.stable-image-core-v1:1',
    prompt: 'a café, 東京',
    aspectRatio: '1:1',
    count: 1,
    outputFormat: 'webp',
  };

  it.each(['jpeg', 'webp'] as const)(
    'writes a %s whose EXIF libvips reads, and that still decodes',
    async (format) => {
      const bytes = await picture(64, 64, format);
      const params = {
        request: { ...request, outputFormat: format },
        seed: 7,
        width: 64,
        height: 64,
        createdAt: '2026-11-24T10:00:00.000Z',
      };
      const text = parametersText(params);
      const out = new ParametersWriter().withParameters(bytes, format, text, params);
      const meta = await sharp(out).metadata();
      expect(meta).toMatchObject({ format, width: 64, height: 64 });
      // UserComment: "UNICODE\0" then UTF-16BE text
      const utf16 = Buffer.from(text, 'utf16le').swap16();
      expect(Buffer.from(meta.exif ?? []).includes(utf16)).toBe(true);
      expect(readParametersText(out)).toBe(text);
      expect((await sharp(out).raw().toBuffer()).length).toBe(64 * 64 * 3);
    },
  );
});
