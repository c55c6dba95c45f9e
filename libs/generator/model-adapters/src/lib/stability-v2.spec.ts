import { NormalizedGenerateImageRequest } from '@imagegen/contracts';

import { adapterFor } from './adapters';
import { buildStabilityV2Request, parseStabilityV2Response } from './stability-v2';

const REQUEST: NormalizedGenerateImageRequest = {
  modelId: 'stability.sd3-5-large-v1:0',
  prompt: 'a fox in the snow',
  aspectRatio: '16:9',
  count: 1,
  outputFormat: 'jpeg',
};

describe(buildStabilityV2Request.name, () => {
  it('builds a text-to-image body with the seed and no negative prompt when none was given', () => {
    expect(buildStabilityV2Request(REQUEST, 7)).toEqual({
      prompt: 'a fox in the snow',
      mode: 'text-to-image',
      aspect_ratio: '16:9',
      seed: 7,
      output_format: 'jpeg',
    });
  });

  it('sends the negative prompt as negative_prompt', () => {
    expect(buildStabilityV2Request({ ...REQUEST, negativePrompt: 'blurry' }, 1)).toMatchObject({
      negative_prompt: 'blurry',
    });
  });

  it('never sends knobs Stability v2 does not take (steps, cfg, samples)', () => {
    const keys = Object.keys(buildStabilityV2Request({ ...REQUEST, negativePrompt: 'x', seed: 3 }, 3));
    expect(keys.sort()).toEqual([
      'aspect_ratio',
      'mode',
      'negative_prompt',
      'output_format',
      'prompt',
      'seed',
    ]);
  });
});

describe(parseStabilityV2Response.name, () => {
  it.each([
    [
      'an image from Bedrock',
      { seeds: [42], finish_reasons: [null], images: ['aGVsbG8='] },
      { kind: 'image', base64: 'aGVsbG8=', seed: 42, engine: 'bedrock' },
    ],
    [
      'an image from the offline engine',
      { seeds: [1], finish_reasons: [null], images: ['aGk='], x_imagegen_engine: 'offline' },
      { kind: 'image', base64: 'aGk=', seed: 1, engine: 'offline' },
    ],
    [
      'a prompt caught by the filter',
      { seeds: [1], finish_reasons: ['Filter reason: prompt'], images: [] },
      { kind: 'filtered', reason: 'Filter reason: prompt' },
    ],
    [
      'an output image caught by the filter, without images',
      { finish_reasons: ['Filter reason: output image'] },
      { kind: 'filtered', reason: 'Filter reason: output image' },
    ],
    [
      'an inference error',
      { seeds: [1], finish_reasons: ['Inference error'], images: ['eA=='] },
      { kind: 'error', reason: 'Inference error' },
    ],
    [
      'no images at all',
      { seeds: [1], finish_reasons: [null], images: [] },
      { kind: 'error', reason: 'the model answered without an image' },
    ],
    [
      'not an object',
      'oops',
      { kind: 'error', reason: 'the model answered something that is not a JSON object' },
    ],
    ['an array', [1, 2], { kind: 'error', reason: 'the model answered something that is not a JSON object' }],
  ])('reads %s', (_name, body, expected) => {
    expect(parseStabilityV2Response(body)).toEqual(expected);
  });

  it('leaves the seed out when the model does not report a usable one', () => {
    expect(parseStabilityV2Response({ seeds: ['x'], finish_reasons: [null], images: ['eA=='] })).toEqual({
      kind: 'image',
      base64: 'eA==',
      engine: 'bedrock',
    });
  });
});

describe(adapterFor.name, () => {
  it('has an adapter for the current Stability family and none for retired families', () => {
    expect(adapterFor('stability-v2')?.family).toBe('stability-v2');
    expect(adapterFor('stability-sdxl')).toBeUndefined();
  });
});
