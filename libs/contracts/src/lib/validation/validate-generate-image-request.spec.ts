import {
  ASPECT_RATIOS,
  callableModels,
  findModel,
  MODEL_CATALOG,
  ModelCatalogEntry,
} from '../catalog/model-catalog';
import { ErrorCode } from '../errors/error-code';
import { ProblemDetails } from '../errors/problem-details';
import { validateGenerateImageRequest } from './validate-generate-image-request';

const CORE = 'stability.stable-image-core-v1:1';

function problemOf(input: unknown): ProblemDetails {
  const result = validateGenerateImageRequest(input);
  if (result.ok) throw new Error(`expected a problem for ${JSON.stringify(input)}`);
  return result.problem;
}

function fieldsOf(input: unknown): string[] {
  return (problemOf(input).errors ?? []).map((e) => `${e.field}:${e.rule}`);
}

describe(validateGenerateImageRequest.name, () => {
  it('accepts a minimal request and fills in the defaults', () => {
    // WHEN
    const result = validateGenerateImageRequest({ modelId: CORE, prompt: 'a lighthouse at dusk' });
    // THEN
    expect(result).toEqual({
      ok: true,
      value: {
        modelId: CORE,
        prompt: 'a lighthouse at dusk',
        aspectRatio: '1:1',
        count: 1,
        outputFormat: 'png',
      },
    });
  });

  it('keeps every optional field a person set', () => {
    const result = validateGenerateImageRequest({
      modelId: 'stability.sd3-5-large-v1:0',
      prompt: 'a fox',
      negativePrompt: 'blurry',
      aspectRatio: '16:9',
      seed: 42,
      count: 4,
      outputFormat: 'webp',
    });
    expect(result.ok && result.value).toEqual({
      modelId: 'stability.sd3-5-large-v1:0',
      prompt: 'a fox',
      negativePrompt: 'blurry',
      aspectRatio: '16:9',
      seed: 42,
      count: 4,
      outputFormat: 'webp',
    });
  });

  it('reads null in an optional field as not given (found by fuzzing: a null negativePrompt was a 500)', () => {
    // WHEN every optional field is null
    const result = validateGenerateImageRequest({
      modelId: CORE,
      prompt: 'a fox',
      negativePrompt: null,
      aspectRatio: null,
      seed: null,
      count: null,
      outputFormat: null,
    });
    // THEN the request is the minimal one, with its defaults and no null in it
    expect(result).toEqual({
      ok: true,
      value: { modelId: CORE, prompt: 'a fox', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    });
  });

  it('rejects null in a required field as missing', () => {
    expect(fieldsOf({ modelId: null, prompt: null })).toEqual(
      expect.arrayContaining(['modelId:isString', 'prompt:isString']),
    );
  });

  it.each([
    ['not an object', 'a string', ['(body):isObject']],
    ['an array', [{ modelId: CORE }], ['(body):isObject']],
    ['null', null, ['(body):isObject']],
    ['an unknown field', { modelId: CORE, prompt: 'x', steps: 30 }, ['steps:whitelistValidation']],
    [
      'a __proto__ key',
      JSON.parse('{"modelId":"m","prompt":"x","__proto__":{"admin":true}}'),
      ['__proto__:whitelistValidation'],
    ],
    [
      'no prompt',
      { modelId: CORE },
      ['prompt:isString', 'prompt:minLength', 'prompt:maxLength', 'prompt:matches'],
    ],
  ])('rejects %s', (_name, input, expected) => {
    // THEN every broken rule is named
    expect(fieldsOf(input)).toEqual(expect.arrayContaining(expected));
    expect(problemOf(input)).toMatchObject({ status: 400, code: ErrorCode.VALIDATION_FAILED });
  });

  it.each([
    ['empty', ''],
    ['white space only', ' \n\t  '],
    ['a control character', 'a cat\u0000'],
    ['an escape character', 'a \u001b[31m cat'],
    ['10,001 characters', 'a'.repeat(10_001)],
    ['a number', 42],
  ])('rejects a prompt that is %s', (_name, prompt) => {
    const errors = problemOf({ modelId: CORE, prompt }).errors ?? [];
    expect(errors.every((e) => e.field === 'prompt')).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('accepts HTML in a prompt as plain text', () => {
    const prompt = '<script>alert(1)</script> a cat';
    const result = validateGenerateImageRequest({ modelId: CORE, prompt });
    expect(result.ok && result.value.prompt).toBe(prompt);
  });

  it('accepts a prompt of exactly 10,000 characters with new lines and tabs', () => {
    const prompt = 'a\n\tb'.repeat(2_500);
    expect(validateGenerateImageRequest({ modelId: CORE, prompt }).ok).toBe(true);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN as a string', 'NaN'],
    ['a numeric string', '42'],
    ['above the range', 4_294_967_295],
    ['huge', 1e300],
  ])('rejects a seed that is %s', (_name, seed) => {
    const fields = (problemOf({ modelId: CORE, prompt: 'x', seed }).errors ?? []).map((e) => e.field);
    expect(fields).toContain('seed');
  });

  it.each([0, 2_000_000_000, 4_294_967_294])('accepts seed %d on Stable Image Core', (seed) => {
    expect(validateGenerateImageRequest({ modelId: CORE, prompt: 'x', seed }).ok).toBe(true);
  });

  it.each([0, 5, 2.5, '2'])('rejects count %p', (count) => {
    expect(fieldsOf({ modelId: CORE, prompt: 'x', count })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^count:/)]),
    );
  });

  it.each(['4:3', '1:2', '', '1:1 '])('rejects aspect ratio %p', (aspectRatio) => {
    expect(fieldsOf({ modelId: CORE, prompt: 'x', aspectRatio })).toEqual(['aspectRatio:isIn']);
  });

  it.each(['gif', 'PNG', 'tiff'])('rejects output format %p', (outputFormat) => {
    expect(fieldsOf({ modelId: CORE, prompt: 'x', outputFormat })).toEqual(['outputFormat:isIn']);
  });

  it('refuses WebP for Stable Image Core, whose AWS page lists JPEG and PNG only, and takes it for SD3.5 Large', () => {
    const problem = problemOf({ modelId: CORE, prompt: 'x', outputFormat: 'webp' });
    expect(problem.errors).toEqual([
      expect.objectContaining({
        field: 'outputFormat',
        rule: 'isIn',
        message: expect.stringContaining('png, jpeg'),
      }),
    ]);
    expect(validateGenerateImageRequest({ modelId: CORE, prompt: 'x', outputFormat: 'jpeg' }).ok).toBe(true);
    expect(
      validateGenerateImageRequest({
        modelId: 'stability.sd3-5-large-v1:0',
        prompt: 'x',
        outputFormat: 'webp',
      }).ok,
    ).toBe(true);
  });

  it('rejects an unknown model, naming it', () => {
    const p = problemOf({ modelId: 'stability.imaginary-v9', prompt: 'x' });
    expect(p.errors).toEqual([
      { field: 'modelId', rule: 'isIn', message: 'unknown model stability.imaginary-v9' },
    ]);
  });

  it('answers MODEL_RETIRED for a retired model, saying when', () => {
    const p = problemOf({ modelId: 'stability.stable-diffusion-xl-v1', prompt: 'x' });
    expect(p).toMatchObject({ code: ErrorCode.MODEL_RETIRED, status: 410 });
    expect(p.detail).toContain('2025-05-20');
  });

  it('ignores a blank negative prompt rather than sending it', () => {
    const result = validateGenerateImageRequest({ modelId: CORE, prompt: 'x', negativePrompt: '   ' });
    expect(result.ok && 'negativePrompt' in result.value).toBe(false);
  });

  it('rejects a negative prompt for a model that does not take one', () => {
    const model = findModel(CORE) as ModelCatalogEntry;
    const noNegative: ModelCatalogEntry = { ...model, negativePrompt: { supported: false, maxLength: 0 } };
    const result = validateGenerateImageRequest(
      { modelId: CORE, prompt: 'x', negativePrompt: 'blur' },
      () => noNegative,
    );
    expect(!result.ok && result.problem.errors).toEqual([
      {
        field: 'negativePrompt',
        rule: 'unsupported',
        message: 'Stable Image Core does not take a negative prompt',
      },
    ]);
  });

  describe.each(callableModels().map((m) => [m.id, m] as const))('limits of %s', (_id, model) => {
    it('accepts a prompt at its limit and rejects one past it', () => {
      const at = 'p'.repeat(model.prompt.maxLength);
      expect(validateGenerateImageRequest({ modelId: model.id, prompt: at }).ok).toBe(true);
      expect(fieldsOf({ modelId: model.id, prompt: at + 'p' })).toEqual(['prompt:maxLength']);
    });

    it('accepts each of its aspect ratios and knows the size each one answers', () => {
      for (const aspectRatio of model.aspectRatios) {
        expect(validateGenerateImageRequest({ modelId: model.id, prompt: 'x', aspectRatio }).ok).toBe(true);
        const size = model.outputSizes[aspectRatio];
        expect(size && size.width > 0 && size.height > 0).toBe(true);
      }
    });

    it('accepts the ends of its seed range and rejects one past the top', () => {
      expect(validateGenerateImageRequest({ modelId: model.id, prompt: 'x', seed: model.seed.min }).ok).toBe(
        true,
      );
      expect(validateGenerateImageRequest({ modelId: model.id, prompt: 'x', seed: model.seed.max }).ok).toBe(
        true,
      );
      expect(fieldsOf({ modelId: model.id, prompt: 'x', seed: model.seed.max + 1 })[0]).toMatch(/^seed:/);
    });

    it('accepts up to its image count', () => {
      expect(validateGenerateImageRequest({ modelId: model.id, prompt: 'x', count: model.maxCount }).ok).toBe(
        true,
      );
    });
  });

  it('lists every Stability v2 aspect ratio for the three current models', () => {
    const current = MODEL_CATALOG.filter((m) => m.family === 'stability-v2');
    expect(current.map((m) => m.id)).toEqual([
      'stability.stable-image-core-v1:1',
      'stability.sd3-5-large-v1:0',
      'stability.stable-image-ultra-v1:1',
    ]);
    for (const m of current) expect([...m.aspectRatios].sort()).toEqual([...ASPECT_RATIOS].sort());
  });
});
