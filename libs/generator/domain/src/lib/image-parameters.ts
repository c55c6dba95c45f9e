import { NormalizedGenerateImageRequest, OutputFormat } from '@imagegen/contracts';

/** What a file says about how it was made (the "parameters" convention image tools read). */
export interface ImageParameters {
  readonly request: NormalizedGenerateImageRequest;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly createdAt: string;
}

/** The A1111-style text: the prompt, then "Negative prompt: …", then `Key: value` pairs. */
export function parametersText(p: ImageParameters): string {
  const lines = [p.request.prompt];
  if (p.request.negativePrompt) lines.push(`Negative prompt: ${p.request.negativePrompt}`);
  lines.push(
    [
      `Seed: ${p.seed}`,
      `Size: ${p.width}x${p.height}`,
      `Aspect ratio: ${p.request.aspectRatio}`,
      `Model: ${p.request.modelId}`,
      `Created: ${p.createdAt}`,
      'Software: imagegen',
    ].join(', '),
  );
  return lines.join('\n');
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A PNG iTXt chunk (UTF-8, uncompressed): keyword, flags, empty language and translated keyword, text. */
function pngITxt(keyword: string, text: string): Uint8Array {
  const data = concat(utf8(keyword), new Uint8Array([0, 0, 0, 0, 0]), utf8(text));
  const type = utf8('iTXt');
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, data.length);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat(type, data)));
  return concat(head, type, data, crc);
}

const PNG_IHDR_END = 8 + 4 + 4 + 13 + 4;
const JPEG_SEGMENT_MAX = 65_533;
const EXIF_USER_COMMENT_UNICODE = [0x55, 0x4e, 0x49, 0x43, 0x4f, 0x44, 0x45, 0x00]; // "UNICODE\0"

function utf16be(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) >> 8;
    out[2 * i + 1] = text.charCodeAt(i) & 0xff;
  }
  return out;
}

/**
 * A big-endian TIFF block with one EXIF tag: UserComment (0x9286) in Unicode, the field
 * Automatic1111 and the tools that read its files use for the parameters of JPEG and WebP images.
 */
export function exifUserComment(text: string): Uint8Array {
  const comment = concat(new Uint8Array(EXIF_USER_COMMENT_UNICODE), utf16be(text));
  const tiff = new Uint8Array(44 + comment.length);
  const v = new DataView(tiff.buffer);
  tiff.set([0x4d, 0x4d, 0x00, 0x2a]); // "MM", 42
  v.setUint32(4, 8); // IFD0 at 8
  v.setUint16(8, 1); // one entry: the Exif IFD pointer
  v.setUint16(10, 0x8769);
  v.setUint16(12, 4); // LONG
  v.setUint32(14, 1);
  v.setUint32(18, 26); // Exif IFD at 26
  v.setUint32(22, 0); // no IFD1
  v.setUint16(26, 1); // one entry: UserComment
  v.setUint16(28, 0x9286);
  v.setUint16(30, 7); // UNDEFINED
  v.setUint32(32, comment.length);
  v.setUint32(36, 44); // its bytes at 44
  v.setUint32(40, 0);
  tiff.set(comment, 44);
  return tiff;
}

/** Reads the UserComment back from a TIFF block written by `exifUserComment` (or any with the same layout). */
function readExifUserComment(tiff: Uint8Array): string | undefined {
  if (tiff.length < 16 || tiff[0] !== 0x4d || tiff[1] !== 0x4d) return undefined;
  const v = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const findTag = (ifd: number, tag: number) => {
    const n = v.getUint16(ifd);
    for (let i = 0; i < n; i++) {
      const at = ifd + 2 + 12 * i;
      if (v.getUint16(at) === tag) return { count: v.getUint32(at + 4), value: v.getUint32(at + 8) };
    }
    return undefined;
  };
  const exif = findTag(v.getUint32(4), 0x8769);
  const comment = exif ? findTag(exif.value, 0x9286) : undefined;
  if (!comment) return undefined;
  const bytes = tiff.subarray(comment.value + 8, comment.value + comment.count);
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
  return text;
}

function jpegSegment(marker: number, payload: Uint8Array): Uint8Array {
  const body = payload.length > JPEG_SEGMENT_MAX ? payload.subarray(0, JPEG_SEGMENT_MAX) : payload;
  return concat(new Uint8Array([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body);
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const u32le = (n: number) => new Uint8Array([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]);
const u24le = (n: number) => new Uint8Array([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);

function riffChunk(fourcc: string, payload: Uint8Array): Uint8Array {
  return concat(
    utf8(fourcc),
    u32le(payload.length),
    payload,
    payload.length % 2 ? new Uint8Array(1) : new Uint8Array(0),
  );
}

/**
 * Adds an EXIF chunk to a WebP: a simple (VP8 / VP8L) file becomes the extended layout, a VP8X header
 * with the EXIF flag (and the alpha flag a lossless image declares) before the image, EXIF after it.
 */
function webpWithExif(bytes: Uint8Array, width: number, height: number, tiff: Uint8Array): Uint8Array {
  if (bytes.length < 20 || ascii(bytes, 0, 4) !== 'RIFF' || ascii(bytes, 8, 4) !== 'WEBP') return bytes;
  const first = ascii(bytes, 12, 4);
  const chunks = bytes.subarray(12);
  let head: Uint8Array;
  let rest: Uint8Array;
  if (first === 'VP8X') {
    head = new Uint8Array(bytes.subarray(12, 30));
    head[8] |= 0x08;
    rest = bytes.subarray(30);
  } else {
    const alpha =
      first === 'VP8L' &&
      bytes.length > 24 &&
      ((bytes[21] | (bytes[22] << 8) | (bytes[23] << 16) | (bytes[24] << 24)) >>> 28) & 1;
    const vp8x = concat(
      new Uint8Array([0x08 | (alpha ? 0x10 : 0), 0, 0, 0]),
      u24le(width - 1),
      u24le(height - 1),
    );
    head = riffChunk('VP8X', vp8x);
    rest = chunks;
  }
  const body = concat(utf8('WEBP'), head, rest, riffChunk('EXIF', tiff));
  return concat(utf8('RIFF'), u32le(body.length), body);
}

/**
 * Writes the parameters into the image, where image tools look for them: a PNG `parameters` iTXt
 * chunk after IHDR; in a JPEG an EXIF UserComment (APP1) and a comment (COM) after the JFIF header;
 * in a WebP an EXIF chunk (the file becomes the extended VP8X layout).
 */
export function embedParameters(
  bytes: Uint8Array,
  format: OutputFormat,
  parameters: ImageParameters,
): Uint8Array {
  const text = parametersText(parameters);
  if (format === 'png' && bytes.length >= PNG_IHDR_END) {
    return concat(bytes.subarray(0, PNG_IHDR_END), pngITxt('parameters', text), bytes.subarray(PNG_IHDR_END));
  }
  if (format === 'jpeg' && bytes[0] === 0xff && bytes[1] === 0xd8) {
    // After SOI and a JFIF APP0 when there is one (JFIF wants to come first).
    const at = bytes[2] === 0xff && bytes[3] === 0xe0 ? 4 + ((bytes[4] << 8) | bytes[5]) : 2;
    const exif = jpegSegment(0xe1, concat(utf8('Exif\0\0'), exifUserComment(text)));
    return concat(bytes.subarray(0, at), exif, jpegSegment(0xfe, utf8(text)), bytes.subarray(at));
  }
  if (format === 'webp')
    return webpWithExif(bytes, parameters.width, parameters.height, exifUserComment(text));
  return bytes;
}

/** Reads the parameters text back: a PNG iTXt/tEXt `parameters`, a JPEG comment, or a WebP EXIF UserComment. */
export function readParametersText(bytes: Uint8Array): string | undefined {
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 8; at + 8 <= bytes.length; ) {
      const length = view.getUint32(at);
      const type = decode(bytes.subarray(at + 4, at + 8));
      const data = bytes.subarray(at + 8, at + 8 + length);
      if ((type === 'iTXt' || type === 'tEXt') && decode(data.subarray(0, 11)) === 'parameters\0') {
        if (type === 'tEXt') return decode(data.subarray(11));
        let i = 11 + 2; // compression flag and method
        i = data.indexOf(0, i) + 1; // language tag
        i = data.indexOf(0, i) + 1; // translated keyword
        return decode(data.subarray(i));
      }
      if (type === 'IDAT') return undefined;
      at += 12 + length;
    }
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff; ) {
      const marker = bytes[at + 1];
      if (marker === 0xda || marker === 0xd9) return undefined; // image data: no comment before it
      const length = (bytes[at + 2] << 8) | bytes[at + 3];
      if (marker === 0xfe) return decode(bytes.subarray(at + 4, at + 2 + length));
      at += 2 + length;
    }
    return undefined;
  }
  if (bytes.length >= 20 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 12; at + 8 <= bytes.length; ) {
      const length = view.getUint32(at + 4, true);
      if (ascii(bytes, at, 4) === 'EXIF') return readExifUserComment(bytes.subarray(at + 8, at + 8 + length));
      at += 8 + length + (length % 2);
    }
  }
  return undefined;
}
