/** An image size in pixels. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** aspect_ratio's enum as the Core, SD3.5 Large and style guide pages list it. */
export const ASPECT_RATIOS = ['16:9', '1:1', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21'] as const;

/**
 * Sizes of a ~1 megapixel answer per aspect ratio (SD3.5 Large's page: "1 megapixel resolution"; the style guide's
 * page gives no size): what the stand-in renders, not a validation rule.
 */
export const ONE_MEGAPIXEL: Readonly<Record<string, ImageSize>> = {
  '1:1': { width: 1024, height: 1024 },
  '16:9': { width: 1344, height: 768 },
  '21:9': { width: 1536, height: 640 },
  '2:3': { width: 832, height: 1216 },
  '3:2': { width: 1216, height: 832 },
  '4:5': { width: 896, height: 1088 },
  '5:4': { width: 1088, height: 896 },
  '9:16': { width: 768, height: 1344 },
  '9:21': { width: 640, height: 1536 },
};
