import { ASPECT_RATIOS, ModelCatalogEntry, OUTPUT_FORMATS } from '@imagegen/contracts';

/**
 * Validates a stability-v2 invoke body the way Bedrock does (its own checks, not our request
 * builders: a wrong builder must not be "confirmed" by its own mirror). Answers Bedrock-style
 * messages naming the field, or undefined when the body is fine.
 */
export function stabilityV2BodyProblem(body: unknown, model: ModelCatalogEntry): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'Malformed input request: expected type: JSONObject';
  const b = body as Record<string, unknown>;
  const allowed = new Set([
    'prompt',
    'negative_prompt',
    'mode',
    'aspect_ratio',
    'seed',
    'output_format',
    'image',
    'strength',
  ]);
  const extra = Object.keys(b).filter((k) => !allowed.has(k));
  if (extra.length)
    return `Malformed input request: #: extraneous key [${extra[0]}] is not permitted, please reformat your input and try again.`;
  if (typeof b['prompt'] !== 'string' || b['prompt'].length === 0)
    return 'Malformed input request: #: required key [prompt] not found';
  if (b['prompt'].length > model.prompt.maxLength) {
    return `Malformed input request: #/prompt: expected maxLength: ${model.prompt.maxLength}, actual: ${b['prompt'].length}`;
  }
  const negative = b['negative_prompt'];
  if (negative !== undefined) {
    if (!model.negativePrompt.supported)
      return 'Malformed input request: #: extraneous key [negative_prompt] is not permitted';
    if (typeof negative !== 'string' || negative.length > model.negativePrompt.maxLength) {
      return `Malformed input request: #/negative_prompt: expected type String of maxLength ${model.negativePrompt.maxLength}`;
    }
  }
  if (b['mode'] !== undefined && b['mode'] !== 'text-to-image')
    return 'Malformed input request: #/mode: text-to-image is the only mode this model takes without an image';
  const ratio = b['aspect_ratio'];
  if (ratio !== undefined && !(ASPECT_RATIOS as readonly unknown[]).includes(ratio)) {
    return `Malformed input request: #/aspect_ratio: ${JSON.stringify(ratio)} is not a valid enum value`;
  }
  const seed = b['seed'];
  if (
    seed !== undefined &&
    !(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= 4_294_967_294)
  ) {
    return 'Malformed input request: #/seed: expected an integer from 0 to 4294967294';
  }
  const format = b['output_format'];
  if (format !== undefined && !(OUTPUT_FORMATS as readonly unknown[]).includes(format)) {
    return `Malformed input request: #/output_format: ${JSON.stringify(format)} is not a valid enum value`;
  }
  return undefined;
}
