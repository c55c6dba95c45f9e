import type { ImageMetadataPort } from '@imagegen/generator/domain';
import { embedParametersText } from '@imagegen/shared/util-image-codecs';

/**
 * The images adapter's metadata writer: the parameters text in a PNG iTXt chunk, a JPEG's EXIF
 * UserComment and comment, or a WebP's EXIF chunk (the byte codecs of shared-util-image-codecs).
 */
export class ParametersWriter implements ImageMetadataPort {
  withParameters(
    bytes: Uint8Array,
    format: 'png' | 'jpeg' | 'webp',
    text: string,
    size: { readonly width: number; readonly height: number },
  ): Uint8Array {
    return embedParametersText(bytes, format, text, size);
  }
}
