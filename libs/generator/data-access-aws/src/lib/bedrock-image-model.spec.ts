import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';

import {
  ErrorCode,
  findImageService,
  findModel,
  NormalizedGenerateImageRequest,
  ProblemError,
  validateEditImageRequest,
} from '@imagegen/contracts';

import { BedrockImageModel } from './bedrock-image-model';

const bedrock = mockClient(BedrockRuntimeClient);
const CORE = findModel('stability.stable-image-core-v1:1')!;
const REQUEST: NormalizedGenerateImageRequest = {
  modelId: CORE.id,
  prompt: 'a cat',
  aspectRatio: '1:1',
  count: 1,
  outputFormat: 'png',
};
const sut = () => new BedrockImageModel(new BedrockRuntimeClient({ region: 'us-west-2' }), 'us-west-2');

function answer(json: unknown) {
  bedrock.on(InvokeModelCommand).resolves({
    body: new TextEncoder().encode(JSON.stringify(json)) as never,
    contentType: 'application/json',
  });
}

function awsError(name: string, message = 'x'): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

async function codeOf(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(err)}`);
  return err.problem;
}

beforeEach(() => bedrock.reset());

describe(BedrockImageModel.name, () => {
  it('sends the Stability v2 body as JSON and decodes the image with the seed Bedrock used', async () => {
    answer({ seeds: [99], finish_reasons: [null], images: [Buffer.from('png-bytes').toString('base64')] });

    const image = await sut().generate(CORE, REQUEST, 7);

    expect(Buffer.from(image.bytes).toString()).toBe('png-bytes');
    expect(image).toMatchObject({ seed: 99, engine: 'bedrock' });
    const input = bedrock.commandCalls(InvokeModelCommand)[0].args[0].input;
    expect(input).toMatchObject({
      modelId: CORE.id,
      contentType: 'application/json',
      accept: 'application/json',
    });
    expect(JSON.parse(new TextDecoder().decode(input.body as Uint8Array))).toEqual({
      prompt: 'a cat',
      mode: 'text-to-image',
      aspect_ratio: '1:1',
      seed: 7,
      output_format: 'png',
    });
  });

  it('turns a filtered answer (HTTP 200) into CONTENT_FILTERED', async () => {
    answer({ seeds: [1], finish_reasons: ['Filter reason: prompt'] });
    const p = await codeOf(sut().generate(CORE, REQUEST, 1));
    expect(p.code).toBe(ErrorCode.CONTENT_FILTERED);
    expect(p.detail).toContain('edit the prompt');
  });

  it('turns an unreadable body into MODEL_UNAVAILABLE', async () => {
    bedrock.on(InvokeModelCommand).resolves({ body: new TextEncoder().encode('<html>') as never });
    expect((await codeOf(sut().generate(CORE, REQUEST, 1))).code).toBe(ErrorCode.MODEL_UNAVAILABLE);
  });

  it.each([
    [
      'AccessDeniedException',
      'You don’t have access to the model',
      ErrorCode.MODEL_ACCESS_DENIED,
      /AWS Marketplace subscription.*aws-marketplace:Subscribe/,
    ],
    [
      'ResourceNotFoundException',
      'This model version has reached the end of its life',
      ErrorCode.MODEL_RETIRED,
      /no longer served/,
    ],
    [
      'ValidationException',
      'The provided model identifier is invalid.',
      ErrorCode.MODEL_UNAVAILABLE,
      /BEDROCK_REGION to us-west-2/,
    ],
    [
      'ValidationException',
      'This request has been blocked by our content filters.',
      ErrorCode.CONTENT_FILTERED,
      /content filter/,
    ],
    [
      'ValidationException',
      'Malformed input request: #: extraneous key [steps]',
      ErrorCode.VALIDATION_FAILED,
      /extraneous key/,
    ],
    ['ThrottlingException', 'Too many requests', ErrorCode.MODEL_THROTTLED, /busy/],
    ['ServiceQuotaExceededException', 'quota', ErrorCode.MODEL_THROTTLED, /busy/],
    ['ModelNotReadyException', 'not ready', ErrorCode.MODEL_THROTTLED, /busy/],
    ['ModelTimeoutException', 'timed out', ErrorCode.MODEL_TIMEOUT, /too long/],
    ['TimeoutError', 'socket timeout', ErrorCode.MODEL_TIMEOUT, /too long/],
    ['ModelErrorException', 'model error', ErrorCode.MODEL_UNAVAILABLE, /unavailable/],
    ['InternalServerException', 'oops', ErrorCode.MODEL_UNAVAILABLE, /unavailable/],
    ['ServiceUnavailableException', 'down', ErrorCode.MODEL_UNAVAILABLE, /unavailable/],
  ])('maps %s (%s) to its code with a message naming the fix', async (name, message, code, detail) => {
    bedrock.on(InvokeModelCommand).rejects(awsError(name, message));
    const p = await codeOf(sut().generate(CORE, REQUEST, 1));
    expect(p.code).toBe(code);
    expect(p.detail).toMatch(detail);
  });

  it('says when to retry a throttled model', async () => {
    bedrock.on(InvokeModelCommand).rejects(awsError('ThrottlingException'));
    expect((await codeOf(sut().generate(CORE, REQUEST, 1))).retryAfterSeconds).toBeGreaterThan(0);
  });

  describe('an image service', () => {
    const INPAINT = findImageService('stability.stable-image-inpaint-v1:0')!;
    const validated = validateEditImageRequest({
      serviceId: INPAINT.id,
      image: { uploadId: 'up0123456789abc' },
      mask: { uploadId: 'up0123456789abd' },
      params: { prompt: 'a red door' },
    });
    if (!validated.ok) throw new Error('invalid edit');
    const inputs = {
      image: { bytes: new TextEncoder().encode('image-bytes'), width: 64, height: 64, hasAlpha: false },
      mask: new TextEncoder().encode('mask-bytes'),
    };

    it('invokes the us. inference profile with the images as base64 and the answer decoded', async () => {
      answer({ seeds: [5], finish_reasons: [null], images: [Buffer.from('edited').toString('base64')] });
      const image = await sut().edit(INPAINT, validated.value, 5, inputs);
      expect(Buffer.from(image.bytes).toString()).toBe('edited');
      const input = bedrock.commandCalls(InvokeModelCommand)[0].args[0].input;
      expect(input.modelId).toBe('us.stability.stable-image-inpaint-v1:0');
      expect(JSON.parse(new TextDecoder().decode(input.body as Uint8Array))).toEqual({
        image: Buffer.from('image-bytes').toString('base64'),
        mask: Buffer.from('mask-bytes').toString('base64'),
        prompt: 'a red door',
        seed: 5,
        output_format: 'png',
      });
    });

    it('says the image was blocked when the input-image filter caught it, apart from the prompt filter', async () => {
      answer({ seeds: [1], finish_reasons: ['Filter reason: input image'] });
      const input = await codeOf(sut().edit(INPAINT, validated.value, 1, inputs));
      expect(input).toMatchObject({ code: ErrorCode.INPUT_IMAGE_FILTERED, status: 422 });
      expect(input.detail).toMatch(/your image was blocked/i);
      answer({ seeds: [1], finish_reasons: ['Filter reason: prompt'] });
      expect((await codeOf(sut().edit(INPAINT, validated.value, 1, inputs))).code).toBe(
        ErrorCode.CONTENT_FILTERED,
      );
    });

    it('names the service when Bedrock refuses the call', async () => {
      bedrock.on(InvokeModelCommand).rejects(awsError('AccessDeniedException'));
      const p = await codeOf(sut().edit(INPAINT, validated.value, 1, inputs));
      expect(p.code).toBe(ErrorCode.MODEL_ACCESS_DENIED);
      expect(p.detail).toContain('Inpaint');
    });
  });
});
