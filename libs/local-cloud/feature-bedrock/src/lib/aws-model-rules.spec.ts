import { AWS_MODEL_RULES, invokeBodyProblem, rulesFor } from './aws-model-rules';

const CORE = rulesFor('stability.stable-image-core-v1:1')!;

describe('AWS_MODEL_RULES', () => {
  it.each(
    AWS_MODEL_RULES.flatMap((m) => Object.entries(m.fields).map(([f, r]) => [m.modelId, f, r] as const)),
  )('cites the AWS page for %s %s', (_model, _field, rule) => {
    expect(rule.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/bedrock\/latest\/userguide\/\S+\.html$/);
  });

  it('has the Stable Image Core rules its AWS page lists', () => {
    expect(CORE.fields['output_format']?.enum).toEqual(['jpeg', 'png']);
    expect(CORE.fields['seed']).toMatchObject({ minimum: 0, maximum: 4_294_967_295 });
    expect(CORE.fields['prompt']).toMatchObject({ required: true, maxLength: 10_000 });
    expect(CORE.fields['mode']?.enum).toEqual(['text-to-image']);
  });
});

describe(invokeBodyProblem.name, () => {
  it('takes a body the page allows', () => {
    expect(
      invokeBodyProblem(
        {
          prompt: 'a fox',
          negative_prompt: 'blur',
          mode: 'text-to-image',
          aspect_ratio: '16:9',
          seed: 0,
          output_format: 'png',
        },
        CORE,
      ),
    ).toBeUndefined();
  });

  it.each([
    ['not an object', [1], /expected type: JSONObject, found: JSONArray/],
    ['an unknown field', { prompt: 'x', cfg_scale: 7 }, /#: extraneous key \[cfg_scale\] is not permitted/],
    ['no prompt', {}, /#: required key \[prompt\] not found/],
    ['a prompt that is not a string', { prompt: 7 }, /#\/prompt: expected type: String, found: Integer/],
    ['a prompt of 10,001 characters (code points)', { prompt: '😀'.repeat(10_001) }, /actual: 10001/],
    [
      'an unknown aspect ratio',
      { prompt: 'x', aspect_ratio: '4:3' },
      /#\/aspect_ratio: 4:3 is not a valid enum value/,
    ],
    ['a negative seed', { prompt: 'x', seed: -1 }, /#\/seed: -1 is not greater or equal to 0/],
    ['WebP', { prompt: 'x', output_format: 'webp' }, /#\/output_format: webp/],
  ])('refuses %s as Bedrock words it', (_name, body, message) => {
    const problem = invokeBodyProblem(body, CORE);
    expect(problem).toMatch(/^Malformed input request: /);
    expect(problem).toMatch(message);
    expect(problem).toMatch(/please reformat your input and try again\.$/);
  });

  it('counts a 10,000-emoji prompt as 10,000 characters, not 20,000 UTF-16 units', () => {
    expect(invokeBodyProblem({ prompt: '😀'.repeat(10_000) }, CORE)).toBeUndefined();
  });
});
