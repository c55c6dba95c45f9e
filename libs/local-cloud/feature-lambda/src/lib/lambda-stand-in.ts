import { IncomingMessage, ServerResponse } from 'node:http';

import { BodyTooLargeError, RunningServer, listen, readBody, refuseBrowserAdmin, sendJson, sleep } from '@imagegen/local-cloud/util-http';
import { verifySigV4 } from '@imagegen/shared/util-sigv4';

export type LambdaFunction = (event: unknown) => Promise<unknown>;

export interface AsyncRetry {
  /** Retries after a failed asynchronous invocation (AWS default: 2). */
  readonly retries: number;
  /** Wait before each retry, in ms (AWS waits about 1 and 2 minutes; shorter locally). */
  readonly delaysMs: readonly number[];
}

export interface LambdaStandInOptions {
  readonly port: number;
  readonly host?: string;
  readonly functions: Readonly<Record<string, LambdaFunction>>;
  /** Most invocations running at once, per function (the reserved concurrency). */
  readonly concurrency: number;
  readonly retry?: AsyncRetry;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Called when an asynchronous event failed every attempt (the on-failure destination). */
  readonly onFailure?: (functionName: string, event: unknown, error: unknown) => void | Promise<void>;
  /** Where a failing on-failure destination is reported (it never stops the queue). */
  readonly log?: { error(details: object, message: string): void };
}

export interface LambdaStats {
  /** Invocations running now (never above the concurrency cap). */
  readonly running: number;
  /** Events waiting for a free slot (retries waiting out their delay excluded). */
  readonly queued: number;
  /** Events waiting out the delay before a retry. */
  readonly retrying: number;
  /** Most invocations running at once since start (or since the last reset). */
  readonly maxRunning: number;
  /** The concurrency cap (the worker's reserved concurrency). */
  readonly concurrency: number;
  /** Function runs started, retries included. */
  readonly invocations: number;
  /** Events that failed every attempt (handed to the on-failure destination). */
  readonly failures: number;
}

export interface LambdaStandIn {
  readonly url: string;
  readonly port: number;
  stats(): LambdaStats;
  /** Starts the peak (maxRunning) again from what runs now; the counters keep counting. */
  resetStats(): void;
  /** Resolves when no event is queued, waiting for a retry, or running. */
  idle(): Promise<void>;
  /** Stops taking events and waits for those in progress (graceful shutdown). */
  close(): Promise<void>;
}

const MAX_ASYNC_PAYLOAD = 256 * 1024;
const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;

/**
 * The Lambda Invoke API on loopback, running functions in-process: `Event` invocations are queued
 * and run with the configured concurrency cap and AWS's asynchronous retry behaviour.
 * Admin: `GET /__stats`, `POST /__stats/reset`.
 */
export async function startLambdaStandIn(options: LambdaStandInOptions): Promise<LambdaStandIn> {
  const retry = options.retry ?? { retries: 2, delaysMs: [1_000, 2_000] };
  const queue: { name: string; event: unknown; attempt: number }[] = [];
  let running = 0;
  let waiting = 0; // events sleeping before a retry
  let maxRunning = 0;
  let invocations = 0;
  let failures = 0;
  let closing = false;
  let idleWaiters: (() => void)[] = [];

  const checkIdle = () => {
    if (running === 0 && waiting === 0 && queue.length === 0) {
      idleWaiters.forEach((w) => w());
      idleWaiters = [];
    }
  };

  const pump = () => {
    while (running < options.concurrency && queue.length > 0) {
      const item = queue.shift();
      if (!item) break;
      running++;
      maxRunning = Math.max(maxRunning, running);
      void runAsync(item).finally(() => {
        running--;
        pump();
        checkIdle();
      });
    }
  };

  async function runAsync(item: { name: string; event: unknown; attempt: number }): Promise<void> {
    const fn = options.functions[item.name];
    try {
      invocations++;
      await fn(item.event);
    } catch (error) {
      if (item.attempt < retry.retries && !closing) {
        waiting++;
        void sleep(retry.delaysMs[item.attempt] ?? retry.delaysMs[retry.delaysMs.length - 1] ?? 1_000).then(() => {
          waiting--;
          queue.push({ ...item, attempt: item.attempt + 1 });
          pump();
          checkIdle();
        });
      } else {
        failures++;
        try {
          await options.onFailure?.(item.name, item.event, error);
        } catch (destinationError) {
          options.log?.error({ err: destinationError, functionName: item.name }, 'the on-failure destination failed; the event is dropped');
        }
      }
    }
  }

  const stats = (): LambdaStats => ({ running, queued: queue.length, retrying: waiting, maxRunning, concurrency: options.concurrency, invocations, failures });
  const resetStats = () => {
    maxRunning = running;
  };

  /** Admin: `GET /__stats`, `POST /__stats/reset` (for browser tests and benchmarks checking the concurrency bound). */
  function admin(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (refuseBrowserAdmin(req, res)) return;
    if (req.method === 'GET' && path === '/__stats') return sendJson(res, 200, stats());
    if (req.method === 'POST' && path === '/__stats/reset') {
      resetStats();
      return sendJson(res, 200, stats());
    }
    sendJson(res, 404, { message: `no admin endpoint ${req.method} ${path.slice(0, 100)}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/__')) {
      req.resume();
      return admin(req, res, path);
    }
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec((req.url ?? '').split('?')[0] ?? '');
    let body: Buffer;
    try {
      body = await readBody(req, MAX_SYNC_PAYLOAD);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { Type: 'User', message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' }, { 'x-amzn-errortype': 'RequestTooLargeException' });
      throw err;
    }
    const verdict = await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
      { service: 'lambda', region: options.region, lookupSecret: (id) => (id === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined) },
    );
    if (!verdict.ok) {
      return sendJson(res, 403, { message: 'The request signature we calculated does not match the signature you provided.' }, { 'x-amzn-errortype': 'InvalidSignatureException' });
    }
    const name = match ? decodeURIComponent(match[1]) : '';
    if (!match || req.method !== 'POST' || !options.functions[name]) {
      return sendJson(res, 404, { Type: 'User', message: `Function not found: ${name.slice(0, 100)}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    }
    let event: unknown;
    try {
      event = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      return sendJson(res, 400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'Event') {
      if (body.length > MAX_ASYNC_PAYLOAD) {
        return sendJson(res, 413, { Type: 'User', message: 'Request must be smaller than 262144 bytes for the InvokeAsync operation' }, { 'x-amzn-errortype': 'RequestTooLargeException' });
      }
      if (closing) return sendJson(res, 503, { message: 'shutting down' }, { 'x-amzn-errortype': 'ServiceException' });
      queue.push({ name, event, attempt: 0 });
      pump();
      res.writeHead(202, { 'x-amzn-requestid': crypto.randomUUID() });
      return void res.end();
    }
    if (type === 'DryRun') return void res.writeHead(204).end();
    invocations++;
    try {
      const result = await options.functions[name](event);
      sendJson(res, 200, result ?? null);
    } catch (err) {
      const e = err as Error;
      sendJson(res, 200, { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(err) }, { 'x-amz-function-error': 'Unhandled' });
    }
  }

  const server: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { message: 'internal error' }, { 'x-amzn-errortype': 'ServiceException' });
      });
    },
    options.port,
    'Lambda stand-in',
    options.host,
  );

  const idle = () =>
    new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    });

  return {
    url: server.url,
    port: server.port,
    stats,
    resetStats,
    idle,
    close: async () => {
      closing = true;
      await server.close();
      await idle();
    },
  };
}
