import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { createEnvironmentInjector, EnvironmentInjector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { of, throwError } from 'rxjs';

import {
  EditImageRequest,
  ErrorCode,
  findImageService,
  Generation,
  problem,
  UploadedImage,
  validationProblem,
} from '@imagegen/contracts';
import { GenerationStore } from '@imagegen/web/data-access';

import { EditStore, MaskSource } from './edit-store';
import { EDITS_CLIENT, EditsClient } from './edits-client';

const INPAINT = 'stability.stable-image-inpaint-v1:0';
const UPLOAD: UploadedImage = {
  uploadId: 'up0123456789',
  width: 640,
  height: 480,
  format: 'png',
  hasAlpha: false,
  bytes: 100,
  url: 'http://s3/uploads/up0123456789',
  urlExpiresAt: '2026-11-24T10:15:00Z',
};
const MASK_UPLOAD: UploadedImage = { ...UPLOAD, uploadId: 'up9999999999', width: 640, height: 480 };

function queued(over: Partial<Generation> = {}): Generation {
  return {
    id: 'g0000000009',
    status: 'queued',
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:00Z',
    modelId: INPAINT,
    request: { modelId: INPAINT, prompt: 'a red kite', aspectRatio: '1:1', count: 1, outputFormat: 'png' },
    images: [],
    estimatedCostUsd: 0.07,
    ...over,
  };
}

let page: EnvironmentInjector;
let store: EditStore;
let client: jest.Mocked<EditsClient>;
let http: HttpTestingController;

/** The editor's state on its own: an upload opened, inpaint picked, "a red kite" typed. */
async function ready() {
  Object.defineProperty(globalThis, 'EventSource', { value: undefined, configurable: true });
  client = { upload: jest.fn(), check: jest.fn(), create: jest.fn(), measure: jest.fn() };
  TestBed.configureTestingModule({
    providers: [provideHttpClient(), provideHttpClientTesting(), { provide: EDITS_CLIENT, useValue: client }],
  });
  page = createEnvironmentInjector([GenerationStore, EditStore], TestBed.inject(EnvironmentInjector));
  store = page.get(EditStore);
  http = TestBed.inject(HttpTestingController);
  store.openUpload(UPLOAD.uploadId, UPLOAD);
  store.selectService(INPAINT);
  store.setValue('prompt', 'a red kite');
}

const painted = (blob = new Blob(['png'], { type: 'image/png' })): MaskSource => ({
  hasMask: () => true,
  exportMask: () => Promise.resolve(blob),
});

afterEach(() => {
  page.destroy();
  http.verify();
});

describe(EditStore.name, () => {
  it('uploads the painted mask first, then sends the inpaint naming it, and follows the job', async () => {
    await ready();
    store.maskPainted.set(true);
    const blob = new Blob(['png'], { type: 'image/png' });
    client.upload.mockResolvedValue(MASK_UPLOAD);
    client.create.mockReturnValue(of(queued()));
    const created = jest.fn();

    await store.send(painted(blob), created);

    expect(client.upload.mock.calls[0][0]).toBe(blob);
    const [request] = client.create.mock.calls[0] as [EditImageRequest, string];
    expect(request).toEqual({
      serviceId: INPAINT,
      image: { uploadId: UPLOAD.uploadId },
      mask: { uploadId: MASK_UPLOAD.uploadId },
      params: { prompt: 'a red kite', grow_mask: 5 },
      count: 1,
      outputFormat: 'png',
    });
    expect(created).toHaveBeenCalledWith(expect.objectContaining({ id: 'g0000000009' }));
    http.expectOne('/api/generations/g0000000009').flush(queued({ status: 'running' }));
    expect(store.jobs.job()?.status).toBe('running');
    http.match('/api/summary').forEach((r) => r.flush({}));
  });

  it('sends nothing while an inpaint of an opaque image has no mask painted', async () => {
    await ready();
    await store.send(undefined, jest.fn());
    expect(store.blockers()).toEqual(['Paint over the area to change.']);
    expect(client.create).not.toHaveBeenCalled();
  });

  it("tells an edit's time from the deployment's measured figures, the catalog's until they arrive or if they fail", async () => {
    await ready();
    const typical = findImageService(INPAINT)?.expectedSecondsPerImage;
    // GIVEN the services' ETAs asked for, not answered yet: the catalog's figure
    store.readServices();
    expect(store.expectedSeconds()).toBe(typical);
    // WHEN the deployment answers inpaint measured at 3 s (outpaint at its catalog figure)
    const measured = {
      p50Seconds: 3,
      p90Seconds: 5,
      samples: 12,
      source: 'measured' as const,
      parallelism: 4,
    };
    http.expectOne('/api/services').flush([{ id: INPAINT, eta: measured }]);
    // THEN inpaint's time is the measured one
    expect(store.expectedSeconds()).toBe(3);
    expect(typical).not.toBe(3);

    // WHEN a page's read fails, THEN the catalog's figure stands
    store.serviceEtas.set(new Map());
    store.readServices();
    http.expectOne('/api/services').flush(null, { status: 503, statusText: 'down' });
    expect(store.expectedSeconds()).toBe(typical);
  });

  it("lets an image's transparent pixels be the mask (no mask painted)", async () => {
    await ready();
    store.openUpload(UPLOAD.uploadId, { ...UPLOAD, hasAlpha: true });
    expect(store.blockers()).toEqual([]);
  });

  it("puts the server's field errors by their fields, and other problems in the banner", async () => {
    await ready();
    store.maskPainted.set(true);
    client.upload.mockResolvedValue(MASK_UPLOAD);
    client.create.mockReturnValue(
      throwError(
        () =>
          new HttpErrorResponse({
            status: 400,
            error: validationProblem([
              { field: 'params.prompt', rule: 'maxLength', message: 'params.prompt must be shorter' },
            ]),
          }),
      ),
    );
    await store.send(painted(), jest.fn());
    expect(store.errors()).toEqual({ 'params.prompt': 'Params.prompt must be shorter.' });
    expect(store.problem()).toBeUndefined();

    client.create.mockReturnValue(
      throwError(() => new HttpErrorResponse({ status: 402, error: problem(ErrorCode.BUDGET_EXCEEDED) })),
    );
    await store.send(painted(), jest.fn());
    expect(store.problem()?.code).toBe(ErrorCode.BUDGET_EXCEEDED);
    expect(store.sending()).toBe(false);
  });

  it('fills the form from an earlier edit (Reuse), the seed only when asked', async () => {
    await ready();
    client.check.mockReturnValue(of(UPLOAD));
    const earlier = queued({
      status: 'succeeded',
      modelId: 'stability.stable-outpaint-v1:0',
      request: {
        modelId: 'stability.stable-outpaint-v1:0',
        prompt: '',
        aspectRatio: '1:1',
        seed: 1234,
        count: 2,
        outputFormat: 'webp',
        edit: {
          serviceId: 'stability.stable-outpaint-v1:0',
          image: { uploadId: UPLOAD.uploadId },
          params: { left: 200, creativity: 0.8 },
          fit: 'pad',
        },
      },
    });
    store.reuse(earlier, true);
    expect(store.serviceId()).toBe('stability.stable-outpaint-v1:0');
    expect(store.values()).toMatchObject({ left: 200, right: 0, creativity: 0.8 });
    expect([store.count(), store.outputFormat(), store.fit(), store.seed()]).toEqual([
      2,
      'webp',
      'pad',
      '1234',
    ]);
    expect(store.outputSize()).toEqual({ width: 840, height: 480 });

    store.reuse(earlier, false);
    expect(store.seed()).toBe('');
  });

  describe('Reuse of an edit made from an upload (the upload is deleted after a day)', () => {
    const STYLE = 'stability.stable-style-transfer-v1:0';
    const kept = (name: string) => ({
      url: `http://s3/owners/o/generations/g0000000007/inputs/${name}?sig`,
      urlExpiresAt: '2026-11-24T10:15:00Z',
    });
    const earlier = (over: Partial<Generation> = {}) =>
      queued({
        id: 'g0000000007',
        status: 'succeeded',
        modelId: STYLE,
        request: {
          modelId: STYLE,
          prompt: '',
          aspectRatio: '1:1',
          count: 1,
          outputFormat: 'png',
          edit: {
            serviceId: STYLE,
            image: { uploadId: UPLOAD.uploadId },
            styleImage: { uploadId: 'up5555555555' },
            params: {},
            fit: 'reject',
          },
        },
        inputs: { image: kept('image'), styleImage: kept('styleImage') },
        ...over,
      });

    it("opens the image and the style image from the job's kept copies, and sends them by that job", async () => {
      await ready();
      client.measure.mockImplementation((url) =>
        Promise.resolve(
          url.includes('styleImage') ? { width: 512, height: 512 } : { width: 800, height: 600 },
        ),
      );
      client.create.mockReturnValue(of(queued()));

      store.reuse(earlier(), false);
      await Promise.resolve();
      await Promise.resolve();

      // The upload is not asked for again: after a day it would be gone.
      expect(client.check).not.toHaveBeenCalled();
      expect(store.source()).toEqual({
        ref: { generationId: 'g0000000007', input: 'image' },
        url: kept('image').url,
        width: 800,
        height: 600,
      });
      expect(store.styleSource()?.ref).toEqual({ generationId: 'g0000000007', input: 'styleImage' });
      await store.send(undefined, jest.fn());
      const [request] = client.create.mock.calls[0] as [EditImageRequest, string];
      expect(request).toMatchObject({
        serviceId: STYLE,
        image: { generationId: 'g0000000007', input: 'image' },
        styleImage: { generationId: 'g0000000007', input: 'styleImage' },
      });
      http.match(() => true).forEach((r) => r.flush(queued()));
    });

    it('reopens a kept input whose link expired by reading its job again', async () => {
      await ready();
      client.measure.mockResolvedValue({ width: 800, height: 600 });
      store.reuse(earlier(), false);
      await Promise.resolve();
      await Promise.resolve();

      store.reopen();
      const fresh = { url: 'http://s3/fresh-image?sig', urlExpiresAt: '2026-11-24T10:30:00Z' };
      http.expectOne('/api/generations/g0000000007').flush(earlier({ inputs: { image: fresh } }));
      await Promise.resolve();
      await Promise.resolve();

      expect(store.source()?.url).toBe(fresh.url);
    });

    it('falls back to the upload when the job kept no input (it made no image), and says when it is gone', async () => {
      await ready();
      client.check.mockReturnValue(
        throwError(
          () =>
            new HttpErrorResponse({
              status: 404,
              error: problem(ErrorCode.NOT_FOUND, 'no upload up0123456789'),
            }),
        ),
      );
      store.reuse(earlier({ status: 'failed', inputs: undefined }), false);
      expect(client.check).toHaveBeenCalledWith(UPLOAD.uploadId);
      expect(store.source()).toBeUndefined();
      expect(store.problem()?.code).toBe(ErrorCode.NOT_FOUND);
    });

    it('keeps a generated image as it was (its lineage), and the style image only for a service that takes one', async () => {
      await ready();
      const outpaint = queued({
        id: 'g0000000008',
        status: 'succeeded',
        modelId: 'stability.stable-outpaint-v1:0',
        request: {
          modelId: 'stability.stable-outpaint-v1:0',
          prompt: '',
          aspectRatio: '1:1',
          count: 1,
          outputFormat: 'png',
          edit: {
            serviceId: 'stability.stable-outpaint-v1:0',
            image: { generationId: 'g0000000005', imageId: 'img0001' },
            params: { left: 100 },
            fit: 'reject',
          },
        },
        inputs: { image: kept('image') },
      });
      store.reuse(outpaint, false);
      http.expectOne('/api/generations/g0000000005').flush(
        queued({
          id: 'g0000000005',
          images: [
            {
              id: 'img0001',
              index: 0,
              url: 'http://s3/img0001.png',
              urlExpiresAt: '2026-11-24T10:15:00Z',
              width: 1024,
              height: 1024,
              seed: 1,
              bytes: 10,
              format: 'png',
            },
          ],
        }),
      );
      expect(store.source()?.ref).toEqual({ generationId: 'g0000000005', imageId: 'img0001' });
      expect(client.measure).not.toHaveBeenCalled();
      expect(store.styleSource()).toBeUndefined();
    });
  });
});
