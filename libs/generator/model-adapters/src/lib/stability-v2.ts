import { NormalizedGenerateImageRequest } from '@imagegen/contracts';

import { engineOf, ModelAdapter, ParsedModelResponse } from './model-adapter';

/** Request body of Stable Image Core/Ultra and SD3.5 Large (text-to-image). */
export function buildStabilityV2Request(
  request: NormalizedGenerateImageRequest,
  seed: number,
): Record<string, unknown> {
  return {
    prompt: request.prompt,
    ...(request.negativePrompt ? { negative_prompt: request.negativePrompt } : {}),
    mode: 'text-to-image',
    aspect_ratio: request.aspectRatio,
    seed,
    output_format: request.outputFormat,
  };
}

/**
 * `{ seeds: [n], finish_reasons: [null], images: ["<base64>"] }`; a non-null finish reason means no
 * usable image even with HTTP 200 ("Filter reason: prompt|output image|input image", "Inference error").
 */
export function parseStabilityV2Response(body: unknown): ParsedModelResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { kind: 'error', reason: 'the model answered something that is not a JSON object' };
  }
  const json = body as Record<string, unknown>;
  const reasons = Array.isArray(json['finish_reasons']) ? json['finish_reasons'] : [];
  const reason = reasons.find((r) => r !== null && r !== undefined);
  if (typeof reason === 'string') {
    return /filter/i.test(reason) ? { kind: 'filtered', reason } : { kind: 'error', reason };
  }
  const images = Array.isArray(json['images']) ? json['images'] : [];
  const image = images[0];
  if (typeof image !== 'string' || image.length === 0) {
    return { kind: 'error', reason: 'the model answered without an image' };
  }
  const seeds = Array.isArray(json['seeds']) ? json['seeds'] : [];
  const seed = typeof seeds[0] === 'number' && Number.isInteger(seeds[0]) ? seeds[0] : undefined;
  return { kind: 'image', base64: image, ...(seed !== undefined ? { seed } : {}), engine: engineOf(json) };
}

export const stabilityV2Adapter: ModelAdapter = {
  family: 'stability-v2',
  buildRequest: buildStabilityV2Request,
  parseResponse: parseStabilityV2Response,
};
