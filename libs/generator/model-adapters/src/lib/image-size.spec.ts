import { readImageInfo } from './image-size';

function png(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

function jpeg(width: number, height: number): Uint8Array {
  // SOI, an APP0 segment of 16 bytes, then SOF0 with the frame size.
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...new Array(14).fill(0)];
  const sof0 = [
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    3,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof0]);
}

function webpVp8x(width: number, height: number): Uint8Array {
  const b = new Uint8Array(30);
  b.set(
    [...'RIFF'].map((c) => c.charCodeAt(0)),
    0,
  );
  b.set(
    [...'WEBPVP8X'].map((c) => c.charCodeAt(0)),
    8,
  );
  const w = width - 1;
  const h = height - 1;
  b.set([w & 255, (w >> 8) & 255, (w >> 16) & 255, h & 255, (h >> 8) & 255, (h >> 16) & 255], 24);
  return b;
}

describe(readImageInfo.name, () => {
  it.each([
    ['PNG', png(1536, 1536), { format: 'png', width: 1536, height: 1536 }],
    ['JPEG', jpeg(1344, 768), { format: 'jpeg', width: 1344, height: 768 }],
    ['WebP (VP8X)', webpVp8x(640, 1536), { format: 'webp', width: 640, height: 1536 }],
  ])('reads the size of a %s', (_name, bytes, expected) => {
    expect(readImageInfo(bytes)).toEqual(expected);
  });

  it('answers undefined for bytes that are no image', () => {
    expect(readImageInfo(new TextEncoder().encode('<html>not an image</html>'))).toBeUndefined();
    expect(readImageInfo(new Uint8Array())).toBeUndefined();
  });
});
