import { ImageServiceEntry, NormalizedGenerateImageRequest } from '@imagegen/contracts';

import { ParsedModelResponse } from './model-adapter';
import { parseStabilityV2Response } from './stability-v2';

/** An edit's images as the body carries them: base64 strings (the prepared PNG or its compact re-encoding). */
export interface ServiceRequestImages {
  readonly image: string;
  readonly mask?: string;
  readonly styleImage?: string;
}

/**
 * The InvokeModel body of a Stability Image Service (AWS's page,
 * https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html): each image in the
 * field the catalog entry names for it (`image`, or `init_image` and `style_image` for style transfer;
 * `mask`), the service's params by their AWS names, `seed` (where the service takes one) and `output_format`. SD3.5 Large's
 * image-to-image (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-5-large.html)
 * is `mode: "image-to-image"` with `image` and `strength`, and no `aspect_ratio`: the output follows the input.
 */
export function buildStabilityServicesRequest(
  service: ImageServiceEntry,
  request: NormalizedGenerateImageRequest,
  seed: number,
  images: ServiceRequestImages,
): Record<string, unknown> {
  const params = request.edit?.params ?? {};
  const body: Record<string, unknown> = {};
  body[service.inputs.image?.field ?? 'image'] = images.image;
  if (images.mask !== undefined && service.inputs.mask) body[service.inputs.mask.field] = images.mask;
  if (images.styleImage !== undefined && service.inputs.styleImage)
    body[service.inputs.styleImage.field] = images.styleImage;
  // Only the fields the catalog lists for the service (the validator kept no other).
  for (const spec of service.params) if (params[spec.name] !== undefined) body[spec.name] = params[spec.name];
  if (service.kind === 'image-to-image') body['mode'] = 'image-to-image';
  // Remove background and fast upscale take no seed (AWS's page lists none for them).
  if (service.takesSeed) body['seed'] = seed;
  body['output_format'] = request.outputFormat;
  return body;
}

/** The Image Services answer as the Stability v2 models do (`seeds`, `finish_reasons`, `images`). */
export const parseStabilityServicesResponse: (body: unknown) => ParsedModelResponse =
  parseStabilityV2Response;

/** "Filter reason: input image": the image sent was blocked, not the prompt or the output. */
export function isInputImageFilter(reason: string): boolean {
  return /input image/i.test(reason);
}
