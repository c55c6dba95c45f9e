import { validateSync, ValidationError } from 'class-validator';

import { findModel, ModelCatalogEntry } from '../catalog/model-catalog';
import { ErrorCode } from '../errors/error-code';
import { FieldError, problem, ProblemDetails, validationProblem } from '../errors/problem-details';
import {
  GENERATE_IMAGE_REQUEST_FIELDS,
  GenerateImageRequest,
  NormalizedGenerateImageRequest,
} from '../generations/generate-image-request';

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: ProblemDetails };

/** Flattens class-validator errors into `{ field, rule, message }` triples. */
export function toFieldErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({ field, rule, message }));
    return [...own, ...toFieldErrors(e.children ?? [], field)];
  });
}

/**
 * Why a request body is refused before its fields are read: not a JSON object, or carrying a property the
 * request does not define (`__proto__` and `constructor` included). Undefined when it is a plain object of known
 * fields. Every request validator starts with it.
 */
export function bodyShapeProblem(input: unknown, fields: readonly string[]): ProblemDetails | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return validationProblem([
      { field: '(body)', rule: 'isObject', message: 'the body must be a JSON object' },
    ]);
  const known = new Set<string>(fields);
  const unknown = Object.keys(input).filter((k) => !known.has(k));
  if (unknown.length === 0) return undefined;
  return validationProblem(
    unknown.map((field) => ({
      field: field.slice(0, 64),
      rule: 'whitelistValidation',
      message: `property ${field.slice(0, 64)} should not exist`,
    })),
  );
}

/**
 * Copies the known fields of a plain JSON object into a `GenerateImageRequest`; every other
 * own key (including `__proto__` and `constructor`) becomes an unknown-field error. A `null`
 * field is not given, as `@IsOptional()` reads it (a required one is then missing).
 */
function toRequestInstance(input: unknown): ValidationResult<GenerateImageRequest> {
  const shape = bodyShapeProblem(input, GENERATE_IMAGE_REQUEST_FIELDS);
  if (shape) return { ok: false, problem: shape };
  const instance = new GenerateImageRequest();
  const source = input as Record<string, unknown>;
  for (const key of GENERATE_IMAGE_REQUEST_FIELDS) {
    if (
      Object.prototype.hasOwnProperty.call(source, key) &&
      source[key] !== undefined &&
      source[key] !== null
    ) {
      (instance as unknown as Record<string, unknown>)[key] = source[key];
    }
  }
  return { ok: true, value: instance };
}

/** The checks that depend on the selected model's catalog entry. */
export function modelFieldErrors(request: GenerateImageRequest, model: ModelCatalogEntry): FieldError[] {
  const errors: FieldError[] = [];
  const name = model.displayName;
  if (request.prompt.length > model.prompt.maxLength) {
    errors.push({
      field: 'prompt',
      rule: 'maxLength',
      message: `prompt must be at most ${model.prompt.maxLength} characters for ${name}`,
    });
  }
  if (request.negativePrompt !== undefined && request.negativePrompt.length > 0) {
    if (!model.negativePrompt.supported) {
      errors.push({
        field: 'negativePrompt',
        rule: 'unsupported',
        message: `${name} does not take a negative prompt`,
      });
    } else if (request.negativePrompt.length > model.negativePrompt.maxLength) {
      errors.push({
        field: 'negativePrompt',
        rule: 'maxLength',
        message: `negativePrompt must be at most ${model.negativePrompt.maxLength} characters for ${name}`,
      });
    }
  }
  if (request.aspectRatio !== undefined && !model.aspectRatios.includes(request.aspectRatio)) {
    errors.push({
      field: 'aspectRatio',
      rule: 'isIn',
      message: `aspectRatio must be one of ${model.aspectRatios.join(', ')} for ${name}`,
    });
  }
  if (request.seed !== undefined && (request.seed < model.seed.min || request.seed > model.seed.max)) {
    errors.push({
      field: 'seed',
      rule: 'range',
      message: `seed must be between ${model.seed.min} and ${model.seed.max} for ${name}`,
    });
  }
  if (request.count !== undefined && request.count > model.maxCount) {
    errors.push({
      field: 'count',
      rule: 'max',
      message: `count must be at most ${model.maxCount} for ${name}`,
    });
  }
  if (request.outputFormat !== undefined && !model.outputFormats.includes(request.outputFormat)) {
    errors.push({
      field: 'outputFormat',
      rule: 'isIn',
      message: `outputFormat must be one of ${model.outputFormats.join(', ')} for ${name}`,
    });
  }
  return errors;
}

/**
 * Validates a generation request against the DTO's rules and the selected model's catalog
 * entry, and fills in the defaults. The one place these rules are written: the browser,
 * the BFF and the Lambda all call it.
 */
export function validateGenerateImageRequest(
  input: unknown,
  lookup: (modelId: string) => ModelCatalogEntry | undefined = findModel,
): ValidationResult<NormalizedGenerateImageRequest> {
  const parsed = toRequestInstance(input);
  if (!parsed.ok) return parsed;
  const request = parsed.value;

  const classErrors = toFieldErrors(validateSync(request, { forbidUnknownValues: true }));
  if (classErrors.length > 0) return { ok: false, problem: validationProblem(classErrors) };

  const model = lookup(request.modelId);
  if (!model) {
    return {
      ok: false,
      problem: validationProblem([
        { field: 'modelId', rule: 'isIn', message: `unknown model ${request.modelId.slice(0, 128)}` },
      ]),
    };
  }
  if (model.lifecycle.state === 'retired') {
    const when = model.lifecycle.endOfLifeDate ? ` on ${model.lifecycle.endOfLifeDate}` : '';
    return {
      ok: false,
      problem: problem(
        ErrorCode.MODEL_RETIRED,
        `${model.displayName} (${model.id}) was retired by Amazon Bedrock${when}: choose another model`,
      ),
    };
  }

  const modelErrors = modelFieldErrors(request, model);
  if (modelErrors.length > 0) return { ok: false, problem: validationProblem(modelErrors) };

  const negativePrompt = request.negativePrompt?.trim() ? request.negativePrompt : undefined;
  return {
    ok: true,
    value: {
      modelId: model.id,
      prompt: request.prompt,
      ...(negativePrompt !== undefined ? { negativePrompt } : {}),
      aspectRatio: request.aspectRatio ?? model.defaultAspectRatio,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      count: request.count ?? 1,
      outputFormat: request.outputFormat ?? 'png',
    },
  };
}
