import {
  ErrorCode,
  inputLimitBreaches,
  ProblemError,
  type FitMode,
  type InputImageLimits,
  type InputLimitBreach,
} from '@imagegen/contracts';

import { loadSharp } from './load-sharp';

/**
 * The most pixels the worker decodes at all, whatever the service: an image's header is read first
 * and anything larger is refused before a pixel is decoded (a 100,000 × 100,000 PNG is a few
 * kilobytes and would need 30 GB). Above every service's own limit, so that a large photo can
 * still be fitted (downscaled) rather than refused.
 */
export const MAX_DECODE_PIXELS = 50_000_000;

/** The image types the services take (and uploads may declare); anything else is refused. */
export const ACCEPTED_IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type AcceptedImageContentType = (typeof ACCEPTED_IMAGE_CONTENT_TYPES)[number];

export type InputImageFormat = 'png' | 'jpeg' | 'webp';

export const INPUT_IMAGE_CONTENT_TYPE: Readonly<Record<InputImageFormat, AcceptedImageContentType>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

/** A service's input limits and what to do outside them: the catalog's types (@imagegen/contracts). */
export type { FitMode, InputImageLimits } from '@imagegen/contracts';

export type FitAction = 'none' | 'downscale' | 'upscale' | 'crop' | 'pad';

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** The size an image will be given to the service, and how it gets there. */
export interface FitPlan extends ImageSize {
  readonly action: FitAction;
}

export interface InspectedImage extends ImageSize {
  readonly format: InputImageFormat;
  /** width and height are as displayed, after the EXIF orientation. */
  readonly hasAlpha: boolean;
  readonly bytes: number;
}

export interface PreparedInputImage extends ImageSize {
  /** PNG, EXIF orientation applied, sRGB, no metadata. */
  readonly bytes: Uint8Array;
  readonly hasAlpha: boolean;
  /** Set when the image was changed to fit the service's limits. */
  readonly fitted?: { readonly from: ImageSize; readonly action: Exclude<FitAction, 'none'> };
}

// ---------------------------------------------------------------------------------------------
// What the bytes are: magic numbers, never the name or the declared content type.

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}

function sniffAccepted(bytes: Uint8Array): InputImageFormat | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  return undefined;
}

/** A name for what a refused file is, so that the person knows what they gave. */
function describeOther(bytes: Uint8Array): string | undefined {
  if (ascii(bytes, 0, 4) === 'GIF8') return 'a GIF image';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 26) return 'a BMP image';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'a TIFF image';
  }
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (brand.startsWith('avi')) return 'an AVIF image';
    if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'a HEIC image';
    return 'an ISO media file (video or HEIF)';
  }
  if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
  // stream: a character cut at the 512th byte is held back, not turned into U+FFFD.
  const head = new TextDecoder('utf-8').decode(bytes.subarray(0, 512), { stream: true });
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (/^<(\?xml|svg|!doctype|!--)/i.test(text) && /<svg/i.test(head)) return 'an SVG image';
  if (/^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(head.replace(/\uFFFD/g, '\u0000'))) return 'text';
  return undefined;
}

/** The format the bytes are, from their magic numbers; anything but JPEG, PNG or WebP is refused. */
export function sniffImageFormat(bytes: Uint8Array): InputImageFormat {
  if (bytes.length === 0) {
    throw ProblemError.of(ErrorCode.INPUT_IMAGE_UNREADABLE, 'the file is empty (0 bytes)');
  }
  const format = sniffAccepted(bytes);
  if (format) return format;
  const what = describeOther(bytes);
  throw ProblemError.of(
    ErrorCode.INPUT_IMAGE_TYPE,
    what
      ? `the file is ${what}, whatever its name says; only JPEG, PNG and WebP images can be edited`
      : 'the file is not a JPEG, PNG or WebP image, whatever its name says: convert it to one of these',
  );
}

/**
 * The frame count an animated PNG declares (its acTL chunk, which must come before the first
 * IDAT), or 1. libvips reads the first frame of an APNG as a still PNG, so this is checked here.
 */
function pngFrameCount(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = PNG_SIGNATURE.length; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = ascii(bytes, at + 4, 4);
    if (type === 'acTL') return at + 12 <= bytes.length ? view.getUint32(at + 8) : 1;
    if (type === 'IDAT' || type === 'IEND') return 1;
    at += 12 + length;
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Header checks (no pixels decoded), then the decode.

const n = (value: number) => value.toLocaleString('en-US');
const px = (size: ImageSize) => `${n(size.width)}×${n(size.height)} px`;

interface Header extends InspectedImage {
  /** Before the EXIF orientation, as stored. */
  readonly stored: ImageSize;
}

/** Options for every decode: the pixel cap as a second fence, and truncated data is an error. */
const DECODE = { limitInputPixels: MAX_DECODE_PIXELS, failOn: 'truncated' } as const;

/** Type, header, size and animation checks: only the header is read, never the pixels. */
async function readHeader(bytes: Uint8Array): Promise<Header> {
  const format = sniffImageFormat(bytes);
  const lib = await loadSharp();
  // No pixel limit here: the header's own size is compared below, with a useful message.
  const meta = await lib(bytes, { limitInputPixels: false, failOn: 'truncated' })
    .metadata()
    .catch(() => {
      throw ProblemError.of(
        ErrorCode.INPUT_IMAGE_UNREADABLE,
        `the file starts like a ${format.toUpperCase()} image but its header cannot be read: ` +
          'it is truncated or corrupt',
      );
    });
  if (meta.format !== format) {
    throw ProblemError.of(ErrorCode.INPUT_IMAGE_TYPE, 'the file is not a JPEG, PNG or WebP image');
  }
  const stored = { width: meta.width, height: meta.height };
  if (stored.width * stored.height > MAX_DECODE_PIXELS) {
    throw ProblemError.of(
      ErrorCode.INPUT_IMAGE_TOO_LARGE,
      `the image is ${px(stored)} (${n(stored.width * stored.height)} px); ` +
        `at most ${n(MAX_DECODE_PIXELS)} px can be opened: make it smaller before uploading it`,
    );
  }
  const frames = Math.max(meta.pages ?? 1, format === 'png' ? pngFrameCount(bytes) : 1);
  if (frames > 1) {
    throw ProblemError.of(
      ErrorCode.INPUT_IMAGE_ANIMATED,
      `the image is animated (${n(frames)} frames): save the frame you want as a still image`,
    );
  }
  return {
    format,
    width: meta.autoOrient.width,
    height: meta.autoOrient.height,
    hasAlpha: meta.hasAlpha,
    bytes: bytes.length,
    stored,
  };
}

function unreadable(): ProblemError {
  return ProblemError.of(
    ErrorCode.INPUT_IMAGE_UNREADABLE,
    'the image is truncated or corrupt: its pixels cannot be decoded; upload the file again or export it anew',
  );
}

/** Runs a decode, turning libvips's failures (truncated, corrupt data) into a problem. */
async function decoding<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    throw unreadable();
  }
}

/**
 * What an input image is: its type from its magic bytes, its size as displayed (after the EXIF
 * orientation) and whether it has alpha. The header is checked first (type, pixel cap, animation),
 * then every pixel is decoded once, so that a truncated or corrupt file is refused here.
 */
export async function inspectInputImage(bytes: Uint8Array): Promise<InspectedImage> {
  const header = await readHeader(bytes);
  const lib = await loadSharp();
  await decoding(() => lib(bytes, DECODE).raw().toBuffer());
  return {
    format: header.format,
    width: header.width,
    height: header.height,
    hasAlpha: header.hasAlpha,
    bytes: header.bytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Fitting to a service's limits (pure).

const ratio = (aspect: number): string => {
  const r = (x: number) => String(Number(x.toFixed(2)));
  return aspect >= 1 ? `${r(aspect)}:1` : `1:${r(1 / aspect)}`;
};

function rule(breach: InputLimitBreach, limits: InputImageLimits): string {
  switch (breach) {
    case 'maxPixels':
      return `at most ${n(limits.maxPixels)} px`;
    case 'maxSide':
      return `each side at most ${n(limits.maxSide ?? 0)} px`;
    case 'minSide':
      return `each side at least ${n(limits.minSide)} px`;
    case 'minPixels':
      return `at least ${n(limits.minPixels)} px`;
    case 'aspect':
      return `an aspect between ${ratio(limits.minAspect)} and ${ratio(limits.maxAspect)}`;
  }
}

function describe(size: ImageSize, breach: InputLimitBreach): string {
  const aspect = breach === 'aspect' ? `, aspect ${ratio(size.width / size.height)}` : '';
  const total = breach.endsWith('Pixels') ? ` (${n(size.width * size.height)} px)` : '';
  return `the image is ${px(size)}${total}${aspect}`;
}

const HINT: Readonly<Record<InputLimitBreach, string>> = {
  maxPixels: "choose 'Fit' to downscale it",
  maxSide: "choose 'Fit' to downscale it",
  minSide: "choose 'Fit' to enlarge it",
  minPixels: "choose 'Fit' to enlarge it",
  aspect: "choose 'Crop' or 'Pad' to bring it to an allowed aspect",
};

function outOfLimits(detail: string): ProblemError {
  return ProblemError.of(ErrorCode.INPUT_IMAGE_OUT_OF_LIMITS, detail);
}

/** The size nearest to the image's own aspect that is allowed: cut from the longer side. */
function cropToAspect({ width, height }: ImageSize, limits: InputImageLimits): ImageSize {
  if (width / height > limits.maxAspect) return { width: Math.floor(height * limits.maxAspect), height };
  if (width / height < limits.minAspect) return { width, height: Math.floor(width / limits.minAspect) };
  return { width, height };
}

/** The canvas at the nearest allowed aspect that holds the whole image: added to the shorter side. */
function padToAspect({ width, height }: ImageSize, limits: InputImageLimits): ImageSize {
  if (width / height > limits.maxAspect) return { width, height: Math.ceil(width / limits.maxAspect) };
  if (width / height < limits.minAspect) return { width: Math.ceil(height * limits.minAspect), height };
  return { width, height };
}

/**
 * The size, keeping the aspect, that is within the pixel and side limits: smaller when over a
 * maximum, larger when under a minimum. Rounding may move the aspect past a bound by a pixel: the
 * side is then nudged back, towards fewer pixels when shrinking and more when growing.
 */
function scaleIntoLimits(size: ImageSize, limits: InputImageLimits): FitPlan {
  const { width, height } = size;
  const pixels = width * height;
  const down = Math.min(
    1,
    Math.sqrt(limits.maxPixels / pixels),
    limits.maxSide !== undefined ? limits.maxSide / Math.max(width, height) : 1,
  );
  if (down < 1) {
    let w = Math.max(1, Math.floor(width * down));
    let h = Math.max(1, Math.floor(height * down));
    while (w * h > limits.maxPixels) {
      if (w >= h) w--;
      else h--;
    }
    while (w > 1 && w / h > limits.maxAspect) w--;
    while (h > 1 && w / h < limits.minAspect) h--;
    return { width: w, height: h, action: 'downscale' };
  }
  const up = Math.max(1, limits.minSide / Math.min(width, height), Math.sqrt(limits.minPixels / pixels));
  if (up > 1) {
    let w = Math.ceil(width * up - 1e-9);
    let h = Math.ceil(height * up - 1e-9);
    while (w / h > limits.maxAspect) h++;
    while (w / h < limits.minAspect) w++;
    return { width: w, height: h, action: 'upscale' };
  }
  return { width, height, action: 'none' };
}

/**
 * What fitting an image (its size as displayed) to a service's limits would do: the size it will
 * be sent at, and how. Throws INPUT_IMAGE_OUT_OF_LIMITS when it is outside them and `fit` is
 * 'reject', or when the fit asked for cannot bring it inside (downscaling keeps the aspect).
 *
 * - downscale: keeps the aspect and shrinks to the pixel cap and the longest side allowed; an
 *   image below a minimum is enlarged to it instead ('upscale').
 * - crop: cuts the centre at the nearest allowed aspect; pad: adds transparent edges up to it.
 *   Both are then scaled like 'downscale' if the pixel or side limits ask for it.
 */
export function fitPlan(size: ImageSize, limits: InputImageLimits, fit: FitMode): FitPlan {
  const found = inputLimitBreaches(size, limits);
  if (found.length === 0) return { width: size.width, height: size.height, action: 'none' };
  const first = found[0];
  if (fit === 'reject') {
    throw outOfLimits(`${describe(size, first)}; ${rule(first, limits)} allowed: ${HINT[first]}`);
  }
  const aspectWrong = found.includes('aspect');
  if (aspectWrong && fit === 'downscale') {
    throw outOfLimits(
      `${describe(size, 'aspect')}; ${rule('aspect', limits)} allowed, and resizing keeps the aspect: ` +
        HINT.aspect,
    );
  }
  const canvas = !aspectWrong
    ? size
    : fit === 'crop'
      ? cropToAspect(size, limits)
      : padToAspect(size, limits);
  const scaled = scaleIntoLimits(canvas, limits);
  const left = inputLimitBreaches(scaled, limits);
  if (left.length > 0) {
    throw outOfLimits(
      `${describe(size, first)}, and fitting it would make it ${px(scaled)}, which still breaks the ` +
        `limit of ${rule(left[0], limits)}: upload an image nearer the limits`,
    );
  }
  const action: FitAction = aspectWrong ? (fit as 'crop' | 'pad') : scaled.action;
  return { width: scaled.width, height: scaled.height, action };
}

// ---------------------------------------------------------------------------------------------
// Preparing the bytes the service is given.

const TRANSPARENT = { r: 0, g: 0, b: 0, alpha: 0 };

/** How sharp's resize does each action: exact size, centre crop, or transparent letterbox. */
const RESIZE_FIT = { downscale: 'fill', upscale: 'fill', crop: 'cover', pad: 'contain' } as const;

/**
 * The image as the service will get it: checked like inspectInputImage, fitted to the limits
 * (see fitPlan), turned upright by its EXIF orientation, converted to sRGB and written as a PNG
 * without metadata (EXIF, XMP, ICC profile, text chunks: nothing of the upload's is sent on).
 * The pixels are decoded once; a truncated or corrupt file is refused as INPUT_IMAGE_UNREADABLE.
 */
export async function prepareInputImage(
  bytes: Uint8Array,
  limits: InputImageLimits,
  fit: FitMode,
): Promise<PreparedInputImage> {
  const header = await readHeader(bytes);
  const plan = fitPlan(header, limits, fit);
  const lib = await loadSharp();
  const { data, info } = await decoding(() => {
    let image = lib(bytes, DECODE).autoOrient();
    if (plan.action !== 'none') {
      image = image.resize({
        width: plan.width,
        height: plan.height,
        fit: RESIZE_FIT[plan.action],
        position: 'centre',
        background: TRANSPARENT,
      });
    }
    // sharp writes no metadata unless asked (keepMetadata/withMetadata), and converts to sRGB.
    return image.toColourspace('srgb').png({ compressionLevel: 6 }).toBuffer({ resolveWithObject: true });
  });
  return {
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    hasAlpha: info.channels === 4,
    ...(plan.action !== 'none'
      ? { fitted: { from: { width: header.width, height: header.height }, action: plan.action } }
      : {}),
  };
}

/**
 * A mask as the services read it: one greyscale channel, white edits, black keeps, grey partly;
 * at the image's size (resized when it differs). Any accepted image can be a mask: colours become
 * their luminance, and transparent pixels count as black (kept).
 */
export async function prepareMask(bytes: Uint8Array, size: ImageSize): Promise<Uint8Array> {
  const header = await readHeader(bytes);
  const lib = await loadSharp();
  const data = await decoding(() => {
    let image = lib(bytes, DECODE).autoOrient().flatten({ background: '#000000' });
    if (header.width !== size.width || header.height !== size.height) {
      image = image.resize({ width: size.width, height: size.height, fit: 'fill' });
    }
    return image.toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
  });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Milliseconds the worker's check of one input image takes (prepareInputImage with a downscale
 * fit), for the benchmark. A refused image rejects with its problem, as in the worker.
 */
export async function measureInputCheck(
  bytes: Uint8Array,
  limits: InputImageLimits,
  fit: FitMode = 'downscale',
): Promise<number> {
  const started = performance.now();
  await prepareInputImage(bytes, limits, fit);
  return performance.now() - started;
}
