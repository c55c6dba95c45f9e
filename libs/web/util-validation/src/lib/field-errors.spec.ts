import { findModel } from '@imagegen/contracts';

import { validateForm } from './field-errors';

const CORE = 'stability.stable-image-core-v1:1';

describe(validateForm.name, () => {
  it('finds nothing wrong with a good request', () => {
    expect(validateForm({ modelId: CORE, prompt: 'a cat', count: 2 })).toEqual({});
  });

  it('says what is wrong next to each field, in words a person reads', () => {
    expect(validateForm({ modelId: CORE, prompt: '   ', seed: -3 })).toEqual({
      prompt: 'The prompt needs words, and no control characters.',
      seed: 'The seed cannot be negative.',
    });
  });

  it('names the model limit when the prompt is too long', () => {
    expect(validateForm({ modelId: CORE, prompt: 'a'.repeat(10_001) })['prompt']).toMatch(/10000 characters/);
  });

  it('says so when the model was retired', () => {
    expect(validateForm({ modelId: 'stability.stable-diffusion-xl-v1', prompt: 'x' })['form']).toMatch(
      /retired/,
    );
  });
});

describe(`${validateForm.name} with the server's models`, () => {
  it('checks against the entries the server answered', () => {
    const core = findModel(CORE);
    const small = core && { ...core, prompt: { minLength: 1, maxLength: 5 } };
    expect(
      validateForm({ modelId: CORE, prompt: 'a long prompt' }, (id) => (id === CORE ? small : undefined))[
        'prompt'
      ],
    ).toMatch(/5 characters/);
  });
});
