import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

/** One piece of a streamed answer, as the assistant needs it (Bedrock's event stream, translated). */
export type TextStreamEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'stop'; readonly reason: string }
  | { readonly type: 'usage'; readonly inputTokens: number; readonly outputTokens: number };

export interface TextStreamRequest {
  /** What Converse is given: the text model's inference profile id. */
  readonly modelId: string;
  readonly system: string;
  readonly user: string;
  readonly maxTokens: number;
}

/**
 * A text model that streams (the port): `open` resolves once the model has accepted the request (its
 * refusals, such as AccessDenied or Throttling, reject here, before anything was streamed), and the
 * events follow. Aborting `signal` closes the call.
 */
export interface TextStreamPort {
  open(request: TextStreamRequest, signal: AbortSignal): Promise<AsyncIterable<TextStreamEvent>>;
}

export const TEXT_STREAM = Symbol('TEXT_STREAM');

/**
 * Bedrock's ConverseStream (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html):
 * contentBlockDelta text → `text`, messageStop → `stop`, metadata usage → `usage`. The SDK decodes
 * the event-stream frames; an exception event in the stream throws from the iteration.
 */
export class BedrockTextStream implements TextStreamPort {
  constructor(private readonly client: BedrockRuntimeClient) {}

  async open(request: TextStreamRequest, signal: AbortSignal): Promise<AsyncIterable<TextStreamEvent>> {
    const out = await this.client.send(
      new ConverseStreamCommand({
        modelId: request.modelId,
        system: [{ text: request.system }],
        messages: [{ role: 'user', content: [{ text: request.user }] }],
        inferenceConfig: { maxTokens: request.maxTokens, temperature: 0.3 },
      }),
      { abortSignal: signal },
    );
    const stream = out.stream;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const event of stream ?? []) {
          const text = event.contentBlockDelta?.delta?.text;
          if (text) yield { type: 'text', text };
          if (event.messageStop) yield { type: 'stop', reason: event.messageStop.stopReason ?? 'end_turn' };
          const usage = event.metadata?.usage;
          if (usage)
            yield {
              type: 'usage',
              inputTokens: usage.inputTokens ?? 0,
              outputTokens: usage.outputTokens ?? 0,
            };
        }
      },
    };
  }
}
