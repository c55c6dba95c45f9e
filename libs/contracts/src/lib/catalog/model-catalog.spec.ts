import {
  callableModels,
  estimateCostUsd,
  fieldsWithoutSource,
  findModel,
  foundationModelArn,
  MODEL_CATALOG,
  outputSizeFor,
  REQUEST_FIELDS,
  STABLE_IMAGE_CORE_PAGE,
} from './model-catalog';

describe('model catalog', () => {
  it('has unique model ids', () => {
    const ids = MODEL_CATALOG.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps retired models listed but not callable', () => {
    expect(findModel('stability.stable-diffusion-xl-v1')?.lifecycle.state).toBe('retired');
    expect(callableModels().map((m) => m.id)).not.toContain('stability.stable-diffusion-xl-v1');
  });

  it('answers 1536x1536 for Stable Image Core at 1:1 and about a megapixel for SD3.5 Large', () => {
    const core = findModel('stability.stable-image-core-v1:1');
    const sd35 = findModel('stability.sd3-5-large-v1:0');
    expect(core && outputSizeFor(core)).toEqual({ width: 1536, height: 1536 });
    expect(sd35 && outputSizeFor(sd35, '16:9')).toEqual({ width: 1344, height: 768 });
  });

  it('prices images per image', () => {
    const ultra = findModel('stability.stable-image-ultra-v1:1');
    expect(ultra && estimateCostUsd(ultra, 3)).toBe(0.42);
  });

  it('builds the foundation-model ARN in the model region', () => {
    const core = findModel('stability.stable-image-core-v1:1');
    expect(core && foundationModelArn(core)).toBe(
      'arn:aws:bedrock:us-west-2::foundation-model/stability.stable-image-core-v1:1',
    );
  });

  it.each(MODEL_CATALOG.map((m) => [m.id, m] as const))(
    'gives every request field of %s the AWS page it came from',
    (_id, model) => {
      expect(fieldsWithoutSource(model)).toEqual([]);
      for (const field of REQUEST_FIELDS)
        expect(model.fieldSources[field].url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/bedrock\//);
    },
  );

  it('names a field that lacks a source, or whose source is not an AWS page', () => {
    const core = findModel('stability.stable-image-core-v1:1')!;
    const { seed: _dropped, ...rest } = core.fieldSources;
    expect(fieldsWithoutSource({ fieldSources: rest as typeof core.fieldSources })).toEqual(['seed']);
    expect(
      fieldsWithoutSource({
        fieldSources: { ...core.fieldSources, output_format: { url: 'https://example.com/blog' } },
      }),
    ).toEqual(['output_format']);
  });

  it('offers Stable Image Core only the output formats its AWS page lists (JPEG and PNG, no WebP)', () => {
    const core = findModel('stability.stable-image-core-v1:1')!;
    expect([...core.outputFormats].sort()).toEqual(['jpeg', 'png']);
    expect(core.fieldSources.output_format.url).toBe(STABLE_IMAGE_CORE_PAGE);
  });
});
