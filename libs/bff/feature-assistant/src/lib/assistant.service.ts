import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import {
  ASSISTANT_LIMITS,
  AssistantCost,
  AssistantEvent,
  assistantInstructions,
  AssistantStatus,
  checkSuggestion,
  ErrorCode,
  estimateTokens,
  findModel,
  findTextModel,
  improvePromptProblems,
  ImprovePromptRequest,
  ModelCatalogEntry,
  problem,
  ProblemDetails,
  ProblemError,
  textCostUsd,
  TextModelCatalogEntry,
  textModelUnavailableReason,
  validationProblem,
} from '@imagegen/contracts';

import { OwnerRate } from './owner-rate';
import { TEXT_STREAM, type TextStreamEvent, type TextStreamPort } from './text-stream';

/** The assistant's settings (the BFF's ASSISTANT_* environment variables). */
export interface AssistantSettings {
  /** The catalog text model (ASSISTANT_MODEL_ID). */
  readonly textModelId: string;
  /** The whole suggestion, first byte to last, or it is cut (MODEL_TIMEOUT). */
  readonly timeoutMs: number;
  /** A comment line this often keeps the stream alive through the ALB (idle timeout 60 s). */
  readonly heartbeatMs: number;
  /** Suggestions per owner per window. */
  readonly perOwner: number;
  readonly windowSeconds: number;
}

export const ASSISTANT_SETTINGS = Symbol('ASSISTANT_SETTINGS');

class AssistantTimeout extends Error {
  override readonly name = 'AssistantTimeout';
}

/** Bedrock's refusals as the page's problems (the SDK's error names: MODELS.md, "Errors"). */
function problemOf(err: unknown): ProblemDetails {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  switch (name) {
    case 'AssistantTimeout':
    case 'ModelTimeoutException':
    case 'TimeoutError':
      return problem(ErrorCode.MODEL_TIMEOUT, 'the assistant took too long: try again');
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
    case 'ModelNotReadyException':
      return {
        ...problem(ErrorCode.MODEL_THROTTLED, 'the assistant is busy: try again in a moment'),
        retryAfterSeconds: 5,
      };
    case 'AccessDeniedException':
      return problem(
        ErrorCode.MODEL_ACCESS_DENIED,
        "the BFF's role may not call the assistant's model: it needs bedrock:InvokeModelWithResponseStream on the model's inference profile and models (docs/adr/0014-prompt-assistant.md)",
      );
    case 'ResourceNotFoundException':
      return problem(
        ErrorCode.MODEL_RETIRED,
        "the assistant's model has been retired: choose a current one (ASSISTANT_MODEL_ID)",
      );
    default:
      return problem(ErrorCode.MODEL_UNAVAILABLE, 'the assistant is unavailable for a moment: try again');
  }
}

/**
 * "Improve prompt": checks the request, asks the text model through the stream port, passes each piece
 * on as a server-sent event, checks the finished answer against the image model's rules before it is
 * offered, and counts its real cost (Bedrock's token counts) in the owner's month through the generator.
 */
@Injectable()
export class AssistantService {
  private readonly log = new Logger(AssistantService.name);
  private readonly rate: OwnerRate;

  constructor(
    @Inject(TEXT_STREAM) private readonly model: TextStreamPort,
    @Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient,
    @Inject(ASSISTANT_SETTINGS) private readonly settings: AssistantSettings,
  ) {
    this.rate = new OwnerRate(settings.perOwner, settings.windowSeconds * 1000);
  }

  status(): AssistantStatus {
    const model = findTextModel(this.settings.textModelId);
    const reason = textModelUnavailableReason(model);
    return {
      available: reason === undefined,
      ...(reason ? { unavailableReason: reason } : {}),
      textModelId: this.settings.textModelId,
      ...(model ? { textModelName: model.displayName, price: model.price } : {}),
      maxInputChars: ASSISTANT_LIMITS.maxInputChars,
    };
  }

  async suggest(
    ownerId: string,
    requestId: string,
    body: unknown,
    req: Request,
    res: Response,
  ): Promise<void> {
    const errors = improvePromptProblems(body, findModel);
    if (errors.length) throw new ProblemError(validationProblem(errors));
    const { prompt, modelId } = body as ImprovePromptRequest;
    const imageModel = findModel(modelId) as ModelCatalogEntry;
    if (imageModel.lifecycle.state === 'retired')
      throw ProblemError.of(
        ErrorCode.MODEL_RETIRED,
        `${imageModel.displayName} has been retired: pick a current model`,
      );
    const textModel = findTextModel(this.settings.textModelId);
    const unavailable = textModelUnavailableReason(textModel);
    if (unavailable || !textModel)
      throw ProblemError.of(
        textModel?.lifecycle.state === 'retired' ? ErrorCode.MODEL_RETIRED : ErrorCode.MODEL_UNAVAILABLE,
        unavailable,
      );
    const allowed = this.rate.take(ownerId);
    if (!allowed.ok)
      throw ProblemError.of(
        ErrorCode.RATE_LIMITED,
        `at most ${this.settings.perOwner} suggestions every ${this.settings.windowSeconds} s`,
        { retryAfterSeconds: allowed.retryAfterSeconds },
      );

    const { system, user } = assistantInstructions(prompt, imageModel);
    const abort = new AbortController();
    let clientGone = false;
    const onClose = () => {
      if (!res.writableEnded) {
        clientGone = true;
        abort.abort();
      }
    };
    req.on('close', onClose);
    res.on('close', onClose);
    const timer = setTimeout(() => abort.abort(new AssistantTimeout()), this.settings.timeoutMs);

    let events: AsyncIterable<TextStreamEvent>;
    try {
      events = await this.model.open(
        { modelId: textModel.invoke.profileId, system, user, maxTokens: ASSISTANT_LIMITS.maxOutputTokens },
        abort.signal,
      );
    } catch (err) {
      clearTimeout(timer);
      this.log.warn({ msg: 'the assistant model refused', requestId, err: String(err) });
      throw new ProblemError(
        problemOf(abort.signal.reason instanceof AssistantTimeout ? abort.signal.reason : err),
      );
    }

    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    const send = (event: AssistantEvent) => {
      if (!res.writableEnded) res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const heartbeat = setInterval(() => {
      if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, this.settings.heartbeatMs);
    send({ type: 'start', textModelId: textModel.id, textModelName: textModel.displayName });

    let text = '';
    let usage: { inputTokens: number; outputTokens: number } | undefined;
    let failure: ProblemDetails | undefined;
    // An answer much longer than the output budget is not a prompt (and is cut at once).
    const cap = ASSISTANT_LIMITS.maxOutputTokens * 6;
    try {
      for await (const event of events) {
        if (event.type === 'text') {
          text += event.text;
          send({ type: 'delta', text: event.text });
          if (text.length > cap) {
            failure = problem(ErrorCode.SUGGESTION_REJECTED, 'the answer ran longer than a prompt');
            abort.abort();
            break;
          }
        } else if (event.type === 'usage')
          usage = { inputTokens: event.inputTokens, outputTokens: event.outputTokens };
      }
    } catch (err) {
      if (!clientGone)
        failure = problemOf(abort.signal.reason instanceof AssistantTimeout ? abort.signal.reason : err);
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timer);
    }

    const cost = this.cost(textModel, usage, system + user, text);
    if (!clientGone) {
      if (!failure) {
        const check = checkSuggestion(text, imageModel);
        if (check.ok) send({ type: 'suggestion', suggestion: check.suggestion, cost });
        else {
          this.log.warn({ msg: 'the assistant answer was not offered', requestId, reason: check.reason });
          failure = problem(ErrorCode.SUGGESTION_REJECTED, `${check.reason}: try again or rephrase`);
        }
      }
      if (failure) send({ type: 'error', problem: failure, cost });
    } else this.log.log({ msg: 'the assistant was stopped', requestId, outputChars: text.length });
    // Counted before the stream ends: a client that has read the whole answer finds its month
    // already charged, and a task stopped right after the answer cannot lose the spending.
    await this.record(ownerId, requestId, cost);
    if (!res.writableEnded) res.end();
  }

  private cost(
    model: TextModelCatalogEntry,
    usage: { inputTokens: number; outputTokens: number } | undefined,
    sent: string,
    received: string,
  ): AssistantCost {
    const tokens = usage ?? { inputTokens: estimateTokens(sent), outputTokens: estimateTokens(received) };
    return { ...tokens, costUsd: textCostUsd(model, tokens), textModelId: model.id, estimated: !usage };
  }

  /** Adds the cost to the owner's month (the generator's usage counter, like a job's images). */
  private async record(ownerId: string, requestId: string, cost: AssistantCost): Promise<void> {
    await this.generator
      .recordAssistantUsage(
        ownerId,
        {
          textModelId: cost.textModelId,
          inputTokens: cost.inputTokens,
          outputTokens: cost.outputTokens,
          estimated: cost.estimated,
        },
        requestId,
      )
      .catch((err: unknown) =>
        this.log.warn({ msg: 'could not count the assistant spending', requestId, err: String(err) }),
      );
  }
}
