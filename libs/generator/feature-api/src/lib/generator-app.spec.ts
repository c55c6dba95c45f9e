import { Writable } from 'node:stream';
import type { APIGatewayProxyEvent, SQSEvent, SQSRecord } from 'aws-lambda';

import { ErrorCode, IMAGE_SERVICES } from '@imagegen/contracts';
import { FakeDeps, fakeDeps, fakePng, runAll } from '@imagegen/generator/domain/testing';
import { createLogger } from '@imagegen/shared/util-logging';

import { createGeneratorAppFromDeps } from './generator-app';

const INPAINT_SERVICE = 'stability.stable-image-inpaint-v1:0';
const OWNER = 'anon-abc';

function event(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: '/{proxy+}',
    body: init.body ?? null,
    headers: { 'Content-Type': 'application/json', 'X-Imagegen-Owner': OWNER, ...init.headers },
    multiValueHeaders: {},
    queryStringParameters: init.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'apigw-req-1' } as APIGatewayProxyEvent['requestContext'],
  };
}

function setup() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) });
  const deps: FakeDeps = fakeDeps();
  const app = createGeneratorAppFromDeps(deps, createLogger({ service: 'test', destination }));
  return { app, deps, lines };
}

/** An SQS event as the worker queue's event source mapping delivers it (one record per message). */
function sqsEvent(...messages: { id: string; body: unknown; receiveCount?: number }[]): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.id,
        receiptHandle: `rh-${m.id}`,
        body: typeof m.body === 'string' ? m.body : JSON.stringify(m.body),
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount ?? 1),
          SentTimestamp: '1767225600000',
          SenderId: 'AROAEXAMPLE:api',
          ApproximateFirstReceiveTimestamp: '1767225600000',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-west-2:123456789012:worker',
        awsRegion: 'us-west-2',
      }),
    ),
  };
}

const VALID = JSON.stringify({ modelId: 'stability.stable-image-core-v1:1', prompt: 'a red kite' });

describe(createGeneratorAppFromDeps.name, () => {
  it('answers POST /generations with 202 and the queued job, echoing the request id', async () => {
    const { app, deps } = setup();
    const res = await app.handleApi(
      event('POST', '/generations', { body: VALID, headers: { 'X-Request-Id': 'req-42' } }),
    );
    expect(res.statusCode).toBe(202);
    expect(res.headers?.['x-request-id']).toBe('req-42');
    expect(JSON.parse(res.body)).toMatchObject({
      status: 'queued',
      modelId: 'stability.stable-image-core-v1:1',
    });
    expect(deps.invoked[0]).toMatchObject({ ownerId: OWNER, requestId: 'req-42' });
  });

  it('runs a job through the worker and answers it with fresh links', async () => {
    const { app, deps } = setup();
    const created = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
    await app.handleWorker(deps.invoked[0]);
    const res = await app.handleApi(event('GET', `/generations/${created.id}`));
    expect(res.statusCode).toBe(200);
    const job = JSON.parse(res.body);
    expect(job.status).toBe('succeeded');
    expect(job.images[0].url).toContain('X-Amz-Signature=');
  });

  it.each([
    [
      'malformed JSON',
      event('POST', '/generations', { body: '{"modelId": ' }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'a form body',
      event('POST', '/generations', {
        body: 'a=1',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      }),
      415,
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ],
    [
      'an unknown field',
      event('POST', '/generations', {
        body: JSON.stringify({ modelId: 'stability.stable-image-core-v1:1', prompt: 'x', steps: 50 }),
      }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'a huge body',
      event('POST', '/generations', { body: JSON.stringify({ prompt: 'x'.repeat(70_000) }) }),
      413,
      ErrorCode.PAYLOAD_TOO_LARGE,
    ],
    [
      'a retired model',
      event('POST', '/generations', {
        body: JSON.stringify({ modelId: 'stability.stable-diffusion-xl-v1', prompt: 'x' }),
      }),
      410,
      ErrorCode.MODEL_RETIRED,
    ],
    [
      'no owner',
      event('POST', '/generations', { body: VALID, headers: { 'X-Imagegen-Owner': '' } }),
      403,
      ErrorCode.UNAUTHORIZED,
    ],
    [
      'an owner with odd characters',
      event('GET', '/generations', { headers: { 'X-Imagegen-Owner': '../../etc' } }),
      403,
      ErrorCode.UNAUTHORIZED,
    ],
    ['an unknown route', event('GET', '/admin'), 404, ErrorCode.NOT_FOUND],
    ['an unsupported method', event('DELETE', '/generations'), 404, ErrorCode.NOT_FOUND],
    ['an unknown job', event('GET', '/generations/zzzzzzzzzzzzzzzzzzzzz'), 404, ErrorCode.NOT_FOUND],
    ['a malformed job id', event('GET', '/generations/%E0%A4%A'), 404, ErrorCode.NOT_FOUND],
    [
      'a bad cursor',
      event('GET', '/generations', { query: { cursor: 'nope' } }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
  ])('refuses %s with a problem+json %i and writes nothing', async (_name, ev, status, code) => {
    const { app, deps } = setup();
    const res = await app.handleApi(ev);
    expect(res.statusCode).toBe(status);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status, code, requestId: 'apigw-req-1' });
    expect(deps.repository.records.size).toBe(0);
  });

  it('answers INTERNAL without internals when something unexpected breaks, and logs the stack', async () => {
    const { app, deps, lines } = setup();
    deps.repository.create = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443'));
    const res = await app.handleApi(event('POST', '/generations', { body: VALID }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(JSON.parse(res.body).code).toBe(ErrorCode.INTERNAL);
    const logged = lines.find((l) => l['msg'] === 'request failed');
    expect(JSON.stringify(logged)).toContain('ECONNREFUSED');
    expect(logged).toMatchObject({ requestId: 'apigw-req-1', level: 'error' });
  });

  it("answers another owner's job with 404, as if it did not exist", async () => {
    const { app } = setup();
    const created = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
    const res = await app.handleApi(
      event('GET', `/generations/${created.id}`, { headers: { 'X-Imagegen-Owner': 'anon-other' } }),
    );
    expect(res.statusCode).toBe(404);
  });
});

describe('upload and edit routes', () => {
  const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    event('POST', path, { ...(body !== undefined ? { body: JSON.stringify(body) } : {}), headers });

  /** Uploads through the ticket's key as the browser's POST to S3 would, and answers the upload id. */
  async function upload(
    app: ReturnType<typeof setup>['app'],
    deps: FakeDeps,
    bytes: Uint8Array = fakePng(640, 480),
  ) {
    const res = await app.handleApi(post('/uploads', { contentType: 'image/png', bytes: bytes.length }));
    expect(res.statusCode).toBe(201);
    const ticket = JSON.parse(res.body);
    await deps.store.put(ticket.fields.key, bytes, 'image/png');
    return ticket.uploadId as string;
  }

  it('answers a presigned POST for an upload, then its checked size', async () => {
    const { app, deps } = setup();
    const id = await upload(app, deps);
    const checked = await app.handleApi(post(`/uploads/${id}/check`));
    expect(checked.statusCode).toBe(200);
    expect(JSON.parse(checked.body)).toMatchObject({ uploadId: id, width: 640, height: 480, format: 'png' });
  });

  it.each([
    [{ contentType: 'image/png', bytes: 31 * 1024 * 1024 }, 413, 'PAYLOAD_TOO_LARGE'],
    [{ contentType: 'image/svg+xml', bytes: 100 }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses an upload ticket for %j with problem+json', async (body, status, code) => {
    const { app } = setup();
    const res = await app.handleApi(post('/uploads', body));
    expect(res.statusCode).toBe(status);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body).code).toBe(code);
  });

  it('refuses a bad upload at the check with 422 and deletes it; an unknown one is 404', async () => {
    const { app, deps } = setup();
    const id = await upload(app, deps, new TextEncoder().encode('GIF89a not allowed'));
    const res = await app.handleApi(post(`/uploads/${id}/check`));
    expect(res.statusCode).toBe(422);
    expect(JSON.parse(res.body).code).toBe(ErrorCode.INPUT_IMAGE_UNREADABLE);
    expect(deps.store.objects.size).toBe(0);
    expect((await app.handleApi(post(`/uploads/${id}/check`))).statusCode).toBe(404);
    expect((await app.handleApi(post('/uploads/..%2F..%2Fx/check'))).statusCode).toBe(404);
  });

  it('queues an edit with 202, runs it, and lists it under its parent', async () => {
    const { app, deps } = setup();
    const made = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
    await runAll(deps);
    const parent = JSON.parse((await app.handleApi(event('GET', `/generations/${made.id}`))).body);
    const res = await app.handleApi(
      post(
        '/edits',
        {
          serviceId: 'stability.stable-image-inpaint-v1:0',
          image: { generationId: parent.id, imageId: parent.images[0].id },
          mask: { uploadId: await upload(app, deps) },
          params: { prompt: 'a window' },
        },
        { 'Idempotency-Key': 'edit-key-123456' },
      ),
    );
    expect(res.statusCode).toBe(202);
    const edit = JSON.parse(res.body);
    expect(edit).toMatchObject({ status: 'queued', estimatedCostUsd: 0.07 });
    await runAll(deps);
    const page = await app.handleApi(event('GET', '/generations', { query: { parent: parent.id } }));
    expect(JSON.parse(page.body).items.map((g: { id: string; status: string }) => [g.id, g.status])).toEqual([
      [edit.id, 'succeeded'],
    ]);
  });

  it("answers an edit of another owner's upload with 404", async () => {
    const { app, deps } = setup();
    const theirs = await upload(app, deps);
    const res = await app.handleApi(
      post(
        '/edits',
        { serviceId: 'stability.stable-image-remove-background-v1:0', image: { uploadId: theirs } },
        { 'X-Imagegen-Owner': 'anon-someone-else' },
      ),
    );
    expect(res.statusCode).toBe(404);
    expect(deps.repository.records.size).toBe(0);
  });
});

describe('cancel, delete and idempotency routes', () => {
  it('cancels with POST /generations/{id}/cancel and deletes with DELETE (204, no body)', async () => {
    const { app } = setup();
    const created = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
    const cancelled = await app.handleApi(event('POST', `/generations/${created.id}/cancel`));
    expect(cancelled.statusCode).toBe(200);
    expect(JSON.parse(cancelled.body).status).toBe('cancelled');
    const deleted = await app.handleApi(event('DELETE', `/generations/${created.id}`));
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect((await app.handleApi(event('GET', `/generations/${created.id}`))).statusCode).toBe(404);
  });

  it('answers a retried POST with the same Idempotency-Key with the first job', async () => {
    const { app, deps } = setup();
    const headers = { 'Idempotency-Key': 'a-key-of-enough-length' };
    const first = JSON.parse(
      (await app.handleApi(event('POST', '/generations', { body: VALID, headers }))).body,
    );
    const second = await app.handleApi(event('POST', '/generations', { body: VALID, headers }));
    expect(second.statusCode).toBe(202);
    expect(JSON.parse(second.body).id).toBe(first.id);
    expect(deps.invoked).toHaveLength(1);
    const other = await app.handleApi(
      event('POST', '/generations', {
        body: JSON.stringify({ modelId: 'stability.stable-image-core-v1:1', prompt: 'else' }),
        headers,
      }),
    );
    expect(other.statusCode).toBe(409);
  });

  it('answers GET /models with availability and ETA per model, without needing an owner', async () => {
    const { app, deps } = setup();
    deps.access.answers.set('stability.sd3-5-large-v1:0', { availability: 'no-access', reason: 'enable it' });
    const res = await app.handleApi(event('GET', '/models', { headers: { 'X-Imagegen-Owner': '' } }));
    expect(res.statusCode).toBe(200);
    const models = JSON.parse(res.body) as { id: string; availability: string; eta: { source: string } }[];
    expect(models.find((m) => m.id === 'stability.sd3-5-large-v1:0')).toMatchObject({
      availability: 'no-access',
      available: false,
    });
    expect(models.every((m) => m.eta.source === 'catalog')).toBe(true);
  });

  it('answers GET /services with each Image Service and its ETA, without needing an owner', async () => {
    const { app, deps } = setup();
    const at = deps.clock.now().toISOString();
    for (const ms of [4000, 5000, 6000]) await deps.usage.recordDuration(INPAINT_SERVICE, ms, at);
    const res = await app.handleApi(event('GET', '/services', { headers: { 'X-Imagegen-Owner': '' } }));
    expect(res.statusCode).toBe(200);
    const services = JSON.parse(res.body) as { id: string; eta: { source: string; p50Seconds: number } }[];
    expect(services).toHaveLength(IMAGE_SERVICES.length);
    expect(services.find((s) => s.id === INPAINT_SERVICE)?.eta).toMatchObject({
      source: 'measured',
      p50Seconds: 5,
    });
    expect(services.filter((s) => s.eta.source === 'catalog')).toHaveLength(IMAGE_SERVICES.length - 1);
  });

  it("answers GET /summary with the owner's retention and spending, and refuses a call without an owner", async () => {
    const { app, deps } = setup();
    await app.handleApi(event('POST', '/generations', { body: VALID }));
    for (const e of deps.invoked.splice(0)) await app.handleWorker(e);
    const res = await app.handleApi(event('GET', '/summary'));
    expect(JSON.parse(res.body)).toMatchObject({ retentionDays: 30, spentUsd: 0.04, images: 1 });
    expect(
      (await app.handleApi(event('GET', '/summary', { headers: { 'X-Imagegen-Owner': '' } }))).statusCode,
    ).toBe(403);
  });

  it("adds a prompt-assistant suggestion's tokens to the owner's month at the catalog's prices", async () => {
    const { app } = setup();
    const res = await app.handleApi(
      event('POST', '/usage/assistant', {
        body: JSON.stringify({
          textModelId: 'amazon.nova-micro-v1:0',
          inputTokens: 20_000,
          outputTokens: 10_000,
          estimated: false,
        }),
      }),
    );
    expect(res.statusCode).toBe(200);
    // 20 x 0.000035 + 10 x 0.00014 = 0.0021 USD
    expect(JSON.parse(res.body).costUsd).toBeCloseTo(0.0021, 9);
    const summary = JSON.parse((await app.handleApi(event('GET', '/summary'))).body);
    expect(summary).toMatchObject({ spentUsd: 0.002, images: 0 });
    const bad = await app.handleApi(
      event('POST', '/usage/assistant', {
        body: JSON.stringify({ textModelId: 'x', inputTokens: -1, outputTokens: 1.5, estimated: false }),
      }),
    );
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).errors.map((e: { field: string }) => e.field)).toEqual([
      'textModelId',
      'inputTokens',
      'outputTokens',
    ]);
  });

  it('answers 403 UNAUTHORIZED naming the missing permission when AWS denies the role a call, not a 500', async () => {
    // GIVEN the role of the API function may not write its table
    const { app, deps, lines } = setup();
    deps.repository.create = () =>
      Promise.reject(
        Object.assign(
          new Error(
            'User: arn:aws:sts::000000000000:assumed-role/ApiRole/api is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-west-2:000000000000:table/t because no identity-based policy allows the dynamodb:PutItem action',
          ),
          { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } },
        ),
      );
    // WHEN a job is asked for
    const res = await app.handleApi(event('POST', '/generations', { body: VALID }));
    // THEN the caller gets a problem naming the permission (no ARN, no stack), and the log says why
    expect(res.statusCode).toBe(403);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    expect(body.detail).toContain('dynamodb:PutItem');
    expect(res.body).not.toMatch(/arn:|at .*\.ts|assumed-role/);
    expect(lines.some((l) => l['msg'] === 'request failed: AWS denied the role a permission')).toBe(true);
  });

  it.each([
    ['not an object', 'nope'],
    ['no owner', { generationId: 'x', requestId: 'r', index: 0 }],
    ['a malformed owner', { ownerId: '../x', generationId: 'x', requestId: 'r' }],
    ['an index that is not one', { ownerId: OWNER, generationId: 'x', requestId: 'r', index: -1 }],
  ])('drops a worker event with %s, logging it, without touching anything', async (_name, bad) => {
    const { app, deps, lines } = setup();
    await app.handleWorker(bad as never);
    await app.handleAbandoned(bad as never);
    expect(deps.model.calls).toEqual([]);
    expect(lines.filter((l) => String(l['msg']).includes('malformed'))).toHaveLength(2);
  });

  it("lets Lambda's retry of a worker event (same awsRequestId) take back the image its failed attempt held", async () => {
    // GIVEN the first attempt could neither record nor free its image (DynamoDB down)
    const { app, deps } = setup();
    const created = await app.handleApi(event('POST', '/generations', { body: VALID }));
    const [work] = deps.invoked;
    deps.repository.failFinish = true;
    deps.repository.failRelease = true;
    await expect(app.handleWorker(work, { awsRequestId: 'lambda-req-1' })).rejects.toThrow(
      'DynamoDB is down',
    );
    deps.repository.failFinish = false;
    deps.repository.failRelease = false;
    // WHEN Lambda runs the event again under the same request id
    await app.handleWorker(work, { awsRequestId: 'lambda-req-1' });
    // THEN the image is made at once, not left until the job goes stale
    const job = JSON.parse(
      (await app.handleApi(event('GET', `/generations/${JSON.parse(created.body).id}`))).body,
    );
    expect(job).toMatchObject({ status: 'succeeded', images: [{ index: 0 }] });
  });

  describe('the worker queue (SQS event source mapping, partial batch responses)', () => {
    it('makes the image a queue message names, and reports no failure (the message is deleted)', async () => {
      const { app, deps } = setup();
      const created = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
      const [work] = deps.invoked;
      expect(await app.handleQueue(sqsEvent({ id: 'm-1', body: work }))).toEqual({ batchItemFailures: [] });
      const job = JSON.parse((await app.handleApi(event('GET', `/generations/${created.id}`))).body);
      expect(job).toMatchObject({ status: 'succeeded', images: [{ index: 0 }] });
      expect(deps.model.calls).toHaveLength(1);
    });

    it('reports only the record whose image could not be recorded; its redelivery (same message id) takes the image back', async () => {
      // GIVEN two jobs' messages in one batch, and DynamoDB failing the first record's writes
      const { app, deps } = setup();
      const first = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
      const second = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
      const [a, b] = deps.invoked;
      deps.repository.failFinish = true;
      deps.repository.failRelease = true;
      let calls = 0;
      const finish = deps.repository.finishTask.bind(deps.repository);
      deps.repository.finishTask = (...args: Parameters<typeof finish>) => {
        // the first record fails; the second goes through
        if (++calls > 1) {
          deps.repository.failFinish = false;
          deps.repository.failRelease = false;
        }
        return finish(...args);
      };
      // WHEN the batch is handled
      const answer = await app.handleQueue(sqsEvent({ id: 'm-a', body: a }, { id: 'm-b', body: b }));
      // THEN only the first record returns to the queue
      expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-a' }] });
      // AND its redelivery makes the image at once (the claim of the failed delivery is taken back)
      expect(await app.handleQueue(sqsEvent({ id: 'm-a', body: a, receiveCount: 2 }))).toEqual({
        batchItemFailures: [],
      });
      for (const id of [first.id, second.id]) {
        const job = JSON.parse((await app.handleApi(event('GET', `/generations/${id}`))).body);
        expect(job).toMatchObject({ status: 'succeeded', images: [{ index: 0 }] });
      }
    });

    it('deletes a message that is not a worker event (logged), rather than retrying it forever', async () => {
      const { app, deps, lines } = setup();
      expect(await app.handleQueue(sqsEvent({ id: 'm-bad', body: 'not json' }))).toEqual({
        batchItemFailures: [],
      });
      expect(deps.model.calls).toEqual([]);
      expect(lines.some((l) => String(l['msg']).includes('malformed'))).toBe(true);
    });

    it('settles the image failed when its message reaches the dead-letter queue: the job never hangs', async () => {
      const { app, deps } = setup();
      const created = JSON.parse((await app.handleApi(event('POST', '/generations', { body: VALID }))).body);
      const [work] = deps.invoked;
      expect(await app.handleDeadLetters(sqsEvent({ id: 'm-dead', body: work, receiveCount: 1 }))).toEqual({
        batchItemFailures: [],
      });
      const job = JSON.parse((await app.handleApi(event('GET', `/generations/${created.id}`))).body);
      expect(job).toMatchObject({ status: 'failed', error: { code: ErrorCode.MODEL_UNAVAILABLE } });
      expect(deps.model.calls).toEqual([]);
    });

    it('reports a dead letter back when the job cannot be settled (DynamoDB down), so it is tried again', async () => {
      const { app, deps } = setup();
      await app.handleApi(event('POST', '/generations', { body: VALID }));
      const [work] = deps.invoked;
      deps.repository.failFinish = true;
      expect(await app.handleDeadLetters(sqsEvent({ id: 'm-dead', body: work }))).toEqual({
        batchItemFailures: [{ itemIdentifier: 'm-dead' }],
      });
    });
  });
});
