import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

import { LambdaContext, LambdaFunction, startLambdaStandIn } from './lambda-stand-in';

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const REGION = 'us-west-2';

async function standIn(
  fn: LambdaFunction,
  concurrency = 2,
  onFailure?: (n: string, e: unknown) => unknown,
  log?: { error: (o: object, m: string) => void },
  journalFile?: string,
) {
  return startLambdaStandIn({
    port: 0,
    functions: { worker: fn },
    concurrency,
    region: REGION,
    credentials: CREDS,
    retry: { retries: 2, delaysMs: [10, 20] },
    onFailure: onFailure as ((n: string, e: unknown) => void) | undefined,
    log,
    ...(journalFile ? { journalFile } : {}),
  });
}

const never = new Promise<void>(() => undefined);

const client = (url: string, credentials = CREDS) =>
  new LambdaClient({ region: REGION, endpoint: url, credentials, maxAttempts: 1 });
const event = (i: number) =>
  new InvokeCommand({
    FunctionName: 'worker',
    InvocationType: 'Event',
    Payload: new TextEncoder().encode(JSON.stringify({ i })),
  });

describe(startLambdaStandIn.name, () => {
  it('answers 202 for Event invocations at once and never runs more than the concurrency cap', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const sut = await standIn(async (e) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      seen.push((e as { i: number }).i);
      running--;
    }, 2);
    try {
      const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => client(sut.url).send(event(i))));
      expect(answers.map((a) => a.StatusCode)).toEqual([202, 202, 202, 202, 202, 202]);
      await sut.idle();
      expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(peak).toBe(2);
      expect(sut.stats().maxRunning).toBe(2);
    } finally {
      await sut.close();
    }
  });

  it('retries a failing event twice under one request id, then hands it to the on-failure destination', async () => {
    const contexts: LambdaContext[] = [];
    const failed: unknown[] = [];
    const sut = await standIn(
      async (_e, context) => {
        contexts.push(context);
        throw new Error('DynamoDB is down');
      },
      1,
      (_n, e) => failed.push(e),
    );
    try {
      const answer = await client(sut.url).send(event(7));
      await sut.idle();
      expect(contexts).toHaveLength(3);
      // THEN every attempt carries the request id the invoke was answered with, as in AWS
      const id = answer.$metadata.requestId;
      expect(contexts.map((c) => c.awsRequestId)).toEqual([id, id, id]);
      expect(failed).toEqual([{ i: 7 }]);
    } finally {
      await sut.close();
    }
  });

  it('answers synchronous invocations with the result, and refuses wrongly signed calls', async () => {
    const sut = await standIn(async (e) => ({ echo: e }));
    try {
      const out = await client(sut.url).send(
        new InvokeCommand({ FunctionName: 'worker', Payload: new TextEncoder().encode('{"a":1}') }),
      );
      expect(JSON.parse(new TextDecoder().decode(out.Payload))).toEqual({ echo: { a: 1 } });
      await expect(
        client(sut.url, { ...CREDS, secretAccessKey: 'nope' }).send(event(1)),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(
        client(sut.url).send(new InvokeCommand({ FunctionName: 'other', InvocationType: 'Event' })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      await sut.close();
    }
  });

  it('counts the bytes crossing the invocation boundary, and those that held an image in any form', async () => {
    const sut = await standIn(async (e) => ({ echo: e }));
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const webp = Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1');
    try {
      await client(sut.url).send(
        new InvokeCommand({
          FunctionName: 'worker',
          Payload: new TextEncoder().encode('{"key":"uploads/a/up1"}'),
        }),
      );
      expect(sut.stats().payloads).toMatchObject({ count: 2, imageBytes: 0 });
      expect(sut.stats().payloads.bytes).toBeGreaterThan(0);
      // An image in an event (base64 PNG), in a result (base64 WebP), or as a serialized Buffer: counted
      sut.notePayload({ image: png.toString('base64') });
      expect(sut.stats().payloads.imageBytes).toBeGreaterThan(0);
      sut.resetStats();
      sut.notePayload({ body: JSON.stringify({ style: webp.toString('base64') }) });
      sut.notePayload({ raw: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) });
      sut.notePayload({
        url: 'https://bucket.s3.amazonaws.com/owners/a/generations/b/c.png?X-Amz-Signature=9f',
      });
      const after = sut.stats().payloads;
      expect(after.count).toBe(3);
      expect(after.imageBytes).toBeGreaterThan(0);
      expect(after.imageBytes).toBeLessThan(after.bytes); // the presigned link is not an image
    } finally {
      await sut.close();
    }
  });

  it('keeps the cap and the retries with many small per-image events, and reports them over HTTP', async () => {
    // GIVEN 40 one-image events under a cap of 3, every fifth failing its first attempt
    let running = 0;
    let peak = 0;
    const attempts = new Map<number, number>();
    const done: number[] = [];
    let allSent = () => undefined as void;
    const gate = new Promise<void>((r) => (allSent = r));
    const sut = await standIn(async (e) => {
      const i = (e as { i: number }).i;
      attempts.set(i, (attempts.get(i) ?? 0) + 1);
      running++;
      peak = Math.max(peak, running);
      await gate;
      await new Promise((r) => setTimeout(r, 2));
      running--;
      if (i % 5 === 0 && attempts.get(i) === 1) throw new Error('Bedrock throttled');
      done.push(i);
    }, 3);
    try {
      // WHEN they are all sent at once
      await Promise.all(Array.from({ length: 40 }, (_v, i) => client(sut.url).send(event(i))));
      allSent();
      await sut.idle();
      // THEN each was made exactly once, never more than 3 at a time, the failed ones on their retry
      expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_v, i) => i));
      expect(peak).toBe(3);
      const stats = await (await fetch(`${sut.url}/__stats`)).json();
      expect(stats).toEqual({
        running: 0,
        queued: 0,
        retrying: 0,
        maxRunning: 3,
        concurrency: 3,
        invocations: 48,
        failures: 0,
        payloads: { count: 48, bytes: expect.any(Number), largest: expect.any(Number), imageBytes: 0 },
      });
      // AND the peak starts again on reset, the counters do not
      const reset = await (await fetch(`${sut.url}/__stats/reset`, { method: 'POST' })).json();
      expect(reset).toMatchObject({ maxRunning: 0, invocations: 48 });
    } finally {
      await sut.close();
    }
  });

  it('retries the on-failure destination like an asynchronous invocation, so a short outage loses nothing', async () => {
    // GIVEN a destination that fails twice (DynamoDB down for a moment), then works
    let calls = 0;
    const delivered: unknown[] = [];
    const sut = await standIn(
      async () => {
        throw new Error('worker failed');
      },
      1,
      async (_n, e) => {
        if (++calls <= 2) throw new Error('DynamoDB is down');
        delivered.push(e);
      },
    );
    try {
      await client(sut.url).send(event(3));
      await sut.idle();
      // THEN the third delivery gets through
      expect(calls).toBe(3);
      expect(delivered).toEqual([{ i: 3 }]);
    } finally {
      await sut.close();
    }
  });

  it('keeps running when the on-failure destination fails every attempt (e.g. DynamoDB down), and logs it', async () => {
    const logged: string[] = [];
    let later = 0;
    let deliveries = 0;
    const sut = await standIn(
      async (e) => {
        if ((e as { i: number }).i === 1) throw new Error('worker failed');
        later++;
      },
      1,
      async () => {
        deliveries++;
        throw new Error('DynamoDB is down');
      },
      { error: (_o, m) => logged.push(m) },
    );
    try {
      await client(sut.url).send(event(1));
      await client(sut.url).send(event(2));
      await sut.idle();
      expect(later).toBe(1);
      expect(sut.stats().failures).toBe(1);
      expect(deliveries).toBe(3);
      expect(logged).toEqual(['the on-failure destination failed; the event is dropped']);
    } finally {
      await sut.close();
    }
  });

  it('on close, finishes what it can by the deadline, hands the rest to the on-failure destination and refuses new events', async () => {
    // GIVEN one event at a time: a quick one, one that never ends, and two waiting behind it
    const done: unknown[] = [];
    const handedOver: unknown[] = [];
    const sut = await standIn(
      async (e) => {
        if ((e as { i: number }).i === 2) return never;
        await new Promise((r) => setTimeout(r, 10));
        done.push(e);
        return undefined;
      },
      1,
      (_n, e) => handedOver.push(e),
    );
    for (const i of [1, 2, 3, 4]) await client(sut.url).send(event(i));
    // WHEN it is closed with a deadline, and an event arrives meanwhile
    const closed = sut.close({ deadline: Date.now() + 500, windDownMs: 10 });
    const late = client(sut.url).send(event(5));
    // THEN the new event is refused cleanly
    await expect(late).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    await closed;
    // AND the quick one ended, every other one went to the on-failure destination: none is left behind
    expect(done).toEqual([{ i: 1 }]);
    expect(handedOver).toEqual(expect.arrayContaining([{ i: 2 }, { i: 3 }, { i: 4 }]));
    expect(handedOver).toHaveLength(3);
    expect(sut.stats().failures).toBe(3);
  });

  it('keeps accepted events in its journal, so a process that dies loses none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambda-journal-'));
    const journal = join(dir, 'events.jsonl');
    // GIVEN a stand-in whose worker is busy forever with two accepted events (its process is about to die)
    const dying = await standIn(
      () => never,
      1,
      () => undefined,
      undefined,
      journal,
    );
    const rerun: unknown[] = [];
    try {
      await client(dying.url).send(event(1));
      await client(dying.url).send(event(2));
      // WHEN a new process starts on the same journal
      const next = await standIn(async (e) => void rerun.push(e), 2, undefined, undefined, journal);
      try {
        expect(rerun).toEqual([]); // nothing runs before the stack says it is ready
        expect(next.resumeJournal()).toBe(2);
        await next.idle();
        // THEN both events run again
        expect(rerun).toEqual([{ i: 1 }, { i: 2 }]);
      } finally {
        await next.close();
      }
      // AND a journal that ended its events has nothing to run again
      const after = await standIn(async (e) => void rerun.push(e), 1, undefined, undefined, journal);
      expect(after.resumeJournal()).toBe(0);
      await after.close();
    } finally {
      await dying.close({ deadline: Date.now(), windDownMs: 0 });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with the configuration the template gives each function', () => {
    const configured = (functions: Parameters<typeof startLambdaStandIn>[0]['functions']) =>
      startLambdaStandIn({
        port: 0,
        functions,
        concurrency: 10,
        region: REGION,
        credentials: CREDS,
        retry: { retries: 2, delaysMs: [10, 20] },
      });

    it("fails a run that outlasts the function's timeout, retries it MaximumRetryAttempts times, then invokes the on-failure destination with the invocation record", async () => {
      // GIVEN a worker with a 50 ms timeout, 1 retry, and a destination function
      const records: unknown[] = [];
      let runs = 0;
      const sut = await configured({
        worker: {
          handler: async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 500));
          },
          timeoutMs: 50,
          maxRetryAttempts: 1,
          onFailure: 'abandoned',
        },
        abandoned: { handler: async (record) => void records.push(record) },
      });
      try {
        // WHEN one event is sent
        await client(sut.url).send(event(7));
        await sut.idle();
        // THEN it ran twice (1 + 1 retry), each cut at the timeout, and the destination got Lambda's record
        expect(runs).toBe(2);
        expect(records).toEqual([
          expect.objectContaining({
            requestContext: expect.objectContaining({
              condition: 'RetriesExhausted',
              approximateInvokeCount: 2,
            }),
            requestPayload: { i: 7 },
            responsePayload: {
              errorType: 'Sandbox.Timedout',
              errorMessage: expect.stringContaining('Task timed out after 0.05 seconds'),
            },
          }),
        ]);
      } finally {
        await sut.close();
      }
    });

    it('does not retry an event past its maximum event age: it goes to the destination as EventAgeExceeded', async () => {
      // GIVEN a worker whose events may live 0 s, failing every time
      const records: { requestContext: { condition: string } }[] = [];
      let runs = 0;
      const sut = await configured({
        worker: {
          handler: async () => {
            runs++;
            throw new Error('boom');
          },
          maxEventAgeSeconds: 0,
          onFailure: 'abandoned',
        },
        abandoned: async (record) => void records.push(record as (typeof records)[number]),
      });
      try {
        await client(sut.url).send(event(1));
        await sut.idle();
        // THEN it was never retried (it may not even run once: its age is checked before each run too)
        expect(runs).toBeLessThanOrEqual(1);
        expect(records.map((r) => r.requestContext.condition)).toEqual(['EventAgeExceeded']);
      } finally {
        await sut.close();
      }
    });

    it('bounds each function by its own reserved concurrency', async () => {
      let running = 0;
      let peak = 0;
      const sut = await configured({
        worker: {
          handler: async () => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((r) => setTimeout(r, 20));
            running--;
          },
          reservedConcurrency: 1,
        },
      });
      try {
        await Promise.all([0, 1, 2, 3].map((i) => client(sut.url).send(event(i))));
        await sut.idle();
        expect(peak).toBe(1);
      } finally {
        await sut.close();
      }
    });

    it('answers a synchronous run past the timeout as a function error, and keeps the payload limits (Event 1 MB, sync 6 MB)', async () => {
      const sut = await configured({
        worker: { handler: () => new Promise((r) => setTimeout(r, 500)), timeoutMs: 30 },
      });
      try {
        const sync = await client(sut.url).send(
          new InvokeCommand({ FunctionName: 'worker', Payload: new TextEncoder().encode('{}') }),
        );
        expect(sync.FunctionError).toBe('Unhandled');
        expect(JSON.parse(new TextDecoder().decode(sync.Payload))).toMatchObject({
          errorType: 'Sandbox.Timedout',
        });
        // An Event payload just over 1 MB is refused; one under it is accepted
        const payload = (n: number) => new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(n) }));
        await expect(
          client(sut.url).send(
            new InvokeCommand({
              FunctionName: 'worker',
              InvocationType: 'Event',
              Payload: payload(1024 * 1024),
            }),
          ),
        ).rejects.toMatchObject({ name: 'RequestTooLargeException' });
        const ok = await client(sut.url).send(
          new InvokeCommand({
            FunctionName: 'worker',
            InvocationType: 'Event',
            Payload: payload(1000 * 1000),
          }),
        );
        expect(ok.StatusCode).toBe(202);
        await sut.idle();
      } finally {
        await sut.close();
      }
    });
  });
});
