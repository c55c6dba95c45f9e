import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';

import {
  ErrorCode,
  ImageServiceEntry,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  ProblemError,
} from '@imagegen/contracts';
import { ImageModelPort, ModelImage, ServiceInputs } from '@imagegen/generator/domain';
import {
  adapterFor,
  buildStabilityServicesRequest,
  isInputImageFilter,
  ParsedModelResponse,
  parseStabilityServicesResponse,
} from '@imagegen/generator/model-adapters';

import { bedrockProblem, InvokedModel } from './bedrock-errors';

const base64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** InvokeModel through the family's (or the image services') pure adapter; one image per call. */
export class BedrockImageModel implements ImageModelPort {
  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly clientRegion: string,
  ) {}

  async generate(
    model: ModelCatalogEntry,
    request: NormalizedGenerateImageRequest,
    seed: number,
  ): Promise<ModelImage> {
    const adapter = adapterFor(model.family);
    if (!adapter)
      throw ProblemError.of(
        ErrorCode.MODEL_UNAVAILABLE,
        `${model.displayName} cannot be called by this version`,
      );
    return this.invoke(model, model.id, adapter.buildRequest(request, seed), adapter.parseResponse, seed);
  }

  /** An image service, invoked by its `us.` inference profile id (or SD3.5 Large by its model id). */
  async edit(
    service: ImageServiceEntry,
    request: NormalizedGenerateImageRequest,
    seed: number,
    inputs: ServiceInputs,
  ): Promise<ModelImage> {
    const body = buildStabilityServicesRequest(service, request, seed, {
      image: base64(inputs.image.bytes),
      ...(inputs.mask ? { mask: base64(inputs.mask) } : {}),
      ...(inputs.styleImage ? { styleImage: base64(inputs.styleImage.bytes) } : {}),
    });
    const region = service.routing.profile === 'us' ? service.routing.sourceRegion : service.routing.region;
    return this.invoke(
      { id: service.id, displayName: service.displayName, region },
      service.invokeId,
      body,
      parseStabilityServicesResponse,
      seed,
    );
  }

  private async invoke(
    model: InvokedModel,
    modelId: string,
    request: Record<string, unknown>,
    parse: (body: unknown) => ParsedModelResponse,
    seed: number,
  ): Promise<ModelImage> {
    const body = new TextEncoder().encode(JSON.stringify(request));
    let raw: Uint8Array;
    try {
      const response = await this.client.send(
        new InvokeModelCommand({
          modelId,
          contentType: 'application/json',
          accept: 'application/json',
          body,
        }),
      );
      raw = response.body;
    } catch (err) {
      throw bedrockProblem(err, model, this.clientRegion);
    }

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw ProblemError.of(
        ErrorCode.MODEL_UNAVAILABLE,
        `${model.displayName} answered something unreadable: try again.`,
      );
    }
    const parsed = parse(json);
    switch (parsed.kind) {
      case 'filtered':
        // The image sent was blocked ("Filter reason: input image"): another image, not another prompt, helps.
        if (isInputImageFilter(parsed.reason))
          throw ProblemError.of(
            ErrorCode.INPUT_IMAGE_FILTERED,
            'Your image was blocked by the content filter: try another image.',
          );
        throw ProblemError.of(
          ErrorCode.CONTENT_FILTERED,
          `Blocked by the content filter (${parsed.reason.replace(/^Filter reason:\s*/i, '')}): edit the prompt and try again.`,
        );
      case 'error':
        throw ProblemError.of(
          ErrorCode.MODEL_UNAVAILABLE,
          `${model.displayName} could not make the image (${parsed.reason}): try again.`,
        );
      case 'image':
        return {
          bytes: Buffer.from(parsed.base64, 'base64'),
          seed: parsed.seed ?? seed,
          engine: parsed.engine,
        };
    }
  }
}
