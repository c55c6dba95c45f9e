import type { TextStreamEvent, TextStreamPort, TextStreamRequest } from '@imagegen/bff/feature-assistant';

/**
 * A scripted text model for the BFF's specs: `answer` is streamed a word at a time; each word waits for
 * `gate` when set (so a test decides when the next word comes); `refuse` rejects before streaming.
 */
export class FakeTextStream implements TextStreamPort {
  answer =
    'PROMPT: A red cat on a roof at sunset, soft light\nNEGATIVE: blurry\nCHANGE: Translated from French.';
  usage: { inputTokens: number; outputTokens: number } | undefined = { inputTokens: 200, outputTokens: 30 };
  refuse?: Error;
  gate?: () => Promise<void>;
  readonly requests: TextStreamRequest[] = [];
  readonly signals: AbortSignal[] = [];

  async open(request: TextStreamRequest, signal: AbortSignal): Promise<AsyncIterable<TextStreamEvent>> {
    this.requests.push(request);
    this.signals.push(signal);
    if (this.refuse) throw this.refuse;
    const words = this.answer.match(/\S+\s*/g) ?? [];
    const { usage, gate } = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (const w of words) {
          if (gate)
            await Promise.race([
              gate(),
              new Promise((_, reject) =>
                signal.addEventListener('abort', () =>
                  reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
                ),
              ),
            ]);
          if (signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
          yield { type: 'text', text: w };
        }
        yield { type: 'stop', reason: 'end_turn' };
        if (usage) yield { type: 'usage', ...usage };
      },
    };
  }
}
