import sharp from 'sharp';

import { encodeImage, EngineFormat, renderPixels } from './offline-engine';
import { fnv1a } from './seeded';

/**
 * The offline stand-ins of Stability AI's Image Services on Bedrock (and SD3.5 Large's image-to-image).
 * None is a model: each honours the geometry its AWS page describes, so tests can tell a right answer
 * from a wrong one (which pixels change, what size comes back, where the alpha is), and each is
 * deterministic in its inputs and seed.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html
 */
export type ImageService =
  | 'inpaint'
  | 'outpaint'
  | 'search-replace'
  | 'search-recolor'
  | 'erase-object'
  | 'remove-background'
  | 'control-sketch'
  | 'control-structure'
  | 'style-guide'
  | 'style-transfer'
  | 'creative-upscale'
  | 'conservative-upscale'
  | 'fast-upscale'
  | 'image-to-image';

export interface EngineImageSize {
  readonly width: number;
  readonly height: number;
}

export interface EditRequest {
  readonly service: ImageService;
  /** `image`, or style transfer's `init_image` (decoded bytes: JPEG, PNG or WebP). */
  readonly image: Buffer;
  readonly mask?: Buffer;
  /** Style transfer's `style_image`. */
  readonly styleImage?: Buffer;
  readonly prompt?: string;
  readonly negativePrompt?: string;
  /** search_prompt (search and replace) or select_prompt (search and recolor). */
  readonly searchPrompt?: string;
  readonly seed: number;
  readonly format: EngineFormat;
  /** Pixels the mask grows by, blurred (default 5, as the page gives). */
  readonly growMask?: number;
  readonly outpaint?: {
    readonly left: number;
    readonly right: number;
    readonly up: number;
    readonly down: number;
  };
  /** control_strength, fidelity, style_strength x change_strength, or SD3.5's strength: how far the output moves. */
  readonly strength?: number;
  /** Style guide: the size of its aspect_ratio. */
  readonly outputSize?: EngineImageSize;
}

/** "upscales them to 4K resolution": the stand-in reads 4K as a long side of 4,096 px, aspect kept. */
export const UPSCALE_4K_LONG_SIDE = 4096;
/** Fast Upscale "enhances image resolution by 4 times": each side times 4. */
export const FAST_UPSCALE_FACTOR = 4;

/** The size an upscaler answers for an input (the AWS page's rule, as read above). */
export function upscaledSize(
  service: 'creative-upscale' | 'conservative-upscale' | 'fast-upscale',
  input: EngineImageSize,
): EngineImageSize {
  if (service === 'fast-upscale')
    return { width: input.width * FAST_UPSCALE_FACTOR, height: input.height * FAST_UPSCALE_FACTOR };
  const scale = Math.max(1, UPSCALE_4K_LONG_SIDE / Math.max(input.width, input.height));
  return { width: Math.round(input.width * scale), height: Math.round(input.height * scale) };
}

export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where search and replace / search and recolor "find" the object: a centered box whose size (30 to 60%
 * of each side) follows from the search prompt, so a test knows which pixels may change (plus grow_mask).
 */
export function searchRegion(size: EngineImageSize, searchPrompt: string): Box {
  const fraction = 0.3 + (fnv1a(searchPrompt) % 31) / 100;
  const width = Math.max(1, Math.round(size.width * fraction));
  const height = Math.max(1, Math.round(size.height * fraction));
  return {
    left: Math.floor((size.width - width) / 2),
    top: Math.floor((size.height - height) / 2),
    width,
    height,
  };
}

/** The subject remove-background keeps: a centered ellipse (radii 35% and 42% of the sides); the rest turns transparent. */
export function subjectEllipse(size: EngineImageSize): { cx: number; cy: number; rx: number; ry: number } {
  return { cx: size.width / 2, cy: size.height / 2, rx: size.width * 0.35, ry: size.height * 0.42 };
}

interface Rgba {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

async function decodeRgba(bytes: Buffer): Promise<Rgba> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** One grey byte a pixel: the mask resized to the image when its size differs (nearest, so white stays white). */
async function decodeMask(bytes: Buffer, size: EngineImageSize): Promise<Uint8Array> {
  const { data, info } = await sharp(bytes)
    .flatten({ background: { r: 0, g: 0, b: 0 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(size.width * size.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels];
  return out;
}

/** Without a mask the image's transparent pixels are edited: 255 - alpha. */
function alphaMask(image: Rgba): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) out[i] = 255 - image.data[i * 4 + 3];
  return out;
}

/** One pass of a max filter whose weight falls off linearly over `radius` pixels along one axis. */
function growPass(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
  horizontal: boolean,
): Uint8Array {
  const out = new Uint8Array(mask.length);
  const [outer, inner] = horizontal ? [height, width] : [width, height];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let k = -radius; k <= radius; k++) {
        const j = i + k;
        if (j < 0 || j >= inner) continue;
        const v = mask[horizontal ? o * width + j : j * width + o];
        if (v === 0) continue;
        const weighted = v * (1 - Math.abs(k) / (radius + 1));
        if (weighted > best) best = weighted;
      }
      out[horizontal ? o * width + i : i * width + o] = Math.round(best);
    }
  }
  return out;
}

/** grow_mask: the mask grows outward by `radius` pixels, the grown rim blurred (weaker further out). */
export function growMask(mask: Uint8Array, size: EngineImageSize, radius: number): Uint8Array {
  if (radius <= 0) return mask;
  const h = growPass(mask, size.width, size.height, radius, true);
  const grown = growPass(h, size.width, size.height, radius, false);
  // The mask's own pixels keep their strength: growing never weakens them.
  for (let i = 0; i < grown.length; i++) if (mask[i] > grown[i]) grown[i] = mask[i];
  return grown;
}

/** Blends `fill` (RGB) into the image where the mask says, by its strength; mask 0 leaves a pixel exactly as it was. */
function blend(image: Rgba, fill: Buffer, mask: Uint8Array): Buffer {
  const out = Buffer.from(image.data);
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p];
    if (m === 0) continue;
    const a = m / 255;
    const i = p * 4;
    for (let c = 0; c < 3; c++) out[i + c] = Math.round(image.data[i + c] * (1 - a) + fill[p * 3 + c] * a);
    out[i + 3] = Math.round(image.data[i + 3] * (1 - a) + 255 * a);
  }
  return out;
}

function isOpaque(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** Encodes RGBA pixels; an opaque image drops its alpha, JPEG (no alpha) is flattened on white. */
async function encodeRgba(rgba: Buffer, size: EngineImageSize, format: EngineFormat): Promise<Buffer> {
  let image = sharp(rgba, { raw: { width: size.width, height: size.height, channels: 4 } });
  if (format === 'jpeg') image = image.flatten({ background: { r: 255, g: 255, b: 255 } });
  else if (isOpaque(rgba)) image = image.removeAlpha();
  return encodeImage(image, format);
}

async function meanColour(bytes: Buffer): Promise<[number, number, number]> {
  const { channels } = await sharp(bytes).stats();
  return [channels[0]?.mean ?? 128, channels[1]?.mean ?? 128, channels[2]?.mean ?? 128];
}

function hueColour(hue: number, light: number): [number, number, number] {
  const s = 0.75;
  const l = 0.15 + light * 0.7;
  const k = (n: number) => (n + hue * 12) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

function paintFor(request: EditRequest, size: EngineImageSize): Promise<Buffer> {
  return renderPixels({
    prompt: `${request.service}\u0000${request.prompt ?? ''}`,
    ...(request.negativePrompt ? { negativePrompt: request.negativePrompt } : {}),
    seed: request.seed,
    width: size.width,
    height: size.height,
  });
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

async function maskedEdit(request: EditRequest, image: Rgba, fill: Buffer): Promise<Buffer> {
  const size = { width: image.width, height: image.height };
  const mask = request.mask ? await decodeMask(request.mask, size) : alphaMask(image);
  return blend(image, fill, growMask(mask, size, request.growMask ?? 5));
}

function boxMask(size: EngineImageSize, box: Box): Uint8Array {
  const mask = new Uint8Array(size.width * size.height);
  for (let y = box.top; y < box.top + box.height; y++)
    mask.fill(255, y * size.width + box.left, y * size.width + box.left + box.width);
  return mask;
}

/** The one entry point: the service's answer as encoded image bytes in the requested format. */
export async function editImage(request: EditRequest): Promise<Buffer> {
  const image = await decodeRgba(request.image);
  const size = { width: image.width, height: image.height };
  switch (request.service) {
    case 'inpaint':
      return encodeRgba(
        await maskedEdit(request, image, await paintFor(request, size)),
        size,
        request.format,
      );
    case 'erase-object': {
      // Erasing fills from the surroundings: a heavy blur of the image stands in for the background.
      const surroundings = await sharp(image.data, { raw: { ...size, channels: 4 } })
        .removeAlpha()
        .blur(Math.max(2, Math.min(size.width, size.height) / 8))
        .raw()
        .toBuffer();
      return encodeRgba(await maskedEdit(request, image, surroundings), size, request.format);
    }
    case 'search-replace':
    case 'search-recolor': {
      const box = searchRegion(size, request.searchPrompt ?? '');
      const mask = growMask(boxMask(size, box), size, request.growMask ?? 5);
      let fill: Buffer;
      if (request.service === 'search-replace') fill = await paintFor(request, size);
      else {
        // Recolor keeps each pixel's lightness and takes the prompt's hue.
        const hue = (fnv1a(`${request.prompt ?? ''}\u0000${request.seed}`) % 360) / 360;
        fill = Buffer.alloc(size.width * size.height * 3);
        for (let p = 0; p < size.width * size.height; p++) {
          const i = p * 4;
          const light = (0.299 * image.data[i] + 0.587 * image.data[i + 1] + 0.114 * image.data[i + 2]) / 255;
          const [r, g, b] = hueColour(hue, light);
          fill[p * 3] = r;
          fill[p * 3 + 1] = g;
          fill[p * 3 + 2] = b;
        }
      }
      return encodeRgba(blend(image, fill, mask), size, request.format);
    }
    case 'outpaint': {
      const { left, right, up, down } = request.outpaint ?? { left: 0, right: 0, up: 0, down: 0 };
      const out = { width: size.width + left + right, height: size.height + up + down };
      const fill = await paintFor(request, out);
      const rgba = Buffer.alloc(out.width * out.height * 4, 255);
      for (let p = 0; p < out.width * out.height; p++) fill.copy(rgba, p * 4, p * 3, p * 3 + 3);
      // The original, byte for byte, where it was.
      for (let y = 0; y < size.height; y++) {
        image.data.copy(
          rgba,
          ((y + up) * out.width + left) * 4,
          y * size.width * 4,
          (y + 1) * size.width * 4,
        );
      }
      return encodeRgba(rgba, out, request.format);
    }
    case 'remove-background': {
      const { cx, cy, rx, ry } = subjectEllipse(size);
      const rgba = Buffer.from(image.data);
      for (let y = 0; y < size.height; y++) {
        for (let x = 0; x < size.width; x++) {
          const inside = ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1;
          if (!inside) rgba[(y * size.width + x) * 4 + 3] = 0;
        }
      }
      return encodeRgba(rgba, size, request.format);
    }
    case 'control-sketch':
    case 'control-structure': {
      // The input's light and dark shape the generated picture, as much as control_strength says.
      const s = clamp01(request.strength ?? 0.7);
      const fill = await paintFor(request, size);
      const rgba = Buffer.alloc(size.width * size.height * 4, 255);
      for (let p = 0; p < size.width * size.height; p++) {
        const i = p * 4;
        const light = (0.299 * image.data[i] + 0.587 * image.data[i + 1] + 0.114 * image.data[i + 2]) / 255;
        for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(fill[p * 3 + c] * (1 - s + s * light));
      }
      return encodeRgba(rgba, size, request.format);
    }
    case 'style-guide': {
      const out = request.outputSize ?? { width: 1024, height: 1024 };
      const f = clamp01(request.strength ?? 0.5) * 0.6;
      const mean = await meanColour(request.image);
      const fill = await paintFor(request, out);
      const rgba = Buffer.alloc(out.width * out.height * 4, 255);
      for (let p = 0; p < out.width * out.height; p++)
        for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(fill[p * 3 + c] * (1 - f) + mean[c] * f);
      return encodeRgba(rgba, out, request.format);
    }
    case 'style-transfer': {
      const k = clamp01(request.strength ?? 0.9) * 0.7;
      const mean = request.styleImage ? await meanColour(request.styleImage) : [128, 128, 128];
      const rgba = Buffer.from(image.data);
      for (let p = 0; p < size.width * size.height; p++)
        for (let c = 0; c < 3; c++)
          rgba[p * 4 + c] = Math.round(image.data[p * 4 + c] * (1 - k) + (mean[c] ?? 128) * k);
      return encodeRgba(rgba, size, request.format);
    }
    case 'image-to-image': {
      const s = clamp01(request.strength ?? 0.5);
      const fill = await paintFor(request, size);
      const rgba = Buffer.alloc(size.width * size.height * 4, 255);
      for (let p = 0; p < size.width * size.height; p++)
        for (let c = 0; c < 3; c++)
          rgba[p * 4 + c] = Math.round(image.data[p * 4 + c] * (1 - s) + fill[p * 3 + c] * s);
      return encodeRgba(rgba, size, request.format);
    }
    case 'creative-upscale':
    case 'conservative-upscale':
    case 'fast-upscale': {
      const out = upscaledSize(request.service, size);
      const rgba = await sharp(image.data, { raw: { ...size, channels: 4 } })
        .resize(out.width, out.height, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer();
      return encodeRgba(rgba, out, request.format);
    }
  }
}
