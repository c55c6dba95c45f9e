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
    [`Seed: ${p.seed}`, `Size: ${p.width}x${p.height}`, `Aspect ratio: ${p.request.aspectRatio}`, `Model: ${p.request.modelId}`, `Created: ${p.createdAt}`, 'Software: imagegen'].join(', '),
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
const JPEG_COMMENT_MAX = 65_533;

/**
 * Writes the parameters into the image: a PNG `parameters` iTXt chunk after IHDR, or a JPEG
 * comment (COM) segment after SOI. WebP is left as it is (its metadata needs the extended VP8X
 * layout, which we do not rewrite).
 */
export function embedParameters(bytes: Uint8Array, format: OutputFormat, parameters: ImageParameters): Uint8Array {
  const text = parametersText(parameters);
  if (format === 'png' && bytes.length >= PNG_IHDR_END) {
    return concat(bytes.subarray(0, PNG_IHDR_END), pngITxt('parameters', text), bytes.subarray(PNG_IHDR_END));
  }
  if (format === 'jpeg' && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let body = utf8(text);
    if (body.length > JPEG_COMMENT_MAX) body = body.subarray(0, JPEG_COMMENT_MAX);
    const marker = new Uint8Array([0xff, 0xfe, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
    return concat(bytes.subarray(0, 2), marker, body, bytes.subarray(2));
  }
  return bytes;
}

/** Reads the parameters text back from a PNG (iTXt or tEXt `parameters`) or a JPEG comment. */
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
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff && bytes[3] === 0xfe) {
    const length = (bytes[4] << 8) | bytes[5];
    return decode(bytes.subarray(6, 4 + length));
  }
  return undefined;
}
