import { findImageService, IMAGE_SERVICES, ImageServiceEntry } from '@imagegen/contracts';

import {
  carryValues,
  editFormErrors,
  editRequest,
  expectedOutputSize,
  initialValues,
  limitsText,
  limitViolations,
  paramsToSend,
  serviceGroups,
  sizeText,
} from './edit-form';

const service = (id: string): ImageServiceEntry => {
  const s = findImageService(id);
  if (!s) throw new Error(`no service ${id}`);
  return s;
};
const INPAINT = service('stability.stable-image-inpaint-v1:0');
const OUTPAINT = service('stability.stable-outpaint-v1:0');
const ERASE = service('stability.stable-image-erase-object-v1:0');
const STYLE_TRANSFER = service('stability.stable-style-transfer-v1:0');
const CONSERVATIVE = service('stability.stable-conservative-upscale-v1:0');
const FAST = service('stability.stable-fast-upscale-v1:0');
const CREATIVE = service('stability.stable-creative-upscale-v1:0');
const UPLOAD = { uploadId: 'up0123456789' };
const NONE = { width: 0, height: 0 };

describe('serviceGroups', () => {
  it('offers every service once, grouped Edit / Control / Upscale', () => {
    const groups = serviceGroups();
    expect(groups.map((g) => g.label)).toEqual(['Edit', 'Control', 'Upscale']);
    expect(groups[0].services.map((s) => s.displayName)).toEqual([
      'Inpaint',
      'Outpaint',
      'Search and replace',
      'Search and recolor',
      'Erase',
      'Remove background',
    ]);
    expect(groups[2].services.map((s) => s.displayName)).toEqual([
      'Creative upscale',
      'Conservative upscale',
      'Fast upscale',
    ]);
    const offered = groups.flatMap((g) => g.services.map((s) => s.id)).sort();
    expect(offered).toEqual(IMAGE_SERVICES.map((s) => s.id).sort());
  });
});

describe('initialValues', () => {
  it("starts each field at the catalog's default: empty text, sliders at their default, no preset", () => {
    expect(initialValues(INPAINT)).toEqual({
      prompt: '',
      negative_prompt: '',
      grow_mask: 5,
      style_preset: '',
    });
    expect(initialValues(STYLE_TRANSFER)).toMatchObject({
      composition_fidelity: 0.9,
      style_strength: 1,
      change_strength: 0.9,
    });
    expect(initialValues(OUTPAINT)).toMatchObject({ left: 0, right: 0, up: 0, down: 0, creativity: 0.5 });
  });
});

describe('carryValues', () => {
  it('keeps the prompt and preset when switching to a service that takes them, and drops the rest', () => {
    const typed = { ...initialValues(INPAINT), prompt: 'a cat', grow_mask: 12, style_preset: 'anime' };
    expect(carryValues(CONSERVATIVE, typed)).toEqual({
      prompt: 'a cat',
      creativity: 0.35,
      negative_prompt: '',
    });
    expect(carryValues(ERASE, typed)).toEqual({ grow_mask: 12 });
  });

  it('does not carry a number outside the new service’s range', () => {
    // Outpaint's creativity goes to 1; conservative upscale's stops at 0.5.
    expect(carryValues(CONSERVATIVE, { creativity: 0.9 })['creativity']).toBe(0.35);
  });
});

describe('paramsToSend and editRequest', () => {
  it('sends only the fields that are set, by their AWS names', () => {
    const values = { ...initialValues(INPAINT), prompt: 'a red kite', negative_prompt: '   ' };
    expect(paramsToSend(INPAINT, values)).toEqual({ prompt: 'a red kite', grow_mask: 5 });
  });

  it('makes the request the contracts define, with the mask only for a service that takes one', () => {
    const base = {
      image: UPLOAD,
      values: { prompt: 'a red kite' },
      mask: { uploadId: 'up9999999999' },
      count: 2,
      outputFormat: 'png' as const,
      fit: 'reject' as const,
    };
    expect(editRequest({ ...base, service: INPAINT, seed: ' 42 ' })).toEqual({
      serviceId: INPAINT.id,
      image: UPLOAD,
      mask: { uploadId: 'up9999999999' },
      params: { prompt: 'a red kite' },
      seed: 42,
      count: 2,
      outputFormat: 'png',
    });
    const upscale = editRequest({ ...base, service: CONSERVATIVE, fit: 'downscale' });
    expect(upscale.mask).toBeUndefined();
    expect(upscale.fit).toBe('downscale');
    // Fast upscale takes no seed (AWS's page lists none): a seed typed earlier is not sent.
    expect(editRequest({ ...base, service: FAST, seed: '42' }).seed).toBeUndefined();
  });
});

describe('editFormErrors', () => {
  const request = (service: ImageServiceEntry, values: Record<string, string | number>, seed = '') =>
    editRequest({ service, image: UPLOAD, values, seed, count: 1, outputFormat: 'png', fit: 'reject' });

  it('passes a complete request', () => {
    expect(editFormErrors(request(INPAINT, { prompt: 'a red kite' }))).toEqual({});
  });

  it('says what is missing or wrong, by field, before anything is sent', () => {
    expect(editFormErrors(request(INPAINT, { prompt: '' }))).toEqual({
      'params.prompt': 'Prompt is needed for Inpaint.',
    });
    expect(editFormErrors(request(OUTPAINT, initialValues(OUTPAINT)))['params']).toMatch(
      /extend at least one side/i,
    );
    expect(editFormErrors(request(INPAINT, { prompt: 'x' }, 'abc'))['seed']).toMatch(/whole number/);
  });

  it('asks for the style image of style transfer', () => {
    expect(editFormErrors(request(STYLE_TRANSFER, {}))['styleImage']).toBe(
      'Style image is needed for Style transfer.',
    );
  });
});

describe('limits and sizes', () => {
  it('says what is wrong with an image outside the limits, and nothing for one within', () => {
    expect(limitViolations(INPAINT, { width: 1024, height: 768 })).toEqual([]);
    expect(limitViolations(INPAINT, { width: 3000, height: 1000 })).toEqual([
      'the aspect ratio must be between 1:2.5 and 2.5:1',
    ]);
    expect(limitViolations(FAST, { width: 2048, height: 2048 })).toEqual([
      'the image must have at most 1,048,576 px',
      'each side must be at most 1,536 px',
    ]);
    expect(limitViolations(CREATIVE, { width: 40, height: 40 })).toContain(
      'each side must be at least 64 px',
    );
  });

  it('states the limits in one line', () => {
    expect(limitsText(FAST)).toBe('sides 32–1,536 px, 1,024–1,048,576 px in all');
    expect(limitsText(INPAINT)).toBe(
      'sides at least 64 px, 4,096–9,437,184 px in all, aspect 1:2.5 to 2.5:1',
    );
  });

  it('gives the size of the result: an upscale, an outpaint, an edit', () => {
    expect(sizeText(expectedOutputSize(FAST, { width: 800, height: 600 }, {}) ?? NONE)).toBe(
      '3200 × 2400 px',
    );
    expect(sizeText(expectedOutputSize(CONSERVATIVE, { width: 1024, height: 512 }, {}) ?? NONE)).toBe(
      '4096 × 2048 px',
    );
    expect(
      expectedOutputSize(OUTPAINT, { width: 512, height: 512 }, { left: 100, right: 0, up: 50, down: 0 }),
    ).toEqual({ width: 612, height: 562 });
    expect(expectedOutputSize(INPAINT, { width: 512, height: 384 }, {})).toEqual({ width: 512, height: 384 });
  });

  it('gives no size for an image the server will fit first (it decides the exact size)', () => {
    expect(expectedOutputSize(FAST, { width: 2048, height: 2048 }, {})).toBeUndefined();
  });
});
