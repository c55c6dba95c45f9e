import {
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  effect,
  ElementRef,
  inject,
  input,
  model,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSliderModule } from '@angular/material/slider';
import { MatTooltipModule } from '@angular/material/tooltip';

import { Checkerboard } from './checkerboard';
import { MaskModel, MaskTool, PixelRect, StrokePoint, unionRect } from './mask-model';
import {
  dragExtent,
  extendedSize,
  MAX_OUTPAINT_EXTENT,
  NO_EXTENTS,
  OUTPAINT_SIDES,
  OutpaintExtents,
  OutpaintSide,
  withExtent,
} from './outpaint-extents';
import {
  Bounds,
  cssTransform,
  fitTransform,
  IDENTITY,
  imageToView,
  panBy,
  pinch,
  Point,
  viewToImage,
  ViewTransform,
  ZOOM_STEP,
  zoomAt,
} from './view-transform';

/** What the editor lets a person do: paint a mask, extend the canvas, or only look (zoom and pan). */
export type MaskCanvasMode = 'mask' | 'outpaint' | 'none';

/** The tools of the toolbar: the two mask tools and the hand that pans. */
export type CanvasTool = MaskTool | 'pan';

/** Sent after every change of the mask (a stroke ends, undo, redo, clear, invert). */
export interface MaskChange {
  /** Some pixels are marked for editing: the page may send the mask. */
  readonly hasMask: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
}

/** A keyboard shortcut as the help lists it. */
export interface CanvasShortcut {
  readonly keys: string;
  readonly action: string;
}

/** Every keyboard shortcut, in the order the help shows them (the handler below is their implementation). */
export const MASK_CANVAS_SHORTCUTS: readonly CanvasShortcut[] = [
  { keys: 'B', action: 'Brush' },
  { keys: 'E', action: 'Eraser' },
  { keys: '[ / ]', action: 'Smaller / larger brush' },
  { keys: 'Ctrl+Z (⌘Z)', action: 'Undo' },
  { keys: 'Ctrl+Shift+Z, Ctrl+Y (⇧⌘Z)', action: 'Redo' },
  { keys: 'I', action: 'Invert the mask' },
  { keys: 'H', action: 'Hide or show the mask' },
  { keys: '+ / −', action: 'Zoom in / out' },
  { keys: '0', action: 'Fit the image (reset zoom)' },
  { keys: 'Space + drag, middle button', action: 'Pan' },
  { keys: 'Ctrl + wheel, pinch', action: 'Zoom' },
  { keys: 'Wheel, two fingers', action: 'Pan' },
];

/** The translucent colour painted pixels show in (the image stays visible through it). */
const OVERLAY_RGBA = [233, 30, 99, 140] as const;
/** How much one notch of Ctrl+wheel zooms (wheel deltas are about 100 per notch). */
const WHEEL_ZOOM_SPEED = 0.0015;
/** Lines and pages of wheel scrolling, in CSS pixels. */
const WHEEL_LINE = 16;
const WHEEL_PAGE = 400;

/** The button a pen's eraser end reports: https://www.w3.org/TR/pointerevents3/#the-button-property */
const PEN_ERASER_BUTTON = 5;

/** What the pointer(s) down at the moment are doing. */
type Gesture =
  | { readonly kind: 'idle' }
  | { readonly kind: 'paint'; readonly pointerId: number }
  | { readonly kind: 'pan'; readonly pointerId: number; last: Point }
  | { readonly kind: 'pinch'; pair: readonly [Point, Point] }
  | {
      readonly kind: 'handle';
      readonly pointerId: number;
      readonly side: OutpaintSide;
      readonly start: Point;
      readonly from: OutpaintExtents;
    };

const IDLE: Gesture = { kind: 'idle' };

let nextId = 0;

/**
 * The image editor's canvas: the image at any zoom with its mask painted over it (brush, eraser, undo, redo,
 * clear, invert), or, in outpaint mode, the image with handles on its edges to extend it. Mouse, pen (with
 * pressure) and touch: one finger paints, two zoom and pan. The mask lives in a {@link MaskModel} at the
 * image's size; this component only turns pointer and key events into model calls and draws the result.
 *
 * The page reads the mask with `exportMask()` (a PNG, white on black) and `hasMask()`, and hears of changes
 * through `maskChange`; outpaint extents are two-way: `[(extents)]`.
 *
 * ```html
 * <ig-mask-canvas #editor [imageUrl]="url" [imageWidth]="w" [imageHeight]="h" mode="mask"
 *                 (maskChange)="canSend.set($event.hasMask)" />
 * <ig-mask-canvas [imageUrl]="url" [imageWidth]="w" [imageHeight]="h" mode="outpaint" [(extents)]="extents" />
 * ```
 * then `const png = await editor.exportMask()`. The viewport's height is the page's to set with the CSS
 * variable `--ig-mask-canvas-height` (default `min(70vh, 640px)`).
 */
@Component({
  selector: 'ig-mask-canvas',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    Checkerboard,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSliderModule,
    MatTooltipModule,
  ],
  templateUrl: './mask-canvas.html',
  styleUrl: './mask-canvas.scss',
  host: {
    '(document:keydown)': 'onKeydown($event)',
    '(document:keyup)': 'onKeyup($event)',
    '(window:blur)': 'spaceHeld.set(false)',
  },
})
export class MaskCanvas {
  /** The image to edit (a presigned URL or an object URL of an upload). */
  readonly imageUrl = input.required<string>();
  /** The image's size in pixels: the mask is made at this size. */
  readonly imageWidth = input.required<number>();
  readonly imageHeight = input.required<number>();
  readonly mode = input<MaskCanvasMode>('mask');
  /** The image's text alternative. */
  readonly imageAlt = input('The image being edited');
  /** How far an outpaint extends each side, in image pixels, 0–2000 (two-way: `[(extents)]`). */
  readonly extents = model<OutpaintExtents>(NO_EXTENTS);
  readonly maskChange = output<MaskChange>();
  /** The image did not load (its presigned URL probably expired): the page fetches a fresh one. */
  readonly imageError = output<void>();

  /** Starts this editor's element ids, so that two editors on one page do not share them. */
  protected readonly uid = `ig-mask-canvas-${nextId++}`;
  protected readonly tool = signal<CanvasTool>('brush');
  /** The toolbar's tools, with their shortcut in the tooltip. */
  protected readonly tools: readonly { id: CanvasTool; label: string; tip: string }[] = [
    { id: 'brush', label: 'Brush', tip: 'Paint the area to change (B)' },
    { id: 'eraser', label: 'Eraser', tip: 'Give painted pixels back to the image (E)' },
    { id: 'pan', label: 'Pan', tip: 'Drag to move the image (or hold Space)' },
  ];
  protected readonly showMask = signal(true);
  protected readonly transform = signal<ViewTransform>(IDENTITY);
  protected readonly spaceHeld = signal(false);
  protected readonly state = signal<MaskChange>({ hasMask: false, canUndo: false, canRedo: false });
  protected readonly shortcuts = MASK_CANVAS_SHORTCUTS;
  protected readonly sides = OUTPAINT_SIDES;
  protected readonly maxExtent = MAX_OUTPAINT_EXTENT;
  /** Where the brush outline follows a hovering mouse or pen (view pixels; null: not over the canvas). */
  protected readonly hover = signal<Point | null>(null);

  /** The mask, made afresh (empty) when the image's size changes. */
  private readonly mask = computed(
    () => new MaskModel({ width: this.imageWidth(), height: this.imageHeight() }),
  );

  /** Brush sizes in image pixels: up to a quarter of the image's longer side. */
  protected readonly maxBrush = computed(() =>
    Math.max(16, Math.min(1000, Math.round(Math.max(this.imageWidth(), this.imageHeight()) / 4))),
  );
  private readonly chosenSize = signal<number | null>(null);
  protected readonly brushSize = computed(() => {
    const fallback = Math.round(Math.min(this.imageWidth(), this.imageHeight()) / 16);
    return Math.min(this.maxBrush(), Math.max(1, this.chosenSize() ?? fallback));
  });

  protected readonly painting = computed(() => this.mode() === 'mask');
  protected readonly panning = computed(() => !this.painting() || this.tool() === 'pan' || this.spaceHeld());
  protected readonly stageTransform = computed(() => cssTransform(this.transform()));
  protected readonly zoomPercent = computed(() => Math.round(this.transform().scale * 100));
  protected readonly newSize = computed(() =>
    extendedSize({ width: this.imageWidth(), height: this.imageHeight() }, this.extents()),
  );
  /** The extended area around the image, in image pixels (the image itself when not outpainting). */
  private readonly contentBounds = computed<Bounds>(() => {
    const e = this.mode() === 'outpaint' ? this.extents() : NO_EXTENTS;
    const size = extendedSize({ width: this.imageWidth(), height: this.imageHeight() }, e);
    return { x: -e.left, y: -e.up, ...size };
  });
  /** Room around the fitted image: outpaint handles stick out of its edges and must stay in view. */
  private readonly fitMargin = computed(() => (this.mode() === 'outpaint' ? 32 : 8));
  /** The outpaint area's squares stay 8 screen pixels whatever the zoom (the area is drawn in image pixels). */
  protected readonly checkerSize = computed(() => 8 / this.transform().scale);
  /** The brush outline's diameter on screen. */
  protected readonly cursorDiameter = computed(() => this.brushSize() * this.transform().scale);
  /** The outpaint handles, in view pixels: the middle of each edge of the extended area. */
  protected readonly handles = computed(() => {
    const t = this.transform();
    const b = this.contentBounds();
    const topLeft = imageToView(t, { x: b.x, y: b.y });
    const bottomRight = imageToView(t, { x: b.x + b.width, y: b.y + b.height });
    const midX = (topLeft.x + bottomRight.x) / 2;
    const midY = (topLeft.y + bottomRight.y) / 2;
    const at: Record<OutpaintSide, Point> = {
      left: { x: topLeft.x, y: midY },
      right: { x: bottomRight.x, y: midY },
      up: { x: midX, y: topLeft.y },
      down: { x: midX, y: bottomRight.y },
    };
    return OUTPAINT_SIDES.map((side) => ({ side, ...at[side] }));
  });

  private readonly viewport = viewChild.required<ElementRef<HTMLElement>>('viewport');
  private readonly overlay = viewChild<ElementRef<HTMLCanvasElement>>('overlay');
  private readonly viewportSize = signal({ width: 0, height: 0 });
  /** The view follows the fit (until the person zooms or pans): a new size or extent re-fits. */
  private readonly fitted = signal(true);
  private gesture: Gesture = IDLE;
  private readonly touches = new Map<number, Point>();
  private overlayImage: { model: MaskModel; image: ImageData } | null = null;
  private pendingDraw: PixelRect | null = null;
  private frame = 0;

  constructor() {
    const destroyRef = inject(DestroyRef);
    // The view's size, for fitting the image: the page's layout decides it.
    afterRenderEffect({
      read: () => {
        const el = this.viewport().nativeElement;
        untracked(() => this.viewportSize.set({ width: el.clientWidth, height: el.clientHeight }));
      },
    });
    if (typeof ResizeObserver !== 'undefined') {
      const observer = new ResizeObserver(([entry]) =>
        this.viewportSize.set({ width: entry.contentRect.width, height: entry.contentRect.height }),
      );
      afterRenderEffect(() => observer.observe(this.viewport().nativeElement));
      destroyRef.onDestroy(() => observer.disconnect());
    }
    effect(() => {
      const bounds = this.contentBounds();
      const viewport = this.viewportSize();
      const margin = this.fitMargin();
      if (this.fitted() && untracked(() => this.gesture.kind) !== 'handle') {
        this.transform.set(fitTransform(bounds, viewport, margin));
      }
    });
    // A new mask (new image size) starts empty; redraw it whole, after the canvas took its new size.
    effect(() => {
      this.mask();
      untracked(() => this.publish(false));
    });
    // The same after the overlay canvas is made again (back to mask mode from another): a new canvas is blank.
    afterRenderEffect({
      write: () => {
        const canvas = this.overlay();
        const m = this.mask();
        if (!canvas) return;
        untracked(() => {
          this.overlayImage = null;
          this.scheduleDraw(this.fullRect(m));
        });
      },
    });
    destroyRef.onDestroy(() => {
      if (this.frame && typeof cancelAnimationFrame !== 'undefined') cancelAnimationFrame(this.frame);
    });
  }

  /** Some pixels are marked for editing. */
  hasMask(): boolean {
    return !this.mask().isEmpty();
  }

  /** The mask as PNG, white (edit) on black (keep), at the image's size. */
  exportMask(): Promise<Blob> {
    const m = this.mask();
    const canvas = document.createElement('canvas');
    canvas.width = m.width;
    canvas.height = m.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return Promise.reject(new Error('This browser cannot draw the mask'));
    const image = ctx.createImageData(m.width, m.height);
    image.data.set(m.toRgba());
    ctx.putImageData(image, 0, 0);
    return new Promise((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('The mask could not be encoded'))),
        'image/png',
      ),
    );
  }

  /** The mask's bytes (one per image pixel, 0 keep, 255 edit), a copy: for a page that encodes it itself. */
  maskPixels(): { width: number; height: number; pixels: Uint8ClampedArray } {
    const m = this.mask();
    return { width: m.width, height: m.height, pixels: m.pixels.slice() };
  }

  undo(): void {
    this.changed(this.mask().undo());
  }

  redo(): void {
    this.changed(this.mask().redo());
  }

  clear(): void {
    this.changed(this.mask().clear());
  }

  invert(): void {
    this.changed(this.mask().invert());
  }

  zoomIn(): void {
    this.zoomBy(ZOOM_STEP);
  }

  zoomOut(): void {
    this.zoomBy(1 / ZOOM_STEP);
  }

  /** Back to the whole image (or extended area) fitted in the view. */
  resetZoom(): void {
    this.fitted.set(true);
    this.transform.set(fitTransform(this.contentBounds(), this.viewportSize(), this.fitMargin()));
  }

  protected selectTool(tool: CanvasTool): void {
    this.tool.set(tool);
  }

  protected setBrushSize(size: number): void {
    this.chosenSize.set(Math.min(this.maxBrush(), Math.max(1, Math.round(size))));
  }

  protected toggleMask(): void {
    this.showMask.update((shown) => !shown);
  }

  // ── pointer input ─────────────────────────────────────────────────────────────────────────────────────

  protected onPointerDown(event: PointerEvent): void {
    const point = this.viewPoint(event);
    if (event.pointerType === 'touch') {
      this.touches.set(event.pointerId, point);
      if (this.touches.size >= 2) {
        this.startPinch();
        event.preventDefault();
        return;
      }
    } else if (this.gesture.kind !== 'idle') {
      return;
    }
    this.capture(event);
    event.preventDefault();
    const wantsPan = event.button === 1 || this.panning();
    if (wantsPan) {
      this.gesture = { kind: 'pan', pointerId: event.pointerId, last: point };
    } else if (event.button === 0 || event.button === PEN_ERASER_BUTTON || event.pointerType === 'touch') {
      this.gesture = { kind: 'paint', pointerId: event.pointerId };
      // A pen turned over (its eraser end) erases whatever tool is picked.
      const tool = this.tool() === 'eraser' || event.button === PEN_ERASER_BUTTON ? 'eraser' : 'brush';
      this.paintChanged(this.mask().beginStroke(tool, this.brushSize(), this.strokePoint(event, point)));
    }
  }

  protected onHandleDown(event: PointerEvent, side: OutpaintSide): void {
    event.stopPropagation();
    event.preventDefault();
    if (this.gesture.kind !== 'idle') return;
    this.capture(event);
    this.gesture = {
      kind: 'handle',
      pointerId: event.pointerId,
      side,
      start: this.viewPoint(event),
      from: this.extents(),
    };
  }

  protected onPointerMove(event: PointerEvent): void {
    const point = this.viewPoint(event);
    this.hover.set(event.pointerType === 'touch' ? null : point);
    const g = this.gesture;
    if (event.pointerType === 'touch' && this.touches.has(event.pointerId)) {
      this.touches.set(event.pointerId, point);
      if (g.kind === 'pinch') {
        // One finger left of the two: the view holds still until the other lifts too.
        if (this.touches.size < 2) return;
        const pair = this.touchPair();
        this.transform.set(pinch(this.transform(), g.pair, pair));
        this.fitted.set(false);
        g.pair = pair;
        return;
      }
    }
    if (g.kind === 'idle' || g.kind === 'pinch' || g.pointerId !== event.pointerId) return;
    if (g.kind === 'paint') {
      // A fast hand gives the browser several samples per frame: paint them all.
      const samples = event.getCoalescedEvents?.() ?? [];
      let changed: PixelRect | null = null;
      for (const sample of samples.length ? samples : [event]) {
        changed = unionRect(
          changed,
          this.mask().extendStroke(this.strokePoint(sample, this.viewPoint(sample))),
        );
      }
      this.paintChanged(changed);
    } else if (g.kind === 'pan') {
      this.transform.set(panBy(this.transform(), point.x - g.last.x, point.y - g.last.y));
      this.fitted.set(false);
      g.last = point;
    } else {
      const scale = this.transform().scale;
      this.extents.set(
        dragExtent(g.from, g.side, (point.x - g.start.x) / scale, (point.y - g.start.y) / scale),
      );
    }
  }

  protected onPointerUp(event: PointerEvent): void {
    this.touches.delete(event.pointerId);
    const g = this.gesture;
    if (g.kind === 'pinch') {
      // The fingers left one by one: the last one does not start painting.
      if (this.touches.size === 0) this.gesture = IDLE;
      return;
    }
    if (g.kind === 'idle' || g.pointerId !== event.pointerId) return;
    this.gesture = IDLE;
    if (g.kind === 'paint') {
      this.mask().endStroke();
      this.publish(true);
    } else if (g.kind === 'handle' && this.fitted()) {
      this.resetZoom();
    }
  }

  protected onPointerLeave(): void {
    this.hover.set(null);
  }

  protected onWheel(event: WheelEvent): void {
    event.preventDefault();
    const unit = event.deltaMode === 1 ? WHEEL_LINE : event.deltaMode === 2 ? WHEEL_PAGE : 1;
    const dx = event.deltaX * unit;
    const dy = event.deltaY * unit;
    this.fitted.set(false);
    if (event.ctrlKey || event.metaKey) {
      // Ctrl+wheel, and a trackpad's pinch (which browsers send as Ctrl+wheel).
      this.transform.set(zoomAt(this.transform(), Math.exp(-dy * WHEEL_ZOOM_SPEED), this.viewPoint(event)));
    } else {
      this.transform.set(panBy(this.transform(), -dx, -dy));
    }
  }

  // ── outpaint inputs ───────────────────────────────────────────────────────────────────────────────────

  /** While typing: a number within range takes effect at once; anything else waits for the change. */
  protected onExtentInput(side: OutpaintSide, event: Event): void {
    const raw = (event.target as HTMLInputElement).value;
    const value = Number(raw);
    if (raw.trim() !== '' && Number.isInteger(value) && value >= 0 && value <= MAX_OUTPAINT_EXTENT) {
      this.extents.set(withExtent(this.extents(), side, value));
    }
  }

  /** On leaving the box: the value is clamped to 0–2000 and the box shows what was kept. */
  protected onExtentChange(side: OutpaintSide, event: Event): void {
    const box = event.target as HTMLInputElement;
    const next = withExtent(this.extents(), side, box.value.trim() === '' ? 0 : Number(box.value));
    this.extents.set(next);
    box.value = String(next[side]);
  }

  protected sideLabel(side: OutpaintSide): string {
    return { left: 'left', right: 'right', up: 'top', down: 'bottom' }[side];
  }

  // ── keyboard ──────────────────────────────────────────────────────────────────────────────────────────

  protected onKeydown(event: KeyboardEvent): void {
    if (event.altKey || isTyping(event.target) || ownsKeys(event.target)) return;
    const command = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    const handled = command ? this.commandKey(key, event.shiftKey) : this.plainKey(event);
    if (handled) event.preventDefault();
  }

  protected onKeyup(event: KeyboardEvent): void {
    if (event.key === ' ') this.spaceHeld.set(false);
  }

  private commandKey(key: string, shift: boolean): boolean {
    if (!this.painting()) return false;
    if (key === 'z' && !shift) this.undo();
    else if ((key === 'z' && shift) || key === 'y') this.redo();
    else return false;
    return true;
  }

  private plainKey(event: KeyboardEvent): boolean {
    const key = event.key.toLowerCase();
    if (key === ' ') {
      // Space presses a button or opens a select; only on the canvas itself or the bare page is it "pan".
      const target = event.target;
      const onCanvas = target === this.viewport().nativeElement || target === document.body;
      if (!onCanvas) return false;
      this.spaceHeld.set(true);
      return true;
    }
    const view: Record<string, () => void> = {
      '+': () => this.zoomIn(),
      '=': () => this.zoomIn(),
      '-': () => this.zoomOut(),
      '0': () => this.resetZoom(),
    };
    const paint: Record<string, () => void> = {
      b: () => this.tool.set('brush'),
      e: () => this.tool.set('eraser'),
      '[': () => this.setBrushSize(Math.min(this.brushSize() - 1, this.brushSize() / 1.25)),
      ']': () => this.setBrushSize(Math.max(this.brushSize() + 1, this.brushSize() * 1.25)),
      i: () => this.invert(),
      h: () => this.toggleMask(),
    };
    const action = view[key] ?? (this.painting() ? paint[key] : undefined);
    action?.();
    return action !== undefined;
  }

  // ── drawing ───────────────────────────────────────────────────────────────────────────────────────────

  private zoomBy(factor: number): void {
    const { width, height } = this.viewportSize();
    this.fitted.set(false);
    this.transform.set(zoomAt(this.transform(), factor, { x: width / 2, y: height / 2 }));
  }

  private startPinch(): void {
    if (this.gesture.kind === 'paint') this.paintChanged(this.mask().cancelStroke());
    this.gesture = { kind: 'pinch', pair: this.touchPair() };
  }

  private touchPair(): [Point, Point] {
    const [a, b] = [...this.touches.values()];
    return [a, b];
  }

  /** The pointer's position in the viewport, in CSS pixels. */
  private viewPoint(event: MouseEvent): Point {
    const rect = this.viewport().nativeElement.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  /** The sample in image pixels; a pen's pressure counts (a mouse reports 0.5 whatever it does). */
  private strokePoint(event: PointerEvent, view: Point): StrokePoint {
    const p = viewToImage(this.transform(), view);
    return event.pointerType === 'pen' && event.pressure > 0 ? { ...p, pressure: event.pressure } : p;
  }

  /** Keeps the pointer's events coming to the canvas when it leaves it mid-stroke. */
  private capture(event: PointerEvent): void {
    const el = event.currentTarget as Element | null;
    try {
      el?.setPointerCapture?.(event.pointerId);
    } catch {
      // The pointer is already gone (a synthetic or cancelled event): nothing to capture.
    }
  }

  private changed(rect: PixelRect | null): void {
    this.paintChanged(rect);
    this.publish(true);
  }

  private paintChanged(rect: PixelRect | null): void {
    if (rect) this.scheduleDraw(rect);
  }

  private publish(emit: boolean): void {
    const m = this.mask();
    const next: MaskChange = { hasMask: !m.isEmpty(), canUndo: m.canUndo(), canRedo: m.canRedo() };
    this.state.set(next);
    if (emit) this.maskChange.emit(next);
  }

  private fullRect(m: MaskModel): PixelRect {
    return { x: 0, y: 0, width: m.width, height: m.height };
  }

  /** Draws the changed pixels once per frame, however many pointer samples came in it. */
  private scheduleDraw(rect: PixelRect): void {
    this.pendingDraw = unionRect(this.pendingDraw, rect);
    if (this.frame) return;
    if (typeof requestAnimationFrame === 'undefined') {
      this.draw();
      return;
    }
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Copies the changed part of the mask into the overlay canvas, as translucent colour (a browser only). */
  private draw(): void {
    const rect = this.pendingDraw;
    this.pendingDraw = null;
    const canvas = this.overlay()?.nativeElement;
    if (!rect || !canvas) return;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const m = this.mask();
    let dirty = rect;
    if (this.overlayImage?.model !== m || canvas.width !== m.width || canvas.height !== m.height) {
      this.overlayImage = { model: m, image: ctx.createImageData(m.width, m.height) };
      dirty = this.fullRect(m);
    }
    const { data } = this.overlayImage.image;
    const pixels = m.pixels;
    for (let y = dirty.y; y < dirty.y + dirty.height; y++) {
      for (let x = dirty.x; x < dirty.x + dirty.width; x++) {
        const i = y * m.width + x;
        const j = i * 4;
        const on = pixels[i] !== 0;
        data[j] = OVERLAY_RGBA[0];
        data[j + 1] = OVERLAY_RGBA[1];
        data[j + 2] = OVERLAY_RGBA[2];
        data[j + 3] = on ? OVERLAY_RGBA[3] : 0;
      }
    }
    ctx.putImageData(this.overlayImage.image, 0, 0, dirty.x, dirty.y, dirty.width, dirty.height);
  }
}

/** Keys typed in a text box are the text's, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Widgets that use letters, arrows or Space themselves (a select's type-ahead, a menu): shortcuts keep off. */
const KEY_OWNERS = [
  'combobox',
  'listbox',
  'menu',
  'menuitem',
  'option',
  'slider',
  'spinbutton',
  'textbox',
  'grid',
  'tree',
]
  .map((role) => `[role="${role}"]`)
  .join(',');

function ownsKeys(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest(KEY_OWNERS) !== null;
}
