import { ServerResponse } from 'node:http';

/** Writes one of Bedrock Runtime's error answers (its `x-amzn-ErrorType` and `{"message"}`). */
export type BedrockErrorWriter = (res: ServerResponse, type: string, message: string) => void;

/** Bedrock Runtime's words for a model past its end of life, and for a body that is not JSON. */
export const END_OF_LIFE_MESSAGE =
  'This model version has reached the end of its life. Please refer to the AWS documentation for more details.';
export const MALFORMED_MESSAGE = 'Malformed input request, please reformat your input and try again.';

/**
 * The request body as JSON, or undefined once Bedrock's refusal is written: a model at its end of
 * life (ResourceNotFoundException), then a body that is not JSON (ValidationException).
 */
export function acceptedBody(
  res: ServerResponse,
  body: Buffer,
  endOfLife: boolean,
  bedrockError: BedrockErrorWriter,
): { readonly json: unknown } | undefined {
  if (endOfLife) {
    bedrockError(res, 'ResourceNotFoundException', END_OF_LIFE_MESSAGE);
    return undefined;
  }
  try {
    return { json: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    bedrockError(res, 'ValidationException', MALFORMED_MESSAGE);
    return undefined;
  }
}
