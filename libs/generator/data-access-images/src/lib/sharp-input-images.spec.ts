import sharp from 'sharp';

import { ErrorCode, SERVICE_IMAGE_LIMITS } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';

import { SharpInputImages } from './sharp-input-images';

jest.setTimeout(30_000);

/** A noisy RGBA image (PNG compresses it badly), its left half transparent. */
async function noisyPng(width: number, height: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 4);
  let x = 12345;
  for (let i = 0; i < raw.length; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x & 255;
    raw[i + 1] = (x >> 8) & 255;
    raw[i + 2] = (x >> 16) & 255;
    raw[i + 3] = (i / 4) % width < width / 2 ? 0 : 255;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 4 } })
      .png()
      .toBuffer(),
  );
}

describe(SharpInputImages.name, () => {
  const images = new SharpInputImages();

  it('re-encodes a prepared image as a much smaller WebP of the same size, its transparency kept', async () => {
    const prepared = await images.prepare(await noisyPng(512, 384), SERVICE_IMAGE_LIMITS, 'reject');
    const compact = await images.compact(prepared);
    expect(compact).toMatchObject({ width: 512, height: 384, hasAlpha: true });
    expect(compact.bytes.length).toBeLessThan(prepared.bytes.length / 2);
    const meta = await sharp(compact.bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 512, height: 384, hasAlpha: true });
    const { data } = await sharp(compact.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([data[3], data[(512 - 1) * 4 + 3]]).toEqual([0, 255]);
  });

  it('inspects and refuses through the input checks (the port the domain calls)', async () => {
    expect(await images.inspect(await noisyPng(100, 80))).toMatchObject({
      format: 'png',
      width: 100,
      height: 80,
    });
    const p = await problemOf(images.inspect(new TextEncoder().encode('not an image at all')));
    expect(p.code).toBe(ErrorCode.INPUT_IMAGE_TYPE);
  });
});
