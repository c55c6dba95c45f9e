import { concat, crc32, latin1, utf8 } from './bytes';

/** The end of a PNG's IHDR chunk: signature (8), then IHDR's length, type, 13 bytes of data and CRC. */
export const PNG_IHDR_END = 8 + 4 + 4 + 13 + 4;

/** One PNG chunk: length, type, data, and the CRC-32 of type and data (PNG spec, 5.3 Chunk layout). */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = latin1(type);
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, data.length);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat(typeBytes, data)));
  return concat(head, typeBytes, data, crc);
}

/** A PNG tEXt chunk (Latin-1): keyword, a zero byte, text. */
export const pngTextChunk = (keyword: string, text: string): Uint8Array =>
  pngChunk('tEXt', concat(latin1(keyword), new Uint8Array([0]), latin1(text)));

/** A PNG iTXt chunk (UTF-8, uncompressed): keyword, flags, empty language and translated keyword, text. */
export const pngITxtChunk = (keyword: string, text: string): Uint8Array =>
  pngChunk('iTXt', concat(utf8(keyword), new Uint8Array([0, 0, 0, 0, 0]), utf8(text)));

/** The PNG with the chunks inserted right after IHDR (text chunks may go anywhere before IEND). */
export function pngWithChunks(png: Uint8Array, ...chunks: Uint8Array[]): Uint8Array {
  if (png.length < PNG_IHDR_END) return png;
  return concat(png.subarray(0, PNG_IHDR_END), ...chunks, png.subarray(PNG_IHDR_END));
}

/** The text of a PNG's first tEXt or iTXt chunk with this keyword before the image data, if any. */
export function readPngText(bytes: Uint8Array, keyword: string): string | undefined {
  if (bytes[0] !== 0x89 || bytes[1] !== 0x50) return undefined;
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = `${keyword}\0`;
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if ((type === 'iTXt' || type === 'tEXt') && decode(data.subarray(0, prefix.length)) === prefix) {
      if (type === 'tEXt') return decode(data.subarray(prefix.length));
      let i = prefix.length + 2; // compression flag and method
      i = data.indexOf(0, i) + 1; // language tag
      i = data.indexOf(0, i) + 1; // translated keyword
      return decode(data.subarray(i));
    }
    if (type === 'IDAT') return undefined;
    at += 12 + length;
  }
  return undefined;
}
