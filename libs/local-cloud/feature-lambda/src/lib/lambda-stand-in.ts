import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';

import {
  BodyTooLargeError,
  listen,
  readBody,
  refuseBrowserAdmin,
  RunningServer,
  sendJson,
  sleep,
} from '@imagegen/local-cloud/util-http';
import { accessDeniedMessage, Authorizer, lambdaCalls } from '@imagegen/local-cloud/util-iam';
import { verifySigV4 } from '@imagegen/shared/util-sigv4';

/** What Lambda tells a function about the invocation. */
export interface LambdaContext {
  /** The same for every attempt of one asynchronous event, as in AWS. */
  readonly awsRequestId: string;
  readonly functionName: string;
}

export type LambdaFunction = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface AsyncRetry {
  /** Retries after a failed asynchronous invocation (AWS default: 2). */
  readonly retries: number;
  /** Wait before each retry, in ms (AWS waits about 1 and 2 minutes; shorter locally). */
  readonly delaysMs: readonly number[];
}

/**
 * A function's configuration, as the template gives it (AWS::Lambda::Function and its
 * AWS::Lambda::EventInvokeConfig); what is absent takes Lambda's default.
 */
export interface LambdaFunctionConfig {
  readonly handler: LambdaFunction;
  /** The function's timeout (its Timeout): a run still going then fails with "Task timed out". */
  readonly timeoutMs?: number;
  /** Its reserved concurrency: most runs at once (default: the stand-in's `concurrency`). */
  readonly reservedConcurrency?: number;
  /** MaximumRetryAttempts of asynchronous invocations (default: `retry.retries`, AWS: 2). */
  readonly maxRetryAttempts?: number;
  /** MaximumEventAgeInSeconds: an event older than this is not run again (AWS default 21600). */
  readonly maxEventAgeSeconds?: number;
  /** The on-failure destination: another function of this stand-in, invoked with Lambda's invocation record. */
  readonly onFailure?: string;
}

/** A message as an SQS event source mapping receives it. */
export interface EventSourceMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * The queue an SQS event source mapping polls. `receive` and `delete` are the calls Lambda makes with
 * the function's execution role (the local cloud sends them through the SQS stand-in, so IAM is
 * enforced); `retryAfter`, `depth` and `surrender` are local-only (see EventSourceMappingConfig).
 */
export interface EventSourceQueue {
  readonly arn: string;
  /** ReceiveMessage (a short long poll): at most `max` messages, or none. */
  receive(max: number, signal: AbortSignal): Promise<EventSourceMessage[]>;
  /** DeleteMessage of a record the function processed. */
  delete(receiptHandle: string): Promise<void>;
  /**
   * A failed record returns to the queue after its visibility timeout (AWS: the queue's, six times
   * the function timeout); locally after `ms`, as the stand-in's asynchronous retries wait seconds
   * where AWS waits minutes.
   */
  retryAfter(receiptHandle: string, ms: number): void;
  /** Messages waiting (visible) and received but not deleted (in flight). */
  depth(): { readonly visible: number; readonly inFlight: number };
  /** At a shutdown deadline: every message to the queue's dead-letter queue now. */
  surrender(): number;
}

/**
 * An AWS::Lambda::EventSourceMapping on an SQS queue, as the template gives it: Lambda polls the queue
 * and invokes the function synchronously with a batch, with at most `maximumConcurrency` invocations
 * in flight (ScalingConfig, https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html);
 * a record that fails (the invocation throws, or its id is in `batchItemFailures` with
 * ReportBatchItemFailures) returns to the queue, and the queue's redrive policy moves it to the
 * dead-letter queue after maxReceiveCount receives.
 */
export interface EventSourceMappingConfig {
  readonly functionName: string;
  readonly queue: EventSourceQueue;
  /** BatchSize (AWS default for SQS: 10). */
  readonly batchSize?: number;
  /** ScalingConfig.MaximumConcurrency (default: the function's cap). */
  readonly maximumConcurrency?: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures. */
  readonly reportBatchItemFailures?: boolean;
  /** The queue is another's dead-letter queue: each message arriving counts in `failures` (every delivery failed). */
  readonly deadLetter?: boolean;
}

export interface LambdaStandInOptions {
  readonly port: number;
  readonly host?: string;
  readonly functions: Readonly<Record<string, LambdaFunction | LambdaFunctionConfig>>;
  /** Most invocations running at once, per function without a reserved concurrency of its own. */
  readonly concurrency: number;
  readonly retry?: AsyncRetry;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * IAM enforcement: every Invoke is authorized (lambda:InvokeFunction on the function ARN) as the
   * principal of its access key; a refusal is Lambda's 403 AccessDeniedException. Without it, any
   * request signed with `credentials` is allowed.
   */
  readonly authorizer?: Authorizer;
  /**
   * With `authorizer`: the on-failure destination is a function invoked as the failed function's own
   * role (as Lambda invokes destinations), so each delivery to it is first authorized as
   * lambda:InvokeFunction on `functionName` for `accessKeyId`; a refused delivery fails (and is retried,
   * then dropped, as a failing destination is).
   */
  readonly onFailureDestination?: { readonly functionName: string; readonly invokedAsKeyId: string };
  /**
   * Called when an asynchronous event failed every attempt (the on-failure destination). Like the
   * Lambda destination it stands for (itself invoked asynchronously), it is retried with `retry`.
   */
  readonly onFailure?: (functionName: string, event: unknown, error: unknown) => void | Promise<void>;
  /** Where a failing on-failure destination is reported (it never stops the queue). */
  readonly log?: { error(details: object, message: string): void };
  /**
   * A file keeping the events accepted and not yet ended, so a process that dies loses none of
   * them (Lambda's own queue is durable): `resumeJournal()` runs them again after a restart.
   */
  readonly journalFile?: string;
  /** SQS event source mappings, polling once `startEventSources()` is called. */
  readonly eventSources?: readonly EventSourceMappingConfig[];
}

export interface LambdaStats {
  /** Invocations running now (never above the concurrency cap). */
  readonly running: number;
  /** Events waiting for a free slot, and messages waiting in the event source mappings' queues (retries waiting out their delay excluded). */
  readonly queued: number;
  /**
   * Events waiting out the delay before a retry, and queue messages that failed and wait to be delivered again
   * (a message on its way from the queue to a poller counts too, for the moment of its receive: never idle then).
   */
  readonly retrying: number;
  /** Most invocations running at once since start (or since the last reset). */
  readonly maxRunning: number;
  /** The concurrency cap (the worker's reserved concurrency). */
  readonly concurrency: number;
  /** Function runs started, retries included. */
  readonly invocations: number;
  /**
   * Events that failed every attempt, or were still unfinished at a shutdown deadline (handed to the
   * on-failure destination), and messages that reached a dead-letter queue a mapping consumes.
   */
  readonly failures: number;
  /** Invocation payloads (events in, synchronous results out) since start or the last reset. */
  readonly payloads: PayloadStats;
}

/** What passed through invocation payloads: images must never (jobs carry S3 keys; the browser posts to S3). */
export interface PayloadStats {
  readonly count: number;
  readonly bytes: number;
  readonly largest: number;
  /** Bytes of the payloads that held an image (PNG, JPEG or WebP, raw or base64). */
  readonly imageBytes: number;
}

/**
 * PNG, JPEG and WebP file signatures as a JSON payload could carry them: base64 (`iVBORw0KGgo`, `/9j/`, `UklG…RUJQ`
 * for RIFF….WEBP) or a serialized Buffer's byte array.
 */
const IMAGE_SIGNATURES =
  /iVBORw0KGgo|\/9j\/[0-9A-Za-z+/]{4}|UklG[0-9A-Za-z+/]{8}RUJQ|"data":\[(?:137,80,78,71|255,216,255|82,73,70,70)/;

/** Whether a payload holds an image, in any form a JSON event could carry it. */
export function holdsImage(text: string): boolean {
  return IMAGE_SIGNATURES.test(text);
}

export interface LambdaCloseOptions {
  /**
   * Epoch ms. Until then the events already accepted keep running; events still queued or waiting
   * for a retry at that moment, and invocations still running, are handed to the on-failure
   * destination (so no job is left behind), and close resolves without waiting for those runs.
   * Without a deadline, close waits for every event.
   */
  readonly deadline?: number;
  /**
   * After the deadline, how long the runs that were cut get to wind down (a run that stored an
   * image it can no longer record takes it back) before close resolves. Default 2000 ms.
   */
  readonly windDownMs?: number;
}

export interface LambdaStandIn {
  readonly url: string;
  readonly port: number;
  stats(): LambdaStats;
  /**
   * Counts an event or result of a function the stack runs in-process behind API Gateway's proxy integration
   * (the API handler): its payloads cross the same Lambda boundary.
   */
  notePayload(value: unknown): void;
  /** Starts the peak (maxRunning) again from what runs now; the counters keep counting. */
  resetStats(): void;
  /** Most invocations of one function running at once since start (or since the last reset). */
  maxRunningOf(functionName: string): number;
  /**
   * Resolves when no event is queued, waiting for a retry, running, or being handed to the on-failure
   * destination, and every event source mapping's queue is empty.
   */
  idle(): Promise<void>;
  /** Starts polling the event source mappings' queues. Call it once the functions' services are up. */
  startEventSources(): void;
  /** Queues the events an earlier process left unfinished in the journal; answers how many. Call it once the functions' services are up. */
  resumeJournal(): number;
  /** Graceful shutdown: new `Event` invocations are refused (503) at once, those accepted end or are handed over (see `deadline`). */
  close(options?: LambdaCloseOptions): Promise<void>;
}

/**
 * Invoke payload limits (Lambda API reference, Invoke: "For synchronous invocations, the maximum
 * payload size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB."
 * https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html).
 */
export const MAX_ASYNC_PAYLOAD = 1024 * 1024;
export const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
/** Lambda's default maximum age of an asynchronous event (6 hours). */
const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;

export class LambdaTimeoutError extends Error {
  override readonly name = 'Sandbox.Timedout';
}

/** Runs the handler under the function's timeout, as Lambda does (the in-process run is abandoned, not killed). */
async function withTimeout<T>(
  run: () => Promise<T>,
  timeoutMs: number | undefined,
  requestId: string,
): Promise<T> {
  if (timeoutMs === undefined) return run();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_ok, fail) => {
    timer = setTimeout(
      () =>
        fail(
          new LambdaTimeoutError(
            `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([run(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

interface QueuedEvent {
  /** The awsRequestId: one per event, kept across its retries. */
  readonly id: string;
  readonly name: string;
  readonly event: unknown;
  readonly attempt: number;
  /** When Lambda accepted the event (epoch ms): its age counts from here. */
  readonly acceptedAt?: number;
}

/** An append-only file of the events accepted (`add`) and ended (`done`); emptied whenever nothing is pending. */
class EventJournal {
  private readonly pending = new Map<string, QueuedEvent>();

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** The events left unfinished by an earlier process (a torn last line is skipped). */
  load(): QueuedEvent[] {
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        let entry: { op?: string; id?: string; name?: string; event?: unknown; attempt?: number };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.op === 'add' && typeof entry.id === 'string' && typeof entry.name === 'string') {
          this.pending.set(entry.id, {
            id: entry.id,
            name: entry.name,
            event: entry.event,
            attempt: Number(entry.attempt) || 0,
            ...(typeof (entry as { acceptedAt?: unknown }).acceptedAt === 'number'
              ? { acceptedAt: (entry as { acceptedAt: number }).acceptedAt }
              : {}),
          });
        } else if (entry.op === 'done' && typeof entry.id === 'string') this.pending.delete(entry.id);
      }
    }
    const left = [...this.pending.values()];
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, left.map((e) => JSON.stringify({ op: 'add', ...e }) + '\n').join(''));
    renameSync(tmp, this.file);
    return left;
  }

  add(item: QueuedEvent): void {
    this.pending.set(item.id, item);
    appendFileSync(this.file, JSON.stringify({ op: 'add', ...item }) + '\n');
  }

  done(id: string): void {
    if (!this.pending.delete(id)) return;
    if (this.pending.size === 0) writeFileSync(this.file, '');
    else appendFileSync(this.file, JSON.stringify({ op: 'done', id }) + '\n');
  }
}

/**
 * The Lambda Invoke API on loopback, running functions in-process: `Event` invocations are queued
 * (durably, with `journalFile`) and run with the configured concurrency cap and AWS's asynchronous
 * retry behaviour; an event that fails every attempt goes to the on-failure destination.
 * Admin: `GET /__stats`, `POST /__stats/reset`.
 */
export async function startLambdaStandIn(options: LambdaStandInOptions): Promise<LambdaStandIn> {
  const retry = options.retry ?? { retries: 2, delaysMs: [1_000, 2_000] };
  const { authorizer } = options;
  const delayBefore = (attempt: number) =>
    retry.delaysMs[attempt] ?? retry.delaysMs[retry.delaysMs.length - 1] ?? 1_000;
  const journal = options.journalFile ? new EventJournal(options.journalFile) : undefined;
  const leftOver = journal?.load() ?? [];
  const queue: QueuedEvent[] = [];
  const running = new Map<string, { item: QueuedEvent; run: Promise<void> }>();
  /** Events sleeping before a retry, with the timer that wakes them. */
  const waiting = new Map<string, { item: QueuedEvent; timer: NodeJS.Timeout }>();
  /** Events being handed to the on-failure destination. */
  const handingOver = new Set<Promise<void>>();
  /** Runs cut at a shutdown deadline: already handed over, whatever they end with. */
  const cut = new Set<string>();
  let maxRunning = 0;
  let invocations = 0;
  let failures = 0;
  let payloads: PayloadStats = { count: 0, bytes: 0, largest: 0, imageBytes: 0 };
  /** Counts an event or a result as it crosses the invocation boundary. */
  const notePayload = (value: unknown) => {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
    const bytes = Buffer.byteLength(text);
    payloads = {
      count: payloads.count + 1,
      bytes: payloads.bytes + bytes,
      largest: Math.max(payloads.largest, bytes),
      imageBytes: payloads.imageBytes + (holdsImage(text) ? bytes : 0),
    };
  };
  let closing = false;
  let deadline: number | undefined;
  let idleWaiters: (() => void)[] = [];
  const mappings = (options.eventSources ?? []).map((config) => ({
    config,
    abort: new AbortController(),
    stopped: false,
    pollers: [] as Promise<void>[],
    /** Records of this mapping's invocations running now. */
    inRun: 0,
  }));
  /** The running invocations that an event source mapping made (their events are queue batches). */
  const fromQueues = new Set<string>();
  /** Messages seen arriving in a dead-letter queue (counted once each in `failures`). */
  const deadLettersSeen = new Set<string>();

  const queuesEmpty = () =>
    mappings.every((m) => {
      const d = m.config.queue.depth();
      return d.visible === 0 && d.inFlight === 0;
    });
  const isIdle = () =>
    running.size === 0 && waiting.size === 0 && queue.length === 0 && handingOver.size === 0 && queuesEmpty();
  const checkIdle = () => {
    if (isIdle()) {
      idleWaiters.forEach((w) => w());
      idleWaiters = [];
    }
  };

  const config = (name: string): LambdaFunctionConfig | undefined => {
    const f = options.functions[name];
    return f === undefined ? undefined : typeof f === 'function' ? { handler: f } : f;
  };
  const capOf = (name: string) => config(name)?.reservedConcurrency ?? options.concurrency;
  const retriesOf = (name: string) => config(name)?.maxRetryAttempts ?? retry.retries;
  const maxAgeMsOf = (name: string) =>
    (config(name)?.maxEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
  const tooOld = (item: QueuedEvent, at = Date.now()) =>
    item.acceptedAt !== undefined && at - item.acceptedAt > maxAgeMsOf(item.name);
  /** Per function: the most invocations running at once. */
  const peaks = new Map<string, number>();
  const notePeak = (name: string) => peaks.set(name, Math.max(peaks.get(name) ?? 0, runningOf(name)));
  const runningOf = (name: string) => [...running.values()].filter((r) => r.item.name === name).length;

  const pump = () => {
    for (let i = 0; i < queue.length; ) {
      const item = queue[i];
      if (tooOld(item)) {
        queue.splice(i, 1);
        handOver(item, new Error('the event is older than the maximum event age'), 'EventAgeExceeded');
        continue;
      }
      if (runningOf(item.name) >= capOf(item.name)) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      const run = runAsync(item).finally(() => {
        running.delete(item.id);
        pump();
        checkIdle();
      });
      running.set(item.id, { item, run });
      maxRunning = Math.max(maxRunning, running.size);
      notePeak(item.name);
    }
  };

  /** Throws AWS's refusal when the failed function's role may not invoke the on-failure destination. */
  function authorizeDestination(): void {
    const destination = options.onFailureDestination;
    if (!authorizer || !destination || authorizer.secretFor(destination.invokedAsKeyId) === undefined) return;
    const check = authorizer.check(
      destination.invokedAsKeyId,
      lambdaCalls(
        'POST',
        `/2015-03-31/functions/${encodeURIComponent(destination.functionName)}/invocations`,
        {
          region: options.region,
          account: authorizer.account,
        },
      ),
    );
    if (!check.allowed)
      throw Object.assign(new Error(accessDeniedMessage(check)), { name: 'AccessDeniedException' });
  }

  /** The on-failure destination, retried like the asynchronous invocation it stands for; then the event is done. */
  function handOver(item: QueuedEvent, error: unknown, condition = 'RetriesExhausted'): void {
    failures++;
    const destination = config(item.name)?.onFailure;
    const target = destination ? config(destination) : undefined;
    const delivery = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          authorizeDestination();
          await options.onFailure?.(item.name, item.event, error);
          if (destination && target) {
            // The invocation record Lambda sends an on-failure destination.
            const e = error as Error | undefined;
            const record = {
              version: '1.0',
              timestamp: new Date().toISOString(),
              requestContext: {
                requestId: item.id,
                functionArn: `${item.name}:$LATEST`,
                condition,
                approximateInvokeCount: item.attempt + 1,
              },
              requestPayload: item.event,
              responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
              responsePayload: { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) },
            };
            await withTimeout(
              () =>
                target.handler(record, { awsRequestId: `${item.id}-destination`, functionName: destination }),
              target.timeoutMs,
              item.id,
            );
          }
          break;
        } catch (destinationError) {
          if (attempt >= retriesOf(destination ?? item.name)) {
            options.log?.error(
              { err: destinationError, functionName: item.name },
              'the on-failure destination failed; the event is dropped',
            );
            break;
          }
          await sleep(delayBefore(attempt));
        }
      }
      journal?.done(item.id);
    })();
    handingOver.add(delivery);
    void delivery.finally(() => {
      handingOver.delete(delivery);
      checkIdle();
    });
  }

  async function runAsync(item: QueuedEvent): Promise<void> {
    const fn = config(item.name);
    try {
      invocations++;
      notePayload(item.event);
      if (!fn) throw new Error(`no function ${item.name}`);
      await withTimeout(
        () => fn.handler(item.event, { awsRequestId: item.id, functionName: item.name }),
        fn.timeoutMs,
        item.id,
      );
      if (!cut.delete(item.id)) journal?.done(item.id);
    } catch (error) {
      if (cut.delete(item.id)) return;
      const delay = delayBefore(item.attempt);
      // While stopping, a retry that could not start before the deadline is handed over at once.
      const canRetry =
        item.attempt < retriesOf(item.name) &&
        (!closing || (deadline !== undefined && Date.now() + delay < deadline));
      if (!canRetry) return handOver(item, error);
      // An event that would be older than its maximum age at the retry is not retried (Lambda drops it to the destination).
      if (tooOld(item, Date.now() + delay)) return handOver(item, error, 'EventAgeExceeded');
      const next = { ...item, attempt: item.attempt + 1 };
      journal?.add(next);
      const timer = setTimeout(() => {
        waiting.delete(item.id);
        queue.push(next);
        pump();
        checkIdle();
      }, delay);
      waiting.set(item.id, { item: next, timer });
    }
  }

  /** At the shutdown deadline: whatever has not ended goes to the on-failure destination. Answers the runs cut. */
  function handOverTheRest(): Promise<void>[] {
    const reason = new Error('the local cloud stopped before this event ended');
    for (const item of queue.splice(0)) handOver(item, reason);
    for (const [id, { item, timer }] of waiting) {
      clearTimeout(timer);
      waiting.delete(id);
      handOver(item, reason);
    }
    const cutRuns: Promise<void>[] = [];
    for (const { item, run } of running.values()) {
      cutRuns.push(run);
      // A queue's batch is not the destination's: its messages go to the dead-letter queue (surrenderQueues).
      if (fromQueues.has(item.id)) continue;
      cut.add(item.id);
      handOver(item, reason);
    }
    return cutRuns;
  }

  type Mapping = (typeof mappings)[number];

  /** The ids of the records an invocation's partial batch response reports failed (all of them when the response is malformed). */
  function failedRecords(result: unknown, ids: readonly string[]): Set<string> {
    const failures = (result as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return new Set(ids);
    const out = new Set<string>();
    for (const f of failures) {
      const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      // An empty or unknown itemIdentifier fails the whole batch (Lambda developer guide, partial batch responses).
      if (typeof id !== 'string' || !ids.includes(id)) return new Set(ids);
      out.add(id);
    }
    return out;
  }

  /** One invocation of a mapping's function with a batch; then deletes what succeeded, and returns the rest to the queue. */
  async function deliver(mapping: Mapping, messages: readonly EventSourceMessage[]): Promise<void> {
    const source = mapping.config;
    const fn = source.functionName;
    const id = crypto.randomUUID();
    const event = {
      Records: messages.map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: m.attributes,
        messageAttributes: {},
        md5OfBody: m.md5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: source.queue.arn,
        awsRegion: options.region,
      })),
    };
    if (source.deadLetter)
      for (const m of messages)
        if (!deadLettersSeen.has(m.messageId)) {
          deadLettersSeen.add(m.messageId);
          failures++;
        }
    const item: QueuedEvent = { id, name: fn, event, attempt: 0 };
    mapping.inRun += messages.length;
    invocations++;
    notePayload(event);
    const run = (async () => {
      const ids = messages.map((m) => m.messageId);
      let failed: Set<string>;
      try {
        const target = config(fn);
        if (!target) throw new Error(`no function ${fn}`);
        const result = await withTimeout(
          () => target.handler(event, { awsRequestId: id, functionName: fn }),
          target.timeoutMs,
          id,
        );
        failed = source.reportBatchItemFailures ? failedRecords(result, ids) : new Set();
      } catch (err) {
        options.log?.error({ err, functionName: fn }, 'the batch failed: its records return to the queue');
        failed = new Set(ids);
      }
      if (cut.delete(id)) return;
      for (const m of messages) {
        if (failed.has(m.messageId)) {
          const attempt = Math.max(0, Number(m.attributes['ApproximateReceiveCount'] ?? 1) - 1);
          source.queue.retryAfter(m.receiptHandle, delayBefore(attempt));
        } else {
          await source.queue
            .delete(m.receiptHandle)
            .catch((err: unknown) =>
              options.log?.error({ err, functionName: fn }, 'could not delete a processed message'),
            );
        }
      }
    })();
    running.set(id, { item, run });
    fromQueues.add(id);
    maxRunning = Math.max(maxRunning, running.size);
    notePeak(fn);
    try {
      await run;
    } finally {
      running.delete(id);
      fromQueues.delete(id);
      mapping.inRun -= messages.length;
      checkIdle();
    }
  }

  /** One of a mapping's pollers: receives a batch, invokes the function with it, again (at most MaximumConcurrency pollers). */
  async function poll(mapping: Mapping): Promise<void> {
    const source = mapping.config;
    while (!mapping.stopped) {
      // A reserved concurrency below the mapping's maximum: wait for a slot (Lambda would throttle).
      if (runningOf(source.functionName) >= capOf(source.functionName)) {
        await sleep(20);
        continue;
      }
      let messages: EventSourceMessage[];
      try {
        messages = await source.queue.receive(source.batchSize ?? 10, mapping.abort.signal);
      } catch (err) {
        if (mapping.stopped) break;
        options.log?.error(
          { err, functionName: source.functionName },
          'the event source mapping could not poll its queue',
        );
        await sleep(1_000);
        continue;
      }
      if (messages.length > 0) await deliver(mapping, messages);
    }
  }

  const startMapping = (mapping: Mapping) => {
    const n = Math.max(1, mapping.config.maximumConcurrency ?? capOf(mapping.config.functionName));
    for (let i = 0; i < n; i++) mapping.pollers.push(poll(mapping));
  };
  /** Stops a mapping's pollers from taking more (an invocation running goes on: never awaited here). */
  const stopMapping = (mapping: Mapping) => {
    mapping.stopped = true;
    mapping.abort.abort();
  };

  /**
   * At a shutdown deadline: the source queues' messages (waiting, or held by runs now cut) go to their
   * dead-letter queues, whose consumers settle them; waits (at most `windDownMs`) for those to drain.
   */
  async function surrenderQueues(windDownMs: number): Promise<void> {
    const sources = mappings.filter((m) => !m.config.deadLetter);
    sources.forEach(stopMapping);
    for (const { item } of running.values())
      if (sources.some((m) => m.config.functionName === item.name)) cut.add(item.id);
    for (const m of sources) m.config.queue.surrender();
    const until = Date.now() + windDownMs;
    const drained = () =>
      mappings
        .filter((m) => m.config.deadLetter)
        .every(
          (m) =>
            m.inRun === 0 && m.config.queue.depth().visible === 0 && m.config.queue.depth().inFlight === 0,
        );
    while (!drained() && Date.now() < until) await sleep(50);
  }

  const stats = (): LambdaStats => ({
    running: running.size,
    queued: queue.length + mappings.reduce((n, m) => n + m.config.queue.depth().visible, 0),
    // Messages received and not deleted that no invocation holds: they wait to be delivered again.
    retrying:
      waiting.size + mappings.reduce((n, m) => n + Math.max(0, m.config.queue.depth().inFlight - m.inRun), 0),
    maxRunning,
    concurrency: options.concurrency,
    invocations,
    failures,
    payloads,
  });
  const resetStats = () => {
    maxRunning = running.size;
    payloads = { count: 0, bytes: 0, largest: 0, imageBytes: 0 };
    peaks.clear();
    for (const { item } of running.values()) notePeak(item.name);
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
      if (err instanceof BodyTooLargeError)
        return sendJson(
          res,
          413,
          {
            Type: 'User',
            message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
          },
          { 'x-amzn-errortype': 'RequestTooLargeException' },
        );
      throw err;
    }
    const verdict = await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
      {
        service: 'lambda',
        region: options.region,
        lookupSecret: (id) =>
          authorizer?.secretFor(id) ??
          (id === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined),
      },
    );
    if (!verdict.ok) {
      return sendJson(
        res,
        403,
        { message: 'The request signature we calculated does not match the signature you provided.' },
        { 'x-amzn-errortype': 'InvalidSignatureException' },
      );
    }
    if (authorizer?.secretFor(verdict.accessKeyId) !== undefined) {
      const check = authorizer.check(
        verdict.accessKeyId,
        lambdaCalls(req.method ?? '', req.url ?? '', { region: options.region, account: authorizer.account }),
      );
      if (!check.allowed)
        return sendJson(
          res,
          403,
          { Type: 'User', message: accessDeniedMessage(check) },
          { 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': crypto.randomUUID() },
        );
    }
    const name = match ? decodeURIComponent(match[1]) : '';
    if (!match || req.method !== 'POST' || !options.functions[name]) {
      return sendJson(
        res,
        404,
        { Type: 'User', message: `Function not found: ${name.slice(0, 100)}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
    }
    let event: unknown;
    try {
      event = body.length ? JSON.parse(body.toString('utf8')) : {};
    } catch {
      return sendJson(
        res,
        400,
        { Type: 'User', message: 'Could not parse request body into json' },
        { 'x-amzn-errortype': 'InvalidRequestContentException' },
      );
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'Event') {
      if (body.length > MAX_ASYNC_PAYLOAD) {
        return sendJson(
          res,
          413,
          {
            Type: 'User',
            message: `Request must be smaller than ${MAX_ASYNC_PAYLOAD} bytes for the InvokeFunction operation`,
          },
          { 'x-amzn-errortype': 'RequestTooLargeException' },
        );
      }
      if (closing)
        return sendJson(res, 503, { message: 'shutting down' }, { 'x-amzn-errortype': 'ServiceException' });
      const item: QueuedEvent = { id: crypto.randomUUID(), name, event, attempt: 0, acceptedAt: Date.now() };
      // Kept before it is acknowledged: an event answered 202 is never lost.
      journal?.add(item);
      queue.push(item);
      pump();
      res.writeHead(202, { 'x-amzn-requestid': item.id });
      return void res.end();
    }
    if (type === 'DryRun') return void res.writeHead(204).end();
    invocations++;
    const requestId = crypto.randomUUID();
    try {
      const fn = config(name);
      if (!fn) throw new Error(`no function ${name}`);
      notePayload(event);
      const result = await withTimeout(
        () => fn.handler(event, { awsRequestId: requestId, functionName: name }),
        fn.timeoutMs,
        requestId,
      );
      notePayload(result ?? null);
      sendJson(res, 200, result ?? null);
    } catch (err) {
      const e = err as Error;
      sendJson(
        res,
        200,
        { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(err) },
        { 'x-amz-function-error': 'Unhandled' },
      );
    }
  }

  const server: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent)
          sendJson(res, 500, { message: 'internal error' }, { 'x-amzn-errortype': 'ServiceException' });
      });
    },
    options.port,
    'Lambda stand-in',
    options.host,
  );

  // The mappings' queues change outside this stand-in (a message sent, a retry's wait over): looked at often.
  const idle = () =>
    new Promise<void>((resolve) => {
      const timer = setInterval(checkIdle, 50);
      // A waiter a shutdown deadline overtook does not keep the process alive.
      timer.unref();
      idleWaiters.push(() => (clearInterval(timer), resolve()));
      checkIdle();
    });

  return {
    url: server.url,
    port: server.port,
    stats,
    notePayload,
    resetStats,
    idle,
    startEventSources: () => mappings.forEach(startMapping),
    maxRunningOf: (name) => peaks.get(name) ?? 0,
    resumeJournal: () => {
      const items = leftOver.splice(0).filter((item) => options.functions[item.name]);
      queue.push(...items);
      pump();
      return items.length;
    },
    close: async (closeOptions = {}) => {
      closing = true;
      deadline = closeOptions.deadline;
      if (deadline !== undefined && !isIdle()) {
        let timer: NodeJS.Timeout | undefined;
        const reached = new Promise<boolean>(
          (resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, (deadline ?? 0) - Date.now()))),
        );
        const late = await Promise.race([idle().then(() => false), reached]);
        clearTimeout(timer);
        const cutRuns = late ? handOverTheRest() : [];
        if (late) await surrenderQueues(Math.max(closeOptions.windDownMs ?? 2_000, 10_000));
        while (handingOver.size > 0) await Promise.all([...handingOver]);
        // The runs cut get a moment to wind down (a run that stored an image it can no longer record
        // takes it back), not the time to finish a slow model call.
        if (cutRuns.length > 0)
          await Promise.race([Promise.all(cutRuns), sleep(closeOptions.windDownMs ?? 2_000)]);
      } else {
        await idle();
      }
      mappings.forEach(stopMapping);
      // Pollers end at once unless a run they wait for was cut at the deadline: that one is not waited out.
      let windDown: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(mappings.flatMap((m) => m.pollers)),
        new Promise((resolve) => (windDown = setTimeout(resolve, closeOptions.windDownMs ?? 2_000))),
      ]);
      clearTimeout(windDown);
      await server.close();
    },
  };
}
