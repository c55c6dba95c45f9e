import sharp, { Sharp } from 'sharp';

import { pngTextChunk, pngWithChunks } from '@imagegen/shared/util-image-codecs';

import { fnv1a, seededRandom } from './seeded';

export type EngineFormat = 'png' | 'jpeg' | 'webp';

export interface RenderRequest {
  readonly prompt: string;
  readonly negativePrompt?: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly format: EngineFormat;
}

/** Written into every PNG the engine makes (tEXt "Software"), so its images say what they are. */
export const OFFLINE_ENGINE_SOFTWARE = 'imagegen offline engine (procedural, not a diffusion model)';

function hsl(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h * 12) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

interface Blob {
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly color: [number, number, number];
  readonly strength: number;
}

/** Draws the picture at a quarter of the size: gradient sky, soft blobs, waves. */
function paint(request: Omit<RenderRequest, 'format'>, w: number, h: number): Buffer {
  const rand = seededRandom(
    fnv1a(`${request.prompt}\u0000${request.negativePrompt ?? ''}\u0000${request.seed}`),
  );
  const hue = rand();
  const palette = [0, 0.08, 0.5, 0.58, 0.33].map((d, i) =>
    hsl((hue + d + rand() * 0.05) % 1, 0.45 + rand() * 0.4, 0.25 + i * 0.1 + rand() * 0.15),
  );
  const angle = rand() * Math.PI * 2;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const blobs: Blob[] = Array.from({ length: 5 + Math.floor(rand() * 6) }, () => ({
    x: rand() * w,
    y: rand() * h,
    r: (0.08 + rand() * 0.3) * Math.max(w, h),
    color: palette[Math.floor(rand() * palette.length)],
    strength: 0.35 + rand() * 0.5,
  }));
  const waves = {
    freq: 2 + rand() * 6,
    amp: 0.04 + rand() * 0.08,
    phase: rand() * 6.28,
    level: 0.55 + rand() * 0.3,
    color: palette[4],
  };

  const out = Buffer.alloc(w * h * 3);
  const [c0, c1] = [palette[0], palette[1]];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = Math.min(1, Math.max(0, 0.5 + ((x / w - 0.5) * dx + (y / h - 0.5) * dy)));
      let r = c0[0] + (c1[0] - c0[0]) * t;
      let g = c0[1] + (c1[1] - c0[1]) * t;
      let b = c0[2] + (c1[2] - c0[2]) * t;
      for (const blob of blobs) {
        const d2 = ((x - blob.x) ** 2 + (y - blob.y) ** 2) / (blob.r * blob.r);
        if (d2 < 1) {
          const a = (1 - d2) * (1 - d2) * blob.strength;
          r += (blob.color[0] - r) * a;
          g += (blob.color[1] - g) * a;
          b += (blob.color[2] - b) * a;
        }
      }
      const horizon = waves.level + waves.amp * Math.sin((x / w) * waves.freq * Math.PI * 2 + waves.phase);
      if (y / h > horizon) {
        const a = Math.min(0.85, (y / h - horizon) * 6);
        r += (waves.color[0] - r) * a;
        g += (waves.color[1] - g) * a;
        b += (waves.color[2] - b) * a;
      }
      const i = (y * w + x) * 3;
      out[i] = r;
      out[i + 1] = g;
      out[i + 2] = b;
    }
  }
  return out;
}

/**
 * Renders a deterministic procedural image for a prompt: same prompt, seed, size and format give
 * the same bytes; different prompts give clearly different pictures. Painted at a quarter of the
 * size and scaled up, so a 1536x1536 PNG takes a fraction of a second.
 */
export async function renderImage(request: RenderRequest): Promise<Buffer> {
  return encodeImage(paintScaled(request), request.format);
}

/** The picture renderImage draws, as raw RGB pixels at the requested size (what the image services blend in). */
export async function renderPixels(request: Omit<RenderRequest, 'format'>): Promise<Buffer> {
  return paintScaled(request).raw().toBuffer();
}

function paintScaled(request: Omit<RenderRequest, 'format'>): Sharp {
  const w = Math.max(1, Math.round(request.width / 4));
  const h = Math.max(1, Math.round(request.height / 4));
  const pixels = paint(request, w, h);
  return sharp(pixels, { raw: { width: w, height: h, channels: 3 } }).resize(request.width, request.height, {
    kernel: 'cubic',
    fit: 'fill',
  });
}

/** Encodes an image in the engine's way: PNG with its Software chunk, JPEG q88, WebP q85. */
export async function encodeImage(image: Sharp, format: EngineFormat): Promise<Buffer> {
  switch (format) {
    case 'png':
      // The one PNG chunk writer (shared-util-image-codecs), the generator's too.
      return Buffer.from(
        pngWithChunks(
          await image.png({ compressionLevel: 3, adaptiveFiltering: false }).toBuffer(),
          pngTextChunk('Software', OFFLINE_ENGINE_SOFTWARE),
        ),
      );
    case 'jpeg':
      return image.jpeg({ quality: 88 }).toBuffer();
    case 'webp':
      return image.webp({ quality: 85 }).toBuffer();
  }
}
