import { crc32, latin1 } from './bytes';
import { embedParametersText, readParametersText } from './parameters-codec';
import { pngChunk, pngTextChunk, pngWithChunks, readPngText } from './png';

/** The A1111 "parameters" text the generator writes (UTF-8 beyond Latin-1 included). */
const TEXT =
  'a café at night, 東京\nNegative prompt: blurry\nSeed: 42, Size: 1344x768, Aspect ratio: 16:9, Model: stability.sd3-5-large-v1:0, Created: 2026-11-24T10:00:00.000Z, Software: imagegen';
const SIZE = { width: 1344, height: 768 };

/** A PNG signature and IHDR (no image data): enough for the chunk codecs. */
function fakePng(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

describe(crc32.name, () => {
  it('is the CRC-32 of PNG and zlib: the check value of "123456789", and IEND’s well-known CRC', () => {
    expect(crc32(latin1('123456789'))).toBe(0xcbf43926);
    expect(crc32(latin1('IEND'))).toBe(0xae426082);
  });
});

describe(pngChunk.name, () => {
  it('writes length, type, data and the CRC of type and data', () => {
    expect([...pngChunk('IEND', new Uint8Array(0))]).toEqual([
      0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]);
  });

  it('puts a tEXt chunk right after IHDR, where a reader finds it', () => {
    const png = fakePng(4, 4);
    const out = pngWithChunks(png, pngTextChunk('Software', 'imagegen offline engine'));
    expect([...out.subarray(0, 33)]).toEqual([...png]);
    expect(new TextDecoder().decode(out.subarray(37, 41))).toBe('tEXt');
    expect(readPngText(out, 'Software')).toBe('imagegen offline engine');
    expect(readPngText(out, 'parameters')).toBeUndefined();
  });
});

describe(embedParametersText.name, () => {
  it('puts the parameters into a PNG right after IHDR, in UTF-8, and reads them back', () => {
    const png = fakePng(1344, 768);
    const out = embedParametersText(png, 'png', TEXT, SIZE);
    expect([...out.subarray(0, 33)]).toEqual([...png]);
    expect(new TextDecoder().decode(out.subarray(37, 41))).toBe('iTXt');
    expect(readParametersText(out)).toBe(TEXT);
  });

  it('puts them into a JPEG comment and an EXIF UserComment after the JFIF header, and reads them back', () => {
    const jfif = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0];
    const jpeg = new Uint8Array([0xff, 0xd8, ...jfif, 0xff, 0xd9]);
    const out = embedParametersText(jpeg, 'jpeg', TEXT, SIZE);
    expect(readParametersText(out)).toBe(TEXT);
    expect([...out.subarray(2, 2 + jfif.length)]).toEqual(jfif);
    expect(new TextDecoder().decode(out.subarray(2 + jfif.length + 4, 2 + jfif.length + 10))).toBe(
      'Exif\0\0',
    );
    expect([...out.subarray(out.length - 2)]).toEqual([0xff, 0xd9]);
  });

  it('turns a simple WebP into the extended layout with an EXIF chunk and reads them back', () => {
    // RIFF, WEBP, then a VP8L chunk of 5 bytes (signature + 1344x768 with alpha) padded to even
    const bits = (1344 - 1) | ((768 - 1) << 14) | (1 << 28);
    const vp8l = [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >>> 24) & 0xff];
    const body = [...new TextEncoder().encode('WEBPVP8L'), 5, 0, 0, 0, ...vp8l, 0];
    const webp = new Uint8Array([...new TextEncoder().encode('RIFF'), body.length, 0, 0, 0, ...body]);
    const out = embedParametersText(webp, 'webp', TEXT, SIZE);
    const ascii = (at: number) => new TextDecoder().decode(out.subarray(at, at + 4));
    expect([ascii(0), ascii(8), ascii(12), ascii(30)]).toEqual(['RIFF', 'WEBP', 'VP8X', 'VP8L']);
    expect(out[20]).toBe(0x08 | 0x10); // EXIF and alpha flags
    expect(new DataView(out.buffer).getUint32(4, true)).toBe(out.length - 8);
    expect(readParametersText(out)).toBe(TEXT);
  });
});
