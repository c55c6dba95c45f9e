/**
 * The mask of an image edit, free of any framework or canvas so that it can be tested whole: one byte per
 * pixel of the IMAGE (not of the screen), 0 keeps the pixel and 255 lets the service change it. Painting is
 * done in image pixels, so the mask a person sees at any zoom is the mask the service gets.
 */

/** How many pixels wide and high. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** A rectangle of pixels, in image coordinates (x and y the top-left pixel, both ends inclusive of x, exclusive of x + width). */
export interface PixelRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Brush paints the area to edit (255); the eraser gives it back (0). */
export type MaskTool = 'brush' | 'eraser';

/** A pointer sample in image pixels; pressure (0–1, from a pen) scales the brush when given. */
export interface StrokePoint {
  readonly x: number;
  readonly y: number;
  readonly pressure?: number;
}

export const MASK_EDIT = 255;
export const MASK_KEEP = 0;

/** The thinnest a light pen touch makes the brush, as a share of its size (so a stroke never vanishes). */
const MIN_PRESSURE_SCALE = 0.1;

export interface MaskModelOptions {
  /** The most undo steps kept (the oldest go first). */
  readonly historyLimit?: number;
  /** The most bytes the undo steps may hold together: a 9 MP mask is 9 MB a full-size step. */
  readonly historyBytes?: number;
}

/** One undoable step: the pixels of a rectangle before and after, or an invert (its own inverse). */
type Step =
  | {
      readonly kind: 'patch';
      readonly rect: PixelRect;
      readonly before: Uint8ClampedArray;
      readonly after: Uint8ClampedArray;
    }
  | { readonly kind: 'invert' };

interface ActiveStroke {
  readonly tool: MaskTool;
  readonly size: number;
  /** The mask as it was when the stroke began: the "before" of its undo step, and what a cancel restores. */
  readonly before: Uint8ClampedArray;
  last: StrokePoint;
  dirty: PixelRect | null;
}

/** The smallest rectangle holding both (either may be null: nothing). */
export function unionRect(a: PixelRect | null, b: PixelRect | null): PixelRect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/** The brush's radius in image pixels for a sample: half its size, scaled by pen pressure when there is one. */
export function brushRadius(size: number, pressure?: number): number {
  const radius = Math.max(0.5, size / 2);
  if (pressure === undefined || !Number.isFinite(pressure)) return radius;
  return radius * Math.min(1, Math.max(MIN_PRESSURE_SCALE, pressure));
}

export class MaskModel {
  readonly width: number;
  readonly height: number;
  private readonly data: Uint8ClampedArray;
  private readonly historyLimit: number;
  private readonly historyBytes: number;
  private undoSteps: Step[] = [];
  private redoSteps: Step[] = [];
  private stroke: ActiveStroke | null = null;
  /** Painted pixels (255); kept as strokes go so isEmpty() needs no scan of millions of bytes. */
  private painted = 0;
  private changes = 0;

  constructor(size: Size, options: MaskModelOptions = {}) {
    if (
      !Number.isInteger(size.width) ||
      !Number.isInteger(size.height) ||
      size.width < 1 ||
      size.height < 1
    ) {
      throw new RangeError(`A mask needs a whole, positive size; got ${size.width}×${size.height}`);
    }
    this.width = size.width;
    this.height = size.height;
    this.data = new Uint8ClampedArray(size.width * size.height);
    this.historyLimit = Math.max(1, options.historyLimit ?? 50);
    this.historyBytes = Math.max(1, options.historyBytes ?? 96 * 1024 * 1024);
  }

  /** The mask, one byte per image pixel, row by row (read it, do not write it). */
  get pixels(): Readonly<Uint8ClampedArray> {
    return this.data;
  }

  /** Goes up with every change to the pixels: a cheap "has it changed since I drew it?". */
  get version(): number {
    return this.changes;
  }

  get drawing(): boolean {
    return this.stroke !== null;
  }

  canUndo(): boolean {
    return this.undoSteps.length > 0;
  }

  canRedo(): boolean {
    return this.redoSteps.length > 0;
  }

  /** Nothing is marked for editing. */
  isEmpty(): boolean {
    return this.painted === 0;
  }

  valueAt(x: number, y: number): number {
    return this.data[y * this.width + x];
  }

  /** Starts a stroke with a dab at the first sample; returns the pixels it changed (null: none). */
  beginStroke(tool: MaskTool, size: number, point: StrokePoint): PixelRect | null {
    if (this.stroke) this.endStroke();
    this.stroke = { tool, size, before: this.data.slice(), last: point, dirty: null };
    return this.paintSegment(point, point);
  }

  /** Continues the stroke to the next sample, filling the gap so that a fast move leaves no holes. */
  extendStroke(point: StrokePoint): PixelRect | null {
    if (!this.stroke) return null;
    const from = this.stroke.last;
    this.stroke.last = point;
    return this.paintSegment(from, point);
  }

  /** Ends the stroke: it becomes one undo step (a stroke that changed nothing is no step). */
  endStroke(): void {
    const stroke = this.stroke;
    if (!stroke) return;
    this.stroke = null;
    if (!stroke.dirty) return;
    const rect = stroke.dirty;
    const before = copyRect(stroke.before, this.width, rect);
    const after = copyRect(this.data, this.width, rect);
    if (sameBytes(before, after)) return;
    this.record({ kind: 'patch', rect, before, after });
  }

  /** Drops the stroke in progress as if it never happened (a second finger turns a stroke into a pinch). */
  cancelStroke(): PixelRect | null {
    const stroke = this.stroke;
    if (!stroke) return null;
    this.stroke = null;
    if (!stroke.dirty) return null;
    this.write(stroke.dirty, copyRect(stroke.before, this.width, stroke.dirty));
    return stroke.dirty;
  }

  /** Marks nothing for editing (undoable); returns the pixels it changed. */
  clear(): PixelRect | null {
    this.endStroke();
    const rect = this.paintedBounds();
    if (!rect) return null;
    const before = copyRect(this.data, this.width, rect);
    const after = new Uint8ClampedArray(before.length);
    this.record({ kind: 'patch', rect, before, after });
    this.write(rect, after);
    return rect;
  }

  /** Swaps kept and edited pixels (undoable); returns the whole image as changed. */
  invert(): PixelRect {
    this.endStroke();
    this.record({ kind: 'invert' });
    this.invertPixels();
    return this.fullRect();
  }

  /** Undoes the last stroke, clear or invert; returns the pixels it changed (null: nothing to undo). */
  undo(): PixelRect | null {
    this.endStroke();
    const step = this.undoSteps.pop();
    if (!step) return null;
    this.redoSteps.push(step);
    return this.apply(step, 'before');
  }

  /** Redoes what undo took back; returns the pixels it changed (null: nothing to redo). */
  redo(): PixelRect | null {
    this.endStroke();
    const step = this.redoSteps.pop();
    if (!step) return null;
    this.undoSteps.push(step);
    return this.apply(step, 'after');
  }

  /** The mask as RGBA at the image's size, white (edit) on black (keep), opaque: what a PNG encoder takes. */
  toRgba(): Uint8ClampedArray {
    const rgba = new Uint8ClampedArray(this.data.length * 4);
    for (let i = 0, j = 0; i < this.data.length; i++, j += 4) {
      const v = this.data[i];
      rgba[j] = v;
      rgba[j + 1] = v;
      rgba[j + 2] = v;
      rgba[j + 3] = 255;
    }
    return rgba;
  }

  /** The smallest rectangle holding every painted pixel (null: none). */
  paintedBounds(): PixelRect | null {
    if (this.painted === 0) return null;
    let minX = this.width;
    let minY = this.height;
    let maxX = -1;
    let maxY = -1;
    for (let y = 0; y < this.height; y++) {
      const row = y * this.width;
      for (let x = 0; x < this.width; x++) {
        if (this.data[row + x] !== MASK_KEEP) {
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          maxY = y;
        }
      }
    }
    return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
  }

  private fullRect(): PixelRect {
    return { x: 0, y: 0, width: this.width, height: this.height };
  }

  /**
   * Dabs round brushes from one sample to the next, close enough together (a quarter of the radius) that
   * their union is a solid band; the radius goes linearly from one sample's pressure to the other's.
   */
  private paintSegment(from: StrokePoint, to: StrokePoint): PixelRect | null {
    const stroke = this.stroke;
    if (!stroke) return null;
    const value = stroke.tool === 'brush' ? MASK_EDIT : MASK_KEEP;
    const r0 = brushRadius(stroke.size, from.pressure);
    const r1 = brushRadius(stroke.size, to.pressure);
    const distance = Math.hypot(to.x - from.x, to.y - from.y);
    const spacing = Math.max(0.5, Math.min(r0, r1) / 4);
    const steps = Math.max(1, Math.ceil(distance / spacing));
    let changed: PixelRect | null = null;
    // A one-sample "segment" (the first dab) is painted once; a real one from just after its start.
    for (let i = from === to ? steps : 1; i <= steps; i++) {
      const t = i / steps;
      const dab = this.dab(
        from.x + (to.x - from.x) * t,
        from.y + (to.y - from.y) * t,
        r0 + (r1 - r0) * t,
        value,
      );
      changed = unionRect(changed, dab);
    }
    stroke.dirty = unionRect(stroke.dirty, changed);
    if (changed) this.changes++;
    return changed;
  }

  /** Sets every pixel whose centre lies within the circle, and always the pixel under the point itself. */
  private dab(cx: number, cy: number, radius: number, value: number): PixelRect | null {
    const x0 = Math.max(0, Math.floor(cx - radius));
    const x1 = Math.min(this.width - 1, Math.ceil(cx + radius));
    const y0 = Math.max(0, Math.floor(cy - radius));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + radius));
    if (x0 > x1 || y0 > y1) return null;
    const r2 = radius * radius;
    let changed = false;
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      const row = y * this.width;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        const under = x === Math.floor(cx) && y === Math.floor(cy);
        if ((dx * dx + dy * dy <= r2 || under) && this.data[row + x] !== value) {
          this.setPixel(row + x, value);
          changed = true;
        }
      }
    }
    return changed ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } : null;
  }

  private setPixel(index: number, value: number): void {
    const was = this.data[index];
    if (was === MASK_KEEP && value !== MASK_KEEP) this.painted++;
    else if (was !== MASK_KEEP && value === MASK_KEEP) this.painted--;
    this.data[index] = value;
  }

  private write(rect: PixelRect, bytes: Uint8ClampedArray): void {
    for (let y = 0; y < rect.height; y++) {
      const row = (rect.y + y) * this.width + rect.x;
      for (let x = 0; x < rect.width; x++) this.setPixel(row + x, bytes[y * rect.width + x]);
    }
    this.changes++;
  }

  private invertPixels(): void {
    for (let i = 0; i < this.data.length; i++) this.data[i] = MASK_EDIT - this.data[i];
    // Painted pixels become kept and the other way round (the brush only writes 0 or 255).
    this.painted = this.data.length - this.painted;
    this.changes++;
  }

  private apply(step: Step, side: 'before' | 'after'): PixelRect {
    if (step.kind === 'invert') {
      this.invertPixels();
      return this.fullRect();
    }
    this.write(step.rect, step[side]);
    return step.rect;
  }

  /** Keeps a new step, forgets what could be redone, and drops the oldest steps past the limits. */
  private record(step: Step): void {
    this.undoSteps.push(step);
    this.redoSteps = [];
    while (this.undoSteps.length > this.historyLimit) this.undoSteps.shift();
    while (this.undoSteps.length > 1 && historySize(this.undoSteps) > this.historyBytes)
      this.undoSteps.shift();
  }
}

function historySize(steps: readonly Step[]): number {
  return steps.reduce((sum, s) => sum + (s.kind === 'patch' ? s.before.length + s.after.length : 0), 0);
}

function copyRect(source: Uint8ClampedArray, stride: number, rect: PixelRect): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const start = (rect.y + y) * stride + rect.x;
    out.set(source.subarray(start, start + rect.width), y * rect.width);
  }
  return out;
}

function sameBytes(a: Uint8ClampedArray, b: Uint8ClampedArray): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
