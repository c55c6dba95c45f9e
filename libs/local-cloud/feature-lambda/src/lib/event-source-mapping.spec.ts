import { EventSourceMessage, EventSourceQueue, LambdaStandIn, startLambdaStandIn } from './lambda-stand-in';

// The Lambda stand-in's SQS event source mappings over an in-memory queue (the SQS stand-in has its
// own tests; the local cloud's integration tests run both together through the real SDK).
const CREDENTIALS = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'secret' };

class MemoryQueue implements EventSourceQueue {
  readonly arn: string;
  readonly deleted: string[] = [];
  readonly retried: { id: string; ms: number }[] = [];
  private readonly messages = new Map<
    string,
    { body: string; count: number; visibleAt: number; receipt?: string }
  >();
  private n = 0;

  constructor(name: string) {
    this.arn = `arn:aws:sqs:us-west-2:000000000000:${name}`;
  }

  send(body: string): string {
    const id = `m${++this.n}`;
    this.messages.set(id, { body, count: 0, visibleAt: 0 });
    return id;
  }

  async receive(max: number, signal: AbortSignal): Promise<EventSourceMessage[]> {
    const now = Date.now();
    const out: EventSourceMessage[] = [];
    for (const [id, m] of this.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      m.count++;
      m.visibleAt = now + 60_000;
      m.receipt = `${id}#${m.count}`;
      out.push({
        messageId: id,
        receiptHandle: m.receipt,
        body: m.body,
        md5OfBody: '',
        attributes: { ApproximateReceiveCount: String(m.count) },
      });
    }
    if (out.length === 0) await new Promise((r) => setTimeout(r, signal.aborted ? 0 : 10));
    return out;
  }

  async delete(receipt: string): Promise<void> {
    const id = receipt.split('#')[0];
    if (this.messages.get(id)?.receipt === receipt) {
      this.messages.delete(id);
      this.deleted.push(id);
    }
  }

  retryAfter(receipt: string, ms: number): void {
    const id = receipt.split('#')[0];
    const m = this.messages.get(id);
    if (m) m.visibleAt = Date.now() + ms;
    this.retried.push({ id, ms });
  }

  depth() {
    const now = Date.now();
    const all = [...this.messages.values()];
    return {
      visible: all.filter((m) => m.visibleAt <= now).length,
      inFlight: all.filter((m) => m.visibleAt > now).length,
    };
  }

  surrender(): number {
    const n = this.messages.size;
    this.messages.clear();
    return n;
  }
}

let sut: LambdaStandIn | undefined;
afterEach(async () => {
  await sut?.close();
  sut = undefined;
});

describe('SQS event source mappings in the Lambda stand-in', () => {
  it('runs at most MaximumConcurrency invocations at once, one record each, deleting each processed message', async () => {
    // GIVEN 12 messages and a slow function with no reserved concurrency
    const queue = new MemoryQueue('work');
    for (let i = 0; i < 12; i++) queue.send(JSON.stringify({ i }));
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    sut = await startLambdaStandIn({
      port: 0,
      concurrency: 1000,
      region: 'us-west-2',
      credentials: CREDENTIALS,
      functions: {
        worker: async (event) => {
          const records = (event as { Records: { body: string; eventSource: string }[] }).Records;
          expect(records).toHaveLength(1);
          expect(records[0].eventSource).toBe('aws:sqs');
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 20));
          seen.push(JSON.parse(records[0].body).i);
          inFlight--;
          return { batchItemFailures: [] };
        },
      },
      eventSources: [
        { functionName: 'worker', queue, batchSize: 1, maximumConcurrency: 3, reportBatchItemFailures: true },
      ],
    });
    // WHEN the mapping polls
    sut.startEventSources();
    await sut.idle();
    // THEN every message ran once, never more than 3 at a time, and was deleted
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(most).toBe(3);
    expect(sut.stats().maxRunning).toBe(3);
    expect(sut.maxRunningOf('worker')).toBe(3);
    expect(queue.deleted).toHaveLength(12);
  });

  it('returns only the records a partial batch response names, after the local retry delay; a thrown batch returns all', async () => {
    const queue = new MemoryQueue('work');
    const [a, b] = [queue.send('a'), queue.send('b')];
    let calls = 0;
    sut = await startLambdaStandIn({
      port: 0,
      concurrency: 10,
      region: 'us-west-2',
      credentials: CREDENTIALS,
      retry: { retries: 2, delaysMs: [5, 10] },
      functions: {
        worker: async (event) => {
          calls++;
          const ids = (event as { Records: { messageId: string }[] }).Records.map((r) => r.messageId);
          if (calls === 1) return { batchItemFailures: [{ itemIdentifier: ids[1] }] };
          if (calls === 2) throw new Error('boom');
          return {};
        },
      },
      eventSources: [
        {
          functionName: 'worker',
          queue,
          batchSize: 10,
          maximumConcurrency: 2,
          reportBatchItemFailures: true,
        },
      ],
    });
    sut.startEventSources();
    await sut.idle();
    // a was deleted at once; b failed (reported), then failed again (thrown), then went through
    expect(queue.deleted).toEqual([a, b]);
    expect(queue.retried).toEqual([
      { id: b, ms: 5 },
      { id: b, ms: 10 },
    ]);
    expect(sut.stats().invocations).toBe(3);
  });

  it('fails the whole batch when the response names a record that is not in it', async () => {
    const queue = new MemoryQueue('work');
    const id = queue.send('x');
    let calls = 0;
    sut = await startLambdaStandIn({
      port: 0,
      concurrency: 10,
      region: 'us-west-2',
      credentials: CREDENTIALS,
      retry: { retries: 2, delaysMs: [5] },
      functions: {
        worker: async () => (++calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'nope' }] } : undefined),
      },
      eventSources: [{ functionName: 'worker', queue, maximumConcurrency: 2, reportBatchItemFailures: true }],
    });
    sut.startEventSources();
    await sut.idle();
    expect(queue.retried).toEqual([{ id, ms: 5 }]);
    expect(queue.deleted).toEqual([id]);
  });

  it('counts each message a dead-letter mapping receives as a failure', async () => {
    const queue = new MemoryQueue('dlq');
    queue.send('dead');
    sut = await startLambdaStandIn({
      port: 0,
      concurrency: 10,
      region: 'us-west-2',
      credentials: CREDENTIALS,
      functions: { abandoned: async () => undefined },
      eventSources: [{ functionName: 'abandoned', queue, maximumConcurrency: 2, deadLetter: true }],
    });
    sut.startEventSources();
    await sut.idle();
    expect(sut.stats().failures).toBe(1);
  });
});
