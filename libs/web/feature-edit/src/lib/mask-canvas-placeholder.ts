import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  input,
  model,
  output,
  signal,
  viewChild,
} from '@angular/core';

/** Stand-in for @imagegen/web/ui's MaskCanvas until it lands (same inputs, outputs and methods). */
export interface OutpaintExtents {
  readonly left: number;
  readonly right: number;
  readonly up: number;
  readonly down: number;
}
export const NO_EXTENTS: OutpaintExtents = { left: 0, right: 0, up: 0, down: 0 };
export type MaskCanvasMode = 'mask' | 'outpaint' | 'none';
export interface MaskChange {
  readonly hasMask: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
}
const SIDES = ['left', 'right', 'up', 'down'] as const;

@Component({
  selector: 'ig-mask-canvas',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="viewport" data-testid="mask-canvas" role="application" aria-label="Image with its mask">
      <img data-testid="mask-image" [src]="imageUrl()" [alt]="imageAlt()" draggable="false" />
      @if (mode() === 'mask') {
        <canvas
          #overlay
          aria-hidden="true"
          [width]="imageWidth()"
          [height]="imageHeight()"
          (pointerdown)="down($event)"
          (pointermove)="move($event)"
          (pointerup)="up()"
          (pointercancel)="up()"
        ></canvas>
      }
    </div>
    @if (mode() === 'outpaint') {
      <fieldset data-testid="outpaint-extents">
        <legend>Extend by (pixels)</legend>
        @for (side of sides; track side) {
          <label
            >{{ side }}
            <input
              type="number"
              min="0"
              max="2000"
              [attr.data-testid]="'outpaint-' + side"
              [value]="extents()[side]"
              (input)="setSide(side, $event)"
          /></label>
        }
      </fieldset>
    }
  `,
  styles: `
    .viewport {
      position: relative;
      max-width: 100%;
      touch-action: none;
    }
    img,
    canvas {
      display: block;
      max-width: 100%;
      height: auto;
    }
    canvas {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      opacity: 0.5;
    }
  `,
})
export class MaskCanvas {
  readonly imageUrl = input.required<string>();
  readonly imageWidth = input.required<number>();
  readonly imageHeight = input.required<number>();
  readonly mode = input<MaskCanvasMode>('mask');
  readonly imageAlt = input('The image being edited');
  readonly extents = model<OutpaintExtents>(NO_EXTENTS);
  readonly maskChange = output<MaskChange>();

  protected readonly sides = SIDES;
  private readonly overlay = viewChild<ElementRef<HTMLCanvasElement>>('overlay');
  private readonly painted = signal(false);
  private drawing = false;

  hasMask(): boolean {
    return this.painted();
  }

  exportMask(): Promise<Blob> {
    const src = this.overlay()?.nativeElement;
    const out = document.createElement('canvas');
    out.width = this.imageWidth();
    out.height = this.imageHeight();
    const ctx = out.getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, out.width, out.height);
    if (src) {
      const data = src.getContext('2d')?.getImageData(0, 0, out.width, out.height);
      const target = ctx.getImageData(0, 0, out.width, out.height);
      for (let i = 0; data && i < data.data.length; i += 4)
        if (data.data[i + 3] > 0) target.data.set([255, 255, 255, 255], i);
      ctx.putImageData(target, 0, 0);
    }
    return new Promise((resolve, reject) =>
      out.toBlob((b) => (b ? resolve(b) : reject(new Error('no mask'))), 'image/png'),
    );
  }

  protected down(e: PointerEvent): void {
    this.drawing = true;
    (e.target as Element).setPointerCapture?.(e.pointerId);
    this.move(e);
  }

  protected move(e: PointerEvent): void {
    const canvas = this.overlay()?.nativeElement;
    if (!this.drawing || !canvas) return;
    const r = canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * canvas.width;
    const y = ((e.clientY - r.top) / r.height) * canvas.height;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    ctx.fillStyle = 'rgb(233, 30, 99)';
    ctx.beginPath();
    ctx.arc(x, y, Math.max(4, canvas.width / 40), 0, Math.PI * 2);
    ctx.fill();
    this.painted.set(true);
  }

  protected up(): void {
    if (!this.drawing) return;
    this.drawing = false;
    this.maskChange.emit({ hasMask: this.painted(), canUndo: false, canRedo: false });
  }

  protected setSide(side: (typeof SIDES)[number], e: Event): void {
    const n = Math.min(2000, Math.max(0, Math.round(Number((e.target as HTMLInputElement).value) || 0)));
    this.extents.set({ ...this.extents(), [side]: n });
  }
}
