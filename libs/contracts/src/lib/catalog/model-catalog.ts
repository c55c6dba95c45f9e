/**
 * The model catalog: every fact about a Bedrock image model lives here as data, so a new
 * model or a retirement is a data change. Sources: shared/bedrock/MODELS.md (late 2026).
 */

export const ASPECT_RATIOS = ['16:9', '1:1', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The request/response adapter a model uses. */
export type ModelFamily = 'stability-v2' | 'amazon-canvas' | 'stability-sdxl';

export type LifecycleState = 'active' | 'legacy' | 'retired';

/** The request fields of a text-to-image call, named as AWS's Bedrock page for each model names them. */
export const REQUEST_FIELDS = [
  'prompt',
  'negative_prompt',
  'mode',
  'aspect_ratio',
  'seed',
  'output_format',
] as const;
export type RequestField = (typeof REQUEST_FIELDS)[number];

/** Where a field's rule comes from: the AWS page (docs.aws.amazon.com) that documents it for this model. */
export interface FieldSource {
  readonly url: string;
  /** Where the catalog's value differs from the page, or the page leaves something open: why. */
  readonly note?: string;
}

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

export interface ModelCatalogEntry {
  readonly id: string;
  readonly family: ModelFamily;
  readonly displayName: string;
  readonly provider: string;
  readonly description: string;
  readonly lifecycle: {
    readonly state: LifecycleState;
    /** ISO date the model became legacy, when known. */
    readonly legacyDate?: string;
    /** ISO date Bedrock stops (or stopped) serving the model. */
    readonly endOfLifeDate?: string;
  };
  /** The Bedrock region the model is served from (whatever region the stack runs in). */
  readonly region: string;
  readonly prompt: { readonly minLength: number; readonly maxLength: number };
  readonly negativePrompt: { readonly supported: boolean; readonly maxLength: number };
  /** Aspect ratios the model takes, and the pixel size it answers for each. */
  readonly aspectRatios: readonly AspectRatio[];
  readonly defaultAspectRatio: AspectRatio;
  readonly outputSizes: Readonly<Partial<Record<AspectRatio, ImageSize>>>;
  readonly seed: { readonly min: number; readonly max: number };
  readonly outputFormats: readonly OutputFormat[];
  /** Images one Bedrock call makes; N images are ceil(N / imagesPerCall) calls. */
  readonly imagesPerCall: number;
  /** Most images one request may ask for. */
  readonly maxCount: number;
  readonly price: { readonly perImageUsd: number; readonly asOf: string; readonly source: string };
  /** The AWS page each request field's rule (length, enum, range) was taken from. */
  readonly fieldSources: Readonly<Record<RequestField, FieldSource>>;
  /** Typical seconds per image before any are measured. */
  readonly expectedSecondsPerImage: number;
}

/** Sizes of a ~1 megapixel model per aspect ratio (Stability API output sizes). */
export const ONE_MEGAPIXEL: Readonly<Record<AspectRatio, ImageSize>> = {
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

/** Stable Image Core answered 1536x1536 at 1:1 (MODELS.md): 1.5x the 1 MP edge lengths. */
const CORE_SIZES: Readonly<Record<AspectRatio, ImageSize>> = Object.fromEntries(
  Object.entries(ONE_MEGAPIXEL).map(([ratio, s]) => [
    ratio,
    { width: s.width * 1.5, height: s.height * 1.5 },
  ]),
) as Record<AspectRatio, ImageSize>;

const STABILITY_V2_COMMON = {
  family: 'stability-v2',
  provider: 'Stability AI',
  region: 'us-west-2',
  // AWS's pages say 0 to 10,000 with the key required; an empty prompt is this app's own refusal.
  prompt: { minLength: 1, maxLength: 10_000 },
  aspectRatios: ASPECT_RATIOS,
  defaultAspectRatio: '1:1',
  seed: { min: 0, max: 4_294_967_294 },
  imagesPerCall: 1,
  maxCount: 4,
} as const;

const BEDROCK_GUIDE = 'https://docs.aws.amazon.com/bedrock/latest/userguide';
/** Amazon Bedrock user guide, "Stable Image Core request and response". */
export const STABLE_IMAGE_CORE_PAGE = `${BEDROCK_GUIDE}/model-parameters-diffusion-stable-image-core-text-image-request-response.html`;
/** Amazon Bedrock user guide, "Stable Image Ultra request and response". */
export const STABLE_IMAGE_ULTRA_PAGE = `${BEDROCK_GUIDE}/model-parameters-diffusion-stable-ultra-text-image-request-response.html`;
/** Amazon Bedrock user guide, "Stability.ai Stable Diffusion 3.5 Large". */
export const SD35_LARGE_PAGE = `${BEDROCK_GUIDE}/model-parameters-diffusion-3-5-large.html`;
/** Amazon Bedrock user guide, "Stability.ai Diffusion 1.0 text to image" (SDXL; retired). */
export const SDXL_PAGE = `${BEDROCK_GUIDE}/model-parameters-diffusion-1-0-text-image.html`;

/** The seed note every Stability v2 model shares: one bound, so a seed works across models. */
const SEED_NOTE =
  "The catalog keeps 0..4294967294 (0 = random) for every Stability model, within the page's range.";

/** Every field documented on one page (`notes` for the fields whose catalog value needs a word). */
function sourcesOn(
  url: string,
  notes: Partial<Record<RequestField, string>> = {},
): Record<RequestField, FieldSource> {
  return Object.fromEntries(
    REQUEST_FIELDS.map((field) => [field, notes[field] ? { url, note: notes[field] } : { url }]),
  ) as Record<RequestField, FieldSource>;
}

/**
 * The request fields a catalog entry gives no AWS source for (a missing entry, or a URL that is not an
 * AWS documentation page): each must be empty, so every rule the app applies can be checked against AWS.
 */
export function fieldsWithoutSource(model: Pick<ModelCatalogEntry, 'fieldSources'>): RequestField[] {
  return REQUEST_FIELDS.filter((field) => {
    const url = model.fieldSources?.[field]?.url;
    return typeof url !== 'string' || !/^https:\/\/docs\.aws\.amazon\.com\/\S+$/.test(url);
  });
}

/** For the models whose page, as read for ADR 0012, did not show the list: Stability's own API for the model lists these three. */
const UNREAD_FORMATS =
  "Not confirmed on the page (see docs/adr/0012-aws-rules-locally.md): jpeg, png and webp as Stability's API for the model lists them.";

const PRICE_SOURCE = 'shared/bedrock/MODELS.md (indicative; confirm on the Amazon Bedrock pricing page)';

export const MODEL_CATALOG: readonly ModelCatalogEntry[] = [
  {
    ...STABILITY_V2_COMMON,
    id: 'stability.stable-image-core-v1:1',
    displayName: 'Stable Image Core',
    description: 'Fast and affordable; the default.',
    lifecycle: { state: 'active' },
    // AWS's Core page lists negative_prompt (up to 10,000 characters) among its optional fields.
    negativePrompt: { supported: true, maxLength: 10_000 },
    outputSizes: CORE_SIZES,
    // AWS's Core page: "Supported formats: JPEG, PNG" (no WebP).
    outputFormats: ['png', 'jpeg'],
    price: { perImageUsd: 0.04, asOf: '2026-11-01', source: PRICE_SOURCE },
    fieldSources: sourcesOn(STABLE_IMAGE_CORE_PAGE, {
      mode: 'The page lists text-to-image as the only mode.',
      seed: `The page says 0 to 4294967295. ${SEED_NOTE}`,
      output_format: 'The page lists JPEG and PNG only.',
    }),
    expectedSecondsPerImage: 6,
  },
  {
    ...STABILITY_V2_COMMON,
    id: 'stability.sd3-5-large-v1:0',
    displayName: 'Stable Diffusion 3.5 Large',
    description: 'Detailed images with fine control through the negative prompt.',
    lifecycle: { state: 'active' },
    negativePrompt: { supported: true, maxLength: 10_000 },
    outputSizes: ONE_MEGAPIXEL,
    outputFormats: OUTPUT_FORMATS,
    price: { perImageUsd: 0.08, asOf: '2026-11-01', source: PRICE_SOURCE },
    fieldSources: sourcesOn(SD35_LARGE_PAGE, {
      mode: 'The page lists text-to-image and image-to-image; the app sends text-to-image.',
      seed: SEED_NOTE,
      output_format: UNREAD_FORMATS,
    }),
    expectedSecondsPerImage: 10,
  },
  {
    ...STABILITY_V2_COMMON,
    id: 'stability.stable-image-ultra-v1:1',
    displayName: 'Stable Image Ultra',
    description: 'Premium quality for photorealism and typography.',
    lifecycle: { state: 'active' },
    negativePrompt: { supported: true, maxLength: 10_000 },
    outputSizes: ONE_MEGAPIXEL,
    outputFormats: OUTPUT_FORMATS,
    price: { perImageUsd: 0.14, asOf: '2026-11-01', source: PRICE_SOURCE },
    fieldSources: sourcesOn(STABLE_IMAGE_ULTRA_PAGE, { seed: SEED_NOTE, output_format: UNREAD_FORMATS }),
    expectedSecondsPerImage: 14,
  },
  {
    id: 'stability.stable-diffusion-xl-v1',
    family: 'stability-sdxl',
    provider: 'Stability AI',
    displayName: 'Stable Diffusion XL 1.0',
    description: 'Retired by Bedrock; kept so older images still show.',
    lifecycle: { state: 'retired', endOfLifeDate: '2025-05-20' },
    region: 'us-west-2',
    prompt: { minLength: 1, maxLength: 2_000 },
    negativePrompt: { supported: true, maxLength: 2_000 },
    aspectRatios: ['1:1'],
    defaultAspectRatio: '1:1',
    outputSizes: { '1:1': { width: 1024, height: 1024 } },
    seed: { min: 0, max: 4_294_967_295 },
    outputFormats: ['png'],
    imagesPerCall: 1,
    maxCount: 1,
    price: { perImageUsd: 0.04, asOf: '2025-05-20', source: PRICE_SOURCE },
    fieldSources: sourcesOn(SDXL_PAGE, {
      prompt: 'text_prompts[].text (weight > 0); the model is retired, kept so old images show.',
      negative_prompt: 'text_prompts[].text with a negative weight.',
      mode: 'No mode field: text to image only.',
      aspect_ratio: 'width and height, not a ratio.',
    }),
    expectedSecondsPerImage: 8,
  },
];

export const DEFAULT_MODEL_ID = 'stability.stable-image-core-v1:1';

export function findModel(modelId: string): ModelCatalogEntry | undefined {
  return MODEL_CATALOG.find((m) => m.id === modelId);
}

/** Active (and legacy, still callable) models: the ones a request may name. */
export function callableModels(): readonly ModelCatalogEntry[] {
  return MODEL_CATALOG.filter((m) => m.lifecycle.state !== 'retired');
}

/** The size a model answers for an aspect ratio (its default ratio when none is given). */
export function outputSizeFor(model: ModelCatalogEntry, aspectRatio?: string): ImageSize | undefined {
  const ratio = (aspectRatio ?? model.defaultAspectRatio) as AspectRatio;
  return model.outputSizes[ratio];
}

/** Estimated cost in USD of `count` images, rounded to a tenth of a cent. */
export function estimateCostUsd(model: ModelCatalogEntry, count: number): number {
  return Math.round(model.price.perImageUsd * count * 1000) / 1000;
}

/** The IAM resource ARN Bedrock checks for InvokeModel on a foundation model. */
export function foundationModelArn(model: ModelCatalogEntry, partition = 'aws'): string {
  return `arn:${partition}:bedrock:${model.region}::foundation-model/${model.id}`;
}

/**
 * Whether this deployment can call a model now:
 * - `available`: callable (in AWS: the account has access, per Bedrock's control plane);
 * - `no-access`: Bedrock says this account is not authorized for the model (a policy denies it); an
 *   entitlement or agreement not yet in place is not `no-access`: the first call subscribes;
 * - `wrong-region`: the model is not served in the region the generator calls (BEDROCK_REGION);
 * - `retired`: Bedrock no longer serves it (old jobs still show);
 * - `unknown`: the control plane could not be asked (treated as callable: the request may still be refused).
 */
export type ModelAvailability = 'available' | 'no-access' | 'wrong-region' | 'retired' | 'unknown';

/** How long an image of a model takes: measured on recent jobs, or the catalog's guess until then. */
export interface ModelEta {
  /** Seconds per image, median of the recent window (or the catalog's `expectedSecondsPerImage`). */
  readonly p50Seconds: number;
  readonly p90Seconds: number;
  /** Images measured in the window (0: the figures are the catalog's). */
  readonly samples: number;
  readonly source: 'measured' | 'catalog';
  /** Images of one job made at once (the worker's concurrency budget). */
  readonly parallelism: number;
}

/** A catalog entry as `/api/models` answers it: with whether this deployment can call it now. */
export interface ModelInfo extends ModelCatalogEntry {
  readonly available: boolean;
  readonly availability: ModelAvailability;
  /** Why not, in words a person can act on (how to enable it, which region to use). */
  readonly unavailableReason?: string;
  readonly eta: ModelEta;
}

/** Expected seconds of a job of `count` images: rounds of `parallelism` images at the p50 each. */
export function expectedJobSeconds(eta: ModelEta, count: number): number {
  const rounds = Math.ceil(Math.max(1, count) / Math.max(1, eta.parallelism));
  return Math.max(1, Math.round(eta.p50Seconds * rounds));
}

/** The ETA of a model before anything is measured: its catalog figure. */
export function catalogEta(
  model: Pick<ModelCatalogEntry, 'expectedSecondsPerImage'>,
  parallelism: number,
): ModelEta {
  const s = model.expectedSecondsPerImage;
  return {
    p50Seconds: s,
    p90Seconds: Math.round(s * 1.5 * 10) / 10,
    samples: 0,
    source: 'catalog',
    parallelism,
  };
}
