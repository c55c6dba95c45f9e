/**
 * Where the image sits on screen: `view = image × scale + offset`, in CSS pixels from the top-left of the
 * editor's viewport. Zoom and pan change only this; the mask is always painted in image pixels through
 * viewToImage, so what is painted at any zoom lands on the same pixels of the image.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface ViewTransform {
  /** Screen pixels per image pixel. */
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

/** A rectangle in image pixels (may start left of or above the image: the outpaint area). */
export interface Bounds {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The zoom range: from a whole 8K image on a phone to single pixels the size of a fingertip. */
export const MIN_SCALE = 0.01;
export const MAX_SCALE = 32;
/** One step of the zoom buttons and of the keyboard. */
export const ZOOM_STEP = 1.25;

export const IDENTITY: ViewTransform = { scale: 1, offsetX: 0, offsetY: 0 };

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

export function viewToImage(t: ViewTransform, p: Point): Point {
  return { x: (p.x - t.offsetX) / t.scale, y: (p.y - t.offsetY) / t.scale };
}

export function imageToView(t: ViewTransform, p: Point): Point {
  return { x: p.x * t.scale + t.offsetX, y: p.y * t.scale + t.offsetY };
}

/**
 * The transform that shows the whole of `content` (image pixels) centred in a viewport, with `margin` CSS
 * pixels around it; never larger than 1:1, so a small image is not blown up. A viewport with no size yet
 * (not laid out) gets the identity.
 */
export function fitTransform(
  content: Bounds,
  viewport: { width: number; height: number },
  margin = 8,
): ViewTransform {
  const room = { width: viewport.width - 2 * margin, height: viewport.height - 2 * margin };
  if (room.width <= 0 || room.height <= 0 || content.width <= 0 || content.height <= 0) return IDENTITY;
  const scale = clampScale(Math.min(1, room.width / content.width, room.height / content.height));
  return {
    scale,
    offsetX: (viewport.width - content.width * scale) / 2 - content.x * scale,
    offsetY: (viewport.height - content.height * scale) / 2 - content.y * scale,
  };
}

/** Zooms by `factor` keeping the image point under `anchor` (a view point: the cursor, the pinch) still. */
export function zoomAt(t: ViewTransform, factor: number, anchor: Point): ViewTransform {
  const scale = clampScale(t.scale * factor);
  const fixed = viewToImage(t, anchor);
  return { scale, offsetX: anchor.x - fixed.x * scale, offsetY: anchor.y - fixed.y * scale };
}

export function panBy(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { scale: t.scale, offsetX: t.offsetX + dx, offsetY: t.offsetY + dy };
}

/**
 * Two fingers moved from `from` to `to`: the zoom follows the change of their distance and the image point
 * that was under their midpoint follows the midpoint, so the picture stays under the fingers.
 */
export function pinch(
  t: ViewTransform,
  from: readonly [Point, Point],
  to: readonly [Point, Point],
): ViewTransform {
  const before = Math.hypot(from[1].x - from[0].x, from[1].y - from[0].y);
  const after = Math.hypot(to[1].x - to[0].x, to[1].y - to[0].y);
  const factor = before > 0 && after > 0 ? after / before : 1;
  const midFrom = midpoint(from[0], from[1]);
  const midTo = midpoint(to[0], to[1]);
  const zoomed = zoomAt(t, factor, midFrom);
  return panBy(zoomed, midTo.x - midFrom.x, midTo.y - midFrom.y);
}

export function midpoint(a: Point, b: Point): Point {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** The CSS transform that draws image pixels (origin top-left) where the transform says. */
export function cssTransform(t: ViewTransform): string {
  return `translate(${t.offsetX}px, ${t.offsetY}px) scale(${t.scale})`;
}
