import {
  clampExtent,
  dragExtent,
  extendedSize,
  hasExtent,
  MAX_OUTPAINT_EXTENT,
  NO_EXTENTS,
  withExtent,
} from './outpaint-extents';

describe('outpaint extents', () => {
  it('clamps a side to a whole number of pixels from 0 to 2000', () => {
    expect(clampExtent(150)).toBe(150);
    expect(clampExtent(12.6)).toBe(13);
    expect(clampExtent(-40)).toBe(0);
    expect(clampExtent(5000)).toBe(MAX_OUTPAINT_EXTENT);
    expect(clampExtent(Number.NaN)).toBe(0);
  });

  it('sets one side, leaving the others', () => {
    expect(withExtent(NO_EXTENTS, 'up', 300)).toEqual({ left: 0, right: 0, up: 300, down: 0 });
    expect(withExtent(NO_EXTENTS, 'left', 0)).toBe(NO_EXTENTS);
  });

  it('dragging a handle outwards extends its side, inwards shrinks it to the edge', () => {
    expect(dragExtent(NO_EXTENTS, 'left', -120, 0).left).toBe(120);
    expect(dragExtent(NO_EXTENTS, 'right', 80, 999).right).toBe(80);
    expect(dragExtent(NO_EXTENTS, 'up', 0, -50).up).toBe(50);
    expect(dragExtent(NO_EXTENTS, 'down', 0, 70).down).toBe(70);
    expect(dragExtent({ ...NO_EXTENTS, right: 100 }, 'right', -300, 0).right).toBe(0);
    expect(dragExtent(NO_EXTENTS, 'down', 0, 9000).down).toBe(MAX_OUTPAINT_EXTENT);
  });

  it('gives the extended size and whether anything is extended', () => {
    const e = { left: 10, right: 20, up: 30, down: 40 };
    expect(extendedSize({ width: 100, height: 50 }, e)).toEqual({ width: 130, height: 120 });
    expect(hasExtent(e)).toBe(true);
    expect(hasExtent(NO_EXTENTS)).toBe(false);
  });
});
