import { NormalizedGenerateImageRequest } from '@imagegen/contracts';

import { parametersText } from './image-parameters';

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
