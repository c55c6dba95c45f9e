import type { Thumbnail, ThumbnailerPort } from '@imagegen/generator/domain';

import { MAX_DECODE_PIXELS } from './input-images';
import { loadSharp } from './load-sharp';

export interface ThumbnailOptions {
  /** Longest edge of a thumbnail, in pixels. */
  readonly maxEdge: number;
  /** WebP quality, 1..100. */
  readonly quality: number;
}

export const DEFAULT_THUMBNAIL_OPTIONS: ThumbnailOptions = { maxEdge: 384, quality: 72 };

/** Small WebP pictures of images for gallery tiles (never enlarged; the metadata is not copied). */
export class SharpThumbnailer implements ThumbnailerPort {
  constructor(private readonly options: ThumbnailOptions = DEFAULT_THUMBNAIL_OPTIONS) {}

  async make(image: Uint8Array): Promise<Thumbnail> {
    const lib = await loadSharp();
    const { data, info } = await lib(image, { limitInputPixels: MAX_DECODE_PIXELS })
      .resize({
        width: this.options.maxEdge,
        height: this.options.maxEdge,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .webp({ quality: this.options.quality, effort: 4 })
      .toBuffer({ resolveWithObject: true });
    return {
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      format: 'webp',
    };
  }
}
