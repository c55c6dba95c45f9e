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
const PARAMS = { request: REQUEST, seed: 42, width: 1344, height: 768, createdAt: '2026-11-24T10:00:00.000Z' };

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

  it('puts them into a JPEG comment and reads them back', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const out = embedParameters(jpeg, 'jpeg', PARAMS);
    expect(readParametersText(out)).toBe(parametersText(PARAMS));
    expect([...out.subarray(out.length - 2)]).toEqual([0xff, 0xd9]);
  });

  it('leaves WebP as it is', () => {
    const webp = new TextEncoder().encode('RIFF....WEBPVP8 ');
    expect(embedParameters(webp, 'webp', PARAMS)).toBe(webp);
  });
});
