import { ErrorCode, ModelCatalogEntry, ProblemError } from '@imagegen/contracts';

const THROTTLE_RETRY_AFTER_SECONDS = 10;

function detailOf(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

/** What an error names: the model (or image service) called, and the region it is served from. */
export type InvokedModel = Pick<ModelCatalogEntry, 'id' | 'displayName' | 'region'>;

/**
 * Maps what the Bedrock Runtime client throws to the stable codes, with a message that names the
 * fix. Names from MODELS.md; anything unknown is MODEL_UNAVAILABLE, never a raw AWS message.
 */
export function bedrockProblem(err: unknown, model: InvokedModel, clientRegion: string): ProblemError {
  const name = err instanceof Error ? err.name : '';
  const message = detailOf(err);
  switch (name) {
    case 'AccessDeniedException':
      return ProblemError.of(
        ErrorCode.MODEL_ACCESS_DENIED,
        `${model.displayName} (${model.id}) refused this AWS account in ${clientRegion}. The first call to a third-party model starts its AWS Marketplace subscription (up to 15 minutes), which needs aws-marketplace:Subscribe, Unsubscribe and ViewSubscriptions on the worker role and a payment method on the account; check those and that the worker role may call bedrock:InvokeModel on it, then try again in a few minutes.`,
      );
    case 'ResourceNotFoundException':
      return ProblemError.of(
        ErrorCode.MODEL_RETIRED,
        `${model.displayName} (${model.id}) is no longer served by Amazon Bedrock: choose another model.`,
      );
    case 'ValidationException':
      if (/model identifier is invalid/i.test(message)) {
        return ProblemError.of(
          ErrorCode.MODEL_UNAVAILABLE,
          `${model.displayName} is not offered in ${clientRegion}: set BEDROCK_REGION to ${model.region}.`,
        );
      }
      if (/content filter/i.test(message)) {
        return ProblemError.of(
          ErrorCode.CONTENT_FILTERED,
          'Blocked by the content filter: edit the prompt and try again.',
        );
      }
      return ProblemError.of(ErrorCode.VALIDATION_FAILED, `Amazon Bedrock rejected the request: ${message}`);
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
    case 'ModelNotReadyException':
    case 'TooManyRequestsException':
      return ProblemError.of(
        ErrorCode.MODEL_THROTTLED,
        `${model.displayName} is busy (too many requests for this account): try again shortly.`,
        { retryAfterSeconds: THROTTLE_RETRY_AFTER_SECONDS },
      );
    case 'ModelTimeoutException':
    case 'TimeoutError':
    case 'RequestTimeout':
    case 'RequestTimeoutException':
      return ProblemError.of(
        ErrorCode.MODEL_TIMEOUT,
        `${model.displayName} took too long to answer: try again.`,
      );
    default:
      return ProblemError.of(
        ErrorCode.MODEL_UNAVAILABLE,
        `${model.displayName} is unavailable right now: try again in a moment.`,
      );
  }
}
