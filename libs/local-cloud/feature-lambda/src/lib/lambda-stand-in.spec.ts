import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

import { LambdaFunction, startLambdaStandIn } from './lambda-stand-in';

const CREDS = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'localsecretkey/imagegen/0000000000000000' };
const REGION = 'us-west-2';

async function standIn(fn: LambdaFunction, concurrency = 2, onFailure?: (n: string, e: unknown) => unknown, log?: { error: (o: object, m: string) => void }) {
  return startLambdaStandIn({ port: 0, functions: { worker: fn }, concurrency, region: REGION, credentials: CREDS, retry: { retries: 2, delaysMs: [10, 20] }, onFailure: onFailure as ((n: string, e: unknown) => void) | undefined, log });
}

const client = (url: string, credentials = CREDS) => new LambdaClient({ region: REGION, endpoint: url, credentials, maxAttempts: 1 });
const event = (i: number) => new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify({ i })) });

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

  it('retries a failing event twice, then hands it to the on-failure destination', async () => {
    let attempts = 0;
    const failed: unknown[] = [];
    const sut = await standIn(async () => {
      attempts++;
      throw new Error('DynamoDB is down');
    }, 1, (_n, e) => failed.push(e));
    try {
      await client(sut.url).send(event(7));
      await sut.idle();
      expect(attempts).toBe(3);
      expect(failed).toEqual([{ i: 7 }]);
    } finally {
      await sut.close();
    }
  });

  it('answers synchronous invocations with the result, and refuses wrongly signed calls', async () => {
    const sut = await standIn(async (e) => ({ echo: e }));
    try {
      const out = await client(sut.url).send(new InvokeCommand({ FunctionName: 'worker', Payload: new TextEncoder().encode('{"a":1}') }));
      expect(JSON.parse(new TextDecoder().decode(out.Payload))).toEqual({ echo: { a: 1 } });
      await expect(client(sut.url, { ...CREDS, secretAccessKey: 'nope' }).send(event(1))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(client(sut.url).send(new InvokeCommand({ FunctionName: 'other', InvocationType: 'Event' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
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
      expect(stats).toEqual({ running: 0, queued: 0, retrying: 0, maxRunning: 3, concurrency: 3, invocations: 48, failures: 0 });
      // AND the peak starts again on reset, the counters do not
      const reset = await (await fetch(`${sut.url}/__stats/reset`, { method: 'POST' })).json();
      expect(reset).toMatchObject({ maxRunning: 0, invocations: 48 });
    } finally {
      await sut.close();
    }
  });

  it('keeps running when the on-failure destination itself fails (e.g. DynamoDB down), and logs it', async () => {
    const logged: string[] = [];
    let later = 0;
    const sut = await standIn(
      async (e) => {
        if ((e as { i: number }).i === 1) throw new Error('worker failed');
        later++;
      },
      1,
      async () => {
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
      expect(logged).toEqual(['the on-failure destination failed; the event is dropped']);
    } finally {
      await sut.close();
    }
  });
});

