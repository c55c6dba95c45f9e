import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

import { ASPECT_RATIOS, OUTPUT_FORMATS, type AspectRatio, type OutputFormat } from '../catalog/model-catalog';
import type { NormalizedEdit } from '../edits/edit-image-request';

/** No C0 control characters other than tab, line feed and carriage return, and no DEL. */
// eslint-disable-next-line no-control-regex -- the point of this pattern is to match control characters
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
const NOT_BLANK = /\S/;

/** Widest limits of any model; the selected model's own limits are checked by `validateGenerateImageRequest`. */
export const REQUEST_LIMITS = {
  promptMaxLength: 10_000,
  seedMax: 4_294_967_295,
  countMax: 4,
  modelIdMaxLength: 128,
} as const;

/** What a person asks for: one prompt, one model, 1..4 images. */
export class GenerateImageRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(REQUEST_LIMITS.modelIdMaxLength)
  modelId!: string;

  @IsString()
  @MinLength(1, { message: 'prompt must not be empty' })
  @MaxLength(REQUEST_LIMITS.promptMaxLength)
  @Matches(NOT_BLANK, { message: 'prompt must contain more than white space' })
  @Matches(NO_CONTROL_CHARACTERS, { message: 'prompt must not contain control characters' })
  prompt!: string;

  @IsOptional()
  @IsString()
  @MaxLength(REQUEST_LIMITS.promptMaxLength)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'negativePrompt must not contain control characters' })
  negativePrompt?: string;

  @IsOptional()
  @IsIn(ASPECT_RATIOS)
  aspectRatio?: AspectRatio;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(REQUEST_LIMITS.seedMax)
  seed?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(REQUEST_LIMITS.countMax)
  count?: number;

  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  outputFormat?: OutputFormat;
}

/** The property names a request may carry (anything else is an unknown field). */
export const GENERATE_IMAGE_REQUEST_FIELDS = [
  'modelId',
  'prompt',
  'negativePrompt',
  'aspectRatio',
  'seed',
  'count',
  'outputFormat',
] as const satisfies readonly (keyof GenerateImageRequest)[];

/** A request after validation, with every default filled in. */
export interface NormalizedGenerateImageRequest {
  readonly modelId: string;
  readonly prompt: string;
  readonly negativePrompt?: string;
  readonly aspectRatio: AspectRatio;
  /** Absent means "pick a random seed per image". */
  readonly seed?: number;
  readonly count: number;
  readonly outputFormat: OutputFormat;
  /** An edit (issue 12): the image service's inputs and fields; `modelId` is then the service's id. */
  readonly edit?: NormalizedEdit;
}
