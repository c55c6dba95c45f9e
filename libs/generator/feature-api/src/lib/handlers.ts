import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

import { WorkerEvent } from '@imagegen/generator/domain';

import { createAbandonedApp, createApiApp, createWorkerApp } from './aws-app';
import { GeneratorApiApp, GeneratorWorkerApp } from './generator-app';
import { withLambdaContext } from './observability';
import { loadGeneratorSettings } from './settings';

// One Lambda entry per function (apps/generator/src/{api,worker,abandoned}.ts), each bundled on its
// own: a handler pulls in only its own composition root. Built once per container, on first use,
// from the environment.
let api: GeneratorApiApp | undefined;
let worker: GeneratorWorkerApp | undefined;
let abandoned: Pick<GeneratorWorkerApp, 'handleAbandoned'> | undefined;

/** Lambda entry of the generator API (API Gateway REST proxy integration). */
export async function apiHandler(
  event: APIGatewayProxyEvent,
  context?: Context,
): Promise<APIGatewayProxyResult> {
  return withLambdaContext(context, () => {
    api ??= createApiApp(loadGeneratorSettings(process.env, 'api'));
    return api.handleApi(event);
  });
}

/**
 * Lambda entry of the worker (asynchronous invocations; a throw makes Lambda retry). Lambda keeps
 * `context.awsRequestId` across the retries of one event, which lets a retry take its image back.
 */
export async function workerHandler(
  event: WorkerEvent,
  context?: { readonly awsRequestId?: string },
): Promise<void> {
  await withLambdaContext(context, () => {
    worker ??= createWorkerApp(loadGeneratorSettings(process.env, 'worker'));
    return worker.handleWorker(event, context);
  });
}

/** Lambda on-failure destination of the worker: the record wraps the original event. */
export async function abandonedHandler(
  record: { requestPayload?: WorkerEvent } & Partial<WorkerEvent>,
  context?: Context,
): Promise<void> {
  await withLambdaContext(context, () => {
    abandoned ??= createAbandonedApp(loadGeneratorSettings(process.env, 'worker'));
    const event = record.requestPayload ?? (record as WorkerEvent);
    return abandoned.handleAbandoned(event);
  });
}

/** Forgets the built apps, so a test or the local cloud can change the environment. */
export function resetHandlers(): void {
  api = undefined;
  worker = undefined;
  abandoned = undefined;
}
