import { IncomingMessage, ServerResponse } from 'node:http';

import {
  BodyTooLargeError,
  listen,
  parseJson,
  readBody,
  refuseBrowserAdmin,
  RunningServer,
  sendJson,
  sleep,
} from '@imagegen/local-cloud/util-http';
import { accessDeniedMessage, Authorizer, bedrockCalls } from '@imagegen/local-cloud/util-iam';
import {
  editImage,
  EngineFormat,
  ImageService,
  renderImage,
} from '@imagegen/local-cloud/util-offline-engine';
import { verifySigV4 } from '@imagegen/shared/util-sigv4';

import { AWS_MODEL_RULES, AwsModelRules, invokeBodyProblem, malformedInput } from './aws-model-rules';
import { acceptedBody, END_OF_LIFE_MESSAGE } from './bedrock-refusals';
import { converseStreamHandler, ConverseStreamOptions, ConverseStreamStats } from './converse-stream';
import { BedrockFaults, DEFAULT_FAULTS, faultProblems, latencyFor, SeededDraws } from './faults';
import { checkImageInputs, INPUT_IMAGE_FILTER_REASON } from './image-inputs';

export interface BedrockStandInOptions {
  readonly port: number;
  readonly host?: string;
  /** The models it serves and AWS's documented rules for each (default: AWS_MODEL_RULES; never the app's catalog). */
  readonly models?: readonly AwsModelRules[];
  readonly faults?: BedrockFaults;
  /** When given, requests must be SigV4-signed (service `bedrock`) with these credentials, as in AWS. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly region: string;
  };
  /**
   * IAM enforcement: requests must be signed by a key it knows (or `credentials`), and each is authorized
   * (bedrock:InvokeModel on the foundation model, bedrock:GetFoundationModelAvailability on `*`) as the
   * principal of its key; a refusal is Bedrock's 403 AccessDeniedException.
   */
  readonly authorizer?: Authorizer;
  /** The local ConverseStream of the text models (the prompt assistant's): its pace. */
  readonly converse?: ConverseStreamOptions;
  /** The region this "Bedrock" serves (what the control plane answers regionAvailability for); default: the credentials' region, else us-west-2. */
  readonly region?: string;
}

export interface BedrockStats extends ConverseStreamStats {
  /** InvokeModel calls that passed the signature check (whatever they answered). */
  readonly invocations: number;
  readonly inFlight: number;
  /** Most invokes in flight at once since start (or since the last reset). */
  readonly maxInFlight: number;
  /** GetFoundationModelAvailability calls (control plane). */
  readonly availabilityChecks: number;
  /** Model time spent in all invokes, in ms (the latency profile's share of end-to-end time). */
  readonly modelTimeMs: number;
}

export interface BedrockStandIn {
  /** Serves both the runtime (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`) and the control plane (`AWS_ENDPOINT_URL_BEDROCK`). */
  readonly url: string;
  readonly port: number;
  setFaults(faults: BedrockFaults): void;
  faults(): BedrockFaults;
  stats(): BedrockStats;
  /** Starts the peak (maxInFlight) again from what is in flight now. */
  resetStats(): void;
  close(): Promise<void>;
}

/** The model id pattern of GetFoundationModelAvailability (Bedrock API reference). */
const AVAILABILITY_MODEL_ID =
  /^[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}(\/[a-z0-9]{12}|)$/;

const ERROR_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ThrottlingException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

/**
 * InvokeModel's `body`: "Length Constraints: Minimum length of 0. Maximum length of 25000000."
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
 */
export const INVOKE_BODY_MAX_BYTES = 25_000_000;

const INVALID_MODEL_ID = 'The provided model identifier is invalid.';

/** Bedrock's answer to the bare id of a model it serves only through an inference profile. */
export function onDemandUnsupportedMessage(modelId: string): string {
  return `Invocation of model ID ${modelId} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`;
}

/**
 * The model an InvokeModel id names, as Bedrock resolves it: a foundation-model id (or ARN), or a
 * cross-Region profile id `us.<model id>` (or its inference-profile ARN) of a model served through that
 * profile, callable from one of the profile's Regions. A profile-only model named bare is refused
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
 */
export function resolveInvokeModel(
  rawId: string,
  models: readonly AwsModelRules[],
  region: string,
): { readonly model: AwsModelRules } | { readonly refusal: string } {
  const id =
    /^arn:aws:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile)\/(.+)$/.exec(rawId)?.[1] ?? rawId;
  const exact = models.find((m) => m.modelId === id);
  if (exact) return exact.profiles?.length ? { refusal: onDemandUnsupportedMessage(id) } : { model: exact };
  const profile = /^([a-z]+)\.(.+)$/.exec(id);
  const model = profile
    ? models.find((m) => m.modelId === profile[2] && m.profiles?.includes(profile[1]))
    : undefined;
  if (!model || !(model.regions ?? [model.region]).includes(region)) return { refusal: INVALID_MODEL_ID };
  return { model };
}

/** Answers a Bedrock error in its REST-JSON wire format, so the SDK raises the same exception class. */
function bedrockError(res: ServerResponse, type: string, message: string): void {
  sendJson(
    res,
    ERROR_STATUS[type] ?? 500,
    { message },
    {
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': crypto.randomUUID(),
    },
  );
}

/**
 * A local Bedrock on one port. Runtime: `POST /model/{modelId}/invoke` validated against AWS's documented
 * rules for the model (AWS_MODEL_RULES, each with its source page), with Bedrock's answers and errors,
 * images from the offline engine, each model with its own latency. Control plane:
 * `GET /foundation-model-availability/{modelId}`, answering from the same table and the fault settings. Admin: `GET|POST /__faults`, `GET /__stats`,
 * `POST /__stats/reset`, `GET /__health`.
 *
 * Stability AI Image Services (AWS_IMAGE_SERVICE_RULES) answer only through the US cross-Region inference
 * profile, `us.stability.<id>` (or its inference-profile ARN), called from us-east-1, us-east-2 or us-west-2;
 * the bare `stability.<id>` gets Bedrock's on-demand ValidationException. Under an authorizer, a profile call
 * needs bedrock:InvokeModel on the profile ARN in the calling Region and on the foundation model in each of
 * the three destination Regions (util-iam bedrockCalls; INFERENCE_PROFILE_PREREQ_PAGE). Their base64 images
 * are decoded and checked against the page's limits (image-inputs.ts), then the offline engine edits them.
 *
 * Input-image filter: an input image (`image`, `init_image`, `style_image`; not `mask`) whose top-left 8x8
 * pixels are pure magenta #FF00FF answers HTTP 200 `{"finish_reasons": ["Filter reason: input image"],
 * "images": []}`; `filteredInputImage()` makes one. Prompts matching the `contentFilterPattern` fault answer
 * "Filter reason: prompt" the same way.
 */
export async function startBedrockStandIn(options: BedrockStandInOptions): Promise<BedrockStandIn> {
  const models = options.models ?? AWS_MODEL_RULES;
  const region = options.region ?? options.credentials?.region ?? 'us-west-2';
  const { authorizer } = options;
  let faults: BedrockFaults = { ...DEFAULT_FAULTS, ...options.faults };
  let invocations = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let availabilityChecks = 0;
  let modelTimeMs = 0;
  const converse = converseStreamHandler(options.converse);
  const stats = (): BedrockStats => ({
    invocations,
    inFlight,
    maxInFlight,
    availabilityChecks,
    modelTimeMs,
    ...converse.stats(),
  });

  let draws: SeededDraws | undefined;
  /** Math.random, or the seeded draws of this request when `faultSeed` is set. */
  const randomFor = (request: string): (() => number) => {
    const seed = faults.faultSeed;
    if (seed === undefined || seed === null) return Math.random;
    if (draws?.seed !== seed) draws = new SeededDraws(seed);
    return draws.next(request);
  };

  /** Changes the fields a patch names; naming faultSeed (even the same one) starts its draws again. */
  const applyFaults = (patch: BedrockFaults) => {
    faults = { ...faults, ...patch };
    if ('faultSeed' in patch) draws = undefined;
  };

  const take = (key: 'throttleNext' | 'errorNext'): boolean => {
    const n = faults[key] ?? 0;
    if (n <= 0) return false;
    faults = { ...faults, [key]: n - 1 };
    return true;
  };

  async function invoke(
    req: IncomingMessage,
    res: ServerResponse,
    rawModelId: string,
    body: Buffer,
  ): Promise<void> {
    const resolved = resolveInvokeModel(decodeURIComponent(rawModelId), models, region);
    if ('refusal' in resolved) return bedrockError(res, 'ValidationException', resolved.refusal);
    const { model } = resolved;
    if (model.lifecycle === 'end-of-life')
      return bedrockError(res, 'ResourceNotFoundException', END_OF_LIFE_MESSAGE);
    if (faults.accessDeniedModels?.includes(model.modelId)) {
      return bedrockError(
        res,
        'AccessDeniedException',
        "You don't have access to the model with the specified model ID.",
      );
    }
    const accepted = acceptedBody(res, body, false, bedrockError);
    if (!accepted) return;
    const { json } = accepted;
    const problem = invokeBodyProblem(json, model);
    if (problem) return bedrockError(res, 'ValidationException', problem);
    const inputs = await checkImageInputs(json as Record<string, unknown>, model);
    if (!inputs.ok) return bedrockError(res, 'ValidationException', inputs.message);

    const random = randomFor(`${model.modelId}\n${body.toString('utf8')}`);
    const latency = latencyFor(faults, model.modelId, random);
    modelTimeMs += latency;
    await sleep(latency);
    if (take('throttleNext') || random() < (faults.throttleRate ?? 0)) {
      return bedrockError(res, 'ThrottlingException', 'Too many requests, please wait before trying again.');
    }
    if (take('errorNext') || random() < (faults.errorRate ?? 0)) {
      return bedrockError(res, 'InternalServerException', 'The server encountered an internal error.');
    }
    if (typeof faults.errorAfter === 'number') {
      if (faults.errorAfter <= 0)
        return bedrockError(res, 'InternalServerException', 'The server encountered an internal error.');
      faults = { ...faults, errorAfter: faults.errorAfter - 1 };
    }
    if (random() < (faults.timeoutRate ?? 0)) {
      return bedrockError(res, 'ModelTimeoutException', 'Model has timed out in processing the request.');
    }

    const b = json as ServiceBody;
    const seed = b.seed && b.seed > 0 ? b.seed : Math.floor(Math.random() * 4_294_967_294) + 1;
    if (faults.contentFilterPattern && new RegExp(faults.contentFilterPattern, 'i').test(b.prompt ?? '')) {
      return sendJson(res, 200, { seeds: [seed], finish_reasons: ['Filter reason: prompt'], images: [] });
    }
    if (inputs.filtered) {
      return sendJson(res, 200, { seeds: [seed], finish_reasons: [INPUT_IMAGE_FILTER_REASON], images: [] });
    }
    const service: ImageService | undefined = b.mode === 'image-to-image' ? 'image-to-image' : model.service;
    if (service) {
      let image: Buffer;
      try {
        image = await editImage(editRequest(service, b, inputs.images, seed, model));
      } catch {
        // The header read, the pixels did not (a truncated file): Bedrock refuses the input.
        return bedrockError(
          res,
          'ValidationException',
          malformedInput('#/image: the image could not be decoded'),
        );
      }
      return sendJson(res, 200, {
        seeds: [seed],
        finish_reasons: [null],
        images: [image.toString('base64')],
        x_imagegen_engine: 'offline',
      });
    }
    const size = model.outputSizes[b.aspect_ratio ?? '1:1'] ?? {
      width: 1024,
      height: 1024,
    };
    const image = await renderImage({
      prompt: b.prompt ?? '',
      ...(b.negative_prompt ? { negativePrompt: b.negative_prompt } : {}),
      seed,
      width: size.width,
      height: size.height,
      format: (b.output_format ?? 'png') as EngineFormat,
    });
    sendJson(res, 200, {
      seeds: [seed],
      finish_reasons: [null],
      images: [image.toString('base64')],
      x_imagegen_engine: 'offline',
    });
  }

  /** GetFoundationModelAvailability: whether this "account" may call a model in this region. */
  function availability(res: ServerResponse, rawModelId: string): void {
    const modelId = decodeURIComponent(rawModelId);
    if (modelId.length > 140 || !AVAILABILITY_MODEL_ID.test(modelId)) {
      return bedrockError(
        res,
        'ValidationException',
        `1 validation error detected: Value '${modelId.slice(0, 140)}' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: ${AVAILABILITY_MODEL_ID.source.slice(1, -1)}`,
      );
    }
    const model = models.find((m) => m.modelId === modelId);
    if (!model) return bedrockError(res, 'ResourceNotFoundException', `The model ${modelId} was not found.`);
    if (model.lifecycle === 'end-of-life') {
      return bedrockError(res, 'ResourceNotFoundException', END_OF_LIFE_MESSAGE);
    }
    const authorized = !faults.accessDeniedModels?.includes(model.modelId);
    // Not subscribed yet (or not authorized at all): no Marketplace entitlement or agreement in place.
    const entitled = authorized && !faults.unsubscribedModels?.includes(model.modelId);
    sendJson(
      res,
      200,
      {
        modelId: model.modelId,
        agreementAvailability: { status: entitled ? 'AVAILABLE' : 'NOT_AVAILABLE' },
        // A model this "account" may not use is denied by policy: the one answer that blocks it before a call.
        authorizationStatus: authorized ? 'AUTHORIZED' : 'NOT_AUTHORIZED',
        entitlementAvailability: entitled ? 'AVAILABLE' : 'NOT_AVAILABLE',
        regionAvailability: (model.regions ?? [model.region]).includes(region)
          ? 'AVAILABLE'
          : 'NOT_AVAILABLE',
      },
      { 'x-amzn-requestid': crypto.randomUUID() },
    );
  }

  function admin(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): void {
    if (refuseBrowserAdmin(req, res)) return;
    if (path === '/__health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/__stats' && req.method === 'GET') return sendJson(res, 200, stats());
    if (path === '/__stats/reset' && req.method === 'POST') {
      maxInFlight = inFlight;
      return sendJson(res, 200, stats());
    }
    if (path === '/__faults') {
      if (req.method === 'GET') return sendJson(res, 200, faults);
      const patch = parseJson(body);
      if (!patch.ok) return sendJson(res, 400, { message: 'faults must be JSON' });
      const problems = faultProblems(patch.value);
      if (problems.length) return sendJson(res, 400, { message: problems.join('; ') });
      applyFaults(patch.value as BedrockFaults);
      return sendJson(res, 200, faults);
    }
    sendJson(res, 404, { message: `no admin endpoint ${req.method} ${path.slice(0, 100)}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let body: Buffer;
    try {
      body = await readBody(req, INVOKE_BODY_MAX_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return bedrockError(
          res,
          'ValidationException',
          `1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have length less than or equal to ${INVOKE_BODY_MAX_BYTES}`,
        );
      throw err;
    }
    if (path.startsWith('/__')) return admin(req, res, path, body);
    const invokeMatch = req.method === 'POST' ? /^\/model\/([^/]+)\/invoke$/.exec(path) : null;
    const converseMatch = req.method === 'POST' ? /^\/model\/([^/]+)\/converse-stream$/.exec(path) : null;
    const availabilityMatch =
      req.method === 'GET' ? /^\/foundation-model-availability\/([^/]+)$/.exec(path) : null;
    if (!invokeMatch && !availabilityMatch && !converseMatch)
      return bedrockError(
        res,
        'ValidationException',
        `Unknown operation ${req.method} ${path.slice(0, 100)}`,
      );

    if (options.credentials || authorizer) {
      const signingRegion = options.credentials?.region ?? region;
      const verdict = await verifySigV4(
        { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
        {
          service: 'bedrock',
          region: signingRegion,
          lookupSecret: (id) =>
            authorizer?.secretFor(id) ??
            (id === options.credentials?.accessKeyId ? options.credentials.secretAccessKey : undefined),
        },
      );
      if (!verdict.ok) {
        return bedrockError(
          res,
          'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided.',
        );
      }
      if (authorizer?.secretFor(verdict.accessKeyId) !== undefined) {
        const check = authorizer.check(
          verdict.accessKeyId,
          bedrockCalls(req.method ?? '', req.url ?? '', {
            region: signingRegion,
            account: authorizer.account,
          }),
        );
        if (!check.allowed) return bedrockError(res, 'AccessDeniedException', accessDeniedMessage(check));
      }
    }
    if (availabilityMatch) {
      availabilityChecks++;
      return availability(res, availabilityMatch[1]);
    }
    if (converseMatch)
      return converse.handle(req, res, decodeURIComponent(converseMatch[1]), body, bedrockError);
    const modelId = (invokeMatch as RegExpExecArray)[1];
    invocations++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await invoke(req, res, modelId, body);
    } finally {
      inFlight--;
    }
  }

  const running: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent)
          bedrockError(res, 'InternalServerException', 'The server encountered an internal error.');
      });
    },
    options.port,
    'Bedrock stand-in',
    options.host,
  );

  return {
    url: running.url,
    port: running.port,
    setFaults: (patch) => {
      const problems = faultProblems(patch);
      if (problems.length) throw new Error(problems.join('; '));
      applyFaults(patch);
    },
    faults: () => faults,
    stats,
    resetStats: () => {
      maxInFlight = inFlight;
    },
    close: () => running.close(),
  };
}

/** The request fields the stand-in reads (names as AWS's pages give them). */
interface ServiceBody {
  readonly prompt?: string;
  readonly negative_prompt?: string;
  readonly mode?: string;
  readonly aspect_ratio?: string;
  readonly seed?: number;
  readonly output_format?: string;
  readonly search_prompt?: string;
  readonly select_prompt?: string;
  readonly grow_mask?: number;
  readonly left?: number;
  readonly right?: number;
  readonly up?: number;
  readonly down?: number;
  readonly strength?: number;
  readonly control_strength?: number;
  readonly fidelity?: number;
  readonly style_strength?: number;
  readonly change_strength?: number;
}

/** What the offline engine needs for one Image Service call, with the page's defaults. */
function editRequest(
  service: ImageService,
  b: ServiceBody,
  images: Readonly<Record<string, Buffer>>,
  seed: number,
  model: AwsModelRules,
): Parameters<typeof editImage>[0] {
  const image = images['image'] ?? images['init_image'];
  if (!image) throw new Error('no input image');
  const strength =
    b.strength ??
    b.control_strength ??
    b.fidelity ??
    (service === 'style-transfer' ? (b.style_strength ?? 1) * (b.change_strength ?? 0.9) : undefined);
  const searchPrompt = b.search_prompt ?? b.select_prompt;
  const outputSize = model.outputSizes[b.aspect_ratio ?? '1:1'];
  return {
    service,
    image,
    ...(images['mask'] ? { mask: images['mask'] } : {}),
    ...(images['style_image'] ? { styleImage: images['style_image'] } : {}),
    ...(b.prompt !== undefined ? { prompt: b.prompt } : {}),
    ...(b.negative_prompt ? { negativePrompt: b.negative_prompt } : {}),
    ...(searchPrompt !== undefined ? { searchPrompt } : {}),
    seed,
    format: (b.output_format ?? 'png') as EngineFormat,
    growMask: b.grow_mask ?? 5,
    outpaint: { left: b.left ?? 0, right: b.right ?? 0, up: b.up ?? 0, down: b.down ?? 0 },
    ...(strength !== undefined ? { strength } : {}),
    ...(service === 'style-guide' && outputSize ? { outputSize } : {}),
  };
}
