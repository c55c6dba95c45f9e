import { Directive, input } from '@angular/core';

/**
 * The grey-and-white squares that show through transparent pixels, so a result with an alpha channel (a
 * removed background) or the empty area of an outpaint reads as "transparent" rather than "white".
 * On any element: `<img igCheckerboard [src]="…">` or `<div igCheckerboard [checkerSize]="8">`.
 */
@Directive({
  selector: '[igCheckerboard]',
  host: {
    class: 'ig-checkerboard',
    '[style.background-color]': '"#ffffff"',
    '[style.background-image]': 'pattern',
    '[style.background-size]': 'checkerSize() * 2 + "px " + checkerSize() * 2 + "px"',
  },
})
export class Checkerboard {
  /** The side of one square, in CSS pixels. */
  readonly checkerSize = input(8);

  /** Two squares of grey per tile of four, on the white background. */
  protected readonly pattern = CHECKERBOARD_IMAGE;
}

/** The pattern as a CSS background-image, for a style sheet that cannot use the directive. */
export const CHECKERBOARD_IMAGE = 'repeating-conic-gradient(#cccccc 0% 25%, transparent 0% 50%)';
