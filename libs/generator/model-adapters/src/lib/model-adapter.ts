import { ImageEngine, ModelFamily, NormalizedGenerateImageRequest } from '@imagegen/contracts';

/** What a model's response body means, whatever its family's wire shape. */
export type ParsedModelResponse =
  | { readonly kind: 'image'; readonly base64: string; readonly seed?: number; readonly engine: ImageEngine }
  | { readonly kind: 'filtered'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

/** Pure request builder and response parser for one model family: no AWS client inside. */
export interface ModelAdapter {
  readonly family: ModelFamily;
  buildRequest(request: NormalizedGenerateImageRequest, seed: number): Record<string, unknown>;
  parseResponse(body: unknown): ParsedModelResponse;
}

/** The local stand-in marks its answers with this field; real Bedrock never sends it. */
export const OFFLINE_ENGINE_MARKER = 'x_imagegen_engine';

export function engineOf(body: Record<string, unknown>): ImageEngine {
  return body[OFFLINE_ENGINE_MARKER] === 'offline' ? 'offline' : 'bedrock';
}
