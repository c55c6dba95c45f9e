import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

import { LambdaFunction, startLambdaStandIn } from './lambda-stand-in';

const CREDS = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'localsecretkey/imagegen/0000000000000000' };
const REGION = 'us-west-2';

async function standIn(fn: LambdaFunction, concurrency = 2, onFailure?: (n: string, e: unknown) => void) {
  return startLambdaStandIn({ port: 0, functions: { worker: fn }, concurrency, region: REGION, credentials: CREDS, retry: { retries: 2, delaysMs: [10, 20] }, onFailure });
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
});
