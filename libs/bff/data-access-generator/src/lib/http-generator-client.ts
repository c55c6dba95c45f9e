import {
  AssistantUsageRecorded,
  AssistantUsageReport,
  ErrorCode,
  Generation,
  GenerationPage,
  IDEMPOTENCY_KEY_HEADER,
  isProblemDetails,
  ModelInfo,
  OWNER_HEADER,
  OwnerSummary,
  ProblemError,
  REQUEST_ID_HEADER,
  ServiceInfo,
  UploadedImage,
  UploadTicket,
} from '@imagegen/contracts';
import { Credentials, signRequest } from '@imagegen/shared/util-sigv4';

import { GenerationListQuery, GeneratorClient } from './generator-client';

/** Seconds to wait after the API stage's throttle refused a call (API Gateway sends no Retry-After). */
const GATEWAY_THROTTLE_RETRY_SECONDS = 1;

export interface HttpGeneratorClientOptions {
  /** The API's invoke URL, stage included (e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod). */
  readonly baseUrl: string;
  readonly region: string;
  /** The SDK's default chain: the ECS task role in AWS, environment keys on a laptop. */
  readonly credentials: Credentials;
  readonly timeoutMs?: number;
  readonly fetchImpl?: typeof fetch;
}

const unavailable = (detail: string) =>
  ProblemError.of(ErrorCode.SERVICE_UNAVAILABLE, detail, { retryAfterSeconds: 5 });

/** Calls the generator API over HTTPS, SigV4-signed as `execute-api` (IAM auth). */
export class HttpGeneratorClient implements GeneratorClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpGeneratorClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetchImpl ?? fetch;
  }

  create(ownerId: string, body: unknown, requestId: string, idempotencyKey?: string): Promise<Generation> {
    return this.call(
      'POST',
      '/generations',
      ownerId,
      requestId,
      body,
      idempotencyKey ? { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } : {},
    );
  }

  cancel(ownerId: string, id: string, requestId: string): Promise<Generation> {
    return this.call('POST', `/generations/${encodeURIComponent(id)}/cancel`, ownerId, requestId);
  }

  async remove(ownerId: string, id: string, requestId: string): Promise<void> {
    await this.call('DELETE', `/generations/${encodeURIComponent(id)}`, ownerId, requestId);
  }

  get(ownerId: string, id: string, requestId: string): Promise<Generation> {
    return this.call('GET', `/generations/${encodeURIComponent(id)}`, ownerId, requestId);
  }

  list(ownerId: string, query: GenerationListQuery, requestId: string): Promise<GenerationPage> {
    const params = new URLSearchParams();
    if (query.cursor) params.set('cursor', query.cursor);
    if (query.limit) params.set('limit', query.limit);
    if (query.parent) params.set('parent', query.parent);
    const qs = params.toString();
    return this.call('GET', `/generations${qs ? `?${qs}` : ''}`, ownerId, requestId);
  }

  createUpload(ownerId: string, body: unknown, requestId: string): Promise<UploadTicket> {
    return this.call('POST', '/uploads', ownerId, requestId, body);
  }

  checkUpload(ownerId: string, uploadId: string, requestId: string): Promise<UploadedImage> {
    return this.call('POST', `/uploads/${encodeURIComponent(uploadId)}/check`, ownerId, requestId);
  }

  createEdit(
    ownerId: string,
    body: unknown,
    requestId: string,
    idempotencyKey?: string,
  ): Promise<Generation> {
    return this.call(
      'POST',
      '/edits',
      ownerId,
      requestId,
      body,
      idempotencyKey ? { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } : {},
    );
  }

  models(requestId: string): Promise<ModelInfo[]> {
    return this.call('GET', '/models', undefined, requestId);
  }

  services(requestId: string): Promise<ServiceInfo[]> {
    return this.call('GET', '/services', undefined, requestId);
  }

  summary(ownerId: string, requestId: string): Promise<OwnerSummary> {
    return this.call('GET', '/summary', ownerId, requestId);
  }

  recordAssistantUsage(
    ownerId: string,
    report: AssistantUsageReport,
    requestId: string,
  ): Promise<AssistantUsageRecorded> {
    return this.call('POST', '/usage/assistant', ownerId, requestId, report);
  }

  async ping(requestId: string): Promise<void> {
    await this.call('GET', '/generations?limit=1', 'readiness-probe', requestId);
  }

  /** One signed call; `ownerId` undefined for the calls that are nobody's (the model list). */
  private async call<T>(
    method: string,
    path: string,
    ownerId: string | undefined,
    requestId: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const owner: Record<string, string> = ownerId === undefined ? {} : { [OWNER_HEADER]: ownerId };
    const headers = await signRequest(
      {
        method,
        url,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...owner,
          [REQUEST_ID_HEADER]: requestId,
          ...extraHeaders,
        },
        ...(text !== undefined ? { body: text } : {}),
      },
      { service: 'execute-api', region: this.options.region, credentials: this.options.credentials },
    );
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        headers,
        ...(text !== undefined ? { body: text } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const timedOut = (err as Error)?.name === 'TimeoutError';
      throw unavailable(
        timedOut
          ? 'the image service did not answer in time: try again'
          : 'the image service cannot be reached: try again in a moment',
      );
    }
    const payload: unknown = res.status === 204 ? undefined : await res.json().catch(() => undefined);
    if (res.ok) return payload as T;
    if (isProblemDetails(payload)) {
      const { requestId: _ignored, ...problem } = payload as typeof payload & { requestId?: string };
      throw new ProblemError(problem);
    }
    // API Gateway's own answers (403 bad signature, 504 timeout, 502): not the caller's fault.
    if (res.status === 504)
      throw ProblemError.of(ErrorCode.MODEL_TIMEOUT, 'the image service took too long: try again');
    // The API stage's throttle (API Gateway's THROTTLED response, 429 "Too Many Requests"): the caller
    // may try again shortly, as from the BFF's own rate limit.
    if (res.status === 429)
      throw ProblemError.of(
        ErrorCode.RATE_LIMITED,
        'the image service is busy right now: try again in a moment',
        {
          retryAfterSeconds: GATEWAY_THROTTLE_RETRY_SECONDS,
        },
      );
    throw unavailable(`the image service refused the request (HTTP ${res.status}): try again in a moment`);
  }
}
