/**
 * What Amazon Bedrock documents for each model the stand-in serves: its request fields (type, range, enum,
 * length, required), what it does with a field it does not know, where it is served and whether it is
 * still served. Each rule carries the AWS page it was read from. This table is the stand-in's own copy
 * of AWS's rules, kept apart from the app's model catalog (libs/contracts) on purpose: the stand-in
 * exists to check what the app sends, so it must not take its rules from the app (docs/adr/0012).
 */

import { ImageService } from '@imagegen/local-cloud/util-offline-engine';

import { ASPECT_RATIOS, ONE_MEGAPIXEL, type ImageSize } from './aws-aspect-ratios';
import { AWS_IMAGE_SERVICE_RULES } from './aws-image-services-rules';

const GUIDE = 'https://docs.aws.amazon.com/bedrock/latest/userguide';
/** "Stable Image Core request and response". */
export const CORE_PAGE = `${GUIDE}/model-parameters-diffusion-stable-image-core-text-image-request-response.html`;
/** "Stable Image Ultra request and response". */
export const ULTRA_PAGE = `${GUIDE}/model-parameters-diffusion-stable-ultra-text-image-request-response.html`;
/** "Stability.ai Stable Diffusion 3.5 Large". */
export const SD35_PAGE = `${GUIDE}/model-parameters-diffusion-3-5-large.html`;
/** "Supported foundation models in Amazon Bedrock" (model ids and the regions that serve them). */
export const MODELS_PAGE = `${GUIDE}/models-supported.html`;
/** "Model lifecycle" (legacy and end-of-life dates). */
export const LIFECYCLE_PAGE = `${GUIDE}/model-lifecycle.html`;

export interface FieldRule {
  readonly type: 'string' | 'integer' | 'number';
  readonly required?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  /** Required when another field has this value (e.g. `image` when `mode` is image-to-image). */
  readonly requiredWhen?: { readonly field: string; readonly equals: string };
  /** The AWS page the rule was read from. */
  readonly source: string;
  /** What the page says or leaves open, where that needs a word. */
  readonly note?: string;
}

export type { ImageSize } from './aws-aspect-ratios';

/** What an image field's page allows: decoded, its format and size (`maxAspect` 2.5 means 1:2.5 to 2.5:1). */
export interface ImageLimits {
  readonly formats: readonly ('jpeg' | 'png' | 'webp')[];
  readonly minSide?: number;
  readonly maxSide?: number;
  readonly minPixels?: number;
  readonly maxPixels?: number;
  readonly maxAspect?: number;
  readonly source: string;
  readonly note?: string;
}

export interface AwsModelRules {
  readonly modelId: string;
  /** The region Bedrock serves the model from (MODELS_PAGE). */
  readonly region: string;
  /** Every region that serves it, when more than one (a cross-Region profile's destinations). */
  readonly regions?: readonly string[];
  /**
   * Served only through these cross-Region inference profiles (`us` → `us.<modelId>`): the bare id answers
   * Bedrock's on-demand refusal (ValidationException).
   */
  readonly profiles?: readonly string[];
  /** Base64 image fields and their limits: decoded and checked before the "model" runs. */
  readonly images?: Readonly<Record<string, ImageLimits>>;
  /** At least one of these fields must be given with a value above 0 (outpaint's directions). */
  readonly oneAboveZero?: { readonly fields: readonly string[]; readonly source: string };
  /** The Image Service the offline engine plays for it; text-to-image when absent. */
  readonly service?: ImageService;
  /** `end-of-life`: Bedrock answers ResourceNotFoundException (LIFECYCLE_PAGE). */
  readonly lifecycle: 'active' | 'end-of-life';
  /** The request body's fields, by the name the model's page gives them. */
  readonly fields: Readonly<Record<string, FieldRule>>;
  /** A field the page does not list: Bedrock refuses it ("extraneous key … is not permitted"). */
  readonly unknownFields: 'refuse';
  /** Sizes the stand-in renders per aspect_ratio (what the model answers; not a validation rule). */
  readonly outputSizes: Readonly<Record<string, ImageSize>>;
}

/** Core answered 1536x1536 at 1:1 on Bedrock (shared/bedrock/MODELS.md): 1.5x the 1 MP edges. */
const CORE_SIZES: Readonly<Record<string, ImageSize>> = Object.fromEntries(
  Object.entries(ONE_MEGAPIXEL).map(([r, s]) => [r, { width: s.width * 1.5, height: s.height * 1.5 }]),
);

/** The text-to-image fields every Stability v2 page shares, read from `page`. */
function stabilityFields(
  page: string,
  over: {
    seedMax: number;
    outputFormats: readonly string[];
    modes: readonly string[];
    notes?: Partial<Record<string, string>>;
  },
): Record<string, FieldRule> {
  const at = (field: string) =>
    over.notes?.[field] ? { source: page, note: over.notes[field] } : { source: page };
  return {
    prompt: { type: 'string', required: true, minLength: 0, maxLength: 10_000, ...at('prompt') },
    negative_prompt: { type: 'string', maxLength: 10_000, ...at('negative_prompt') },
    mode: { type: 'string', enum: over.modes, ...at('mode') },
    aspect_ratio: { type: 'string', enum: ASPECT_RATIOS, ...at('aspect_ratio') },
    seed: { type: 'integer', minimum: 0, maximum: over.seedMax, ...at('seed') },
    output_format: { type: 'string', enum: over.outputFormats, ...at('output_format') },
  };
}

/** Fields whose values the page did not show in the text read for ADR 0012: MODELS.md's (Stability's API). */
const NOT_SHOWN = 'Not shown in the page text read for ADR 0012: the value Stability documents for its API.';

export const AWS_MODEL_RULES: readonly AwsModelRules[] = [
  {
    modelId: 'stability.stable-image-core-v1:1',
    region: 'us-west-2',
    lifecycle: 'active',
    unknownFields: 'refuse',
    outputSizes: CORE_SIZES,
    fields: stabilityFields(CORE_PAGE, {
      // "seed … Range: 0 to 4294967295"; "output_format … Supported formats: JPEG, PNG" (sent in lower case).
      seedMax: 4_294_967_295,
      outputFormats: ['jpeg', 'png'],
      modes: ['text-to-image'],
    }),
  },
  {
    modelId: 'stability.sd3-5-large-v1:0',
    region: 'us-west-2',
    lifecycle: 'active',
    unknownFields: 'refuse',
    outputSizes: ONE_MEGAPIXEL,
    // Stability's API reference for SD3 image-to-image: "Supported formats: jpeg, png, webp"; "Every side must be at least 64 pixels".
    images: { image: { formats: ['jpeg', 'png', 'webp'], minSide: 64, source: SD35_PAGE, note: NOT_SHOWN } },
    fields: {
      ...stabilityFields(SD35_PAGE, {
        seedMax: 4_294_967_294,
        outputFormats: ['jpeg', 'png', 'webp'],
        modes: ['text-to-image', 'image-to-image'],
        notes: { seed: NOT_SHOWN, output_format: NOT_SHOWN, negative_prompt: NOT_SHOWN },
      }),
      image: {
        type: 'string',
        requiredWhen: { field: 'mode', equals: 'image-to-image' },
        source: SD35_PAGE,
        note: 'base64 of the input image, for image-to-image.',
      },
      strength: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        requiredWhen: { field: 'mode', equals: 'image-to-image' },
        source: SD35_PAGE,
        note: NOT_SHOWN,
      },
    },
  },
  {
    modelId: 'stability.stable-image-ultra-v1:1',
    region: 'us-west-2',
    lifecycle: 'active',
    unknownFields: 'refuse',
    outputSizes: ONE_MEGAPIXEL,
    fields: stabilityFields(ULTRA_PAGE, {
      seedMax: 4_294_967_294,
      outputFormats: ['jpeg', 'png', 'webp'],
      modes: ['text-to-image'],
      notes: {
        seed: NOT_SHOWN,
        output_format: NOT_SHOWN,
        negative_prompt: NOT_SHOWN,
        aspect_ratio: NOT_SHOWN,
        mode: NOT_SHOWN,
      },
    }),
  },
  {
    modelId: 'stability.stable-diffusion-xl-v1',
    region: 'us-west-2',
    lifecycle: 'end-of-life',
    unknownFields: 'refuse',
    outputSizes: { '1:1': { width: 1024, height: 1024 } },
    fields: {},
  },
  ...AWS_IMAGE_SERVICE_RULES,
];

export function rulesFor(
  modelId: string,
  table: readonly AwsModelRules[] = AWS_MODEL_RULES,
): AwsModelRules | undefined {
  return table.find((m) => m.modelId === modelId);
}

const PREFIX = 'Malformed input request: ';
const SUFFIX = ', please reformat your input and try again.';

/** Bedrock's wording around one problem with a request body. */
export function malformedInput(problem: string): string {
  return `${PREFIX}${problem}${SUFFIX}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'Null';
  if (Array.isArray(value)) return 'JSONArray';
  if (typeof value === 'object') return 'JSONObject';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'BigDecimal';
  if (typeof value === 'boolean') return 'Boolean';
  return 'String';
}

function fieldProblem(name: string, value: unknown, rule: FieldRule): string | undefined {
  const at = `#/${name}`;
  if (rule.type === 'string' && typeof value !== 'string')
    return `${at}: expected type: String, found: ${typeName(value)}`;
  if (rule.type === 'integer' && !Number.isInteger(value))
    return `${at}: expected type: Integer, found: ${typeName(value)}`;
  if (rule.type === 'number' && (typeof value !== 'number' || !Number.isFinite(value)))
    return `${at}: expected type: Number, found: ${typeName(value)}`;
  if (typeof value === 'string') {
    // JSON Schema counts code points, as the page's "characters" do.
    const length = [...value].length;
    if (rule.maxLength !== undefined && length > rule.maxLength)
      return `${at}: expected maxLength: ${rule.maxLength}, actual: ${length}`;
    if (rule.minLength !== undefined && length < rule.minLength)
      return `${at}: expected minLength: ${rule.minLength}, actual: ${length}`;
    if (rule.enum && !rule.enum.includes(value)) return `${at}: ${value} is not a valid enum value`;
  }
  if (typeof value === 'number') {
    if (rule.minimum !== undefined && value < rule.minimum)
      return `${at}: ${value} is not greater or equal to ${rule.minimum}`;
    if (rule.maximum !== undefined && value > rule.maximum)
      return `${at}: ${value} is not less or equal to ${rule.maximum}`;
  }
  return undefined;
}

/**
 * Checks an InvokeModel body against a model's documented rules, as Bedrock's schema check answers it
 * (ValidationException "Malformed input request: #/field: …, please reformat your input and try
 * again."); undefined when the body is fine.
 */
export function invokeBodyProblem(body: unknown, rules: AwsModelRules): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `${PREFIX}expected type: JSONObject, found: ${typeName(body)}${SUFFIX}`;
  const b = body as Record<string, unknown>;
  const fail = (problem: string) => `${PREFIX}${problem}${SUFFIX}`;
  const extra = Object.keys(b).find((k) => !Object.prototype.hasOwnProperty.call(rules.fields, k));
  if (extra !== undefined && rules.unknownFields === 'refuse')
    return fail(`#: extraneous key [${extra.slice(0, 100)}] is not permitted`);
  for (const [name, rule] of Object.entries(rules.fields)) {
    const given = Object.prototype.hasOwnProperty.call(b, name) && b[name] !== undefined;
    const needed =
      rule.required ||
      (rule.requiredWhen !== undefined && b[rule.requiredWhen.field] === rule.requiredWhen.equals);
    if (!given) {
      if (needed) return fail(`#: required key [${name}] not found`);
      continue;
    }
    const problem = fieldProblem(name, b[name], rule);
    if (problem) return fail(problem);
  }
  const oneAboveZero = rules.oneAboveZero?.fields;
  if (oneAboveZero && !oneAboveZero.some((f) => typeof b[f] === 'number' && (b[f] as number) > 0))
    return fail(`#: at least one of [${oneAboveZero.join(', ')}] must be greater than 0`);
  return undefined;
}
