import { IncomingMessage, ServerResponse } from 'node:http';

import { sleep } from '@imagegen/local-cloud/util-http';

import { AWS_TEXT_MODEL_RULES, AwsTextModelRules, findTextModelRules } from './aws-text-model-rules';
import { acceptedBody, BedrockErrorWriter, MALFORMED_MESSAGE } from './bedrock-refusals';
import { encodeEvent } from './event-stream';
import { offlineSuggestion, streamPieces } from './offline-writer';

/** What the local ConverseStream has served (for tests and the admin endpoint). */
export interface ConverseStreamStats {
  /** Streams that started answering (200 and a first event). */
  readonly converseStreams: number;
  /** Streams that sent every event through the metadata one. */
  readonly converseStreamsCompleted: number;
  /** Streams whose caller closed the connection before the end: the model stopped writing. */
  readonly converseStreamsAborted: number;
}

export interface ConverseStreamOptions {
  /** Pause between two streamed pieces (a word each), so that streaming is observable; default 25 ms. */
  readonly chunkDelayMs?: number;
  /** The text models served and Bedrock's rules for them (default: AWS_TEXT_MODEL_RULES). */
  readonly models?: readonly AwsTextModelRules[];
}

interface ConverseBody {
  readonly messages: readonly {
    readonly role: string;
    readonly content: readonly { readonly text?: string }[];
  }[];
  readonly system?: readonly { readonly text?: string }[];
  readonly inferenceConfig?: {
    readonly maxTokens?: number;
    readonly temperature?: number;
    readonly topP?: number;
  };
}

/**
 * What Bedrock refuses in a Converse request before it streams (ValidationException), per the API
 * reference (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html):
 * messages is required, roles are user or assistant, the conversation starts with a user turn, every
 * message has content; inferenceConfig.maxTokens ≥ 1, temperature and topP in [0, 1].
 */
export function converseBodyProblem(json: unknown, model: AwsTextModelRules): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return MALFORMED_MESSAGE;
  const b = json as Partial<ConverseBody>;
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  for (const [i, m] of b.messages.entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant')
      return `1 validation error detected: Value at 'messages.${i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`;
    if (!Array.isArray(m.content) || m.content.length === 0)
      return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
  }
  if (b.messages[0].role !== 'user')
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  if (b.system !== undefined && !Array.isArray(b.system)) return MALFORMED_MESSAGE;
  const cfg = b.inferenceConfig ?? {};
  if (cfg.maxTokens !== undefined && (!Number.isInteger(cfg.maxTokens) || cfg.maxTokens < 1))
    return "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1";
  if (cfg.maxTokens !== undefined && cfg.maxTokens > model.maxOutputTokens)
    return `The maximum tokens you requested exceeds the model limit of ${model.maxOutputTokens}. Try again with a maximum tokens value that is lower than ${model.maxOutputTokens}.`;
  for (const key of ['temperature', 'topP'] as const) {
    const v = cfg[key];
    if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1))
      return `1 validation error detected: Value at 'inferenceConfig.${key}' failed to satisfy constraint: Member must have value less than or equal to 1`;
  }
  return undefined;
}

/**
 * The local ConverseStream (`POST /model/{modelId}/converse-stream`) for AWS_TEXT_MODEL_RULES' models,
 * called by their inference profile id or foundation model id. It answers 200 with an
 * `application/vnd.amazon.eventstream` body: messageStart, one contentBlockDelta per word of the
 * offline writer's answer (a pause between them), contentBlockStop, messageStop and metadata (token
 * counts: about four characters a token). When the caller closes the connection it stops writing.
 */
export function converseStreamHandler(options: ConverseStreamOptions = {}) {
  const models = options.models ?? AWS_TEXT_MODEL_RULES;
  const delay = options.chunkDelayMs ?? 25;
  let started = 0;
  let completed = 0;
  let aborted = 0;

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    modelId: string,
    body: Buffer,
    bedrockError: BedrockErrorWriter,
  ): Promise<void> {
    const model = findTextModelRules(models, modelId);
    if (!model) return bedrockError(res, 'ValidationException', 'The provided model identifier is invalid.');
    const accepted = acceptedBody(res, body, model.lifecycle === 'end-of-life', bedrockError);
    if (!accepted) return;
    const { json } = accepted;
    const problem = converseBodyProblem(json, model);
    if (problem) return bedrockError(res, 'ValidationException', problem);
    const b = json as ConverseBody;
    const system = (b.system ?? []).map((s) => s.text ?? '').join('\n');
    const lastUser = [...b.messages].reverse().find((m) => m.role === 'user');
    const user = (lastUser?.content ?? []).map((c) => c.text ?? '').join('\n');
    const maxChars = (b.inferenceConfig?.maxTokens ?? model.maxOutputTokens) * 4;
    const full = offlineSuggestion(system, user);
    const answer = full.slice(0, maxChars);
    const stopReason = answer.length < full.length ? 'max_tokens' : 'end_turn';

    const began = Date.now();
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) closed = true;
    });
    started++;
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': crypto.randomUUID(),
    });
    res.write(encodeEvent('messageStart', { role: 'assistant' }));
    for (const piece of streamPieces(answer)) {
      await sleep(delay);
      if (closed) {
        aborted++;
        return;
      }
      res.write(encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } }));
    }
    res.write(encodeEvent('contentBlockStop', { contentBlockIndex: 0 }));
    res.write(encodeEvent('messageStop', { stopReason }));
    const inputTokens = Math.ceil((system.length + user.length) / 4);
    const outputTokens = Math.ceil(answer.length / 4);
    res.end(
      encodeEvent('metadata', {
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        metrics: { latencyMs: Date.now() - began },
      }),
    );
    completed++;
  }

  return {
    handle,
    stats: (): ConverseStreamStats => ({
      converseStreams: started,
      converseStreamsCompleted: completed,
      converseStreamsAborted: aborted,
    }),
  };
}
