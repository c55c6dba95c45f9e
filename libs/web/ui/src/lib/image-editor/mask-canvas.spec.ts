import { Component, signal, viewChild } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import axe from 'axe-core';

import { MaskCanvas, MaskCanvasMode, MaskChange } from './mask-canvas';
import { NO_EXTENTS, OutpaintExtents } from './outpaint-extents';

/** A page holding the editor as the edit page will: the image, the mode, two-way extents, the events. */
@Component({
  imports: [MaskCanvas],
  template: `
    <ig-mask-canvas
      [imageUrl]="url()"
      [imageWidth]="width()"
      [imageHeight]="height()"
      [mode]="mode()"
      [(extents)]="extents"
      (maskChange)="changes.push($event)"
      (imageError)="imageErrors = imageErrors + 1"
    />
  `,
})
class Page {
  readonly editor = viewChild.required(MaskCanvas);
  readonly url = signal('https://images.example/cat.png');
  readonly width = signal(100);
  readonly height = signal(80);
  readonly mode = signal<MaskCanvasMode>('mask');
  readonly extents = signal<OutpaintExtents>(NO_EXTENTS);
  readonly changes: MaskChange[] = [];
  imageErrors = 0;
}

let fixture: ComponentFixture<Page>;
let page: Page;
const root = () => fixture.nativeElement as HTMLElement;
const q = (id: string) => root().querySelector(`[data-testid="${id}"]`) as HTMLElement | null;
const canvas = () => q('mask-canvas') as HTMLElement;
const stable = () => fixture.whenStable();

/**
 * A pointer event as a browser sends it. jsdom has no PointerEvent: a MouseEvent carries the pointer's
 * fields. jsdom lays nothing out either, so the viewport is 0×0 at (0, 0) and the view is 1:1 with the image:
 * client coordinates are image pixels.
 */
function pointer(
  type: string,
  x: number,
  y: number,
  init: { id?: number; kind?: 'mouse' | 'touch' | 'pen'; button?: number; pressure?: number } = {},
): Event {
  const event = new MouseEvent(type, {
    clientX: x,
    clientY: y,
    button: init.button ?? 0,
    bubbles: true,
    cancelable: true,
  });
  Object.defineProperties(event, {
    pointerId: { value: init.id ?? 1 },
    pointerType: { value: init.kind ?? 'mouse' },
    pressure: { value: init.pressure ?? 0.5 },
  });
  return event;
}

async function stroke(
  points: [number, number][],
  init: Parameters<typeof pointer>[3] = {},
  target = canvas(),
) {
  const [first, ...rest] = points;
  target.dispatchEvent(pointer('pointerdown', first[0], first[1], init));
  for (const [x, y] of rest) target.dispatchEvent(pointer('pointermove', x, y, init));
  const last = points[points.length - 1];
  target.dispatchEvent(pointer('pointerup', last[0], last[1], init));
  await stable();
}

async function key(init: KeyboardEventInit, target: EventTarget = document.body) {
  const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  await stable();
  return event;
}

async function click(id: string) {
  q(id)?.click();
  await stable();
}

const maskAt = (x: number, y: number) => {
  const { width, pixels } = page.editor().maskPixels();
  return pixels[y * width + x];
};

async function render(over: (p: Page) => void = () => undefined) {
  fixture = TestBed.createComponent(Page);
  page = fixture.componentInstance;
  over(page);
  fixture.detectChanges();
  await stable();
}

beforeEach(() => {
  // jsdom draws nothing: the canvas has no 2D context, as in a browser that cannot draw.
  jest.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
});

afterEach(() => jest.restoreAllMocks());

describe(MaskCanvas.name, () => {
  it('shows the image at its size with the mask canvas over it', async () => {
    await render();
    const img = q('mask-image') as HTMLImageElement;
    expect(img.src).toBe('https://images.example/cat.png');
    expect(img.alt).toBe('The image being edited');
    const overlay = q('mask-overlay') as HTMLCanvasElement;
    expect([overlay.width, overlay.height]).toEqual([100, 80]);
    expect(page.editor().hasMask()).toBe(false);
  });

  it('tells the page when the image does not load (an expired link)', async () => {
    await render();
    q('mask-image')?.dispatchEvent(new Event('error'));
    expect(page.imageErrors).toBe(1);
  });

  it('paints the mask under a mouse drag, in image pixels, and says so', async () => {
    await render();
    await stroke([
      [10, 40],
      [90, 40],
    ]);
    expect(page.editor().hasMask()).toBe(true);
    for (let x = 10; x < 90; x += 5) expect(maskAt(x, 40)).toBe(255);
    expect(maskAt(50, 5)).toBe(0);
    expect(page.changes.at(-1)).toEqual({ hasMask: true, canUndo: true, canRedo: false });
    expect(canvas().getAttribute('data-mask-empty')).toBe('false');
  });

  it('paints with one finger (touch), as on a phone', async () => {
    await render();
    await stroke(
      [
        [20, 20],
        [60, 60],
      ],
      { kind: 'touch', id: 7 },
    );
    expect(maskAt(40, 40)).toBe(255);
  });

  it('a second finger turns the stroke into a pinch: nothing is painted and the view zooms', async () => {
    await render();
    const c = canvas();
    c.dispatchEvent(pointer('pointerdown', 20, 20, { kind: 'touch', id: 1 }));
    c.dispatchEvent(pointer('pointermove', 30, 20, { kind: 'touch', id: 1 }));
    expect(maskAt(25, 20)).toBe(255);
    c.dispatchEvent(pointer('pointerdown', 40, 20, { kind: 'touch', id: 2 }));
    // the fingers spread from 10 px apart (30 and 40) to 40 px apart (10 and 50): four times as far
    c.dispatchEvent(pointer('pointermove', 10, 20, { kind: 'touch', id: 1 }));
    c.dispatchEvent(pointer('pointermove', 50, 20, { kind: 'touch', id: 2 }));
    c.dispatchEvent(pointer('pointerup', 10, 20, { kind: 'touch', id: 1 }));
    // the last finger moving and lifting does not paint either
    c.dispatchEvent(pointer('pointermove', 70, 70, { kind: 'touch', id: 2 }));
    c.dispatchEvent(pointer('pointerup', 70, 70, { kind: 'touch', id: 2 }));
    await stable();
    expect(page.editor().hasMask()).toBe(false);
    expect(Number(c.getAttribute('data-scale'))).toBeCloseTo(4);
  });

  it('the eraser gives painted pixels back', async () => {
    await render();
    await stroke([
      [10, 40],
      [90, 40],
    ]);
    await click('mask-tool-eraser');
    expect(q('mask-tool-eraser')?.getAttribute('aria-pressed')).toBe('true');
    await stroke([
      [50, 0],
      [50, 79],
    ]);
    expect(maskAt(50, 40)).toBe(0);
    expect(maskAt(20, 40)).toBe(255);
  });

  it('undo, redo, clear and invert from the toolbar', async () => {
    await render();
    expect((q('mask-undo') as HTMLButtonElement).disabled).toBe(true);
    await stroke([[50, 40]]);
    await click('mask-undo');
    expect(page.editor().hasMask()).toBe(false);
    expect((q('mask-redo') as HTMLButtonElement).disabled).toBe(false);
    await click('mask-redo');
    expect(page.editor().hasMask()).toBe(true);
    await click('mask-clear');
    expect(page.editor().hasMask()).toBe(false);
    await click('mask-invert');
    expect(maskAt(0, 0)).toBe(255);
    expect(page.changes.map((c) => c.hasMask)).toEqual([true, false, true, false, true]);
  });

  it('hides and shows the mask', async () => {
    await render();
    const toggle = q('mask-toggle') as HTMLButtonElement;
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    await click('mask-toggle');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(q('mask-overlay')?.classList).toContain('hidden');
    await key({ key: 'h' });
    expect(q('mask-overlay')?.classList).not.toContain('hidden');
  });

  describe('keyboard shortcuts', () => {
    it('B and E pick the brush and the eraser', async () => {
      await render();
      await key({ key: 'e' });
      expect(canvas().getAttribute('data-tool')).toBe('eraser');
      await key({ key: 'B' });
      expect(canvas().getAttribute('data-tool')).toBe('brush');
    });

    it('[ and ] make the brush smaller and larger', async () => {
      await render();
      const size = () => Number(/(\d+) px/.exec(root().querySelector('.size-label')?.textContent ?? '')?.[1]);
      const start = size();
      await key({ key: ']' });
      expect(size()).toBeGreaterThan(start);
      await key({ key: '[' });
      await key({ key: '[' });
      expect(size()).toBeLessThan(start);
    });

    it('Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, ⌘Z too', async () => {
      await render();
      await stroke([[50, 40]]);
      const undo = await key({ key: 'z', ctrlKey: true });
      expect(undo.defaultPrevented).toBe(true);
      expect(page.editor().hasMask()).toBe(false);
      await key({ key: 'Z', ctrlKey: true, shiftKey: true });
      expect(page.editor().hasMask()).toBe(true);
      await key({ key: 'z', metaKey: true });
      expect(page.editor().hasMask()).toBe(false);
      await key({ key: 'y', ctrlKey: true });
      expect(page.editor().hasMask()).toBe(true);
    });

    it('I inverts the mask', async () => {
      await render();
      await key({ key: 'i' });
      expect(maskAt(10, 10)).toBe(255);
    });

    it('+ zooms in and 0 fits again', async () => {
      await render();
      await key({ key: '+' });
      expect(Number(canvas().getAttribute('data-scale'))).toBeCloseTo(1.25);
      await key({ key: '0' });
      expect(Number(canvas().getAttribute('data-scale'))).toBe(1);
    });

    it('leaves keys typed in a text box alone', async () => {
      await render();
      await stroke([[50, 40]]);
      const box = document.createElement('textarea');
      document.body.appendChild(box);
      const event = await key({ key: 'z', ctrlKey: true }, box);
      await key({ key: 'i' }, box);
      box.remove();
      expect(event.defaultPrevented).toBe(false);
      expect(page.editor().hasMask()).toBe(true);
      expect(maskAt(0, 0)).toBe(0);
    });

    it('lists every shortcut in the visible help', async () => {
      await render();
      const help = q('mask-shortcuts')?.textContent ?? '';
      for (const keys of ['B', 'E', '[ / ]', 'Ctrl+Z', 'Ctrl+Y', 'I', 'H', '0']) expect(help).toContain(keys);
    });
  });

  it('pans with the pan tool instead of painting', async () => {
    await render();
    await click('mask-tool-pan');
    await stroke([
      [10, 10],
      [40, 30],
    ]);
    expect(page.editor().hasMask()).toBe(false);
    // the image moved with the pointer: what was at (10,10) on screen is now at (40,30)
    expect((q('mask-image')?.parentElement as HTMLElement).style.transform).toBe(
      'translate(30px, 20px) scale(1)',
    );
  });

  it('a pen’s eraser end erases with the brush picked', async () => {
    await render();
    await stroke([
      [10, 40],
      [90, 40],
    ]);
    await stroke([[50, 40]], { kind: 'pen', button: 5, pressure: 1 });
    expect(maskAt(50, 40)).toBe(0);
    expect(maskAt(20, 40)).toBe(255);
  });

  it('Ctrl+wheel zooms around the pointer; the wheel alone pans', async () => {
    await render();
    const stage = () => (q('mask-image')?.parentElement as HTMLElement).style.transform;
    canvas().dispatchEvent(
      new WheelEvent('wheel', { deltaY: 40, deltaX: 10, bubbles: true, cancelable: true }),
    );
    await stable();
    expect(stage()).toBe('translate(-10px, -40px) scale(1)');
    const zoom = new WheelEvent('wheel', {
      deltaY: -100,
      ctrlKey: true,
      clientX: 0,
      clientY: 0,
      bubbles: true,
      cancelable: true,
    });
    canvas().dispatchEvent(zoom);
    await stable();
    expect(zoom.defaultPrevented).toBe(true);
    expect(Number(canvas().getAttribute('data-scale'))).toBeGreaterThan(1);
  });

  it('pans with the middle button whatever the tool', async () => {
    await render();
    await stroke(
      [
        [10, 10],
        [20, 10],
      ],
      { button: 1 },
    );
    expect(page.editor().hasMask()).toBe(false);
    expect((q('mask-image')?.parentElement as HTMLElement).style.transform).toBe(
      'translate(10px, 0px) scale(1)',
    );
  });

  it('scales the brush by pen pressure', async () => {
    await render();
    await stroke([[50, 40]], { kind: 'pen', pressure: 0.2 });
    const light = page
      .editor()
      .maskPixels()
      .pixels.filter((v) => v === 255).length;
    await click('mask-clear');
    await stroke([[50, 40]], { kind: 'pen', pressure: 1 });
    const firm = page
      .editor()
      .maskPixels()
      .pixels.filter((v) => v === 255).length;
    expect(firm).toBeGreaterThan(light * 4);
  });

  it('starts an empty mask at the new size when the image changes', async () => {
    await render();
    await stroke([[50, 40]]);
    page.width.set(300);
    page.height.set(200);
    await stable();
    expect(page.editor().maskPixels()).toMatchObject({ width: 300, height: 200 });
    expect(page.editor().hasMask()).toBe(false);
  });

  it('exports the mask as a PNG, white on black, at the image’s size', async () => {
    await render();
    await stroke([[50, 40]]);
    const drawn: { width: number; height: number; data: Uint8ClampedArray }[] = [];
    const ctx = {
      createImageData: (width: number, height: number) => ({
        width,
        height,
        data: new Uint8ClampedArray(width * height * 4),
      }),
      putImageData: (image: (typeof drawn)[number]) => drawn.push(image),
    };
    jest.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(ctx as unknown as RenderingContext);
    let type = '';
    jest.spyOn(HTMLCanvasElement.prototype, 'toBlob').mockImplementation((done, mime) => {
      type = mime ?? '';
      done(new Blob(['png'], { type: 'image/png' }));
    });
    const blob = await page.editor().exportMask();
    expect(blob.type).toBe('image/png');
    expect(type).toBe('image/png');
    const image = drawn.at(-1);
    expect([image?.width, image?.height]).toEqual([100, 80]);
    const px = (x: number, y: number) =>
      Array.from(image?.data.slice((y * 100 + x) * 4, (y * 100 + x) * 4 + 4) ?? []);
    expect(px(50, 40)).toEqual([255, 255, 255, 255]);
    expect(px(0, 0)).toEqual([0, 0, 0, 255]);
  });

  it('export fails plainly where the browser cannot draw', async () => {
    await render();
    await expect(page.editor().exportMask()).rejects.toThrow('cannot draw');
  });

  describe('outpaint', () => {
    it('shows the extended area, handles on the four edges and a box per side instead of the mask tools', async () => {
      await render((p) => p.mode.set('outpaint'));
      expect(q('mask-tool-brush')).toBeNull();
      expect(q('mask-overlay')).toBeNull();
      expect(q('outpaint-area')).not.toBeNull();
      for (const side of ['left', 'right', 'up', 'down']) {
        expect(q(`outpaint-handle-${side}`)?.classList).toContain('handle');
        expect(q(`outpaint-handle-${side}`)?.classList).toContain(`handle--${side}`);
        expect(q(`outpaint-${side}`)).not.toBeNull();
      }
    });

    it('dragging the right handle outwards extends the right side', async () => {
      await render((p) => p.mode.set('outpaint'));
      await stroke(
        [
          [100, 40],
          [160, 45],
        ],
        {},
        q('outpaint-handle-right') as HTMLElement,
      );
      expect(page.extents()).toEqual({ left: 0, right: 60, up: 0, down: 0 });
      expect(q('outpaint-new-size')?.textContent).toContain('160 × 80');
      expect(q('outpaint-area')?.style.width).toBe('160px');
    });

    it('dragging the top handle up extends the top, never past 2000 px', async () => {
      await render((p) => p.mode.set('outpaint'));
      await stroke(
        [
          [50, 0],
          [50, -5000],
        ],
        {},
        q('outpaint-handle-up') as HTMLElement,
      );
      expect(page.extents().up).toBe(2000);
    });

    it('typed pixels per side are clamped to 0–2000', async () => {
      await render((p) => p.mode.set('outpaint'));
      const box = q('outpaint-left') as HTMLInputElement;
      box.value = '250';
      box.dispatchEvent(new Event('input'));
      await stable();
      expect(page.extents().left).toBe(250);
      box.value = '9000';
      box.dispatchEvent(new Event('input'));
      box.dispatchEvent(new Event('change'));
      await stable();
      expect(page.extents().left).toBe(2000);
      expect(box.value).toBe('2000');
      box.value = '-3';
      box.dispatchEvent(new Event('change'));
      await stable();
      expect(page.extents().left).toBe(0);
    });

    it('does not paint', async () => {
      await render((p) => p.mode.set('outpaint'));
      await stroke([
        [10, 10],
        [50, 50],
      ]);
      expect(page.editor().hasMask()).toBe(false);
    });
  });

  it('in "none" mode only zoom and pan are offered', async () => {
    await render((p) => p.mode.set('none'));
    expect(q('mask-tool-brush')).toBeNull();
    expect(q('mask-zoom-in')).not.toBeNull();
    await key({ key: 'i' });
    expect(page.editor().hasMask()).toBe(false);
  });

  it.each<MaskCanvasMode>(['mask', 'outpaint', 'none'])(
    'axe finds no serious violation (%s mode)',
    async (mode) => {
      await render((p) => p.mode.set(mode));
      // jsdom computes no colours: contrast is checked in the browser (e2e).
      const result = await axe.run(root(), { rules: { 'color-contrast': { enabled: false } } });
      const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    },
  );

  it('leaves Space and letters to a widget that uses them (a select’s type-ahead)', async () => {
    await render();
    const select = document.createElement('div');
    select.setAttribute('role', 'combobox');
    select.tabIndex = 0;
    document.body.appendChild(select);
    const space = await key({ key: ' ' }, select);
    const letter = await key({ key: 'e' }, select);
    select.remove();
    expect(space.defaultPrevented).toBe(false);
    expect(letter.defaultPrevented).toBe(false);
    expect(canvas().getAttribute('data-tool')).toBe('brush');
    expect(canvas().classList).not.toContain('panning');
  });

  it('Space held on the canvas pans with the primary button', async () => {
    await render();
    await key({ key: ' ' }, canvas());
    expect(canvas().classList).toContain('panning');
    await stroke([
      [10, 10],
      [30, 10],
    ]);
    expect(page.editor().hasMask()).toBe(false);
    document.body.dispatchEvent(new KeyboardEvent('keyup', { key: ' ', bubbles: true }));
    await stable();
    // the image moved 20 px right: view (40, 20) is image (20, 20)
    await stroke([[40, 20]]);
    expect(maskAt(20, 20)).toBe(255);
  });

  it('gives every control a name a screen reader can read', async () => {
    await render();
    for (const button of Array.from(root().querySelectorAll('button'))) {
      const name = button.getAttribute('aria-label') ?? button.textContent?.trim();
      expect(name).toMatch(/\w/);
    }
    expect(canvas().getAttribute('role')).toBe('application');
    expect(canvas().getAttribute('aria-label')).toMatch(/paint/);
  });
});
