import { concat } from './bytes';

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
export function readExifUserComment(tiff: Uint8Array): string | undefined {
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
