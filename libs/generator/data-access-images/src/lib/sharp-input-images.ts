import type { FitMode, InputImageLimits } from '@imagegen/contracts';
import type { InputImagesPort, InspectedImage, PreparedImage } from '@imagegen/generator/domain';

import { inspectInputImage, prepareInputImage, prepareMask } from './input-images';
import { loadSharp } from './load-sharp';

/**
 * The WebP an input is re-encoded as when its PNG's base64 would not fit Bedrock's request body:
 * lossy at a high quality (no visible loss at the sizes the services take), alpha kept losslessly
 * (an inpaint without a mask edits the transparent pixels, which JPEG would lose). WebP is one of
 * the input types AWS's page lists for the Image Services.
 */
export const COMPACT_WEBP = { quality: 92, alphaQuality: 100, effort: 4 } as const;

/** The domain's input checks (InputImagesPort) over sharp: input-images.ts, and the compact re-encoding. */
export class SharpInputImages implements InputImagesPort {
  inspect(bytes: Uint8Array): Promise<InspectedImage> {
    return inspectInputImage(bytes);
  }

  prepare(bytes: Uint8Array, limits: InputImageLimits, fit: FitMode): Promise<PreparedImage> {
    return prepareInputImage(bytes, limits, fit);
  }

  prepareMask(
    bytes: Uint8Array,
    size: { readonly width: number; readonly height: number },
  ): Promise<Uint8Array> {
    return prepareMask(bytes, size);
  }

  async compact(image: PreparedImage): Promise<PreparedImage> {
    const lib = await loadSharp();
    const data = await lib(image.bytes).webp(COMPACT_WEBP).toBuffer();
    return { ...image, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
