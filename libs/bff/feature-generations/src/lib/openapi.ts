import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

import {
  ASPECT_RATIOS,
  BudgetStatus,
  callableModels,
  CreateUploadRequest,
  EditImageRequest,
  EditInputImage,
  ERROR_CODES,
  ErrorCode,
  FieldError,
  FIT_MODES,
  GeneratedImage,
  GenerateImageRequest,
  Generation,
  GENERATION_STATUSES,
  GenerationPage,
  IMAGE_SERVICES,
  ImageFailure,
  JOB_INPUT_NAMES,
  ModelEta,
  ModelInfo,
  NormalizedEdit,
  NormalizedGenerateImageRequest,
  OUTPUT_FORMATS,
  OwnerSummary,
  ProblemDetails,
  QueueStatus,
  ServiceInfo,
  UPLOAD_CONTENT_TYPES,
  UPLOAD_ID_PATTERN,
  UPLOAD_MAX_BYTES,
  UploadedImage,
  UploadTicket,
} from '@imagegen/contracts';

/** An OpenAPI 3 schema object (only what the documents below use). */
export type Schema = Readonly<Record<string, unknown>>;

/**
 * An object schema whose `properties` name every property of the contract type `T` and none it lacks:
 * the compiler keeps the document and the contracts in step (a field added to `Generation` and not
 * documented here, or documented and since removed, is a type error).
 */
function objectSchema<T>(
  properties: { readonly [K in keyof Required<T>]: Schema },
  extra: Schema = {},
): Schema {
  return { type: 'object', ...extra, properties };
}

const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDetails' } as const;
const string = (description?: string): Schema => ({
  type: 'string',
  ...(description ? { description } : {}),
});
const integer = (description?: string): Schema => ({
  type: 'integer',
  ...(description ? { description } : {}),
});
const number = (description?: string): Schema => ({
  type: 'number',
  ...(description ? { description } : {}),
});
const dateTime = (description?: string): Schema => ({ ...string(description), format: 'date-time' });
const oneOf = (values: readonly string[], description?: string): Schema => ({
  ...string(description),
  enum: [...values],
});

/**
 * The request body, generated from the class-validator decorators of `GenerateImageRequest` (the same
 * rules the browser, the BFF and the generator apply), closed to unknown fields as the BFF's
 * ValidationPipe is (`forbidNonWhitelisted`). Each model's own limits are in /api/models.
 */
export const GENERATE_IMAGE_REQUEST_SCHEMA: Schema = (() => {
  const generated = validationMetadatasToSchemas()[GenerateImageRequest.name];
  if (!generated) throw new Error('no class-validator metadata for GenerateImageRequest');
  const properties = generated.properties as Record<string, Schema>;
  return {
    ...generated,
    additionalProperties: false,
    properties: {
      ...properties,
      modelId: {
        ...properties['modelId'],
        description: 'one of the ids /api/models lists',
        example: callableModels()[0]?.id,
      },
    },
  };
})();

const UPLOAD_REF_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['uploadId'],
  properties: {
    uploadId: {
      ...string('an upload of this owner that passed its check'),
      pattern: UPLOAD_ID_PATTERN.source,
    },
  },
};
const GENERATED_REF_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['generationId', 'imageId'],
  properties: { generationId: string("one of this owner's jobs"), imageId: string('an image of that job') },
};
const JOB_INPUT_REF_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['generationId', 'input'],
  properties: {
    generationId: string("one of this owner's edit jobs"),
    input: oneOf(JOB_INPUT_NAMES, 'the input that job keeps (what Reuse names when it was an upload)'),
  },
};
/**
 * An input image: one of the owner's uploads, generated images, or an earlier edit's kept input (else
 * 404 NOT_FOUND).
 */
const IMAGE_REF_SCHEMA: Schema = { oneOf: [UPLOAD_REF_SCHEMA, GENERATED_REF_SCHEMA, JOB_INPUT_REF_SCHEMA] };

const EDIT_PARAMS_SCHEMA: Schema = {
  type: 'object',
  description:
    "the service's fields by AWS's names (prompt, negative_prompt, grow_mask, left, creativity, style_preset, …); each service's fields and ranges are in the image-service catalog (@imagegen/contracts IMAGE_SERVICES)",
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

export const EDIT_IMAGE_REQUEST_SCHEMA = objectSchema<EditImageRequest>(
  {
    serviceId: oneOf(
      IMAGE_SERVICES.map((s) => s.id),
      'the image service (Bedrock model id) to call',
    ),
    image: IMAGE_REF_SCHEMA,
    mask: {
      ...UPLOAD_REF_SCHEMA,
      description: 'white edits, black keeps, grey blends; resized to the image',
    },
    styleImage: { ...IMAGE_REF_SCHEMA, description: "style transfer's style image" },
    params: EDIT_PARAMS_SCHEMA,
    seed: integer('absent: a random seed per image'),
    count: integer('images to make (one call each)'),
    outputFormat: oneOf(OUTPUT_FORMATS),
    fit: oneOf(
      FIT_MODES,
      "an image outside the service's limits: refuse it (`reject`, the default) or fit it",
    ),
  },
  { required: ['serviceId', 'image'], additionalProperties: false },
);

export const CREATE_UPLOAD_REQUEST_SCHEMA = objectSchema<CreateUploadRequest>(
  {
    contentType: oneOf(UPLOAD_CONTENT_TYPES, 'the Content-Type the presigned POST will fix'),
    bytes: {
      ...integer('the size of the file to send (the POST policy allows 1 up to the most)'),
      minimum: 1,
      maximum: UPLOAD_MAX_BYTES,
    },
  },
  { required: ['contentType', 'bytes'], additionalProperties: false },
);

export const UPLOAD_TICKET_SCHEMA = objectSchema<UploadTicket>(
  {
    uploadId: string(),
    url: { ...string('where the browser POSTs the file (S3, or its local stand-in)'), format: 'uri' },
    fields: {
      type: 'object',
      description: 'form fields to send first, in this order, then the file as the last field `file`',
      additionalProperties: { type: 'string' },
    },
    maxBytes: integer('the most bytes the POST policy accepts'),
    expiresAt: dateTime('when the POST policy expires'),
  },
  {
    description:
      'A presigned POST (multipart/form-data straight to S3): no image bytes pass through this API',
  },
);

export const UPLOADED_IMAGE_SCHEMA = objectSchema<UploadedImage>(
  {
    uploadId: string(),
    width: integer(),
    height: integer(),
    format: oneOf(OUTPUT_FORMATS, 'what the bytes are, whatever the declared type'),
    hasAlpha: { type: 'boolean' },
    bytes: integer(),
    url: { ...string('presigned S3 GET URL of the upload, for the editor'), format: 'uri' },
    urlExpiresAt: dateTime(),
  },
  { description: 'An upload decoded and checked: ready to edit' },
);

const NORMALIZED_EDIT_SCHEMA = objectSchema<NormalizedEdit>(
  {
    serviceId: string(),
    image: IMAGE_REF_SCHEMA,
    mask: UPLOAD_REF_SCHEMA,
    styleImage: IMAGE_REF_SCHEMA,
    params: EDIT_PARAMS_SCHEMA,
    fit: oneOf(FIT_MODES),
  },
  { description: 'an edit: its inputs (a generated image as `image` is the lineage parent) and fields' },
);

const NORMALIZED_REQUEST_SCHEMA = objectSchema<NormalizedGenerateImageRequest>(
  {
    modelId: string(),
    prompt: string(),
    negativePrompt: string(),
    aspectRatio: oneOf(ASPECT_RATIOS),
    seed: integer('absent: a random seed per image'),
    count: integer(),
    outputFormat: oneOf(OUTPUT_FORMATS),
    edit: NORMALIZED_EDIT_SCHEMA,
  },
  { description: 'the request as validated, every default filled in' },
);

const IMAGE_SCHEMA = objectSchema<GeneratedImage>({
  id: string(),
  index: integer('which of the `count` images this is'),
  url: { ...string('presigned S3 GET URL, minted on every read'), format: 'uri' },
  thumbnailUrl: { ...string('presigned URL of a small WebP of the image'), format: 'uri' },
  urlExpiresAt: dateTime(),
  width: integer(),
  height: integer(),
  seed: integer(),
  bytes: integer(),
  format: oneOf(OUTPUT_FORMATS),
});

const EDIT_INPUT_SCHEMA = objectSchema<EditInputImage>({
  url: { ...string('presigned S3 GET URL of the copy the job keeps, minted on every read'), format: 'uri' },
  urlExpiresAt: dateTime(),
});

const FAILURE_SCHEMA = objectSchema<ImageFailure>({ index: integer(), seed: integer(), error: PROBLEM_REF });

export const GENERATION_SCHEMA = objectSchema<Generation>({
  id: string(),
  status: oneOf(GENERATION_STATUSES),
  createdAt: dateTime(),
  updatedAt: dateTime(),
  modelId: string(),
  request: NORMALIZED_REQUEST_SCHEMA,
  images: {
    type: 'array',
    description: 'the images made so far, by index (a running job with count > 1 fills in as they arrive)',
    items: IMAGE_SCHEMA,
  },
  failures: {
    type: 'array',
    description: 'images that could not be made, and why (the others are kept)',
    items: FAILURE_SCHEMA,
  },
  error: PROBLEM_REF,
  durationMs: integer(),
  estimatedCostUsd: number('catalog price × images asked for'),
  costUsd: number('catalog price × images made, once ended (0 for a repeat from the store)'),
  engine: oneOf(['bedrock', 'offline']),
  source: oneOf(['model', 'store'], '`store`: a repeat answered from the images of `repeatOf`'),
  repeatOf: string(),
  expiresAt: dateTime('when the job and its images are removed'),
  inputs: {
    type: 'object',
    description:
      "an edit's kept image and style image (not the mask), with presigned links; absent for a generation and for an edit that made no image",
    additionalProperties: false,
    properties: Object.fromEntries(JOB_INPUT_NAMES.map((name) => [name, EDIT_INPUT_SCHEMA])),
  },
});

export const GENERATION_PAGE_SCHEMA = objectSchema<GenerationPage>({
  items: { type: 'array', items: GENERATION_SCHEMA },
  nextCursor: string('pass as `cursor` for the next page; absent on the last page'),
});

const ETA_SCHEMA = objectSchema<ModelEta>({
  p50Seconds: number(),
  p90Seconds: number(),
  samples: integer('images measured (0: the figures are the catalog’s)'),
  source: oneOf(['measured', 'catalog']),
  parallelism: integer('images of one job made at once'),
});

export const SERVICE_INFO_SCHEMA = objectSchema<ServiceInfo>(
  {
    id: string('the Image Service (its foundation-model id)'),
    eta: ETA_SCHEMA,
  },
  { description: 'An Image Service with the expected time of one of its images in this deployment' },
);

const LIMITS = { type: 'object', properties: { minLength: integer(), maxLength: integer() } } as const;
const SIZE = { type: 'object', properties: { width: integer(), height: integer() } } as const;

export const MODEL_INFO_SCHEMA = objectSchema<ModelInfo>(
  {
    id: string(),
    family: string('the request/response adapter the model uses'),
    displayName: string(),
    provider: string(),
    description: string(),
    lifecycle: {
      type: 'object',
      properties: {
        state: oneOf(['active', 'legacy', 'retired']),
        legacyDate: string(),
        endOfLifeDate: string(),
      },
    },
    region: string('the Bedrock region the model is served from'),
    prompt: LIMITS,
    negativePrompt: { type: 'object', properties: { supported: { type: 'boolean' }, maxLength: integer() } },
    aspectRatios: { type: 'array', items: oneOf(ASPECT_RATIOS) },
    defaultAspectRatio: oneOf(ASPECT_RATIOS),
    outputSizes: {
      type: 'object',
      description: 'pixel size answered per aspect ratio',
      additionalProperties: SIZE,
    },
    seed: { type: 'object', properties: { min: integer(), max: integer() } },
    outputFormats: { type: 'array', items: oneOf(OUTPUT_FORMATS) },
    imagesPerCall: integer(),
    maxCount: integer(),
    price: { type: 'object', properties: { perImageUsd: number(), asOf: string(), source: string() } },
    fieldSources: {
      type: 'object',
      description:
        "the AWS page each request field's rule was taken from (keys as the model's page names them)",
      additionalProperties: { type: 'object', properties: { url: string(), note: string() } },
    },
    expectedSecondsPerImage: number('typical seconds per image before any are measured'),
    available: { type: 'boolean', description: 'whether a request for it may be sent' },
    availability: oneOf(
      ['available', 'no-access', 'wrong-region', 'retired', 'unknown'],
      '`unknown` when the generator could not be asked (the BFF then answers from its catalog)',
    ),
    unavailableReason: string('why not, in words a person can act on'),
    eta: ETA_SCHEMA,
  },
  {
    description:
      'A catalog entry (limits, sizes, price with its date and source) with what this deployment can do with it now',
  },
);

const BUDGET_SCHEMA = objectSchema<BudgetStatus>(
  {
    name: oneOf(['deployment-monthly', 'owner-daily', 'owner-monthly']),
    limitUsd: number('the budget (a setting), dollars at catalog prices'),
    usedUsd: number('spent, plus what running jobs have reserved'),
    remainingUsd: number(),
    resetsAt: dateTime('when the period ends (UTC midnight, or the 1st of the month)'),
  },
  { description: 'A spending budget as it stands' },
);

export const OWNER_SUMMARY_SCHEMA = objectSchema<OwnerSummary>({
  budgets: { type: 'array', items: BUDGET_SCHEMA, description: "the budgets the owner's next job must fit" },
  queue: objectSchema<QueueStatus>(
    {
      imagesAhead: integer('images of every owner queued or being made: a new job waits behind them'),
      ownerImages: integer("this owner's images queued or being made"),
      ownerLimit: integer('the most images one owner may have queued or being made'),
      parallelism: integer('images made at once'),
    },
    { description: "the worker's queue" },
  ),
  retentionDays: integer('days a job and its images are kept'),
  presignExpirySeconds: integer('lifetime of an image link'),
  month: string('the calendar month (UTC) of the totals, YYYY-MM'),
  spentUsd: number("cost of the owner's jobs that ended this month"),
  images: integer('images made by the model this month'),
});

export const PROBLEM_SCHEMA = objectSchema<ProblemDetails>(
  {
    type: { ...string(), format: 'uri' },
    title: string(),
    status: integer(),
    code: oneOf(Object.values(ErrorCode), 'stable: clients branch on it, never on the words'),
    detail: string(),
    instance: string(),
    errors: {
      type: 'array',
      items: objectSchema<FieldError>({ field: string(), rule: string(), message: string() }),
    },
    retryAfterSeconds: integer(),
    requestId: string(),
    budget: { ...BUDGET_SCHEMA, description: 'BUDGET_EXCEEDED: the budget the job would pass' },
  },
  { required: ['type', 'title', 'status', 'code'] },
);

/** A problem answer documented from the error code's own entry (status and title), so the two cannot differ. */
export function problemResponse(code: ErrorCode, when: string) {
  const { status, title } = ERROR_CODES[code];
  return {
    status,
    description: `${code} (${title}): ${when}`,
    content: { 'application/problem+json': { schema: PROBLEM_REF } },
  };
}

/** Problem answers shared by the routes (the body is always ProblemDetails with a stable `code`). */
export const PROBLEM_RESPONSES = {
  invalid: problemResponse(
    ErrorCode.VALIDATION_FAILED,
    'the request (body, query or Idempotency-Key) is not valid; `errors` names each field',
  ),
  notFound: problemResponse(
    ErrorCode.NOT_FOUND,
    "no such job for this owner (another owner's job, or an id that is not an id)",
  ),
  rateLimited: problemResponse(
    ErrorCode.RATE_LIMITED,
    'too many requests from this address or owner, or too many new jobs; wait Retry-After seconds',
  ),
  crossOrigin: problemResponse(
    ErrorCode.CROSS_ORIGIN,
    "a browser sent it from a page of another site (its Origin or Sec-Fetch-Site is not the app's own)",
  ),
  /** POST /generations: the three ways a job is refused with 429, told apart by `code` (ADR 0015). */
  jobRefused: {
    status: ERROR_CODES.RATE_LIMITED.status,
    description:
      `${ErrorCode.RATE_LIMITED}: too many requests or new jobs from this address or owner; ` +
      `${ErrorCode.BUDGET_EXCEEDED}: the job would pass a spending budget (\`budget\` says which, what is left and when it resets); ` +
      `${ErrorCode.QUEUE_FULL}: the owner already has as many images queued as allowed. Retry-After in each.`,
    content: { 'application/problem+json': { schema: PROBLEM_REF } },
  },
  /** POST /uploads: the declared size, or the declared type, is one the upload would be refused for. */
  uploadTooLarge: problemResponse(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `the image declared is larger than ${UPLOAD_MAX_BYTES} bytes (and any body larger than BODY_LIMIT: no image passes through this API)`,
  ),
  uploadType: problemResponse(
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    `the image declared is not one of ${UPLOAD_CONTENT_TYPES.join(', ')} (and any body that is not application/json)`,
  ),
  /** POST /uploads/{id}/check: what the decode found (the upload is then deleted). */
  inputImage: {
    status: 422,
    description: `the image cannot be edited, and the upload is deleted: ${[
      ErrorCode.INPUT_IMAGE_UNREADABLE,
      ErrorCode.INPUT_IMAGE_TYPE,
      ErrorCode.INPUT_IMAGE_TOO_LARGE,
      ErrorCode.INPUT_IMAGE_ANIMATED,
    ]
      .map((code) => `${code} (${ERROR_CODES[code].title})`)
      .join('; ')}`,
    content: { 'application/problem+json': { schema: PROBLEM_REF } },
  },
  uploadNotFound: problemResponse(
    ErrorCode.NOT_FOUND,
    "no such upload for this owner (another owner's upload, an expired one, or an id that is not an id)",
  ),
  inputNotFound: problemResponse(
    ErrorCode.NOT_FOUND,
    "an input is not one of this owner's checked uploads or generated images",
  ),
  restarting: problemResponse(
    ErrorCode.SERVICE_UNAVAILABLE,
    'the generator is down, or this server is restarting; try again after Retry-After seconds',
  ),
} as const;
