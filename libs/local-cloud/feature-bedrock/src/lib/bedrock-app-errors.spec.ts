import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { ErrorCode, findModel, NormalizedGenerateImageRequest, OUTPUT_FORMATS } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';
import { BedrockImageModel } from '@imagegen/generator/data-access-aws';

import { BedrockStandIn, startBedrockStandIn } from './bedrock-stand-in';

/**
 * What the app makes of a request AWS refuses: the generator's own Bedrock adapter, with the real
 * Bedrock Runtime client, against the stand-in. The catalog entry is made wrong on purpose (WebP for
 * Core, a longer prompt limit): the stand-in, which takes AWS's rules rather than the catalog's, must
 * catch it, and the app must answer its VALIDATION_FAILED problem (HTTP 400), never a 5xx.
 */
const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const CORE = findModel('stability.stable-image-core-v1:1')!;
const WRONG_CORE = { ...CORE, outputFormats: OUTPUT_FORMATS, prompt: { minLength: 1, maxLength: 20_000 } };
const REQUEST: NormalizedGenerateImageRequest = {
  modelId: CORE.id,
  prompt: 'a fox',
  aspectRatio: '1:1',
  count: 1,
  outputFormat: 'png',
};

let standIn: BedrockStandIn;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  standIn = await startBedrockStandIn({ port: 0, credentials: { ...CREDS, region: 'us-west-2' } });
  client = new BedrockRuntimeClient({
    region: 'us-west-2',
    endpoint: standIn.url,
    credentials: CREDS,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});

const problemOfModel = (request: NormalizedGenerateImageRequest, seed = 1) =>
  problemOf(new BedrockImageModel(client, 'us-west-2').generate(WRONG_CORE, request, seed));

describe('a request AWS would refuse, through the generator and the real Bedrock client', () => {
  it.each([
    ['WebP from Stable Image Core', { ...REQUEST, outputFormat: 'webp' as const }, 1, /output_format/],
    [
      'a prompt over 10,000 characters',
      { ...REQUEST, prompt: 'x'.repeat(10_001) },
      1,
      /prompt: expected maxLength/,
    ],
    ['a seed out of range', REQUEST, 4_294_967_296, /seed/],
    ['an unknown aspect ratio', { ...REQUEST, aspectRatio: '4:3' as never }, 1, /aspect_ratio/],
  ])(
    "answers %s as the app's VALIDATION_FAILED problem (400), not a 5xx",
    async (_name, request, seed, detail) => {
      const problem = await problemOfModel(request, seed);
      expect(problem).toMatchObject({ code: ErrorCode.VALIDATION_FAILED, status: 400 });
      expect(problem.detail).toMatch(detail);
    },
  );

  it('still makes the image when the request is one AWS takes', async () => {
    const image = await new BedrockImageModel(client, 'us-west-2').generate(WRONG_CORE, REQUEST, 5);
    expect(image.seed).toBe(5);
  });
});
