import { findImageService, ImageServiceEntry, validateEditImageRequest } from '@imagegen/contracts';

import {
  buildStabilityServicesRequest,
  isInputImageFilter,
  parseStabilityServicesResponse,
  ServiceRequestImages,
} from './stability-services';

function service(id: string): ImageServiceEntry {
  const entry = findImageService(id);
  if (!entry) throw new Error(`no service ${id}`);
  return entry;
}

/** The body for an edit as the browser would send it (validated as the API validates it). */
function bodyFor(
  edit: Record<string, unknown>,
  images: ServiceRequestImages = { image: 'SU1H', mask: 'TUFTSw==', styleImage: 'U1RZTEU=' },
) {
  const validated = validateEditImageRequest(edit);
  if (!validated.ok) throw new Error(JSON.stringify(validated.problem));
  return buildStabilityServicesRequest(service(String(edit['serviceId'])), validated.value, 9, images);
}

const UPLOAD = { uploadId: 'up0123456789abc' };

describe(buildStabilityServicesRequest.name, () => {
  it('sends an inpaint with its image, mask and params by their AWS names', () => {
    expect(
      bodyFor({
        serviceId: 'stability.stable-image-inpaint-v1:0',
        image: UPLOAD,
        mask: UPLOAD,
        params: { prompt: 'a red door', grow_mask: 10, style_preset: 'photographic' },
        outputFormat: 'webp',
      }),
    ).toEqual({
      image: 'SU1H',
      mask: 'TUFTSw==',
      prompt: 'a red door',
      grow_mask: 10,
      style_preset: 'photographic',
      seed: 9,
      output_format: 'webp',
    });
  });

  it('sends no mask when there is none (the image alpha is the mask)', () => {
    const body = bodyFor({ serviceId: 'stability.stable-image-erase-object-v1:0', image: UPLOAD }, {
      image: 'SU1H',
    } as never);
    expect(body).toEqual({ image: 'SU1H', seed: 9, output_format: 'png' });
  });

  it('sends style transfer as init_image and style_image', () => {
    expect(
      bodyFor({
        serviceId: 'stability.stable-style-transfer-v1:0',
        image: UPLOAD,
        styleImage: UPLOAD,
        params: { style_strength: 0.5 },
      }),
    ).toEqual({
      init_image: 'SU1H',
      style_image: 'U1RZTEU=',
      style_strength: 0.5,
      seed: 9,
      output_format: 'png',
    });
  });

  it('sends the outpaint sides and never a mask the service does not take', () => {
    expect(
      bodyFor({
        serviceId: 'stability.stable-outpaint-v1:0',
        image: UPLOAD,
        params: { left: 200, down: 50 },
      }),
    ).toEqual({ image: 'SU1H', left: 200, down: 50, seed: 9, output_format: 'png' });
  });

  it('sends SD3.5 Large image-to-image with mode, image and strength, and no aspect_ratio', () => {
    const body = bodyFor({
      serviceId: 'stability.sd3-5-large-v1:0',
      image: UPLOAD,
      params: { prompt: 'a watercolour', strength: 0.6, negative_prompt: 'blurry' },
      outputFormat: 'jpeg',
    });
    expect(body).toEqual({
      image: 'SU1H',
      mode: 'image-to-image',
      prompt: 'a watercolour',
      strength: 0.6,
      negative_prompt: 'blurry',
      seed: 9,
      output_format: 'jpeg',
    });
    expect(body).not.toHaveProperty('aspect_ratio');
  });

  it('sends the style guide its aspect ratio, and a fast upscale nothing but the image (no seed: it takes none)', () => {
    expect(
      bodyFor({
        serviceId: 'stability.stable-image-style-guide-v1:0',
        image: UPLOAD,
        params: { prompt: 'a cat', aspect_ratio: '16:9', fidelity: 0.8 },
      }),
    ).toEqual({
      image: 'SU1H',
      prompt: 'a cat',
      aspect_ratio: '16:9',
      fidelity: 0.8,
      seed: 9,
      output_format: 'png',
    });
    expect(bodyFor({ serviceId: 'stability.stable-fast-upscale-v1:0', image: UPLOAD })).toEqual({
      image: 'SU1H',
      output_format: 'png',
    });
  });
});

describe(parseStabilityServicesResponse.name, () => {
  it('reads an image and tells an input-image filter from the prompt and output filters', () => {
    expect(parseStabilityServicesResponse({ seeds: [3], finish_reasons: [null], images: ['eA=='] })).toEqual({
      kind: 'image',
      base64: 'eA==',
      seed: 3,
      engine: 'bedrock',
    });
    const filtered = parseStabilityServicesResponse({ finish_reasons: ['Filter reason: input image'] });
    expect(filtered).toEqual({ kind: 'filtered', reason: 'Filter reason: input image' });
    expect(isInputImageFilter('Filter reason: input image')).toBe(true);
    expect(isInputImageFilter('Filter reason: prompt')).toBe(false);
    expect(isInputImageFilter('Filter reason: output image')).toBe(false);
  });
});
