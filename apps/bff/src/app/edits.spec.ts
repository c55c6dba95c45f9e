import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { ErrorCode, problem, ProblemError, UPLOAD_MAX_BYTES } from '@imagegen/contracts';

import { FakeGenerator, testEnv } from '../testing/fake-generator';
import { loadBffConfig } from './bff-config';
import { createBffApp } from './create-app';

const APP_ORIGIN = 'https://imagegen.example.com';
const UPLOAD = 'up0123456789ab';
const PARENT = 'job0000000042';
const REMOVE_BACKGROUND = 'stability.stable-image-remove-background-v1:0';
const INPAINT = 'stability.stable-image-inpaint-v1:0';
const inpaint = {
  serviceId: INPAINT,
  image: { generationId: PARENT, imageId: 'img0001' },
  mask: { uploadId: UPLOAD },
  params: { prompt: 'a red door', grow_mask: 8 },
};

let app: NestExpressApplication;
let generator: FakeGenerator;

async function start(overrides: Record<string, string> = {}) {
  generator = new FakeGenerator();
  ({ app } = await createBffApp(loadBffConfig(testEnv({ PUBLIC_ORIGIN: APP_ORIGIN, ...overrides })), {
    generator,
  }));
  await app.init();
}
afterEach(() => app.close());

const http = () => request(app.getHttpServer());
/** A new anonymous owner: its cookie. */
const newOwner = async () => (await http().get('/api/models')).headers['set-cookie'] as unknown as string[];

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, requestId: expect.any(String) });
}

describe('BFF uploads and edits', () => {
  beforeEach(() => start());

  describe('POST /api/uploads', () => {
    it('answers 201 with the generator’s ticket, for the cookie’s owner and with the request id', async () => {
      const cookie = await newOwner();
      const res = await http()
        .post('/api/uploads')
        .set('Cookie', cookie)
        .set('x-request-id', 'req-upload-1')
        .send({ contentType: 'image/png', bytes: 2_000_000 });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ uploadId: expect.stringMatching(/^up/), fields: expect.any(Object) });
      expect(generator.uploads).toEqual([
        {
          ownerId: expect.stringMatching(/^anon-/),
          body: { contentType: 'image/png', bytes: 2_000_000 },
          requestId: 'req-upload-1',
        },
      ]);
      expect(res.headers['set-cookie']).toBeUndefined(); // the same owner as before
    });

    it.each([
      [
        'an image larger than the most',
        { contentType: 'image/png', bytes: UPLOAD_MAX_BYTES + 1 },
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
      ],
      ['a GIF', { contentType: 'image/gif', bytes: 1000 }, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
      ['an SVG', { contentType: 'image/svg+xml', bytes: 1000 }, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
      ['zero bytes', { contentType: 'image/png', bytes: 0 }, 400, ErrorCode.VALIDATION_FAILED],
      [
        'a key of its own choosing',
        { contentType: 'image/png', bytes: 10, key: 'uploads/other/x' },
        400,
        ErrorCode.VALIDATION_FAILED,
      ],
    ])('refuses %s and never asks the generator', async (_name, body, status, code) => {
      expectProblem(await http().post('/api/uploads').send(body), status, code);
      expect(generator.calls).toEqual([]);
    });

    it.each([
      [
        'the image itself as multipart/form-data',
        () =>
          http()
            .post('/api/uploads')
            .attach('file', Buffer.alloc(1024, 1), { filename: 'a.png', contentType: 'image/png' }),
        415,
      ],
      [
        'the image itself as image/png',
        () => http().post('/api/uploads').set('content-type', 'image/png').send(Buffer.alloc(1024, 1)),
        415,
      ],
      [
        'a JSON body larger than BODY_LIMIT (an image in base64)',
        () =>
          http()
            .post('/api/edits')
            .send({ ...inpaint, params: { prompt: 'x', image: 'A'.repeat(200_000) } }),
        413,
      ],
      [
        'a multipart edit',
        () =>
          http()
            .post('/api/edits')
            .field('serviceId', REMOVE_BACKGROUND)
            .attach('image', Buffer.alloc(512, 2), 'a.png'),
        415,
      ],
    ])('never takes image bytes: %s is refused and not forwarded', async (_name, send, status) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(generator.calls).toEqual([]);
    });
  });

  describe('POST /api/uploads/:id/check', () => {
    it('answers 200 with the checked image of the owner’s upload', async () => {
      const cookie = await newOwner();
      const res = await http().post(`/api/uploads/${UPLOAD}/check`).set('Cookie', cookie);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ uploadId: UPLOAD, width: 640, height: 480 });
      expect(generator.checks).toEqual([{ ownerId: expect.stringMatching(/^anon-/), uploadId: UPLOAD }]);
    });

    it('passes the check’s refusal through with its INPUT_IMAGE_* code', async () => {
      generator.failWith = new ProblemError(problem(ErrorCode.INPUT_IMAGE_ANIMATED, 'the image is animated'));
      expectProblem(await http().post(`/api/uploads/${UPLOAD}/check`), 422, ErrorCode.INPUT_IMAGE_ANIMATED);
    });

    it.each(['..%2F..%2Fjob0000000001', 'UP0123456789AB', 'up01', `uploads%2Fanon-1%2F${UPLOAD}`])(
      'answers %s 404 NOT_FOUND without asking the generator',
      async (id) => {
        expectProblem(await http().post(`/api/uploads/${id}/check`), 404, ErrorCode.NOT_FOUND);
        expect(generator.calls).toEqual([]);
      },
    );
  });

  describe('POST /api/edits', () => {
    it('answers 202 with the job, sending the body as given with the owner and Idempotency-Key', async () => {
      const cookie = await newOwner();
      const res = await http()
        .post('/api/edits')
        .set('Cookie', cookie)
        .set('idempotency-key', 'click-0001')
        .send(inpaint);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'queued', modelId: INPAINT });
      expect(generator.edits).toEqual([
        {
          ownerId: expect.stringMatching(/^anon-/),
          body: inpaint,
          requestId: expect.any(String),
          idempotencyKey: 'click-0001',
        },
      ]);
    });

    it.each([
      ['an unknown service', { serviceId: 'stability.nope-v1:0', image: { uploadId: UPLOAD } }, 'serviceId'],
      ['no image', { serviceId: REMOVE_BACKGROUND }, 'image'],
      ['inpaint without its prompt', { ...inpaint, params: {} }, 'params.prompt'],
      [
        'a mask that is a generated image',
        { ...inpaint, mask: { generationId: PARENT, imageId: 'img0001' } },
        'mask',
      ],
      [
        'an S3 key as the image',
        { serviceId: REMOVE_BACKGROUND, image: { key: 'uploads/other/up1' } },
        'image',
      ],
      ['a field the service does not take', { ...inpaint, params: { prompt: 'x', left: 10 } }, 'params.left'],
      ['grow_mask out of range', { ...inpaint, params: { prompt: 'x', grow_mask: 21 } }, 'params.grow_mask'],
    ])(
      'refuses %s with 400 VALIDATION_FAILED naming the field, and never asks the generator',
      async (_n, body, field) => {
        const res = await http().post('/api/edits').send(body);
        expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
        expect(generator.calls).toEqual([]);
      },
    );

    it('refuses a malformed Idempotency-Key with 400 before asking the generator', async () => {
      const res = await http().post('/api/edits').set('idempotency-key', 'short').send(inpaint);
      expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
      expect(generator.calls).toEqual([]);
    });

    it('passes the generator’s 404 for an input that is not the owner’s through', async () => {
      generator.failWith = ProblemError.of(ErrorCode.NOT_FOUND, 'no such upload');
      expectProblem(await http().post('/api/edits').send(inpaint), 404, ErrorCode.NOT_FOUND);
    });
  });

  describe('GET /api/generations?parent=', () => {
    it('asks for the edits made from a job’s images', async () => {
      const res = await http().get(`/api/generations?parent=${PARENT}&limit=10`);
      expect(res.status).toBe(200);
      expect(generator.listed).toEqual([
        { ownerId: expect.stringMatching(/^anon-/), query: { limit: '10', parent: PARENT } },
      ]);
    });

    it.each(['..%2F', 'JOB0000000001', `${PARENT}&parent=${PARENT}`])(
      'refuses the parent %s with 400 VALIDATION_FAILED naming it',
      async (parent) => {
        const res = await http().get(`/api/generations?parent=${parent}`);
        expectProblem(res, 400, ErrorCode.VALIDATION_FAILED);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'parent' })]);
        expect(generator.calls).toEqual([]);
      },
    );
  });

  describe('from another site', () => {
    it.each([
      ['an upload ticket', '/api/uploads', { contentType: 'image/png', bytes: 10 }],
      ['an upload check', `/api/uploads/${UPLOAD}/check`, undefined],
      ['an edit', '/api/edits', inpaint],
    ])('refuses %s with 403 CROSS_ORIGIN, and never asks the generator', async (_name, path, body) => {
      const res = await http()
        .post(path)
        .set('origin', 'https://evil.example')
        .set('sec-fetch-site', 'cross-site')
        .send(body);
      expectProblem(res, 403, ErrorCode.CROSS_ORIGIN);
      expect(generator.calls).toEqual([]);
    });

    it('answers the app’s own page', async () => {
      const res = await http().post('/api/edits').set('origin', APP_ORIGIN).send(inpaint);
      expect(res.status).toBe(202);
    });
  });
});

describe('BFF uploads and edits in the OpenAPI document', () => {
  beforeEach(() => start());

  it('documents each route with its body, answer and refusals', async () => {
    const doc = (await http().get('/api/docs-json')).body;
    const upload = doc.paths['/api/uploads'].post;
    expect(upload.requestBody.content['application/json'].schema).toMatchObject({
      required: ['contentType', 'bytes'],
      additionalProperties: false,
      properties: { bytes: { maximum: UPLOAD_MAX_BYTES } },
    });
    expect(Object.keys(upload.responses)).toEqual(
      expect.arrayContaining(['201', '400', '413', '415', '429']),
    );
    const check = doc.paths['/api/uploads/{id}/check'].post;
    expect(check.responses['422'].description).toMatch(/INPUT_IMAGE_UNREADABLE.*INPUT_IMAGE_ANIMATED/);
    expect(check.responses['200'].content['application/json'].schema.properties).toHaveProperty('hasAlpha');
    const edit = doc.paths['/api/edits'].post;
    expect(edit.requestBody.content['application/json'].schema.properties.serviceId.enum).toContain(INPAINT);
    expect(edit.responses['429'].description).toMatch(/BUDGET_EXCEEDED/);
    expect(edit.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key' })]),
    );
    expect(doc.paths['/api/generations'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'parent', in: 'query' })]),
    );
  });
});

describe('BFF upload and edit rate limits', () => {
  it('counts an edit as a new job: over RATE_LIMIT_JOBS_PER_OWNER, 429 RATE_LIMITED, shared with generations', async () => {
    await start({ RATE_LIMIT_JOBS_PER_OWNER: '2' });
    const cookie = await newOwner();
    const generation = await http()
      .post('/api/generations')
      .set('Cookie', cookie)
      .send({ modelId: 'stability.stable-image-core-v1:1', prompt: 'x' });
    expect(generation.status).toBe(202);
    expect((await http().post('/api/edits').set('Cookie', cookie).send(inpaint)).status).toBe(202);
    const refused = await http().post('/api/edits').set('Cookie', cookie).send(inpaint);
    expectProblem(refused, 429, ErrorCode.RATE_LIMITED);
    expect(refused.body.detail).toMatch(/too many new jobs/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(generator.edits).toHaveLength(1);
  });

  it('limits upload tickets per owner with RATE_LIMIT_UPLOADS_PER_OWNER, apart from jobs and checks', async () => {
    await start({ RATE_LIMIT_UPLOADS_PER_OWNER: '2' });
    const cookie = await newOwner();
    const ticket = () =>
      http().post('/api/uploads').set('Cookie', cookie).send({ contentType: 'image/webp', bytes: 99 });
    expect((await ticket()).status).toBe(201);
    expect((await ticket()).status).toBe(201);
    const refused = await ticket();
    expectProblem(refused, 429, ErrorCode.RATE_LIMITED);
    expect(refused.body.detail).toMatch(/too many uploads/);
    // The owner can still check what it sent and start its edit.
    expect((await http().post(`/api/uploads/${UPLOAD}/check`).set('Cookie', cookie)).status).toBe(200);
    expect((await http().post('/api/edits').set('Cookie', cookie).send(inpaint)).status).toBe(202);
    expect(generator.uploads).toHaveLength(2);
  });
});
