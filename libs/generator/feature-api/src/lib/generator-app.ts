import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSBatchResponse, SQSEvent } from 'aws-lambda';

import {
  ErrorCode,
  GENERATOR_ROUTES,
  GeneratorRouteKey,
  IDEMPOTENCY_KEY_HEADER,
  OWNER_HEADER,
  OWNER_ID_PATTERN,
  problem,
  ProblemError,
  REQUEST_ID_HEADER,
  routeKey,
} from '@imagegen/contracts';
import {
  accessDeniedProblem,
  isAwsAccessDenied,
  isAwsUnavailable,
  unavailableProblem,
} from '@imagegen/generator/data-access-aws';
import {
  cancelGeneration,
  checkUpload,
  createEdit,
  createGeneration,
  createUpload,
  deleteGeneration,
  GeneratorDeps,
  getGeneration,
  listGenerations,
  listModels,
  listServices,
  ownerSummary,
  recordAssistantUsage,
  runGeneration,
  settleAbandonedGeneration,
  WorkerEvent,
} from '@imagegen/generator/domain';
import { Logger } from '@imagegen/shared/util-logging';

import { json, problemResponse, RouteContext, RouteHandler, Router } from './router';

/** The API function's part: the REST API behind API Gateway. */
export interface GeneratorApiApp {
  handleApi(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
}

/** The worker function's part (and the dead-letter queue consumer's). */
export interface GeneratorWorkerApp {
  /**
   * One delivery of a worker event; `context.awsRequestId` names the delivery and is the same for each
   * retry of it (the SQS message id), so a retry takes its image back at once.
   */
  handleWorker(event: WorkerEvent, context?: { readonly awsRequestId?: string }): Promise<void>;
  /** An image that failed every delivery (its message reached the dead-letter queue). */
  handleAbandoned(event: WorkerEvent): Promise<void>;
  /**
   * The worker's SQS event source mapping: each record's body is a worker event. A record whose image
   * could not be recorded is reported in `batchItemFailures` (partial batch response,
   * ReportBatchItemFailures), so only it returns to the queue; the others are deleted.
   */
  handleQueue(event: SQSEvent): Promise<SQSBatchResponse>;
  /** The dead-letter queue's mapping: each record settles its image failed (reported back when that fails). */
  handleDeadLetters(event: SQSEvent): Promise<SQSBatchResponse>;
}

/** API and worker together (tests and the local cloud, which run both in one process). */
export type GeneratorApp = GeneratorApiApp & GeneratorWorkerApp;

const MAX_BODY_CHARS = 64 * 1024;

function ownerOf(ctx: RouteContext): string {
  const owner = ctx.headers[OWNER_HEADER];
  if (!owner || !OWNER_ID_PATTERN.test(owner)) {
    // Only the BFF calls this API and it always sets the owner: anything else is not allowed in.
    throw ProblemError.of(ErrorCode.UNAUTHORIZED, `the ${OWNER_HEADER} header is missing or malformed`);
  }
  return owner;
}

function jsonBody(ctx: RouteContext): unknown {
  const type = (ctx.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw ProblemError.of(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the request as application/json');
  }
  const raw = ctx.event.isBase64Encoded
    ? Buffer.from(ctx.event.body ?? '', 'base64').toString('utf8')
    : (ctx.event.body ?? '');
  if (raw.length > MAX_BODY_CHARS) {
    throw ProblemError.of(ErrorCode.PAYLOAD_TOO_LARGE, `the body must be at most ${MAX_BODY_CHARS} bytes`);
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw ProblemError.of(ErrorCode.VALIDATION_FAILED, 'the body is not valid JSON', {
      errors: [{ field: '(body)', rule: 'isJson', message: 'the body is not valid JSON' }],
    });
  }
}

function isWorkerEvent(event: unknown): event is WorkerEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    typeof e['ownerId'] === 'string' &&
    OWNER_ID_PATTERN.test(e['ownerId']) &&
    typeof e['generationId'] === 'string' &&
    (e['index'] === undefined ||
      (Number.isInteger(e['index']) && (e['index'] as number) >= 0 && (e['index'] as number) < 100))
  );
}

/** The API over the given ports (the worker's ports, model and thumbnails, are never called). */
export function createApiAppFromDeps(deps: GeneratorDeps, log: Logger): GeneratorApiApp {
  // One handler per route of GENERATOR_ROUTES (libs/contracts), the list infra builds the REST API from:
  // a route without a handler, or a handler without a route, fails here (and in the tests) at once.
  const handlers: Readonly<Record<GeneratorRouteKey, RouteHandler>> = {
    'POST /generations': async (ctx) => ({
      status: 202,
      body: await createGeneration(
        deps,
        ownerOf(ctx),
        jsonBody(ctx),
        ctx.headers[REQUEST_ID_HEADER] ?? '',
        ctx.headers[IDEMPOTENCY_KEY_HEADER],
      ),
    }),
    'GET /generations': async (ctx) => ({
      status: 200,
      body: await listGenerations(deps, ownerOf(ctx), {
        cursor: ctx.query['cursor'],
        limit: ctx.query['limit'],
        parent: ctx.query['parent'],
      }),
    }),
    'GET /generations/{id}': async (ctx) => ({
      status: 200,
      body: await getGeneration(deps, ownerOf(ctx), ctx.params['id'] ?? ''),
    }),
    'DELETE /generations/{id}': async (ctx) => {
      await deleteGeneration(deps, ownerOf(ctx), ctx.params['id'] ?? '');
      return { status: 204, body: undefined };
    },
    'POST /generations/{id}/cancel': async (ctx) => ({
      status: 200,
      body: await cancelGeneration(deps, ownerOf(ctx), ctx.params['id'] ?? ''),
    }),
    'GET /models': async () => ({ status: 200, body: await listModels(deps) }),
    'GET /services': async () => ({ status: 200, body: await listServices(deps) }),
    'GET /summary': async (ctx) => ({ status: 200, body: await ownerSummary(deps, ownerOf(ctx)) }),
    'POST /usage/assistant': async (ctx) => ({
      status: 200,
      body: await recordAssistantUsage(deps, ownerOf(ctx), jsonBody(ctx)),
    }),
    'POST /uploads': async (ctx) => ({
      status: 201,
      body: await createUpload(deps, ownerOf(ctx), jsonBody(ctx)),
    }),
    'POST /uploads/{id}/check': async (ctx) => ({
      status: 200,
      body: await checkUpload(deps, ownerOf(ctx), ctx.params['id'] ?? ''),
    }),
    'POST /edits': async (ctx) => ({
      status: 202,
      body: await createEdit(
        deps,
        ownerOf(ctx),
        jsonBody(ctx),
        ctx.headers[REQUEST_ID_HEADER] ?? '',
        ctx.headers[IDEMPOTENCY_KEY_HEADER],
      ),
    }),
  };
  const router = new Router();
  for (const route of GENERATOR_ROUTES)
    router.add(route.method, route.path, handlers[routeKey(route) as GeneratorRouteKey]);

  return {
    async handleApi(event) {
      const incoming = Object.entries(event.headers ?? {}).find(
        ([k]) => k.toLowerCase() === REQUEST_ID_HEADER,
      )?.[1];
      const requestId =
        incoming && /^[\w.:-]{1,128}$/.test(incoming)
          ? incoming
          : (event.requestContext?.requestId ?? deps.ids.newId());
      const headers = { ...event.headers, [REQUEST_ID_HEADER]: requestId };
      const reqLog = log.child({ requestId });
      const started = Date.now();
      try {
        const result = await router.resolve({ ...event, headers });
        reqLog.info(
          { method: event.httpMethod, path: event.path, status: result.status, ms: Date.now() - started },
          'request',
        );
        return json(result.status, result.body, { 'x-request-id': requestId });
      } catch (err) {
        if (err instanceof ProblemError) {
          reqLog.info(
            {
              method: event.httpMethod,
              path: event.path,
              status: err.problem.status,
              code: err.problem.code,
              ms: Date.now() - started,
            },
            'request refused',
          );
          return problemResponse(err.problem, requestId);
        }
        if (isAwsAccessDenied(err)) {
          // AWS refused our role a call: a deployment to fix, said as such (never a 500 with AWS's words).
          reqLog.error(
            { err, method: event.httpMethod, path: event.path },
            'request failed: AWS denied the role a permission',
          );
          return problemResponse(accessDeniedProblem(err).problem, requestId);
        }
        if (isAwsUnavailable(err)) {
          // A store of ours is down (after the SDK's retries): the caller may try again shortly.
          reqLog.warn(
            { err, method: event.httpMethod, path: event.path },
            'request failed: a service is unavailable',
          );
          return problemResponse(unavailableProblem('The service').problem, requestId);
        }
        reqLog.error({ err, method: event.httpMethod, path: event.path }, 'request failed');
        return problemResponse(
          problem(ErrorCode.INTERNAL, 'something went wrong on our side: try again'),
          requestId,
        );
      }
    },
  };
}

/** A record's body as JSON; a body that is not JSON is handed on as is (the event check drops it, logged). */
function recordBody(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch {
    return body;
  }
}

/**
 * Runs `each` on every record of an SQS batch, one after the other, and answers the partial batch
 * response: the ids of the records that threw (an empty list: every record is done and deleted).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
async function eachRecord(
  event: SQSEvent,
  log: Logger,
  each: (body: unknown, messageId: string) => Promise<void>,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event?.Records ?? []) {
    try {
      await each(recordBody(record.body), record.messageId);
    } catch (err) {
      log.warn({ err, messageId: record.messageId }, 'record failed: it returns to the queue');
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** The worker over the given ports (the API's ports, model access and the worker invoker, are never called). */
export function createWorkerAppFromDeps(deps: GeneratorDeps, log: Logger): GeneratorWorkerApp {
  const app: GeneratorWorkerApp = {
    async handleWorker(event, context) {
      const reqLog = log.child({ requestId: event.requestId, generationId: event.generationId });
      if (!isWorkerEvent(event)) {
        reqLog.error({ event }, 'worker event is malformed: dropped');
        return;
      }
      const delivery =
        typeof context?.awsRequestId === 'string' && context.awsRequestId ? context.awsRequestId : undefined;
      const outcome = await runGeneration(deps, event, delivery);
      reqLog.info({ index: event.index, ...outcome }, 'image ended');
    },

    async handleAbandoned(event) {
      if (!isWorkerEvent(event)) {
        log.error({ event }, 'abandoned event is malformed: dropped');
        return;
      }
      const settled = await settleAbandonedGeneration(deps, event);
      log
        .child({ requestId: event.requestId, generationId: event.generationId })
        .warn({ settled }, 'job abandoned after every attempt failed');
    },

    // The message id is the same for every delivery of one message: it names the delivery for claims.
    handleQueue: (event) =>
      eachRecord(event, log, (body, messageId) =>
        app.handleWorker(body as WorkerEvent, { awsRequestId: messageId }),
      ),

    handleDeadLetters: (event) => eachRecord(event, log, (body) => app.handleAbandoned(body as WorkerEvent)),
  };
  return app;
}

/** Builds the generator over the given ports: API and worker in one (tests, the local cloud). */
export function createGeneratorAppFromDeps(deps: GeneratorDeps, log: Logger): GeneratorApp {
  return { ...createApiAppFromDeps(deps, log), ...createWorkerAppFromDeps(deps, log) };
}
