import sharp, { Metadata } from 'sharp';

import { AwsModelRules, ImageLimits, malformedInput } from './aws-model-rules';

/**
 * The stand-in's input-image filter. Bedrock answers an input image its content filter blocks with HTTP 200,
 * `finish_reasons: ["Filter reason: input image"]` and no image (stable-image-services.html, "finish_reasons").
 * Locally that filter is a fixed trigger, so tests can meet it on purpose: an input image (`image`,
 * `init_image` or `style_image`; never the mask) whose top-left 8x8 pixels are pure magenta #FF00FF, opaque
 * (within 16 per channel, so a JPEG's rounding still counts). `filteredInputImage` makes one.
 */
export const INPUT_FILTER_TRIGGER = {
  colour: '#FF00FF',
  rgb: [255, 0, 255],
  size: 8,
  tolerance: 16,
} as const;
export const INPUT_IMAGE_FILTER_REASON = 'Filter reason: input image';

/** An ordinary picture whose top-left 8x8 pixels are the filter's magenta: the stand-in blocks it as an input image. */
export async function filteredInputImage(
  width = 256,
  height = 256,
  format: 'png' | 'jpeg' | 'webp' = 'png',
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const trigger = x < INPUT_FILTER_TRIGGER.size && y < INPUT_FILTER_TRIGGER.size;
      raw[i] = trigger ? 255 : (x * 255) / width;
      raw[i + 1] = trigger ? 0 : (y * 255) / height;
      raw[i + 2] = trigger ? 255 : 96;
    }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  if (format === 'jpeg') return image.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  return image.png().toBuffer();
}

async function meetsFilterTrigger(bytes: Buffer, width: number, height: number): Promise<boolean> {
  const { size, rgb, tolerance } = INPUT_FILTER_TRIGGER;
  if (width < size || height < size) return false;
  const corner = await sharp(bytes)
    .extract({ left: 0, top: 0, width: size, height: size })
    .ensureAlpha()
    .raw()
    .toBuffer();
  for (let i = 0; i < corner.length; i += 4) {
    if (corner[i + 3] < 255 - tolerance) return false;
    for (let c = 0; c < 3; c++) if (Math.abs(corner[i + c] - rgb[c]) > tolerance) return false;
  }
  return true;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function sizeProblem(field: string, width: number, height: number, limits: ImageLimits): string | undefined {
  const at = `#/${field}`;
  const pixels = width * height;
  const got = `(got ${width}x${height})`;
  if (limits.minSide !== undefined && Math.min(width, height) < limits.minSide)
    return `${at}: every side of the image must be at least ${limits.minSide} pixels ${got}`;
  if (limits.maxSide !== undefined && Math.max(width, height) > limits.maxSide)
    return `${at}: width and height must be at most ${limits.maxSide} pixels ${got}`;
  if (limits.minPixels !== undefined && pixels < limits.minPixels)
    return `${at}: total pixel count must be at least ${limits.minPixels} ${got}`;
  if (limits.maxPixels !== undefined && pixels > limits.maxPixels)
    return `${at}: total pixel count cannot exceed ${limits.maxPixels} ${got}`;
  if (limits.maxAspect !== undefined && Math.max(width, height) / Math.min(width, height) > limits.maxAspect)
    return `${at}: image aspect ratio must be between 1:${limits.maxAspect} and ${limits.maxAspect}:1 ${got}`;
  return undefined;
}

export type ImageInputs =
  | { readonly ok: true; readonly images: Readonly<Record<string, Buffer>>; readonly filtered: boolean }
  | { readonly ok: false; readonly message: string };

/**
 * Decodes each base64 image field the model's page lists and checks it against the page's limits (format,
 * sides, pixel count, aspect), as a ValidationException message; then whether an input image meets the
 * local filter trigger. Sizes are read from the header before any pixel is decoded.
 */
export async function checkImageInputs(
  body: Record<string, unknown>,
  rules: AwsModelRules,
): Promise<ImageInputs> {
  const images: Record<string, Buffer> = {};
  let filtered = false;
  for (const [field, limits] of Object.entries(rules.images ?? {})) {
    const value = body[field];
    if (typeof value !== 'string') continue;
    const fail = (problem: string): ImageInputs => ({ ok: false, message: malformedInput(problem) });
    if (value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value))
      return fail(`#/${field}: expected a base64-encoded image`);
    const bytes = Buffer.from(value, 'base64');
    let meta: Metadata;
    try {
      meta = await sharp(bytes).metadata();
    } catch {
      return fail(
        `#/${field}: the image could not be decoded; supported formats: ${limits.formats.join(', ')}`,
      );
    }
    const format: string | undefined = meta.format;
    if (!(limits.formats as readonly string[]).includes(format ?? ''))
      return fail(
        `#/${field}: unsupported image format ${format}; supported formats: ${limits.formats.join(', ')}`,
      );
    const { width = 0, height = 0 } = meta;
    const problem = sizeProblem(field, width, height, limits);
    if (problem) return fail(problem);
    images[field] = bytes;
    if (field !== 'mask' && !filtered) filtered = await meetsFilterTrigger(bytes, width, height);
  }
  return { ok: true, images, filtered };
}
