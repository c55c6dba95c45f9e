import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

import { BedrockTextStream, TextStreamEvent } from './text-stream';

describe(BedrockTextStream.name, () => {
  it("translates Bedrock's stream events (text deltas, stop, usage) and passes the abort signal", async () => {
    const sent: { command: unknown; options: unknown }[] = [];
    const client = {
      send: async (command: unknown, options: unknown) => {
        sent.push({ command, options });
        return {
          stream: (async function* () {
            yield { messageStart: { role: 'assistant' } };
            yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'PROMPT: ' } } };
            yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'a cat' } } };
            yield { contentBlockStop: { contentBlockIndex: 0 } };
            yield { messageStop: { stopReason: 'end_turn' } };
            yield { metadata: { usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 }, metrics: {} } };
          })(),
        };
      },
    } as unknown as BedrockRuntimeClient;
    const signal = new AbortController().signal;
    const events: TextStreamEvent[] = [];
    const stream = await new BedrockTextStream(client).open(
      { modelId: 'us.amazon.nova-micro-v1:0', system: 'rules', user: '<idea>x</idea>', maxTokens: 400 },
      signal,
    );
    for await (const e of stream) events.push(e);
    expect(events).toEqual([
      { type: 'text', text: 'PROMPT: ' },
      { type: 'text', text: 'a cat' },
      { type: 'stop', reason: 'end_turn' },
      { type: 'usage', inputTokens: 12, outputTokens: 3 },
    ]);
    const command = sent[0].command as ConverseStreamCommand;
    expect(command.input).toMatchObject({
      modelId: 'us.amazon.nova-micro-v1:0',
      system: [{ text: 'rules' }],
      messages: [{ role: 'user', content: [{ text: '<idea>x</idea>' }] }],
      inferenceConfig: { maxTokens: 400 },
    });
    expect(sent[0].options).toEqual({ abortSignal: signal });
  });
});
