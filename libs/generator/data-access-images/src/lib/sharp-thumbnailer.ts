import type { Thumbnail, ThumbnailerPort } from '@imagegen/generator/domain';

export interface ThumbnailOptions {
  /** Longest edge of a thumbnail, in pixels. */
  readonly maxEdge: number;
  /** WebP quality, 1..100. */
  readonly quality: number;
}

export const DEFAULT_THUMBNAIL_OPTIONS: ThumbnailOptions = { maxEdge: 384, quality: 72 };

type Sharp = typeof import('sharp').default;
let loaded: Promise<Sharp> | undefined;

/**
 * sharp (libvips) is loaded on first use only: the worker makes thumbnails, the API and the
 * abandoned-job handler share the bundle and never load the native module.
 */
function sharp(): Promise<Sharp> {
  // sharp 0.35 ships ESM and CJS entries; the bundle may hand either shape back.
  loaded ??= import('sharp').then((m) => m.default ?? (m as unknown as Sharp));
  return loaded;
}

/** Small WebP pictures of images for gallery tiles (never enlarged; the metadata is not copied). */
export class SharpThumbnailer implements ThumbnailerPort {
  constructor(private readonly options: ThumbnailOptions = DEFAULT_THUMBNAIL_OPTIONS) {}

  async make(image: Uint8Array): Promise<Thumbnail> {
    const lib = await sharp();
    const { data, info } = await lib(image, { limitInputPixels: 50_000_000 })
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
