import {
  ASPECT_RATIOS,
  callableModels,
  GENERATION_STATUSES,
  OUTPUT_FORMATS,
  REQUEST_LIMITS,
} from '@imagegen/contracts';

const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDetails' } as const;

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
      description: 'the images made so far, by index (a running job with count > 1 fills in as they arrive)',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          index: { type: 'integer', minimum: 0, description: 'which of the `count` images this is' },
          url: { type: 'string', format: 'uri', description: 'presigned S3 GET URL, minted on every read' },
          thumbnailUrl: {
            type: 'string',
            format: 'uri',
            description: 'presigned URL of a small WebP of the image',
          },
          urlExpiresAt: { type: 'string', format: 'date-time' },
          width: { type: 'integer' },
          height: { type: 'integer' },
          seed: { type: 'integer' },
          bytes: { type: 'integer' },
          format: { type: 'string', enum: [...OUTPUT_FORMATS] },
        },
      },
    },
    failures: {
      type: 'array',
      description: 'images that could not be made, and why (the others are kept)',
      items: {
        type: 'object',
        properties: { index: { type: 'integer' }, seed: { type: 'integer' }, error: PROBLEM_REF },
      },
    },
    error: PROBLEM_REF,
    durationMs: { type: 'integer' },
    estimatedCostUsd: { type: 'number', description: 'catalog price × images asked for' },
    costUsd: {
      type: 'number',
      description: 'catalog price × images made, once ended (0 for a repeat from the store)',
    },
    engine: { type: 'string', enum: ['bedrock', 'offline'] },
    source: {
      type: 'string',
      enum: ['model', 'store'],
      description: '`store`: a repeat answered from the images of `repeatOf`',
    },
    repeatOf: { type: 'string' },
    expiresAt: {
      type: 'string',
      format: 'date-time',
      description: 'when the job and its images are removed',
    },
  },
} as const;

export const GENERATION_PAGE_SCHEMA = {
  type: 'object',
  properties: {
    items: { type: 'array', items: GENERATION_SCHEMA },
    nextCursor: {
      type: 'string',
      description: 'pass as `cursor` for the next page; absent on the last page',
    },
  },
} as const;

const ETA_SCHEMA = {
  type: 'object',
  properties: {
    p50Seconds: { type: 'number' },
    p90Seconds: { type: 'number' },
    samples: { type: 'integer', description: 'images measured (0: the figures are the catalog’s)' },
    source: { type: 'string', enum: ['measured', 'catalog'] },
    parallelism: { type: 'integer', description: 'images of one job made at once' },
  },
} as const;

export const MODEL_INFO_SCHEMA = {
  type: 'object',
  description:
    'A catalog entry (limits, sizes, price with its date and source) with what this deployment can do with it now',
  properties: {
    id: { type: 'string' },
    displayName: { type: 'string' },
    provider: { type: 'string' },
    description: { type: 'string' },
    lifecycle: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['active', 'legacy', 'retired'] },
        legacyDate: { type: 'string' },
        endOfLifeDate: { type: 'string' },
      },
    },
    prompt: {
      type: 'object',
      properties: { minLength: { type: 'integer' }, maxLength: { type: 'integer' } },
    },
    aspectRatios: { type: 'array', items: { type: 'string', enum: [...ASPECT_RATIOS] } },
    outputFormats: { type: 'array', items: { type: 'string', enum: [...OUTPUT_FORMATS] } },
    maxCount: { type: 'integer' },
    price: {
      type: 'object',
      properties: { perImageUsd: { type: 'number' }, asOf: { type: 'string' }, source: { type: 'string' } },
    },
    available: { type: 'boolean', description: 'whether a request for it may be sent' },
    availability: {
      type: 'string',
      enum: ['available', 'no-access', 'wrong-region', 'retired', 'unknown'],
      description: '`unknown` when the generator could not be asked (the BFF then answers from its catalog)',
    },
    unavailableReason: { type: 'string', description: 'why not, in words a person can act on' },
    eta: ETA_SCHEMA,
  },
} as const;

export const OWNER_SUMMARY_SCHEMA = {
  type: 'object',
  properties: {
    retentionDays: { type: 'integer', description: 'days a job and its images are kept' },
    presignExpirySeconds: { type: 'integer', description: 'lifetime of an image link' },
    month: { type: 'string', description: 'the calendar month (UTC) of the totals, YYYY-MM' },
    spentUsd: { type: 'number', description: "cost of the owner's jobs that ended this month" },
    images: { type: 'integer', description: 'images made by the model this month' },
  },
} as const;

const problemResponse = (status: number, description: string) => ({
  status,
  description,
  content: { 'application/problem+json': { schema: PROBLEM_REF } },
});

/** Problem answers shared by the routes (the body is always ProblemDetails with a stable `code`). */
export const PROBLEM_RESPONSES = {
  invalid: problemResponse(
    400,
    'VALIDATION_FAILED: the request (body, query or Idempotency-Key) is not valid; `errors` names each field',
  ),
  notFound: problemResponse(
    404,
    "NOT_FOUND: no such job for this owner (another owner's job, or an id that is not an id)",
  ),
  rateLimited: problemResponse(
    429,
    'RATE_LIMITED: too many requests from this address or owner, or too many new jobs; wait Retry-After seconds',
  ),
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
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, rule: { type: 'string' }, message: { type: 'string' } },
      },
    },
    retryAfterSeconds: { type: 'integer' },
    requestId: { type: 'string' },
  },
} as const;
