import sharp from 'sharp';

import { OFFLINE_ENGINE_SOFTWARE, renderImage, RenderRequest } from './offline-engine';

const BASE: RenderRequest = {
  prompt: 'a lighthouse at dusk',
  seed: 42,
  width: 256,
  height: 192,
  format: 'png',
};

describe(renderImage.name, () => {
  it('makes a real PNG of the requested size that says it comes from the offline engine', async () => {
    const png = await renderImage(BASE);
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 256, height: 192 });
    expect(png.includes(Buffer.from(`Software\u0000${OFFLINE_ENGINE_SOFTWARE}`, 'latin1'))).toBe(true);
  });

  it('is deterministic in prompt and seed', async () => {
    expect((await renderImage(BASE)).equals(await renderImage(BASE))).toBe(true);
  });

  it('draws clearly different pictures for different prompts and seeds', async () => {
    const pixels = async (r: RenderRequest) =>
      await sharp(await renderImage(r))
        .raw()
        .toBuffer();
    const a = await pixels(BASE);
    const b = await pixels({ ...BASE, prompt: 'a forest in the rain' });
    const c = await pixels({ ...BASE, seed: 43 });
    const meanDiff = (x: Buffer, y: Buffer) => x.reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;
    expect(meanDiff(a, b)).toBeGreaterThan(10);
    expect(meanDiff(a, c)).toBeGreaterThan(10);
  });

  it.each([
    ['jpeg', [0xff, 0xd8, 0xff]],
    ['webp', [0x52, 0x49, 0x46, 0x46]],
  ] as const)('encodes %s when asked', async (format, magic) => {
    const bytes = await renderImage({ ...BASE, format });
    expect([...bytes.subarray(0, magic.length)]).toEqual(magic);
    expect(await sharp(bytes).metadata()).toMatchObject({ format, width: 256, height: 192 });
  });
});
