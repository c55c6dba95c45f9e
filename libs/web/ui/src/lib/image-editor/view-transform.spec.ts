import {
  clampScale,
  cssTransform,
  fitTransform,
  IDENTITY,
  imageToView,
  MAX_SCALE,
  MIN_SCALE,
  panBy,
  pinch,
  viewToImage,
  zoomAt,
} from './view-transform';

const close = (a: { x: number; y: number }, b: { x: number; y: number }) => {
  expect(a.x).toBeCloseTo(b.x, 6);
  expect(a.y).toBeCloseTo(b.y, 6);
};

describe('view transform', () => {
  it('maps view to image and back under zoom and pan', () => {
    const t = { scale: 2.5, offsetX: 40, offsetY: -12 };
    close(viewToImage(t, { x: 40, y: -12 }), { x: 0, y: 0 });
    close(viewToImage(t, { x: 65, y: 13 }), { x: 10, y: 10 });
    close(imageToView(t, { x: 10, y: 10 }), { x: 65, y: 13 });
    const p = { x: 123.4, y: 56.7 };
    close(imageToView(t, viewToImage(t, p)), p);
  });

  it('fits the whole image centred in the viewport, never above 1:1', () => {
    // a 1000×500 image in a 360×640 phone viewport with no margin: the width decides
    const t = fitTransform({ x: 0, y: 0, width: 1000, height: 500 }, { width: 360, height: 640 }, 0);
    expect(t.scale).toBeCloseTo(0.36);
    close(imageToView(t, { x: 0, y: 0 }), { x: 0, y: 320 - 90 });
    close(imageToView(t, { x: 1000, y: 500 }), { x: 360, y: 320 + 90 });
    // a small image stays at its size
    expect(fitTransform({ x: 0, y: 0, width: 100, height: 100 }, { width: 800, height: 800 }).scale).toBe(1);
  });

  it('fits the extended area of an outpaint, which starts left of and above the image', () => {
    const t = fitTransform({ x: -100, y: -50, width: 300, height: 200 }, { width: 300, height: 200 }, 0);
    expect(t.scale).toBe(1);
    close(imageToView(t, { x: -100, y: -50 }), { x: 0, y: 0 });
    close(imageToView(t, { x: 0, y: 0 }), { x: 100, y: 50 });
  });

  it('gives the identity to a viewport not laid out yet', () => {
    expect(fitTransform({ x: 0, y: 0, width: 10, height: 10 }, { width: 0, height: 0 })).toBe(IDENTITY);
  });

  it('zooms around the anchor: the image point under it does not move', () => {
    const t = { scale: 1, offsetX: 10, offsetY: 20 };
    const anchor = { x: 110, y: 70 };
    const under = viewToImage(t, anchor);
    const z = zoomAt(t, 2, anchor);
    expect(z.scale).toBe(2);
    close(imageToView(z, under), anchor);
  });

  it('keeps the zoom within its limits', () => {
    expect(clampScale(1000)).toBe(MAX_SCALE);
    expect(clampScale(0)).toBe(MIN_SCALE);
    const z = zoomAt({ scale: MAX_SCALE, offsetX: 0, offsetY: 0 }, 2, { x: 50, y: 50 });
    expect(z.scale).toBe(MAX_SCALE);
    expect(z.offsetX).toBeCloseTo(0);
  });

  it('pans by view pixels', () => {
    expect(panBy({ scale: 2, offsetX: 1, offsetY: 2 }, 10, -5)).toEqual({
      scale: 2,
      offsetX: 11,
      offsetY: -3,
    });
  });

  it('pinch: fingers apart zoom in, and the picture stays under the fingers', () => {
    const t = { scale: 1, offsetX: 0, offsetY: 0 };
    const from = [
      { x: 100, y: 100 },
      { x: 200, y: 100 },
    ] as const;
    const to = [
      { x: 50, y: 150 },
      { x: 250, y: 150 },
    ] as const;
    const p = pinch(t, from, to);
    expect(p.scale).toBeCloseTo(2);
    // the image point that was under each finger is under it again
    close(imageToView(p, viewToImage(t, from[0])), to[0]);
    close(imageToView(p, viewToImage(t, from[1])), to[1]);
  });

  it('pinch with fingers moving together only pans', () => {
    const t = { scale: 1.5, offsetX: 3, offsetY: 4 };
    const p = pinch(
      t,
      [
        { x: 0, y: 0 },
        { x: 10, y: 0 },
      ],
      [
        { x: 5, y: 7 },
        { x: 15, y: 7 },
      ],
    );
    expect(p.scale).toBeCloseTo(1.5);
    expect(p.offsetX).toBeCloseTo(8);
    expect(p.offsetY).toBeCloseTo(11);
  });

  it('writes the CSS transform that draws image pixels where the transform says', () => {
    expect(cssTransform({ scale: 0.5, offsetX: 10, offsetY: 20 })).toBe('translate(10px, 20px) scale(0.5)');
  });
});
