import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

import { WorkerEvent } from '@imagegen/generator/domain';

import { createGeneratorApp, GeneratorApp } from './generator-app';
import { loadGeneratorSettings } from './settings';

// Built once per container, on first use, from the environment.
let api: GeneratorApp | undefined;
let worker: GeneratorApp | undefined;

/** Lambda entry of the generator API (API Gateway REST proxy integration). */
export async function apiHandler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  api ??= createGeneratorApp(loadGeneratorSettings(process.env, 'api'), 'generator-api');
  return api.handleApi(event);
}

/**
 * Lambda entry of the worker (asynchronous invocations; a throw makes Lambda retry). Lambda keeps
 * `context.awsRequestId` across the retries of one event, which lets a retry take its image back.
 */
export async function workerHandler(
  event: WorkerEvent,
  context?: { readonly awsRequestId?: string },
): Promise<void> {
  worker ??= createGeneratorApp(loadGeneratorSettings(process.env, 'worker'), 'generator-worker');
  await worker.handleWorker(event, context);
}

/** Lambda on-failure destination of the worker: the record wraps the original event. */
export async function abandonedHandler(
  record: { requestPayload?: WorkerEvent } & Partial<WorkerEvent>,
): Promise<void> {
  worker ??= createGeneratorApp(loadGeneratorSettings(process.env, 'worker'), 'generator-worker');
  const event = record.requestPayload ?? (record as WorkerEvent);
  await worker.handleAbandoned(event);
}

/** Forgets the built apps, so a test or the local cloud can change the environment. */
export function resetHandlers(): void {
  api = undefined;
  worker = undefined;
}
