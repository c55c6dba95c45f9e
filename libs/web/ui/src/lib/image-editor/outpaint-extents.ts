/**
 * How far an outpaint extends the image on each side, in image pixels. Stability's outpaint on Bedrock takes
 * `left`, `right`, `up` and `down` from 0 to 2000 each, at least one above 0:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html
 */
export interface OutpaintExtents {
  readonly left: number;
  readonly right: number;
  readonly up: number;
  readonly down: number;
}

export type OutpaintSide = keyof OutpaintExtents;

export const OUTPAINT_SIDES: readonly OutpaintSide[] = ['left', 'right', 'up', 'down'];
export const MAX_OUTPAINT_EXTENT = 2000;
export const NO_EXTENTS: OutpaintExtents = { left: 0, right: 0, up: 0, down: 0 };

/** A whole number of pixels from 0 to 2000; anything else (empty, text, negative) becomes the nearest. */
export function clampExtent(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(MAX_OUTPAINT_EXTENT, Math.max(0, Math.round(value)));
}

/** The extents with one side set (clamped); the same object when nothing changes. */
export function withExtent(extents: OutpaintExtents, side: OutpaintSide, value: number): OutpaintExtents {
  const clamped = clampExtent(value);
  return extents[side] === clamped ? extents : { ...extents, [side]: clamped };
}

/**
 * A handle on one edge dragged by (dx, dy) image pixels: outwards (left for the left edge, up for the top)
 * extends that side, inwards shrinks it down to the original edge.
 */
export function dragExtent(
  start: OutpaintExtents,
  side: OutpaintSide,
  dx: number,
  dy: number,
): OutpaintExtents {
  const outwards = { left: -dx, right: dx, up: -dy, down: dy }[side];
  return withExtent(start, side, start[side] + outwards);
}

/** The image's size once extended. */
export function extendedSize(
  image: { width: number; height: number },
  e: OutpaintExtents,
): { width: number; height: number } {
  return { width: image.width + e.left + e.right, height: image.height + e.up + e.down };
}

export function hasExtent(e: OutpaintExtents): boolean {
  return OUTPAINT_SIDES.some((side) => e[side] > 0);
}
