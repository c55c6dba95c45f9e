import { ascii, concat, utf8 } from './bytes';
import { exifUserComment, readExifUserComment } from './exif';
import { PNG_IHDR_END, pngITxtChunk, pngWithChunks, readPngText } from './png';

/** The image formats whose metadata these codecs write. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

const JPEG_SEGMENT_MAX = 65_533;

function jpegSegment(marker: number, payload: Uint8Array): Uint8Array {
  const body = payload.length > JPEG_SEGMENT_MAX ? payload.subarray(0, JPEG_SEGMENT_MAX) : payload;
  return concat(new Uint8Array([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body);
}

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
 * Writes a "parameters" text into the image, where image tools look for it: a PNG `parameters` iTXt
 * chunk after IHDR; in a JPEG an EXIF UserComment (APP1) and a comment (COM) after the JFIF header;
 * in a WebP an EXIF chunk (the file becomes the extended VP8X layout). Other bytes are kept as they are.
 */
export function embedParametersText(
  bytes: Uint8Array,
  format: ImageFormat,
  text: string,
  size: { readonly width: number; readonly height: number },
): Uint8Array {
  if (format === 'png' && bytes.length >= PNG_IHDR_END)
    return pngWithChunks(bytes, pngITxtChunk('parameters', text));
  if (format === 'jpeg' && bytes[0] === 0xff && bytes[1] === 0xd8) {
    // After SOI and a JFIF APP0 when there is one (JFIF wants to come first).
    const at = bytes[2] === 0xff && bytes[3] === 0xe0 ? 4 + ((bytes[4] << 8) | bytes[5]) : 2;
    const exif = jpegSegment(0xe1, concat(utf8('Exif\0\0'), exifUserComment(text)));
    return concat(bytes.subarray(0, at), exif, jpegSegment(0xfe, utf8(text)), bytes.subarray(at));
  }
  if (format === 'webp') return webpWithExif(bytes, size.width, size.height, exifUserComment(text));
  return bytes;
}

/** Reads the parameters text back: a PNG iTXt/tEXt `parameters`, a JPEG comment, or a WebP EXIF UserComment. */
export function readParametersText(bytes: Uint8Array): string | undefined {
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return readPngText(bytes, 'parameters');
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
