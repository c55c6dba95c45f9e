import { NormalizedGenerateImageRequest } from '@imagegen/contracts';

import { fakePng } from '../testing';
import { embedParameters, parametersText, readParametersText } from './image-parameters';

const REQUEST: NormalizedGenerateImageRequest = {
  modelId: 'stability.sd3-5-large-v1:0',
  prompt: 'a café at night, 東京',
  negativePrompt: 'blurry',
  aspectRatio: '16:9',
  count: 1,
  outputFormat: 'png',
};
const PARAMS = {
  request: REQUEST,
  seed: 42,
  width: 1344,
  height: 768,
  createdAt: '2026-11-24T10:00:00.000Z',
};

describe(parametersText.name, () => {
  it('writes the A1111 "parameters" layout', () => {
    expect(parametersText(PARAMS)).toBe(
      'a café at night, 東京\nNegative prompt: blurry\nSeed: 42, Size: 1344x768, Aspect ratio: 16:9, Model: stability.sd3-5-large-v1:0, Created: 2026-11-24T10:00:00.000Z, Software: imagegen',
    );
  });
});

describe(embedParameters.name, () => {
  it('puts the parameters into a PNG right after IHDR, in UTF-8, and reads them back', () => {
    const png = fakePng(1344, 768);
    const out = embedParameters(png, 'png', PARAMS);
    expect([...out.subarray(0, 33)]).toEqual([...png]);
    expect(new TextDecoder().decode(out.subarray(37, 41))).toBe('iTXt');
    expect(readParametersText(out)).toBe(parametersText(PARAMS));
  });

  it('puts them into a JPEG comment and an EXIF UserComment after the JFIF header, and reads them back', () => {
    const jfif = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0];
    const jpeg = new Uint8Array([0xff, 0xd8, ...jfif, 0xff, 0xd9]);
    const out = embedParameters(jpeg, 'jpeg', PARAMS);
    expect(readParametersText(out)).toBe(parametersText(PARAMS));
    expect([...out.subarray(2, 2 + jfif.length)]).toEqual(jfif);
    expect(new TextDecoder().decode(out.subarray(2 + jfif.length + 4, 2 + jfif.length + 10))).toBe(
      'Exif\0\0',
    );
    expect([...out.subarray(out.length - 2)]).toEqual([0xff, 0xd9]);
  });

  it('turns a simple WebP into the extended layout with an EXIF chunk and reads them back', () => {
    // RIFF, WEBP, then a VP8L chunk of 5 bytes (signature + 1344x768 with alpha) padded to even
    const bits = (1344 - 1) | ((768 - 1) << 14) | (1 << 28);
    const vp8l = [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >>> 24) & 0xff];
    const body = [...new TextEncoder().encode('WEBPVP8L'), 5, 0, 0, 0, ...vp8l, 0];
    const webp = new Uint8Array([...new TextEncoder().encode('RIFF'), body.length, 0, 0, 0, ...body]);
    const out = embedParameters(webp, 'webp', PARAMS);
    const ascii = (at: number) => new TextDecoder().decode(out.subarray(at, at + 4));
    expect([ascii(0), ascii(8), ascii(12), ascii(30)]).toEqual(['RIFF', 'WEBP', 'VP8X', 'VP8L']);
    expect(out[20]).toBe(0x08 | 0x10); // EXIF and alpha flags
    expect(new DataView(out.buffer).getUint32(4, true)).toBe(out.length - 8);
    expect(readParametersText(out)).toBe(parametersText(PARAMS));
  });
});
