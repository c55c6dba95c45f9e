/**
 * The image-service catalog: every fact about the models that start from an image (Stability AI's Image
 * Services on Amazon Bedrock, and SD3.5 Large's image-to-image mode) lives here as data, like the
 * text-to-image catalog: fields, ranges, defaults, input limits, output geometry, price, and the AWS page each
 * came from. The web form for each service, the validation in the browser, the BFF and the Lambda, the IAM
 * policy and the cost estimate are all built from it.
 */
import {
  ASPECT_RATIOS,
  AspectRatio,
  ModelEta,
  ONE_MEGAPIXEL,
  OutputFormat,
  SD35_LARGE_PAGE,
} from '../catalog/model-catalog';

/** Amazon Bedrock user guide, "Stability AI Image Services" (request and response, upscale, edit, control). */
export const IMAGE_SERVICES_PAGE =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html';
/** Amazon Bedrock user guide, "Supported Regions and models for inference profiles" (the `us.` profiles). */
export const INFERENCE_PROFILES_PAGE =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html';
/** Amazon Bedrock user guide, "Prerequisites for inference profiles" (the IAM a profile call needs). */
export const INFERENCE_PROFILE_IAM_PAGE =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html';
const PRICING_PAGE = 'https://aws.amazon.com/bedrock/pricing/';
const SERVICE_PRICE_SOURCE = `${PRICING_PAGE} (Stability AI, per image; as transcribed in shared/bedrock/MODELS.md: confirm)`;

export type ImageServiceKind = 'edit' | 'control' | 'upscale' | 'image-to-image';

/** The 17 style presets the Image Services take (the SDXL list on AWS's pages). */
export const STYLE_PRESETS = [
  '3d-model',
  'analog-film',
  'anime',
  'cinematic',
  'comic-book',
  'digital-art',
  'enhance',
  'fantasy-art',
  'isometric',
  'line-art',
  'low-poly',
  'modeling-compound',
  'neon-punk',
  'origami',
  'photographic',
  'pixel-art',
  'tile-texture',
] as const;
export type StylePreset = (typeof STYLE_PRESETS)[number];

/** Aspect ratios the style guide service takes for its output: the text-to-image models' nine. */
export const STYLE_GUIDE_ASPECT_RATIOS = ASPECT_RATIOS;

/** A request field of an image service, named as AWS's page names it in the JSON body. */
export type ServiceParamName =
  | 'prompt'
  | 'negative_prompt'
  | 'grow_mask'
  | 'left'
  | 'right'
  | 'up'
  | 'down'
  | 'creativity'
  | 'search_prompt'
  | 'select_prompt'
  | 'control_strength'
  | 'fidelity'
  | 'composition_fidelity'
  | 'style_strength'
  | 'change_strength'
  | 'style_preset'
  | 'aspect_ratio'
  | 'strength';

interface ParamBase {
  readonly name: ServiceParamName;
  /** What the form shows. */
  readonly label: string;
  /** One line of help under the field. */
  readonly help?: string;
  readonly required: boolean;
}
export interface TextParam extends ParamBase {
  readonly kind: 'text';
  readonly maxLength: number;
}
export interface NumberParam extends ParamBase {
  /** `integer` takes whole numbers only (grow_mask, the outpaint sides). */
  readonly kind: 'number' | 'integer';
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** The value AWS's page gives as the default (what the model uses when the field is left out). */
  readonly default?: number;
}
export interface EnumParam extends ParamBase {
  readonly kind: 'enum';
  readonly values: readonly string[];
  readonly default?: string;
}
export type ServiceParam = TextParam | NumberParam | EnumParam;

/** What an input image must be (AWS's page for the service). */
export interface InputImageLimits {
  readonly minSide: number;
  readonly maxSide?: number;
  readonly minPixels: number;
  readonly maxPixels: number;
  /** width / height, inclusive. */
  readonly minAspect: number;
  readonly maxAspect: number;
}

/** The image inputs of a request: the main image, an optional mask, and the style image of style transfer. */
export type ServiceInputName = 'image' | 'mask' | 'styleImage';
export interface ServiceInput {
  /** The JSON field AWS's page names for it (`image`, `init_image`, `mask`, `style_image`). */
  readonly field: 'image' | 'init_image' | 'mask' | 'style_image';
  readonly required: boolean;
  readonly label: string;
  /** Absent for a mask: it is resized to the image. */
  readonly limits?: InputImageLimits;
}

/**
 * The size of the answer, from the input's:
 * - `same`: the input's size (edits, control, style transfer, image-to-image);
 * - `extend`: the input plus left/right/up/down (outpaint);
 * - `scale`: each side × `factor` (fast upscale);
 * - `long-side`: scaled, aspect kept, so the longer side is `pixels` (the "up to 4K" upscalers);
 * - `aspect-ratio`: the `aspect_ratio` field's 1-megapixel size (style guide).
 */
export type ServiceOutput =
  | { readonly kind: 'same' }
  | { readonly kind: 'extend' }
  | { readonly kind: 'scale'; readonly factor: number }
  | { readonly kind: 'long-side'; readonly pixels: number }
  | { readonly kind: 'aspect-ratio' };

export interface ImageServiceEntry {
  /** The foundation-model id (ARNs, availability): `stability.stable-image-inpaint-v1:0`. */
  readonly id: string;
  /** The id InvokeModel is called with: the US cross-Region inference profile (`us.` + id), or the model id. */
  readonly invokeId: string;
  readonly kind: ImageServiceKind;
  readonly displayName: string;
  readonly description: string;
  readonly provider: string;
  /**
   * Where Bedrock runs it: the profile's source region (where the profile ARN is) and every region it routes to
   * (the foundation-model ARNs IAM must allow). A model called directly has one region and no profile.
   */
  readonly routing:
    | {
        readonly profile: 'us';
        readonly sourceRegion: string;
        readonly destinationRegions: readonly string[];
      }
    | { readonly profile?: undefined; readonly region: string };
  readonly inputs: Readonly<Partial<Record<ServiceInputName, ServiceInput>>>;
  /** The request fields a person sets, in form order (seed and output_format are common to all). */
  readonly params: readonly ServiceParam[];
  /** Whether a mask's absence means "edit the image's transparent pixels" (inpaint, erase). */
  readonly alphaAsMask?: boolean;
  readonly output: ServiceOutput;
  readonly seed: { readonly min: number; readonly max: number };
  readonly outputFormats: readonly OutputFormat[];
  /** One image per call; N images are N calls. */
  readonly maxCount: number;
  /** Whether the request takes `seed` (AWS's page lists none for remove background and fast upscale). */
  readonly takesSeed: boolean;
  readonly price: { readonly perImageUsd: number; readonly asOf: string; readonly source: string };
  /** The AWS page every rule of this entry comes from (and why, where the catalog reads it a certain way). */
  readonly source: { readonly url: string; readonly note?: string };
  readonly expectedSecondsPerImage: number;
}

/** Every Image Service: each side ≥ 64 px, at most 9,437,184 px, aspect 1:2.5 to 2.5:1 (AWS's page). */
export const SERVICE_IMAGE_LIMITS: InputImageLimits = {
  minSide: 64,
  minPixels: 64 * 64,
  maxPixels: 9_437_184,
  minAspect: 1 / 2.5,
  maxAspect: 2.5,
};
/** Creative upscale: each side ≥ 64 px, 4,096 to 1,048,576 px in total; the page states no aspect rule. */
const CREATIVE_UPSCALE_LIMITS: InputImageLimits = {
  minSide: 64,
  minPixels: 4_096,
  maxPixels: 1_048_576,
  minAspect: 0,
  maxAspect: Number.POSITIVE_INFINITY,
};
/** Fast upscale: sides 32 to 1,536 px, 1,024 to 1,048,576 px in total; the page states no aspect rule. */
const FAST_UPSCALE_LIMITS: InputImageLimits = {
  minAspect: 0,
  maxAspect: Number.POSITIVE_INFINITY,
  minSide: 32,
  maxSide: 1_536,
  minPixels: 1_024,
  maxPixels: 1_048_576,
};

const PROMPT_MAX = 10_000;
const prompt = (required: boolean, help?: string): TextParam => ({
  name: 'prompt',
  kind: 'text',
  label: 'Prompt',
  required,
  maxLength: PROMPT_MAX,
  ...(help ? { help } : {}),
});
const NEGATIVE_PROMPT: TextParam = {
  name: 'negative_prompt',
  kind: 'text',
  label: 'Negative prompt',
  help: 'What should not appear.',
  required: false,
  maxLength: PROMPT_MAX,
};
const STYLE_PRESET: EnumParam = {
  name: 'style_preset',
  kind: 'enum',
  label: 'Style preset',
  required: false,
  values: STYLE_PRESETS,
};
const GROW_MASK: NumberParam = {
  name: 'grow_mask',
  kind: 'integer',
  label: 'Grow mask',
  help: 'Pixels the mask grows by, softening its edge.',
  required: false,
  min: 0,
  max: 20,
  step: 1,
  default: 5,
};
const side = (name: 'left' | 'right' | 'up' | 'down', label: string): NumberParam => ({
  name,
  kind: 'integer',
  label,
  help: 'Pixels to add on this side.',
  required: false,
  min: 0,
  max: 2000,
  step: 1,
  default: 0,
});
const unit = (
  name: ServiceParamName,
  label: string,
  min: number,
  max: number,
  def: number,
  help: string,
): NumberParam => ({
  name,
  kind: 'number',
  label,
  help,
  required: false,
  min,
  max,
  step: 0.05,
  default: def,
});

const US_PROFILE = {
  profile: 'us',
  sourceRegion: 'us-west-2',
  destinationRegions: ['us-east-1', 'us-east-2', 'us-west-2'],
} as const;

const SERVICE_COMMON = {
  provider: 'Stability AI',
  routing: US_PROFILE,
  seed: { min: 0, max: 4_294_967_294 },
  takesSeed: true,
  outputFormats: ['png', 'jpeg', 'webp'],
  maxCount: 4,
  source: { url: IMAGE_SERVICES_PAGE },
} as const;

const image = (label = 'Image', limits: InputImageLimits = SERVICE_IMAGE_LIMITS): ServiceInput => ({
  field: 'image',
  required: true,
  label,
  limits,
});
const MASK: ServiceInput = { field: 'mask', required: false, label: 'Mask' };

const price = (perImageUsd: number) => ({ perImageUsd, asOf: '2026-11-01', source: SERVICE_PRICE_SOURCE });

/** `us.` + the model id: the US cross-Region inference profile the Image Services are invoked through. */
const profiled = (id: string) => ({ id, invokeId: `us.${id}` });

/**
 * Search and replace, search and recolor: a prompt for what to paint, words that find what to change (no mask), then
 * as inpaint (negative prompt, grow mask, style preset).
 */
function searchService(
  id: string,
  text: {
    displayName: string;
    description: string;
    promptHelp: string;
    find: { name: 'search_prompt' | 'select_prompt'; label: string; help: string };
  },
): ImageServiceEntry {
  return {
    ...SERVICE_COMMON,
    ...profiled(id),
    kind: 'edit',
    displayName: text.displayName,
    description: text.description,
    inputs: { image: image() },
    params: [
      prompt(true, text.promptHelp),
      { ...text.find, kind: 'text', required: true, maxLength: PROMPT_MAX },
      NEGATIVE_PROMPT,
      GROW_MASK,
      STYLE_PRESET,
    ],
    output: { kind: 'same' },
    price: price(0.07),
    expectedSecondsPerImage: 8,
  };
}

/** Sketch to image, keep structure: a prompt and how closely the result follows the input (control_strength). */
function controlService(
  id: string,
  text: { displayName: string; description: string; imageLabel: string; follows: string },
): ImageServiceEntry {
  return {
    ...SERVICE_COMMON,
    ...profiled(id),
    kind: 'control',
    displayName: text.displayName,
    description: text.description,
    inputs: { image: image(text.imageLabel) },
    params: [
      prompt(true),
      unit(
        'control_strength',
        'Control strength',
        0,
        1,
        0.7,
        `How closely the result follows ${text.follows}.`,
      ),
      NEGATIVE_PROMPT,
      STYLE_PRESET,
    ],
    output: { kind: 'same' },
    price: price(0.07),
    expectedSecondsPerImage: 8,
  };
}

export const IMAGE_SERVICES: readonly ImageServiceEntry[] = [
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-image-inpaint-v1:0'),
    kind: 'edit',
    displayName: 'Inpaint',
    description: 'Repaint the area you paint with what the prompt says.',
    inputs: { image: image(), mask: MASK },
    params: [prompt(true, 'What to paint into the masked area.'), NEGATIVE_PROMPT, GROW_MASK, STYLE_PRESET],
    alphaAsMask: true,
    output: { kind: 'same' },
    price: price(0.07),
    expectedSecondsPerImage: 8,
  },
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-outpaint-v1:0'),
    kind: 'edit',
    displayName: 'Outpaint',
    description: 'Extend the image beyond its edges.',
    inputs: { image: image() },
    params: [
      side('left', 'Left'),
      side('right', 'Right'),
      side('up', 'Up'),
      side('down', 'Down'),
      prompt(false, 'What the new area shows (optional).'),
      unit('creativity', 'Creativity', 0.1, 1, 0.5, 'How freely the new area is invented.'),
      STYLE_PRESET,
    ],
    output: { kind: 'extend' },
    price: price(0.06),
    source: { url: IMAGE_SERVICES_PAGE, note: 'At least one of left, right, up and down must be above 0.' },
    expectedSecondsPerImage: 10,
  },
  searchService('stability.stable-image-search-replace-v1:0', {
    displayName: 'Search and replace',
    description: 'Find something by name and replace it, no mask needed.',
    promptHelp: 'What to put in its place.',
    find: { name: 'search_prompt', label: 'Search for', help: 'What to replace, in a few words.' },
  }),
  searchService('stability.stable-image-search-recolor-v1:0', {
    displayName: 'Search and recolor',
    description: 'Find something by name and change its colours.',
    promptHelp: 'The new colours, e.g. "a bright red car".',
    find: { name: 'select_prompt', label: 'Select', help: 'What to recolor, in a few words.' },
  }),
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-image-erase-object-v1:0'),
    kind: 'edit',
    displayName: 'Erase',
    description: 'Remove what you paint over and fill it in.',
    inputs: { image: image(), mask: MASK },
    params: [GROW_MASK],
    alphaAsMask: true,
    output: { kind: 'same' },
    price: price(0.07),
    expectedSecondsPerImage: 6,
  },
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-image-remove-background-v1:0'),
    kind: 'edit',
    displayName: 'Remove background',
    description: 'Keep the subject, make the background transparent.',
    inputs: { image: image() },
    params: [],
    // AWS's page lists no seed: every call answers the same cut-out.
    takesSeed: false,
    maxCount: 1,
    // Transparency needs an alpha channel: JPEG has none.
    outputFormats: ['png', 'webp'],
    output: { kind: 'same' },
    price: price(0.07),
    expectedSecondsPerImage: 5,
  },
  controlService('stability.stable-image-control-sketch-v1:0', {
    displayName: 'Sketch to image',
    description: 'Turn a sketch or line drawing into a finished image.',
    imageLabel: 'Sketch',
    follows: 'the sketch',
  }),
  controlService('stability.stable-image-control-structure-v1:0', {
    displayName: 'Keep structure',
    description: "A new image that keeps the input's structure and composition.",
    imageLabel: 'Image',
    follows: 'the structure',
  }),
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-image-style-guide-v1:0'),
    kind: 'control',
    displayName: 'Style guide',
    description: "A new image from the prompt, in the input image's style.",
    inputs: { image: image('Style reference') },
    params: [
      prompt(true),
      {
        name: 'aspect_ratio',
        kind: 'enum',
        label: 'Aspect ratio',
        required: false,
        values: STYLE_GUIDE_ASPECT_RATIOS,
        default: '1:1',
      },
      unit('fidelity', 'Fidelity', 0, 1, 0.5, "How closely the result follows the reference's style."),
      NEGATIVE_PROMPT,
      STYLE_PRESET,
    ],
    output: { kind: 'aspect-ratio' },
    price: price(0.07),
    expectedSecondsPerImage: 8,
  },
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-style-transfer-v1:0'),
    kind: 'control',
    displayName: 'Style transfer',
    description: "Repaint an image in another image's style.",
    inputs: {
      image: { field: 'init_image', required: true, label: 'Image', limits: SERVICE_IMAGE_LIMITS },
      styleImage: {
        field: 'style_image',
        required: true,
        label: 'Style image',
        limits: SERVICE_IMAGE_LIMITS,
      },
    },
    params: [
      prompt(false),
      NEGATIVE_PROMPT,
      unit(
        'composition_fidelity',
        'Composition fidelity',
        0,
        1,
        0.9,
        "How much of the image's layout is kept.",
      ),
      unit('style_strength', 'Style strength', 0, 1, 1, 'How strongly the style is applied.'),
      unit('change_strength', 'Change strength', 0.1, 1, 0.9, 'How much the image may change.'),
    ],
    output: { kind: 'same' },
    price: price(0.08),
    expectedSecondsPerImage: 10,
  },
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-creative-upscale-v1:0'),
    kind: 'upscale',
    displayName: 'Creative upscale',
    description: 'Upscale a small or degraded image to 4K, adding detail.',
    inputs: { image: image('Image', CREATIVE_UPSCALE_LIMITS) },
    params: [
      prompt(true),
      unit('creativity', 'Creativity', 0.1, 0.5, 0.3, 'How much new detail is invented.'),
      NEGATIVE_PROMPT,
      STYLE_PRESET,
    ],
    output: { kind: 'long-side', pixels: 4096 },
    price: price(0.6),
    source: {
      url: IMAGE_SERVICES_PAGE,
      note: 'Output "up to 4K": the catalog reads it as the longer side 4,096 px, aspect kept.',
    },
    expectedSecondsPerImage: 30,
  },
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-conservative-upscale-v1:0'),
    kind: 'upscale',
    displayName: 'Conservative upscale',
    description: 'Upscale to 4K, changing the image as little as possible.',
    inputs: { image: image() },
    params: [
      prompt(true),
      unit('creativity', 'Creativity', 0.1, 0.5, 0.35, 'How much new detail is invented.'),
      NEGATIVE_PROMPT,
    ],
    output: { kind: 'long-side', pixels: 4096 },
    price: price(0.4),
    source: {
      url: IMAGE_SERVICES_PAGE,
      note: 'Output "up to 4K": the catalog reads it as the longer side 4,096 px, aspect kept.',
    },
    expectedSecondsPerImage: 20,
  },
  {
    ...SERVICE_COMMON,
    ...profiled('stability.stable-fast-upscale-v1:0'),
    kind: 'upscale',
    displayName: 'Fast upscale',
    description: 'Four times the resolution, in about a second.',
    inputs: { image: image('Image', FAST_UPSCALE_LIMITS) },
    params: [],
    // AWS's page lists no seed: a fast upscale is deterministic.
    takesSeed: false,
    maxCount: 1,
    output: { kind: 'scale', factor: 4 },
    price: price(0.03),
    expectedSecondsPerImage: 3,
  },
  {
    id: 'stability.sd3-5-large-v1:0',
    invokeId: 'stability.sd3-5-large-v1:0',
    kind: 'image-to-image',
    displayName: 'Reimagine (SD3.5 Large)',
    description: 'A new image from yours and a prompt; strength sets how far it may move.',
    provider: 'Stability AI',
    routing: { region: 'us-west-2' },
    inputs: { image: image() },
    params: [
      prompt(true),
      unit('strength', 'Strength', 0, 1, 0.7, '0 keeps your image, 1 ignores it.'),
      NEGATIVE_PROMPT,
    ],
    output: { kind: 'same' },
    seed: { min: 0, max: 4_294_967_294 },
    takesSeed: true,
    outputFormats: ['png', 'jpeg', 'webp'],
    maxCount: 4,
    price: { perImageUsd: 0.08, asOf: '2026-11-01', source: SERVICE_PRICE_SOURCE },
    source: {
      url: SD35_LARGE_PAGE,
      note: 'mode "image-to-image" with image and strength (0..1); aspect_ratio is not sent: the output follows the input.',
    },
    expectedSecondsPerImage: 10,
  },
];

export function findImageService(serviceId: string): ImageServiceEntry | undefined {
  return IMAGE_SERVICES.find((s) => s.id === serviceId);
}

/**
 * An Image Service as `/api/services` answers it: how long one of its images takes in this deployment,
 * measured on recent edits like a model's (`ModelInfo.eta`), or the catalog's figure until enough ran.
 */
export interface ServiceInfo {
  readonly id: string;
  readonly eta: ModelEta;
}

/** Estimated cost in USD of `count` calls, rounded to a tenth of a cent. */
export function estimateServiceCostUsd(service: ImageServiceEntry, count: number): number {
  return Math.round(service.price.perImageUsd * count * 1000) / 1000;
}

/**
 * Every resource ARN IAM must allow `bedrock:InvokeModel` on for a service: through a `us.` profile, the
 * profile ARN in its source region and the foundation-model ARN in every region it routes to
 * (INFERENCE_PROFILE_IAM_PAGE); else the foundation-model ARN in the model's region.
 */
export function serviceInvokeArns(service: ImageServiceEntry, account: string, partition = 'aws'): string[] {
  const r = service.routing;
  if (r.profile === undefined)
    return [`arn:${partition}:bedrock:${r.region}::foundation-model/${service.id}`];
  return [
    `arn:${partition}:bedrock:${r.sourceRegion}:${account}:inference-profile/${service.invokeId}`,
    ...r.destinationRegions.map(
      (region) => `arn:${partition}:bedrock:${region}::foundation-model/${service.id}`,
    ),
  ];
}

/** The size a service answers for an input of `input` size and these params (what the UI shows before sending). */
export function serviceOutputSize(
  service: ImageServiceEntry,
  input: { readonly width: number; readonly height: number },
  params: Readonly<Record<string, string | number | undefined>> = {},
): { width: number; height: number } {
  const out = service.output;
  const n = (name: string) => (typeof params[name] === 'number' ? (params[name] as number) : 0);
  switch (out.kind) {
    case 'same':
      return { width: input.width, height: input.height };
    case 'extend':
      return { width: input.width + n('left') + n('right'), height: input.height + n('up') + n('down') };
    case 'scale':
      return { width: input.width * out.factor, height: input.height * out.factor };
    case 'long-side': {
      const factor = out.pixels / Math.max(input.width, input.height);
      return { width: Math.round(input.width * factor), height: Math.round(input.height * factor) };
    }
    case 'aspect-ratio':
      // The style guide answers its aspect ratio's 1-megapixel size.
      return ONE_MEGAPIXEL[String(params['aspect_ratio'] ?? '1:1') as AspectRatio] ?? ONE_MEGAPIXEL['1:1'];
  }
}
