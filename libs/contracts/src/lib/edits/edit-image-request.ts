import { OUTPUT_FORMATS, OutputFormat } from '../catalog/model-catalog';
import { FieldError, validationProblem } from '../errors/problem-details';
import { NO_CONTROL_CHARACTERS, NormalizedGenerateImageRequest } from '../generations/generate-image-request';
import { GENERATION_ID_PATTERN } from '../generations/generation';
import { bodyShapeProblem, type ValidationResult } from '../validation/validate-generate-image-request';
import {
  findImageService,
  ImageServiceEntry,
  InputImageLimits,
  NumberParam,
  ServiceInputName,
  ServiceParam,
} from './image-services';

/** What a person may upload to edit (the presigned POST fixes one of these as the object's Content-Type). */
export const UPLOAD_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type UploadContentType = (typeof UPLOAD_CONTENT_TYPES)[number];
/** The most bytes one upload may have (the POST policy's content-length-range): a 9.4 MP PNG fits. */
export const UPLOAD_MAX_BYTES = 30 * 1024 * 1024;
/** Upload ids: `up` then time-sortable, URL-safe characters (the object key is never taken from the client). */
export const UPLOAD_ID_PATTERN = /^up[0-9a-z]{10,40}$/;
/** Uploads no job used are deleted after this many days (the bucket's lifecycle rule on `uploads/`). */
export const UPLOAD_RETENTION_DAYS = 1;

/** Asking for an upload: what will be sent, so the POST policy can fix its type and size. */
export interface CreateUploadRequest {
  readonly contentType: UploadContentType;
  readonly bytes: number;
}

/** A presigned POST: the browser sends `fields` then the file as multipart/form-data to `url`. */
export interface UploadTicket {
  readonly uploadId: string;
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly maxBytes: number;
  readonly expiresAt: string;
}

/** An upload the generator has checked (decoded, not animated, not a bomb): ready to edit. */
export interface UploadedImage {
  readonly uploadId: string;
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
  readonly hasAlpha: boolean;
  readonly bytes: number;
  /** Presigned GET of the upload, for the editor's canvas. */
  readonly url: string;
  readonly urlExpiresAt: string;
}

/**
 * The inputs of an earlier edit that may be named again (`JobInputRef`): its image and style image. Not the
 * mask: a mask is painted for one image and one service, so reusing an edit paints a new one (and a copied
 * mask as the image to edit would make no sense).
 */
export const JOB_INPUT_NAMES = ['image', 'styleImage'] as const;
export type JobInputName = (typeof JOB_INPUT_NAMES)[number];

/** One of the caller's uploads (under `uploads/`, deleted after UPLOAD_RETENTION_DAYS). */
export interface UploadRef {
  readonly uploadId: string;
}
/** One of the caller's generated images. */
export interface GeneratedImageRef {
  readonly generationId: string;
  readonly imageId: string;
}
/**
 * The copy of an input an earlier edit job of the caller's kept (it lives as long as that job, where the
 * upload it came from expires after a day): what "Reuse" names when that edit started from an upload.
 */
export interface JobInputRef {
  readonly generationId: string;
  readonly input: JobInputName;
}

/** An input image: one of the caller's uploads, generated images, or an earlier edit's kept input. */
export type ImageRef = UploadRef | GeneratedImageRef | JobInputRef;

/**
 * What to do with an image outside the service's limits: refuse it (`reject`), or fit it: `downscale` (keeps
 * the aspect; may upscale a too-small image to the minimum), `crop` (centre crop to the nearest allowed aspect)
 * or `pad` (transparent edges to the nearest allowed aspect), each then scaled into the pixel range.
 */
export const FIT_MODES = ['reject', 'downscale', 'crop', 'pad'] as const;
export type FitMode = (typeof FIT_MODES)[number];

/** An edit as the browser sends it. */
export interface EditImageRequest {
  readonly serviceId: string;
  readonly image: ImageRef;
  /** White edits, black keeps, grey blends; resized to the image. Only an upload. */
  readonly mask?: UploadRef;
  /** Style transfer's style image. */
  readonly styleImage?: ImageRef;
  /** The service's fields by AWS's names (prompt, grow_mask, left, creativity, style_preset, …). */
  readonly params?: Readonly<Record<string, string | number>>;
  readonly seed?: number;
  readonly count?: number;
  readonly outputFormat?: OutputFormat;
  readonly fit?: FitMode;
}

/** The edit part of a job's request, validated, with defaults filled in. */
export interface NormalizedEdit {
  readonly serviceId: string;
  readonly image: ImageRef;
  readonly mask?: { readonly uploadId: string };
  readonly styleImage?: ImageRef;
  /** Only the fields the service takes, defaults not filled (the model applies its own). */
  readonly params: Readonly<Record<string, string | number>>;
  readonly fit: FitMode;
}

export const EDIT_IMAGE_REQUEST_FIELDS = [
  'serviceId',
  'image',
  'mask',
  'styleImage',
  'params',
  'seed',
  'count',
  'outputFormat',
  'fit',
] as const satisfies readonly (keyof EditImageRequest)[];

export function isUploadRef(ref: ImageRef): ref is UploadRef {
  return 'uploadId' in ref;
}

export function isGeneratedImageRef(ref: ImageRef): ref is GeneratedImageRef {
  return 'imageId' in ref;
}

export function isJobInputRef(ref: ImageRef): ref is JobInputRef {
  return 'input' in ref;
}

/**
 * The generated image an edit started from (its lineage parent), if it started from one. A job-input ref
 * is no parent: the copy it names is no image that job made (Reuse names it only for an input that was an
 * upload; an input that was a generated image is reused by its own ref, so its lineage stays as it was).
 */
export function editParent(
  request: Pick<NormalizedGenerateImageRequest, 'edit'>,
): GeneratedImageRef | undefined {
  const image = request.edit?.image;
  return image && isGeneratedImageRef(image) ? image : undefined;
}

/** A limit of a service's input image that an image breaks. */
export type InputLimitBreach = 'maxPixels' | 'maxSide' | 'minSide' | 'minPixels' | 'aspect';

/**
 * Which of the limits an image of this size breaks, the worst first (too many pixels, then too long a side, …):
 * the one test the editor's warning and the worker's fit both use, so they never disagree on an image.
 */
export function inputLimitBreaches(
  size: { readonly width: number; readonly height: number },
  limits: InputImageLimits,
): InputLimitBreach[] {
  const { width, height } = size;
  const pixels = width * height;
  const found: InputLimitBreach[] = [];
  if (pixels > limits.maxPixels) found.push('maxPixels');
  if (limits.maxSide !== undefined && Math.max(width, height) > limits.maxSide) found.push('maxSide');
  if (Math.min(width, height) < limits.minSide) found.push('minSide');
  if (pixels < limits.minPixels) found.push('minPixels');
  // 1e-9: a ratio at the edge (2.5:1 as 1000 / 400) is allowed whatever the floating-point rounding.
  const aspect = width / height;
  if (aspect < limits.minAspect - 1e-9 || aspect > limits.maxAspect + 1e-9) found.push('aspect');
  return found;
}

/** Why an image of this size is outside the limits, in words (empty: within them). */
export function inputLimitViolations(
  size: { readonly width: number; readonly height: number },
  limits: InputImageLimits,
): string[] {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const words: Record<InputLimitBreach, string> = {
    maxPixels: `the image must have at most ${fmt(limits.maxPixels)} px`,
    maxSide: `each side must be at most ${fmt(limits.maxSide ?? 0)} px`,
    minSide: `each side must be at least ${limits.minSide} px`,
    minPixels: `the image must have at least ${fmt(limits.minPixels)} px`,
    aspect: `the aspect ratio must be between 1:${fmt(1 / limits.minAspect)} and ${fmt(limits.maxAspect)}:1`,
  };
  return inputLimitBreaches(size, limits).map((breach) => words[breach]);
}

const IMAGE_ID_PATTERN = /^[0-9a-z]{6,40}$/;

function refErrors(field: string, value: unknown, allowGenerated: boolean): FieldError[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [{ field, rule: 'isObject', message: `${field} must name an upload or a generated image` }];
  const jobId = (v: Record<string, unknown>): FieldError[] =>
    typeof v['generationId'] === 'string' && GENERATION_ID_PATTERN.test(v['generationId'])
      ? []
      : [
          {
            field: `${field}.generationId`,
            rule: 'matches',
            message: `${field}.generationId is not a job id`,
          },
        ];
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v).sort().join(',');
  if (keys === 'uploadId')
    return typeof v['uploadId'] === 'string' && UPLOAD_ID_PATTERN.test(v['uploadId'])
      ? []
      : [{ field: `${field}.uploadId`, rule: 'matches', message: `${field}.uploadId is not an upload id` }];
  if (allowGenerated && keys === 'generationId,input')
    return [
      ...jobId(v),
      ...((JOB_INPUT_NAMES as readonly unknown[]).includes(v['input'])
        ? []
        : [
            {
              field: `${field}.input`,
              rule: 'isIn',
              message: `${field}.input must be one of ${JOB_INPUT_NAMES.join(', ')}`,
            },
          ]),
    ];
  if (allowGenerated && keys === 'generationId,imageId') {
    const errors: FieldError[] = [...jobId(v)];
    if (typeof v['imageId'] !== 'string' || !IMAGE_ID_PATTERN.test(v['imageId']))
      errors.push({
        field: `${field}.imageId`,
        rule: 'matches',
        message: `${field}.imageId is not an image id`,
      });
    return errors;
  }
  return [
    {
      field,
      rule: 'isImageRef',
      message: allowGenerated
        ? `${field} must be { uploadId }, { generationId, imageId } or { generationId, input }`
        : `${field} must be { uploadId }`,
    },
  ];
}

function paramErrors(spec: ServiceParam, value: unknown, service: ImageServiceEntry): FieldError[] {
  const field = `params.${spec.name}`;
  const name = service.displayName;
  if (spec.kind === 'text') {
    if (typeof value !== 'string') return [{ field, rule: 'isString', message: `${field} must be text` }];
    if (spec.required && !/\S/.test(value))
      return [{ field, rule: 'isNotEmpty', message: `${spec.label} is needed for ${name}` }];
    if (value.length > spec.maxLength)
      return [{ field, rule: 'maxLength', message: `${field} must be at most ${spec.maxLength} characters` }];
    if (!NO_CONTROL_CHARACTERS.test(value))
      return [{ field, rule: 'matches', message: `${field} must not contain control characters` }];
    return [];
  }
  if (spec.kind === 'enum') {
    return typeof value === 'string' && spec.values.includes(value)
      ? []
      : [{ field, rule: 'isIn', message: `${field} must be one of ${spec.values.join(', ')}` }];
  }
  return numberErrors(spec, value, field);
}

function numberErrors(spec: NumberParam, value: unknown, field: string): FieldError[] {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return [{ field, rule: 'isNumber', message: `${field} must be a number` }];
  if (spec.kind === 'integer' && !Number.isInteger(value))
    return [{ field, rule: 'isInt', message: `${field} must be a whole number` }];
  if (value < spec.min || value > spec.max)
    return [{ field, rule: 'range', message: `${field} must be between ${spec.min} and ${spec.max}` }];
  return [];
}

/** Rules AWS's page states across fields (outpaint: at least one side above 0). */
function crossFieldErrors(
  service: ImageServiceEntry,
  params: Readonly<Record<string, unknown>>,
): FieldError[] {
  if (service.output.kind !== 'extend') return [];
  const sides = ['left', 'right', 'up', 'down'] as const;
  return sides.some((s) => typeof params[s] === 'number' && (params[s] as number) > 0)
    ? []
    : [
        {
          field: 'params',
          rule: 'outpaintSide',
          message: 'extend at least one side (left, right, up or down)',
        },
      ];
}

/**
 * Validates an edit against the service's catalog entry and fills in the defaults: the one place these rules
 * are written (the browser, the BFF and the Lambda all call it). The answer is a job request whose `edit`
 * names the inputs; `prompt` is the service's prompt ('' for a service without one).
 */
export function validateEditImageRequest(
  input: unknown,
  lookup: (serviceId: string) => ImageServiceEntry | undefined = findImageService,
): ValidationResult<NormalizedGenerateImageRequest> {
  const shape = bodyShapeProblem(input, EDIT_IMAGE_REQUEST_FIELDS);
  if (shape) return { ok: false, problem: shape };
  const body = input as Record<string, unknown>;
  const serviceId = body['serviceId'];
  const service = typeof serviceId === 'string' ? lookup(serviceId) : undefined;
  if (!service)
    return {
      ok: false,
      problem: validationProblem([
        { field: 'serviceId', rule: 'isIn', message: `unknown service ${String(serviceId).slice(0, 128)}` },
      ]),
    };

  const errors: FieldError[] = [];
  const given = (k: string) => body[k] !== undefined && body[k] !== null;
  const inputs: Array<[ServiceInputName, boolean]> = [
    ['image', true],
    ['mask', false],
    ['styleImage', true],
  ];
  for (const [name, allowGenerated] of inputs) {
    const spec = service.inputs[name];
    if (!given(name)) {
      if (spec?.required)
        errors.push({
          field: name,
          rule: 'isDefined',
          message: `${spec.label} is needed for ${service.displayName}`,
        });
      continue;
    }
    if (!spec) {
      errors.push({
        field: name,
        rule: 'unsupported',
        message: `${service.displayName} does not take ${name}`,
      });
      continue;
    }
    errors.push(...refErrors(name, body[name], allowGenerated));
  }

  const rawParams = given('params') ? body['params'] : {};
  const params: Record<string, string | number> = {};
  if (typeof rawParams !== 'object' || rawParams === null || Array.isArray(rawParams)) {
    errors.push({ field: 'params', rule: 'isObject', message: 'params must be an object' });
  } else {
    const p = rawParams as Record<string, unknown>;
    const specs = new Map(service.params.map((s) => [s.name as string, s]));
    for (const key of Object.keys(p)) {
      if (!specs.has(key))
        errors.push({
          field: `params.${key.slice(0, 64)}`,
          rule: 'unsupported',
          message: `${service.displayName} does not take ${key.slice(0, 64)}`,
        });
    }
    for (const spec of service.params) {
      const value = p[spec.name];
      if (value === undefined || value === null || value === '') {
        if (spec.required)
          errors.push({
            field: `params.${spec.name}`,
            rule: 'isDefined',
            message: `${spec.label} is needed for ${service.displayName}`,
          });
        continue;
      }
      const e = paramErrors(spec, value, service);
      errors.push(...e);
      if (e.length === 0) params[spec.name] = value as string | number;
    }
    errors.push(...crossFieldErrors(service, p));
  }

  const seed = body['seed'];
  if (given('seed') && !service.takesSeed)
    errors.push({ field: 'seed', rule: 'unsupported', message: `${service.displayName} takes no seed` });
  else if (
    given('seed') &&
    (typeof seed !== 'number' ||
      !Number.isInteger(seed) ||
      seed < service.seed.min ||
      seed > service.seed.max)
  )
    errors.push({
      field: 'seed',
      rule: 'range',
      message: `seed must be a whole number between ${service.seed.min} and ${service.seed.max}`,
    });
  const count = body['count'];
  if (
    given('count') &&
    (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > service.maxCount)
  )
    errors.push({
      field: 'count',
      rule: 'range',
      message: `count must be between 1 and ${service.maxCount}`,
    });
  const format = body['outputFormat'];
  if (given('outputFormat') && !(OUTPUT_FORMATS as readonly unknown[]).includes(format))
    errors.push({
      field: 'outputFormat',
      rule: 'isIn',
      message: `outputFormat must be one of ${OUTPUT_FORMATS.join(', ')}`,
    });
  else if (given('outputFormat') && !service.outputFormats.includes(format as OutputFormat))
    errors.push({
      field: 'outputFormat',
      rule: 'isIn',
      message: `outputFormat must be one of ${service.outputFormats.join(', ')} for ${service.displayName}`,
    });
  const fit = body['fit'];
  if (given('fit') && !(FIT_MODES as readonly unknown[]).includes(fit))
    errors.push({ field: 'fit', rule: 'isIn', message: `fit must be one of ${FIT_MODES.join(', ')}` });

  if (errors.length > 0) return { ok: false, problem: validationProblem(errors) };

  const prompt = typeof params['prompt'] === 'string' ? params['prompt'] : '';
  const negative =
    typeof params['negative_prompt'] === 'string' && /\S/.test(params['negative_prompt'])
      ? params['negative_prompt']
      : undefined;
  return {
    ok: true,
    value: {
      modelId: service.id,
      prompt,
      ...(negative !== undefined ? { negativePrompt: negative } : {}),
      // Not sent for an edit: the output's size follows the input (style guide sends params.aspect_ratio).
      aspectRatio: '1:1',
      ...(given('seed') ? { seed: seed as number } : {}),
      count: (count as number | undefined) ?? 1,
      outputFormat: (format as OutputFormat | undefined) ?? service.outputFormats[0],
      edit: {
        serviceId: service.id,
        image: body['image'] as ImageRef,
        ...(given('mask') ? { mask: body['mask'] as { uploadId: string } } : {}),
        ...(given('styleImage') ? { styleImage: body['styleImage'] as ImageRef } : {}),
        params,
        fit: (fit as FitMode | undefined) ?? 'reject',
      },
    },
  };
}
