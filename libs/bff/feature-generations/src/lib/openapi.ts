import { ASPECT_RATIOS, GENERATION_STATUSES, OUTPUT_FORMATS, REQUEST_LIMITS, callableModels } from '@imagegen/contracts';

/** OpenAPI schemas written from the contracts (the DTOs stay free of Swagger decorators). */
export const GENERATE_IMAGE_REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['modelId', 'prompt'],
  properties: {
    modelId: { type: 'string', enum: callableModels().map((m) => m.id) },
    prompt: { type: 'string', minLength: 1, maxLength: REQUEST_LIMITS.promptMaxLength },
    negativePrompt: { type: 'string', maxLength: REQUEST_LIMITS.promptMaxLength },
    aspectRatio: { type: 'string', enum: [...ASPECT_RATIOS] },
    seed: { type: 'integer', minimum: 0, maximum: REQUEST_LIMITS.seedMax },
    count: { type: 'integer', minimum: 1, maximum: REQUEST_LIMITS.countMax, default: 1 },
    outputFormat: { type: 'string', enum: [...OUTPUT_FORMATS], default: 'png' },
  },
} as const;

export const GENERATION_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: [...GENERATION_STATUSES] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    modelId: { type: 'string' },
    request: GENERATE_IMAGE_REQUEST_SCHEMA,
    images: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          url: { type: 'string', format: 'uri', description: 'presigned S3 GET URL, minted on every read' },
          urlExpiresAt: { type: 'string', format: 'date-time' },
          width: { type: 'integer' },
          height: { type: 'integer' },
          seed: { type: 'integer' },
          bytes: { type: 'integer' },
          format: { type: 'string', enum: [...OUTPUT_FORMATS] },
        },
      },
    },
    error: { $ref: '#/components/schemas/ProblemDetails' },
    durationMs: { type: 'integer' },
    estimatedCostUsd: { type: 'number' },
    engine: { type: 'string', enum: ['bedrock', 'offline'] },
  },
} as const;

export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } } } },
    retryAfterSeconds: { type: 'integer' },
    requestId: { type: 'string' },
  },
} as const;
