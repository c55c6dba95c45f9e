import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';

import { BodyTooLargeError, listen, readBody, RunningServer, sleep } from '@imagegen/local-cloud/util-http';
import { accessDeniedMessage, Authorizer, sqsCalls } from '@imagegen/local-cloud/util-iam';
import { verifySigV4 } from '@imagegen/shared/util-sigv4';

// Amazon SQS on loopback, as @aws-sdk/client-sqs 3.x speaks it: the AWS JSON 1.0 protocol
// (`POST /`, `X-Amz-Target: AmazonSQS.<Op>`, `Content-Type: application/x-amz-json-1.0`), errors as
// `{"__type": "com.amazonaws.sqs#…", "message"}` with the `x-amzn-query-error` header
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html).
// Standard queues only: visibility timeout, receive count and the redrive policy's dead-letter queue.

/** A queue, as the template's AWS::SQS::Queue gives it; what is absent takes SQS's default. */
export interface QueueConfig {
  readonly name: string;
  /** VisibilityTimeout, seconds (default 30). */
  readonly visibilityTimeoutSeconds?: number;
  /** MessageRetentionPeriod, seconds (default 345,600: 4 days). */
  readonly messageRetentionSeconds?: number;
  /** MaximumMessageSize, bytes (default and most: 1,048,576). */
  readonly maximumMessageSize?: number;
  /** RedrivePolicy: after `maxReceiveCount` receives, a message moves to the queue of this ARN. */
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

export interface SqsStandInOptions {
  readonly port: number;
  readonly host?: string;
  readonly region: string;
  readonly account: string;
  readonly queues: readonly QueueConfig[];
  /** Keys accepted without enforcement (and the local cloud's own, trusted, with it). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** IAM enforcement: each call is authorized as sqs:<Op> on the queue ARN for the caller's role. */
  readonly authorizer?: Authorizer;
  /**
   * A file of every change to the queues, so a process that dies loses no message (SQS is durable).
   * At the next start messages come back with their receive counts; those that were in flight (their
   * consumer died with the process) are visible again at once.
   */
  readonly journalFile?: string;
}

/** The largest message body SQS takes, and the largest batch (SendMessage / SendMessageBatch API references). */
export const MAX_MESSAGE_BYTES = 1_048_576;
const DEFAULT_VISIBILITY_SECONDS = 30;
const DEFAULT_RETENTION_SECONDS = 345_600;
/** ReceiveMessage: MaxNumberOfMessages 1 to 10, WaitTimeSeconds 0 to 20, VisibilityTimeout 0 to 43,200. */
const MAX_RECEIVE = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 43_200;

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  readonly senderId: string;
  receiveCount: number;
  firstReceiveAt?: number;
  /** Epoch ms from which it may be received again (in flight until then). */
  visibleAt: number;
  /** The receipt handle of its latest receive: only that one deletes it. */
  receipt?: string;
}

interface Queue {
  readonly config: QueueConfig;
  readonly arn: string;
  readonly messages: Map<string, StoredMessage>;
  sent: number;
  received: number;
  deleted: number;
  movedIn: number;
}

export interface QueueDepth {
  /** Messages that may be received now. */
  readonly visible: number;
  /** Messages received and not yet deleted, within their visibility timeout. */
  readonly inFlight: number;
}

export interface QueueStats extends QueueDepth {
  readonly sent: number;
  readonly received: number;
  readonly deleted: number;
  /** Messages moved in from a source queue (a dead-letter queue's arrivals). */
  readonly movedIn: number;
}

export interface SqsStandIn {
  readonly url: string;
  readonly port: number;
  /** The queue URL the SDK is given (it points at this stand-in). */
  queueUrl(name: string): string;
  arn(name: string): string;
  depth(name: string): QueueDepth;
  stats(name: string): QueueStats;
  /**
   * Makes a received message visible again after `seconds` (what ChangeMessageVisibility does), in
   * process: the local event source mapping compresses Lambda's retry wait with it (no IAM: it is no
   * call of a role). False when the receipt is not the message's latest.
   */
  changeVisibility(name: string, receiptHandle: string, seconds: number): boolean;
  /**
   * Moves every message of a queue (visible or in flight) to its dead-letter queue now: the local
   * cloud's shutdown hands what it cannot finish to the dead-letter consumer. Answers how many.
   */
  surrender(name: string): number;
  close(): Promise<void>;
}

class SqsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

const nonExistentQueue = () =>
  new SqsError(
    400,
    'com.amazonaws.sqs#QueueDoesNotExist',
    'AWS.SimpleQueueService.NonExistentQueue;Sender',
    'The specified queue does not exist.',
  );
const invalidParameter = (reason: string) =>
  new SqsError(
    400,
    'com.amazonaws.sqs#InvalidParameterValue',
    'InvalidParameterValue;Sender',
    `One or more parameters are invalid. Reason: ${reason}`,
  );
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** An append-only journal of the queues' changes, compacted at each start and whenever every queue is empty. */
class QueueJournal {
  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Replays the journal into `queues` (a torn last line is skipped), then rewrites it compacted. */
  load(queues: Map<string, Queue>): void {
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        let e: { op?: string; q?: string; to?: string; id?: string; m?: StoredMessage };
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        const queue = e.q ? queues.get(e.q) : undefined;
        if (!queue) continue;
        if (e.op === 'put' && e.m) queue.messages.set(e.m.id, { ...e.m });
        else if (e.op === 'delete' && e.id) queue.messages.delete(e.id);
        else if (e.op === 'move' && e.id && e.to) {
          const m = queue.messages.get(e.id);
          queue.messages.delete(e.id);
          const target = queues.get(e.to);
          if (m && target) target.messages.set(m.id, { ...m, receiveCount: 0, visibleAt: 0 });
        }
      }
    }
    // Their consumers died with the process that received them: visible again at once (receive counts kept).
    for (const q of queues.values())
      for (const m of q.messages.values()) {
        m.visibleAt = 0;
        delete m.receipt;
      }
    this.compact(queues);
  }

  private compact(queues: Map<string, Queue>): void {
    const lines: string[] = [];
    for (const [name, q] of queues)
      for (const m of q.messages.values()) lines.push(JSON.stringify({ op: 'put', q: name, m }));
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, lines.map((l) => l + '\n').join(''));
    renameSync(tmp, this.file);
  }

  put(queue: string, m: StoredMessage): void {
    appendFileSync(this.file, JSON.stringify({ op: 'put', q: queue, m }) + '\n');
  }

  delete(queue: string, id: string, queues: Map<string, Queue>): void {
    if ([...queues.values()].every((q) => q.messages.size === 0)) writeFileSync(this.file, '');
    else appendFileSync(this.file, JSON.stringify({ op: 'delete', q: queue, id }) + '\n');
  }

  move(queue: string, to: string, id: string): void {
    appendFileSync(this.file, JSON.stringify({ op: 'move', q: queue, to, id }) + '\n');
  }
}

/** The SQS stand-in (see the top of this file). */
export async function startSqsStandIn(options: SqsStandInOptions): Promise<SqsStandIn> {
  const { authorizer, region, account } = options;
  const queues = new Map<string, Queue>();
  for (const config of options.queues)
    queues.set(config.name, {
      config,
      arn: `arn:aws:sqs:${region}:${account}:${config.name}`,
      messages: new Map(),
      sent: 0,
      received: 0,
      deleted: 0,
      movedIn: 0,
    });
  const byArn = (arn: string) => [...queues.values()].find((q) => q.arn === arn);
  const journal = options.journalFile ? new QueueJournal(options.journalFile) : undefined;
  journal?.load(queues);
  let closing = false;
  let baseUrl = '';

  const queueOf = (body: Record<string, unknown>): Queue => {
    const url = body['QueueUrl'];
    if (typeof url !== 'string') throw invalidParameter('QueueUrl is required.');
    const parts = url
      .replace(/[?#].*$/, '')
      .split('/')
      .filter(Boolean);
    const [owner, name] = parts.slice(-2);
    const queue = name !== undefined ? queues.get(name) : undefined;
    if (!queue || owner !== account) throw nonExistentQueue();
    return queue;
  };

  const retentionMs = (q: Queue) => (q.config.messageRetentionSeconds ?? DEFAULT_RETENTION_SECONDS) * 1000;
  const nameOf = (q: Queue) => q.config.name;

  /** Drops what outlived the retention period (counted from the first send, in a dead-letter queue too). */
  function expire(q: Queue, now: number): void {
    for (const m of [...q.messages.values()])
      if (now - m.sentAt > retentionMs(q)) {
        q.messages.delete(m.id);
        journal?.delete(nameOf(q), m.id, queues);
      }
  }

  function moveToDeadLetter(q: Queue, m: StoredMessage): boolean {
    const target = q.config.redrive ? byArn(q.config.redrive.deadLetterTargetArn) : undefined;
    if (!target) return false;
    q.messages.delete(m.id);
    target.messages.set(m.id, { ...m, receiveCount: 0, visibleAt: 0, receipt: undefined });
    target.movedIn++;
    journal?.move(nameOf(q), nameOf(target), m.id);
    return true;
  }

  function send(q: Queue, body: unknown, senderId: string): StoredMessage {
    if (typeof body !== 'string' || body.length === 0)
      throw invalidParameter('The request must contain the parameter MessageBody.');
    const limit = q.config.maximumMessageSize ?? MAX_MESSAGE_BYTES;
    if (Buffer.byteLength(body, 'utf8') > limit)
      throw invalidParameter(`Message must be shorter than ${limit} bytes.`);
    const m: StoredMessage = {
      id: randomUUID(),
      body,
      md5: md5(body),
      sentAt: Date.now(),
      senderId,
      receiveCount: 0,
      visibleAt: 0,
    };
    // Kept before it is acknowledged: a message SQS answered for is never lost.
    journal?.put(nameOf(q), m);
    q.messages.set(m.id, m);
    q.sent++;
    return m;
  }

  function take(q: Queue, max: number, visibilitySeconds: number): StoredMessage[] {
    const now = Date.now();
    expire(q, now);
    const out: StoredMessage[] = [];
    for (const m of [...q.messages.values()]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      // Past maxReceiveCount, a message goes to the dead-letter queue instead of being received again.
      if (q.config.redrive && m.receiveCount >= q.config.redrive.maxReceiveCount && moveToDeadLetter(q, m))
        continue;
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.visibleAt = now + visibilitySeconds * 1000;
      m.receipt = `${m.id}#${randomUUID()}`;
      journal?.put(nameOf(q), m);
      out.push(m);
    }
    q.received += out.length;
    return out;
  }

  function findByReceipt(q: Queue, receipt: unknown): StoredMessage | undefined {
    if (typeof receipt !== 'string' || !receipt.includes('#'))
      throw new SqsError(
        400,
        'com.amazonaws.sqs#ReceiptHandleIsInvalid',
        'ReceiptHandleIsInvalid;Sender',
        `The input receipt handle "${String(receipt).slice(0, 100)}" is not a valid receipt handle.`,
      );
    const m = q.messages.get(receipt.split('#')[0]);
    // A receipt of an earlier receive: the call succeeds but changes nothing (SQS DeleteMessage reference).
    return m && m.receipt === receipt ? m : undefined;
  }

  const integer = (v: unknown, name: string, min: number, max: number, fallback: number): number => {
    if (v === undefined || v === null) return fallback;
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
      throw invalidParameter(
        `Value ${String(v)} for parameter ${name} is invalid. Must be between ${min} and ${max}.`,
      );
    return v as number;
  };

  async function operate(op: string, body: Record<string, unknown>, caller: string, req: IncomingMessage) {
    switch (op) {
      case 'SendMessage': {
        const m = send(queueOf(body), body['MessageBody'], caller);
        return { MessageId: m.id, MD5OfMessageBody: m.md5 };
      }
      case 'SendMessageBatch': {
        const q = queueOf(body);
        const entries = Array.isArray(body['Entries']) ? (body['Entries'] as Record<string, unknown>[]) : [];
        if (entries.length === 0)
          throw new SqsError(
            400,
            'com.amazonaws.sqs#EmptyBatchRequest',
            'AWS.SimpleQueueService.EmptyBatchRequest;Sender',
            'There should be at least one SendMessageBatchRequestEntry in the request.',
          );
        if (entries.length > MAX_RECEIVE)
          throw new SqsError(
            400,
            'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
            'AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender',
            `Maximum number of entries per request are ${MAX_RECEIVE}. You have sent ${entries.length}.`,
          );
        const total = entries.reduce(
          (n, e) => n + Buffer.byteLength(String(e['MessageBody'] ?? ''), 'utf8'),
          0,
        );
        if (total > MAX_MESSAGE_BYTES)
          throw new SqsError(
            400,
            'com.amazonaws.sqs#BatchRequestTooLong',
            'AWS.SimpleQueueService.BatchRequestTooLong;Sender',
            `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
          );
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const e of entries) {
          try {
            const m = send(q, e['MessageBody'], caller);
            Successful.push({ Id: e['Id'], MessageId: m.id, MD5OfMessageBody: m.md5 });
          } catch (err) {
            const x = err as SqsError;
            Failed.push({
              Id: e['Id'],
              SenderFault: true,
              Code: x.queryCode?.split(';')[0],
              Message: x.message,
            });
          }
        }
        return { Successful, Failed };
      }
      case 'ReceiveMessage': {
        const q = queueOf(body);
        const max = integer(body['MaxNumberOfMessages'], 'MaxNumberOfMessages', 1, MAX_RECEIVE, 1);
        const visibility = integer(
          body['VisibilityTimeout'],
          'VisibilityTimeout',
          0,
          MAX_VISIBILITY_SECONDS,
          q.config.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS,
        );
        const wait = integer(body['WaitTimeSeconds'], 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS, 0);
        const until = Date.now() + wait * 1000;
        let gone = false;
        req.once('close', () => (gone = true));
        let got = take(q, max, visibility);
        // Long polling: answers as soon as a message may be received, or when the wait is over.
        while (got.length === 0 && Date.now() < until && !closing && !gone) {
          await sleep(Math.min(50, until - Date.now()));
          got = take(q, max, visibility);
        }
        return {
          Messages: got.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            MD5OfBody: m.md5,
            Body: m.body,
            Attributes: {
              ApproximateReceiveCount: String(m.receiveCount),
              SentTimestamp: String(m.sentAt),
              ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
              SenderId: m.senderId,
            },
          })),
        };
      }
      case 'DeleteMessage': {
        const q = queueOf(body);
        const m = findByReceipt(q, body['ReceiptHandle']);
        if (m) {
          q.messages.delete(m.id);
          q.deleted++;
          journal?.delete(nameOf(q), m.id, queues);
        }
        return {};
      }
      case 'ChangeMessageVisibility': {
        const q = queueOf(body);
        const seconds = integer(body['VisibilityTimeout'], 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS, 0);
        const m = findByReceipt(q, body['ReceiptHandle']);
        if (m) m.visibleAt = Date.now() + seconds * 1000;
        return {};
      }
      case 'GetQueueAttributes': {
        const q = queueOf(body);
        const d = depthOf(q);
        const attributes: Record<string, string> = {
          QueueArn: q.arn,
          ApproximateNumberOfMessages: String(d.visible),
          ApproximateNumberOfMessagesNotVisible: String(d.inFlight),
          VisibilityTimeout: String(q.config.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS),
          MessageRetentionPeriod: String(q.config.messageRetentionSeconds ?? DEFAULT_RETENTION_SECONDS),
          MaximumMessageSize: String(q.config.maximumMessageSize ?? MAX_MESSAGE_BYTES),
          ...(q.config.redrive
            ? {
                RedrivePolicy: JSON.stringify({
                  deadLetterTargetArn: q.config.redrive.deadLetterTargetArn,
                  maxReceiveCount: q.config.redrive.maxReceiveCount,
                }),
              }
            : {}),
        };
        const asked = Array.isArray(body['AttributeNames']) ? (body['AttributeNames'] as string[]) : [];
        const all = asked.length === 0 || asked.includes('All');
        return {
          Attributes: Object.fromEntries(
            Object.entries(attributes).filter(([k]) => all || asked.includes(k)),
          ),
        };
      }
      case 'GetQueueUrl': {
        const name = body['QueueName'];
        if (typeof name !== 'string' || !queues.has(name)) throw nonExistentQueue();
        return { QueueUrl: api.queueUrl(name) };
      }
      default:
        throw new SqsError(
          400,
          'com.amazonaws.sqs#UnsupportedOperation',
          'AWS.SimpleQueueService.UnsupportedOperation;Sender',
          `The operation ${op.slice(0, 60)} is not supported by the local SQS stand-in.`,
        );
    }
  }

  function depthOf(q: Queue): QueueDepth {
    const now = Date.now();
    let visible = 0;
    let inFlight = 0;
    for (const m of q.messages.values())
      if (m.visibleAt > now) inFlight++;
      else visible++;
    return { visible, inFlight };
  }

  const reply = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, e: SqsError) =>
    reply(res, e.status, { __type: e.type, message: e.message }, { 'x-amzn-query-error': e.queryCode });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      // The body's own limit (1 MiB) with room for the JSON around it; past that, the request is refused.
      raw = await readBody(req, 2 * MAX_MESSAGE_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return fail(res, invalidParameter(`Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`));
      throw err;
    }
    const verdict = await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw },
      {
        service: 'sqs',
        region,
        lookupSecret: (id) =>
          authorizer?.secretFor(id) ??
          (id === options.credentials.accessKeyId ? options.credentials.secretAccessKey : undefined),
      },
    );
    if (!verdict.ok)
      return fail(
        res,
        new SqsError(
          403,
          'com.amazonaws.sqs#InvalidSecurity',
          'SignatureDoesNotMatch;Sender',
          'The request signature we calculated does not match the signature you provided.',
        ),
      );
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith('AmazonSQS.'))
      return fail(
        res,
        new SqsError(
          400,
          'com.amazonaws.sqs#InvalidAction',
          'InvalidAction;Sender',
          'The action or operation requested is invalid: send AWS JSON 1.0 (X-Amz-Target: AmazonSQS.<Operation>).',
        ),
      );
    let body: Record<string, unknown>;
    try {
      const parsed = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      body = typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      return fail(
        res,
        new SqsError(
          400,
          'com.amazonaws.sqs#InvalidParameterValue',
          'InvalidParameterValue;Sender',
          'The request body is not JSON.',
        ),
      );
    }
    if (authorizer?.secretFor(verdict.accessKeyId) !== undefined) {
      const check = authorizer.check(verdict.accessKeyId, sqsCalls(target, body, { region, account }));
      if (!check.allowed)
        return fail(
          res,
          new SqsError(
            403,
            'com.amazon.coral.service#AccessDeniedException',
            'AccessDenied;Sender',
            accessDeniedMessage(check),
          ),
        );
    }
    try {
      reply(res, 200, await operate(target.slice('AmazonSQS.'.length), body, verdict.accessKeyId, req));
    } catch (err) {
      if (err instanceof SqsError) return fail(res, err);
      throw err;
    }
  }

  const server: RunningServer = await listen(
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent)
          reply(
            res,
            500,
            { __type: 'com.amazonaws.sqs#InternalError', message: 'internal error' },
            { 'x-amzn-query-error': 'InternalError;Receiver' },
          );
      });
    },
    options.port,
    'SQS stand-in',
    options.host,
  );
  baseUrl = server.url;

  const queueNamed = (name: string): Queue => {
    const q = queues.get(name);
    if (!q) throw new Error(`no queue ${name}`);
    return q;
  };
  const api: SqsStandIn = {
    url: server.url,
    port: server.port,
    queueUrl: (name) => `${baseUrl}/${account}/${name}`,
    arn: (name) => queueNamed(name).arn,
    depth: (name) => depthOf(queueNamed(name)),
    stats: (name) => {
      const q = queueNamed(name);
      return { ...depthOf(q), sent: q.sent, received: q.received, deleted: q.deleted, movedIn: q.movedIn };
    },
    changeVisibility: (name, receipt, seconds) => {
      const q = queueNamed(name);
      const m = typeof receipt === 'string' ? q.messages.get(receipt.split('#')[0]) : undefined;
      if (!m || m.receipt !== receipt) return false;
      m.visibleAt = Date.now() + seconds * 1000;
      return true;
    },
    surrender: (name) => {
      const q = queueNamed(name);
      let moved = 0;
      for (const m of [...q.messages.values()]) if (moveToDeadLetter(q, m)) moved++;
      return moved;
    },
    close: async () => {
      closing = true;
      await server.close();
    },
  };
  return api;
}
