import { ASPECT_RATIOS, ONE_MEGAPIXEL } from './aws-aspect-ratios';
import type { AwsModelRules, FieldRule, ImageLimits } from './aws-model-rules';

/**
 * Stability AI Image Services on Bedrock, as AWS's page for them documents each (fields, ranges, defaults,
 * image limits). Every rule below is read from this page unless it says otherwise.
 */
export const IMAGE_SERVICES_PAGE =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html';
/**
 * "Prerequisites for inference profiles": a role invokes a cross-Region profile with bedrock:InvokeModel on
 * the profile's ARN and on the foundation model in the Regions it routes to (the stand-in's IAM check,
 * util-iam bedrockCalls, asks for all three US destinations).
 */
export const INFERENCE_PROFILE_PREREQ_PAGE =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html';
/** "Supported Regions and models for inference profiles": source and destination Regions. */
export const INFERENCE_PROFILES_SUPPORT_PAGE =
  'https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html';

/** The US cross-Region profile's destinations, as the models page lists the services (us-east-1*, us-east-2*, us-west-2*). */
export const US_PROFILE_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2'] as const;

/** style_preset's enum, the same 17 values on every service that takes it. */
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

const at = { source: IMAGE_SERVICES_PAGE };
const FORMATS = ['jpeg', 'png', 'webp'] as const;

/** "Every side of the image must be at least 64 pixels. The total pixel count cannot exceed 9,437,184 pixels. Image aspect ratio must be between 1:2.5 and 2.5:1. Supported formats: jpeg, png, webp." */
const EDIT_IMAGE: ImageLimits = {
  formats: FORMATS,
  minSide: 64,
  maxPixels: 9_437_184,
  maxAspect: 2.5,
  ...at,
};
/** Creative Upscale: "Every side of the image must be at least 64 pixels. Total pixel count must be between 4,096 and 1,048,576 pixels." */
const CREATIVE_UPSCALE_IMAGE: ImageLimits = {
  formats: FORMATS,
  minSide: 64,
  minPixels: 4_096,
  maxPixels: 1_048_576,
  ...at,
};
/** Fast Upscale: "Width must be between 32 and 1,536 pixels. Height … 32 and 1,536 … Total pixel count … between 1,024 and 1,048,576." */
const FAST_UPSCALE_IMAGE: ImageLimits = {
  formats: FORMATS,
  minSide: 32,
  maxSide: 1_536,
  minPixels: 1_024,
  maxPixels: 1_048_576,
  ...at,
};
/** The mask's page sets no size (a mask of another size "will be automatically resized"): it must decode. */
const MASK_IMAGE: ImageLimits = {
  formats: FORMATS,
  ...at,
  note: 'No size limit on the page; resized to the image.',
};

const prompt = (required: boolean): FieldRule => ({
  type: 'string',
  ...(required ? { required: true } : {}),
  minLength: 0,
  maxLength: 10_000,
  ...at,
});
const image: FieldRule = { type: 'string', required: true, ...at, note: 'base64 image' };
const negativePrompt: FieldRule = { type: 'string', maxLength: 10_000, ...at };
const seed: FieldRule = { type: 'integer', minimum: 0, maximum: 4_294_967_294, ...at };
const outputFormat: FieldRule = { type: 'string', enum: FORMATS, ...at };
const stylePreset: FieldRule = { type: 'string', enum: STYLE_PRESETS, ...at };
const growMask: FieldRule = { type: 'integer', minimum: 0, maximum: 20, ...at, note: 'Default 5.' };
const mask: FieldRule = {
  type: 'string',
  ...at,
  note: 'base64 image; without it, the alpha channel of image.',
};
const unit = (note: string, minimum = 0): FieldRule => ({ type: 'number', minimum, maximum: 1, ...at, note });
const direction: FieldRule = { type: 'integer', minimum: 0, maximum: 2000, ...at, note: 'Default 0.' };

function service(
  id: string,
  engine: AwsModelRules['service'],
  fields: Record<string, FieldRule>,
  images: Record<string, ImageLimits>,
  extra: Partial<AwsModelRules> = {},
): AwsModelRules {
  return {
    modelId: `stability.${id}`,
    region: 'us-west-2',
    regions: US_PROFILE_REGIONS,
    profiles: ['us'],
    lifecycle: 'active',
    unknownFields: 'refuse',
    outputSizes: {},
    fields,
    images,
    service: engine,
    ...extra,
  };
}

export const AWS_IMAGE_SERVICE_RULES: readonly AwsModelRules[] = [
  // Upscale
  service(
    'stable-creative-upscale-v1:0',
    'creative-upscale',
    {
      prompt: prompt(true),
      image,
      creativity: { type: 'number', minimum: 0.1, maximum: 0.5, ...at, note: 'Default 0.3.' },
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
      style_preset: stylePreset,
    },
    { image: CREATIVE_UPSCALE_IMAGE },
  ),
  service(
    'stable-conservative-upscale-v1:0',
    'conservative-upscale',
    {
      prompt: prompt(true),
      image,
      creativity: { type: 'number', minimum: 0.1, maximum: 0.5, ...at, note: 'Default 0.35.' },
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
    },
    { image: EDIT_IMAGE },
  ),
  service(
    'stable-fast-upscale-v1:0',
    'fast-upscale',
    // The page lists output_format among the required fields but its examples send image alone: optional here.
    { image, output_format: outputFormat },
    { image: FAST_UPSCALE_IMAGE },
  ),
  // Edit
  service(
    'stable-image-inpaint-v1:0',
    'inpaint',
    {
      prompt: prompt(true),
      image,
      style_preset: stylePreset,
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
      mask,
      grow_mask: growMask,
    },
    { image: EDIT_IMAGE, mask: MASK_IMAGE },
  ),
  service(
    'stable-outpaint-v1:0',
    'outpaint',
    {
      image,
      prompt: prompt(false),
      style_preset: stylePreset,
      seed,
      output_format: outputFormat,
      creativity: { type: 'number', minimum: 0.1, maximum: 1, ...at, note: 'Default 0.5.' },
      left: direction,
      right: direction,
      up: direction,
      down: direction,
    },
    { image: EDIT_IMAGE },
    // "At least one outpaint direction: (left, right, up, or down) must be supplied with a non-zero value."
    { oneAboveZero: { fields: ['left', 'right', 'up', 'down'], ...at } },
  ),
  service(
    'stable-image-search-recolor-v1:0',
    'search-recolor',
    {
      prompt: prompt(true),
      image,
      select_prompt: { type: 'string', required: true, maxLength: 10_000, ...at },
      style_preset: stylePreset,
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
      grow_mask: growMask,
    },
    { image: EDIT_IMAGE },
  ),
  service(
    'stable-image-search-replace-v1:0',
    'search-replace',
    {
      prompt: prompt(true),
      image,
      search_prompt: { type: 'string', required: true, maxLength: 10_000, ...at },
      style_preset: stylePreset,
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
      grow_mask: growMask,
    },
    { image: EDIT_IMAGE },
  ),
  service(
    'stable-image-erase-object-v1:0',
    'erase-object',
    { image, seed, output_format: outputFormat, mask, grow_mask: growMask },
    { image: EDIT_IMAGE, mask: MASK_IMAGE },
  ),
  service(
    'stable-image-remove-background-v1:0',
    'remove-background',
    { image, output_format: outputFormat },
    { image: EDIT_IMAGE },
  ),
  // Control
  ...(['stable-image-control-sketch-v1:0', 'stable-image-control-structure-v1:0'] as const).map((id) =>
    service(
      id,
      id.includes('sketch') ? 'control-sketch' : 'control-structure',
      {
        prompt: prompt(true),
        image,
        control_strength: unit('Default 0.7.'),
        negative_prompt: negativePrompt,
        seed,
        output_format: outputFormat,
        style_preset: stylePreset,
      },
      { image: EDIT_IMAGE },
    ),
  ),
  service(
    'stable-image-style-guide-v1:0',
    'style-guide',
    {
      prompt: prompt(true),
      image,
      aspect_ratio: { type: 'string', enum: ASPECT_RATIOS, ...at, note: 'Default 1:1.' },
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
      fidelity: unit('Default 0.5.'),
      style_preset: stylePreset,
    },
    { image: EDIT_IMAGE },
    { outputSizes: ONE_MEGAPIXEL },
  ),
  service(
    'stable-style-transfer-v1:0',
    'style-transfer',
    {
      init_image: image,
      style_image: image,
      // The page gives no maximum for style transfer's prompt; the other services' 10,000 is kept.
      prompt: prompt(false),
      negative_prompt: negativePrompt,
      seed,
      output_format: outputFormat,
      composition_fidelity: unit('Default 0.9.'),
      style_strength: unit('Default 1.'),
      change_strength: unit('Default 0.9.', 0.1),
    },
    { init_image: EDIT_IMAGE, style_image: EDIT_IMAGE },
  ),
];
