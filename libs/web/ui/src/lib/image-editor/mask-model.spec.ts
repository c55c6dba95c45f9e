import { brushRadius, MASK_EDIT, MASK_KEEP, MaskModel, unionRect } from './mask-model';

/** The painted pixels as "x,y" strings, to compare masks by what they mark. */
function paintedSet(m: MaskModel): Set<string> {
  const out = new Set<string>();
  for (let y = 0; y < m.height; y++)
    for (let x = 0; x < m.width; x++) if (m.valueAt(x, y) === MASK_EDIT) out.add(`${x},${y}`);
  return out;
}

function snapshot(m: MaskModel): number[] {
  return Array.from(m.pixels);
}

function strokeThrough(
  m: MaskModel,
  tool: 'brush' | 'eraser',
  size: number,
  points: [number, number, number?][],
) {
  const [first, ...rest] = points;
  m.beginStroke(tool, size, { x: first[0], y: first[1], pressure: first[2] });
  for (const [x, y, pressure] of rest) m.extendStroke({ x, y, pressure });
  m.endStroke();
}

describe(MaskModel.name, () => {
  it('starts empty, at the image’s size, keeping every pixel', () => {
    const m = new MaskModel({ width: 30, height: 20 });
    expect(m.pixels.length).toBe(600);
    expect(m.isEmpty()).toBe(true);
    expect(m.pixels.every((v) => v === MASK_KEEP)).toBe(true);
    expect(m.canUndo()).toBe(false);
    expect(m.canRedo()).toBe(false);
  });

  it('refuses a size that is not a whole positive number of pixels', () => {
    expect(() => new MaskModel({ width: 0, height: 10 })).toThrow(RangeError);
    expect(() => new MaskModel({ width: 10.5, height: 10 })).toThrow(RangeError);
  });

  describe('brush', () => {
    it('paints a round dab of the brush’s size (in image pixels) around the point', () => {
      const m = new MaskModel({ width: 40, height: 40 });
      strokeThrough(m, 'brush', 10, [[20, 20]]);
      expect(m.isEmpty()).toBe(false);
      // inside the radius of 5
      expect(m.valueAt(20, 20)).toBe(MASK_EDIT);
      expect(m.valueAt(16, 20)).toBe(MASK_EDIT);
      expect(m.valueAt(20, 23)).toBe(MASK_EDIT);
      // outside it: beyond the radius, and the square's corner (round, not square)
      expect(m.valueAt(26, 20)).toBe(MASK_KEEP);
      expect(m.valueAt(20, 14)).toBe(MASK_KEEP);
      expect(m.valueAt(15, 15)).toBe(MASK_KEEP);
      // about π r² pixels
      expect(paintedSet(m).size).toBeGreaterThan(Math.PI * 25 * 0.8);
      expect(paintedSet(m).size).toBeLessThan(Math.PI * 25 * 1.2);
    });

    it('paints at least the pixel under a 1 px brush', () => {
      const m = new MaskModel({ width: 5, height: 5 });
      strokeThrough(m, 'brush', 1, [[2.9, 3.1]]);
      expect(paintedSet(m)).toEqual(new Set(['2,3']));
    });

    it('leaves no gap between two samples far apart (a fast move)', () => {
      const m = new MaskModel({ width: 200, height: 20 });
      strokeThrough(m, 'brush', 4, [
        [5, 10],
        [195, 10],
      ]);
      for (let x = 5; x < 195; x++) expect(m.valueAt(x, 10)).toBe(MASK_EDIT);
      // and the band is the brush's width, not more
      expect(m.valueAt(100, 13)).toBe(MASK_KEEP);
      expect(m.valueAt(100, 6)).toBe(MASK_KEEP);
    });

    it('fills a diagonal fast move without holes', () => {
      const m = new MaskModel({ width: 100, height: 100 });
      strokeThrough(m, 'brush', 3, [
        [2, 2],
        [97, 97],
      ]);
      for (let i = 3; i < 96; i++) expect(m.valueAt(i, i)).toBe(MASK_EDIT);
    });

    it('clips strokes that leave the image', () => {
      const m = new MaskModel({ width: 10, height: 10 });
      strokeThrough(m, 'brush', 6, [
        [-20, 5],
        [30, 5],
      ]);
      for (let x = 0; x < 10; x++) expect(m.valueAt(x, 5)).toBe(MASK_EDIT);
      expect(m.pixels.length).toBe(100);
    });

    it('scales its radius by pen pressure when given', () => {
      const full = new MaskModel({ width: 60, height: 60 });
      strokeThrough(full, 'brush', 20, [[30, 30, 1]]);
      const light = new MaskModel({ width: 60, height: 60 });
      strokeThrough(light, 'brush', 20, [[30, 30, 0.25]]);
      const none = new MaskModel({ width: 60, height: 60 });
      strokeThrough(none, 'brush', 20, [[30, 30]]);
      expect(paintedSet(none)).toEqual(paintedSet(full));
      expect(light.valueAt(30, 30)).toBe(MASK_EDIT);
      expect(light.valueAt(36, 30)).toBe(MASK_KEEP);
      expect(full.valueAt(36, 30)).toBe(MASK_EDIT);
    });
  });

  it('brushRadius: half the size, times the pressure, never below a tenth of it', () => {
    expect(brushRadius(20)).toBe(10);
    expect(brushRadius(20, 0.5)).toBe(5);
    expect(brushRadius(20, 0)).toBe(1);
    expect(brushRadius(20, 3)).toBe(10);
    expect(brushRadius(20, Number.NaN)).toBe(10);
  });

  it('eraser gives painted pixels back to the image', () => {
    const m = new MaskModel({ width: 50, height: 20 });
    strokeThrough(m, 'brush', 10, [
      [5, 10],
      [45, 10],
    ]);
    strokeThrough(m, 'eraser', 6, [
      [25, 0],
      [25, 19],
    ]);
    expect(m.valueAt(25, 10)).toBe(MASK_KEEP);
    expect(m.valueAt(10, 10)).toBe(MASK_EDIT);
    expect(m.valueAt(40, 10)).toBe(MASK_EDIT);
  });

  it('is empty again once everything painted is erased', () => {
    const m = new MaskModel({ width: 20, height: 20 });
    strokeThrough(m, 'brush', 4, [[10, 10]]);
    strokeThrough(m, 'eraser', 20, [[10, 10]]);
    expect(m.isEmpty()).toBe(true);
  });

  describe('undo and redo', () => {
    it('undo takes back one whole stroke, redo puts it back', () => {
      const m = new MaskModel({ width: 40, height: 40 });
      strokeThrough(m, 'brush', 6, [
        [5, 5],
        [35, 5],
      ]);
      const afterFirst = snapshot(m);
      strokeThrough(m, 'brush', 6, [
        [5, 30],
        [20, 30],
        [35, 30],
      ]);
      const afterSecond = snapshot(m);

      expect(m.undo()).not.toBeNull();
      expect(snapshot(m)).toEqual(afterFirst);
      expect(m.canRedo()).toBe(true);
      m.undo();
      expect(m.isEmpty()).toBe(true);
      expect(m.canUndo()).toBe(false);
      expect(m.undo()).toBeNull();

      m.redo();
      expect(snapshot(m)).toEqual(afterFirst);
      m.redo();
      expect(snapshot(m)).toEqual(afterSecond);
      expect(m.redo()).toBeNull();
    });

    it('a new stroke after an undo forgets what could be redone', () => {
      const m = new MaskModel({ width: 20, height: 20 });
      strokeThrough(m, 'brush', 4, [[5, 5]]);
      m.undo();
      strokeThrough(m, 'brush', 4, [[15, 15]]);
      expect(m.canRedo()).toBe(false);
      expect(m.valueAt(5, 5)).toBe(MASK_KEEP);
    });

    it('a stroke that changes nothing is not an undo step', () => {
      const m = new MaskModel({ width: 20, height: 20 });
      strokeThrough(m, 'eraser', 6, [[10, 10]]);
      expect(m.canUndo()).toBe(false);
    });

    it('undoes an eraser stroke', () => {
      const m = new MaskModel({ width: 20, height: 20 });
      strokeThrough(m, 'brush', 10, [[10, 10]]);
      const painted = snapshot(m);
      strokeThrough(m, 'eraser', 4, [[10, 10]]);
      m.undo();
      expect(snapshot(m)).toEqual(painted);
    });

    it('keeps only the last historyLimit steps', () => {
      const m = new MaskModel({ width: 50, height: 5 }, { historyLimit: 3 });
      for (let i = 0; i < 5; i++) strokeThrough(m, 'brush', 1, [[i * 10, 2]]);
      let undone = 0;
      while (m.undo()) undone++;
      expect(undone).toBe(3);
      // the two oldest strokes can no longer be undone
      expect(m.valueAt(0, 2)).toBe(MASK_EDIT);
      expect(m.valueAt(10, 2)).toBe(MASK_EDIT);
      expect(m.valueAt(20, 2)).toBe(MASK_KEEP);
    });

    it('drops the oldest steps past the memory budget, keeping at least the last', () => {
      const m = new MaskModel({ width: 100, height: 100 }, { historyBytes: 1 });
      strokeThrough(m, 'brush', 10, [[20, 20]]);
      strokeThrough(m, 'brush', 10, [[70, 70]]);
      expect(m.undo()).not.toBeNull();
      expect(m.undo()).toBeNull();
      expect(m.valueAt(20, 20)).toBe(MASK_EDIT);
    });
  });

  it('cancelStroke drops the stroke in progress without an undo step', () => {
    const m = new MaskModel({ width: 30, height: 30 });
    strokeThrough(m, 'brush', 4, [[5, 5]]);
    const before = snapshot(m);
    m.beginStroke('brush', 6, { x: 15, y: 15 });
    m.extendStroke({ x: 25, y: 25 });
    expect(m.drawing).toBe(true);
    expect(m.cancelStroke()).not.toBeNull();
    expect(m.drawing).toBe(false);
    expect(snapshot(m)).toEqual(before);
    m.undo();
    expect(m.isEmpty()).toBe(true);
  });

  it('extendStroke without a stroke does nothing', () => {
    const m = new MaskModel({ width: 10, height: 10 });
    expect(m.extendStroke({ x: 5, y: 5 })).toBeNull();
    expect(m.isEmpty()).toBe(true);
  });

  it('reports the pixels each change touched, so a view redraws only those', () => {
    const m = new MaskModel({ width: 100, height: 100 });
    const dab = m.beginStroke('brush', 10, { x: 50, y: 50 });
    expect(dab).toEqual({ x: 45, y: 45, width: 11, height: 11 });
    const seg = m.extendStroke({ x: 80, y: 50 });
    expect(seg?.x).toBeGreaterThanOrEqual(45);
    expect((seg?.x ?? 0) + (seg?.width ?? 0)).toBe(86);
    m.endStroke();
  });

  it('clear marks nothing, and undo brings the mask back', () => {
    const m = new MaskModel({ width: 30, height: 30 });
    strokeThrough(m, 'brush', 8, [
      [5, 5],
      [25, 25],
    ]);
    const painted = snapshot(m);
    expect(m.clear()).not.toBeNull();
    expect(m.isEmpty()).toBe(true);
    expect(m.pixels.every((v) => v === MASK_KEEP)).toBe(true);
    m.undo();
    expect(snapshot(m)).toEqual(painted);
    m.redo();
    expect(m.isEmpty()).toBe(true);
  });

  it('clear on an empty mask is no step', () => {
    const m = new MaskModel({ width: 10, height: 10 });
    expect(m.clear()).toBeNull();
    expect(m.canUndo()).toBe(false);
  });

  it('invert swaps kept and edited pixels, and is undoable', () => {
    const m = new MaskModel({ width: 10, height: 10 });
    strokeThrough(m, 'brush', 1, [[3, 3]]);
    m.invert();
    expect(m.valueAt(3, 3)).toBe(MASK_KEEP);
    expect(m.valueAt(0, 0)).toBe(MASK_EDIT);
    expect(paintedSet(m).size).toBe(99);
    expect(m.isEmpty()).toBe(false);
    m.undo();
    expect(paintedSet(m)).toEqual(new Set(['3,3']));
    m.redo();
    expect(paintedSet(m).size).toBe(99);
  });

  it('an empty mask inverted marks the whole image; inverted again it is empty', () => {
    const m = new MaskModel({ width: 4, height: 4 });
    m.invert();
    expect(m.pixels.every((v) => v === MASK_EDIT)).toBe(true);
    m.invert();
    expect(m.isEmpty()).toBe(true);
  });

  it('exports RGBA at the image’s size: white where painted, black elsewhere, opaque', () => {
    const m = new MaskModel({ width: 3, height: 2 });
    strokeThrough(m, 'brush', 1, [[1.5, 0.5]]);
    const rgba = m.toRgba();
    expect(rgba.length).toBe(3 * 2 * 4);
    const px = (x: number, y: number) => Array.from(rgba.slice((y * 3 + x) * 4, (y * 3 + x) * 4 + 4));
    expect(px(1, 0)).toEqual([255, 255, 255, 255]);
    expect(px(0, 0)).toEqual([0, 0, 0, 255]);
    expect(px(2, 1)).toEqual([0, 0, 0, 255]);
  });

  it('paintedBounds is the smallest rectangle around the painted pixels', () => {
    const m = new MaskModel({ width: 20, height: 20 });
    expect(m.paintedBounds()).toBeNull();
    strokeThrough(m, 'brush', 1, [[3, 4]]);
    strokeThrough(m, 'brush', 1, [[10, 12]]);
    expect(m.paintedBounds()).toEqual({ x: 3, y: 4, width: 8, height: 9 });
  });

  it('version goes up with every change to the pixels', () => {
    const m = new MaskModel({ width: 10, height: 10 });
    const v0 = m.version;
    strokeThrough(m, 'brush', 2, [[5, 5]]);
    const v1 = m.version;
    expect(v1).toBeGreaterThan(v0);
    m.undo();
    expect(m.version).toBeGreaterThan(v1);
  });
});

describe(unionRect.name, () => {
  it('holds both rectangles, or the one there is', () => {
    const a = { x: 1, y: 2, width: 3, height: 4 };
    expect(unionRect(null, a)).toBe(a);
    expect(unionRect(a, null)).toBe(a);
    expect(unionRect(a, { x: 10, y: 0, width: 2, height: 1 })).toEqual({ x: 1, y: 0, width: 11, height: 6 });
  });
});
