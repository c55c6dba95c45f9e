export * from './lib/generation-form';
export * from './lib/generation-view';
export * from './lib/problem-banner';
export * from './lib/prompt-field';
export * from './lib/prompt-assistant';
export { Checkerboard, CHECKERBOARD_IMAGE } from './lib/image-editor/checkerboard';
export { MASK_CANVAS_SHORTCUTS, MaskCanvas } from './lib/image-editor/mask-canvas';
export type { CanvasShortcut, CanvasTool, MaskCanvasMode, MaskChange } from './lib/image-editor/mask-canvas';
export { MASK_EDIT, MASK_KEEP, MaskModel } from './lib/image-editor/mask-model';
export type { MaskModelOptions, MaskTool } from './lib/image-editor/mask-model';
export {
  clampExtent,
  extendedSize,
  hasExtent,
  MAX_OUTPAINT_EXTENT,
  NO_EXTENTS,
  OUTPAINT_SIDES,
  withExtent,
} from './lib/image-editor/outpaint-extents';
export type { OutpaintExtents, OutpaintSide } from './lib/image-editor/outpaint-extents';
