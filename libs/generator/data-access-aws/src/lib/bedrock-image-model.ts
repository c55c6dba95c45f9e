import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';

import {
  ErrorCode,
  ModelCatalogEntry,
  NormalizedGenerateImageRequest,
  ProblemError,
} from '@imagegen/contracts';
import { ImageModelPort, ModelImage } from '@imagegen/generator/domain';
import { adapterFor } from '@imagegen/generator/model-adapters';

import { bedrockProblem } from './bedrock-errors';

/** InvokeModel through the family's pure adapter; one image per call. */
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

    const body = new TextEncoder().encode(JSON.stringify(adapter.buildRequest(request, seed)));
    let raw: Uint8Array;
    try {
      const response = await this.client.send(
        new InvokeModelCommand({
          modelId: model.id,
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
    const parsed = adapter.parseResponse(json);
    switch (parsed.kind) {
      case 'filtered':
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
