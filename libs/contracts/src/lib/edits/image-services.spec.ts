import { ProblemDetails } from '../errors/problem-details';
import {
  editParent,
  inputLimitBreaches,
  inputLimitViolations,
  isJobInputRef,
  UPLOAD_ID_PATTERN,
  validateEditImageRequest,
} from './edit-image-request';
import {
  findImageService,
  IMAGE_SERVICES,
  SERVICE_IMAGE_LIMITS,
  serviceInvokeArns,
  serviceOutputSize,
  STYLE_PRESETS,
} from './image-services';

/** The problem of a refused validation (the test fails if it was accepted). */
function problemOf(result: { ok: true } | { ok: false; problem: ProblemDetails }): ProblemDetails {
  if (result.ok) throw new Error('expected a refusal');
  return result.problem;
}

const UPLOAD = 'up0123456789abcdef';
const INPAINT = 'stability.stable-image-inpaint-v1:0';

describe('image service catalog', () => {
  it('lists the thirteen Image Services behind the US profile, and SD3.5 Large image-to-image', () => {
    const profiled = IMAGE_SERVICES.filter((s) => s.routing.profile === 'us');
    expect(profiled).toHaveLength(13);
    for (const s of profiled) expect(s.invokeId).toBe(`us.${s.id}`);
    expect(findImageService('stability.sd3-5-large-v1:0')?.kind).toBe('image-to-image');
  });

  it('gives every service an AWS documentation page and a dated price', () => {
    for (const s of IMAGE_SERVICES) {
      expect(s.source.url).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(s.price.perImageUsd).toBeGreaterThan(0);
      expect(s.price.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(STYLE_PRESETS).toHaveLength(17);
  });

  it('needs the profile ARN in the source region and the model ARN in each destination region, nothing wider', () => {
    const arns = serviceInvokeArns(findImageService(INPAINT)!, '123456789012');
    expect(arns).toEqual([
      'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.stability.stable-image-inpaint-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/stability.stable-image-inpaint-v1:0',
      'arn:aws:bedrock:us-east-2::foundation-model/stability.stable-image-inpaint-v1:0',
      'arn:aws:bedrock:us-west-2::foundation-model/stability.stable-image-inpaint-v1:0',
    ]);
    expect(arns.join()).not.toContain('*');
  });

  it('predicts the output size of each geometry', () => {
    const input = { width: 800, height: 600 };
    expect(
      serviceOutputSize(findImageService('stability.stable-outpaint-v1:0')!, input, { left: 100, up: 50 }),
    ).toEqual({ width: 900, height: 650 });
    expect(serviceOutputSize(findImageService('stability.stable-fast-upscale-v1:0')!, input)).toEqual({
      width: 3200,
      height: 2400,
    });
    expect(serviceOutputSize(findImageService('stability.stable-conservative-upscale-v1:0')!, input)).toEqual(
      { width: 4096, height: 3072 },
    );
    expect(serviceOutputSize(findImageService(INPAINT)!, input)).toEqual(input);
  });

  it('says why an image is outside the limits', () => {
    expect(inputLimitViolations({ width: 1024, height: 1024 }, SERVICE_IMAGE_LIMITS)).toEqual([]);
    expect(inputLimitViolations({ width: 4000, height: 3000 }, SERVICE_IMAGE_LIMITS)).toEqual([
      'the image must have at most 9,437,184 px',
    ]);
    expect(inputLimitViolations({ width: 1000, height: 200 }, SERVICE_IMAGE_LIMITS)).toContain(
      'the aspect ratio must be between 1:2.5 and 2.5:1',
    );
  });

  it('allows an image exactly at an edge of the limits and breaks one pixel past it, worst breach first', () => {
    // 2.5:1 and 1:2.5 exactly are allowed (AWS: "aspect ratio between 1:2.5 and 2.5:1"); one pixel more is not
    expect(inputLimitBreaches({ width: 1000, height: 400 }, SERVICE_IMAGE_LIMITS)).toEqual([]);
    expect(inputLimitBreaches({ width: 400, height: 1000 }, SERVICE_IMAGE_LIMITS)).toEqual([]);
    expect(inputLimitBreaches({ width: 1001, height: 400 }, SERVICE_IMAGE_LIMITS)).toEqual(['aspect']);
    expect(inputLimitBreaches({ width: 64, height: 64 }, SERVICE_IMAGE_LIMITS)).toEqual([]);
    expect(inputLimitBreaches({ width: 5000, height: 63 }, SERVICE_IMAGE_LIMITS)).toEqual([
      'minSide',
      'aspect',
    ]);
    expect(inputLimitBreaches({ width: 6000, height: 5000 }, SERVICE_IMAGE_LIMITS)).toEqual(['maxPixels']);
  });
});

describe('validateEditImageRequest', () => {
  it('fills in the defaults and keeps only the fields the service takes', () => {
    const result = validateEditImageRequest({
      serviceId: INPAINT,
      image: { uploadId: UPLOAD },
      mask: { uploadId: UPLOAD },
      params: { prompt: 'a red door', grow_mask: 3 },
    });
    expect(result.ok && result.value).toMatchObject({
      modelId: INPAINT,
      prompt: 'a red door',
      count: 1,
      outputFormat: 'png',
      edit: { serviceId: INPAINT, params: { prompt: 'a red door', grow_mask: 3 }, fit: 'reject' },
    });
    expect(UPLOAD_ID_PATTERN.test(UPLOAD)).toBe(true);
  });

  it('refuses out-of-range fields, missing inputs and fields the service does not take', () => {
    const result = validateEditImageRequest({
      serviceId: INPAINT,
      params: { prompt: ' ', grow_mask: 21, creativity: 0.5 },
    });
    const fields = problemOf(result).errors?.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['image', 'params.prompt', 'params.grow_mask', 'params.creativity']),
    );
  });

  it('needs at least one outpaint side and refuses a generated image as a mask', () => {
    const noSide = validateEditImageRequest({
      serviceId: 'stability.stable-outpaint-v1:0',
      image: { uploadId: UPLOAD },
    });
    expect(problemOf(noSide).errors?.[0]?.rule).toBe('outpaintSide');
    const badMask = validateEditImageRequest({
      serviceId: INPAINT,
      image: { uploadId: UPLOAD },
      mask: { generationId: '0123456789abc', imageId: 'abcdef12' },
      params: { prompt: 'x' },
    });
    expect(problemOf(badMask).errors?.[0]?.field).toBe('mask');
  });

  it('names the parent of an edit made from a generated image', () => {
    const result = validateEditImageRequest({
      serviceId: 'stability.stable-fast-upscale-v1:0',
      image: { generationId: '0123456789abc', imageId: 'abcdef12' },
    });
    expect(result.ok && editParent(result.value)).toEqual({
      generationId: '0123456789abc',
      imageId: 'abcdef12',
    });
    expect(problemOf(validateEditImageRequest({ serviceId: 'nope', image: { uploadId: UPLOAD } })).code).toBe(
      'VALIDATION_FAILED',
    );
  });

  describe("an earlier edit's kept input ({ generationId, input })", () => {
    const STYLE = 'stability.stable-style-transfer-v1:0';

    it('is accepted as the image and as the style image, and is no lineage parent', () => {
      const result = validateEditImageRequest({
        serviceId: STYLE,
        image: { generationId: '0123456789abc', input: 'image' },
        styleImage: { generationId: '0123456789abc', input: 'styleImage' },
      });
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.edit?.styleImage).toEqual({ generationId: '0123456789abc', input: 'styleImage' });
      expect(result.value.edit && isJobInputRef(result.value.edit.image)).toBe(true);
      // A copy of an upload, not an image that job made: no "made from" link to it.
      expect(editParent(result.value)).toBeUndefined();
    });

    it('names the field of a malformed one with a stable rule', () => {
      const errorsOf = (image: unknown) =>
        problemOf(validateEditImageRequest({ serviceId: INPAINT, image, params: { prompt: 'x' } })).errors;
      expect(errorsOf({ generationId: '0123456789abc', input: 'mask' })).toEqual([
        expect.objectContaining({ field: 'image.input', rule: 'isIn' }),
      ]);
      expect(errorsOf({ generationId: '../other', input: 'image' })).toEqual([
        expect.objectContaining({ field: 'image.generationId', rule: 'matches' }),
      ]);
      expect(errorsOf({ generationId: '0123456789abc', input: 'image', imageId: 'abcdef12' })).toEqual([
        expect.objectContaining({ field: 'image', rule: 'isImageRef' }),
      ]);
    });

    it('is refused as a mask (a mask is painted anew)', () => {
      const result = validateEditImageRequest({
        serviceId: INPAINT,
        image: { uploadId: UPLOAD },
        mask: { generationId: '0123456789abc', input: 'image' },
        params: { prompt: 'x' },
      });
      expect(problemOf(result).errors).toEqual([
        expect.objectContaining({ field: 'mask', rule: 'isImageRef' }),
      ]);
    });
  });
});
