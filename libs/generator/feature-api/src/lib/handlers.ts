import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';

import { createAbandonedApp, createApiApp, createWorkerApp } from './aws-app';
import { GeneratorApiApp, GeneratorWorkerApp } from './generator-app';
import { withLambdaContext } from './observability';
import { loadGeneratorSettings } from './settings';

// One Lambda entry per function (apps/generator/src/{api,worker,abandoned}.ts), each bundled on its
// own: a handler pulls in only its own composition root. Built once per container, on first use,
// from the environment.
let api: GeneratorApiApp | undefined;
let worker: GeneratorWorkerApp | undefined;
let abandoned: Pick<GeneratorWorkerApp, 'handleDeadLetters'> | undefined;

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
 * Lambda entry of the worker: the worker queue's SQS event source mapping (batch size 1, at most its
 * MaximumConcurrency in flight). Answers a partial batch response: a record whose image could not be
 * recorded returns to the queue and is delivered again (the same message id: it takes its image back).
 */
export async function workerHandler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return withLambdaContext(context, () => {
    worker ??= createWorkerApp(loadGeneratorSettings(process.env, 'worker'));
    return worker.handleQueue(event);
  });
}

/** Lambda entry of the dead-letter queue's consumer: each message is an image that failed every delivery. */
export async function abandonedHandler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return withLambdaContext(context, () => {
    abandoned ??= createAbandonedApp(loadGeneratorSettings(process.env, 'worker'));
    return abandoned.handleDeadLetters(event);
  });
}

/** Forgets the built apps, so a test or the local cloud can change the environment. */
export function resetHandlers(): void {
  api = undefined;
  worker = undefined;
  abandoned = undefined;
}
