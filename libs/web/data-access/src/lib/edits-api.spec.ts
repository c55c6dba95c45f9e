import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import {
  EditImageRequest,
  ErrorCode,
  problem,
  UPLOAD_MAX_BYTES,
  UploadedImage,
  UploadTicket,
} from '@imagegen/contracts';
import { userMessage } from '@imagegen/web/util-jobs';

import { EditsApi, UPLOAD_XHR, UploadProblem } from './edits-api';
import { problemFrom } from './problem-messages';

/** A stand-in for the browser's XMLHttpRequest: records what is sent, answers as a test says. */
class FakeXhr {
  method = '';
  url = '';
  body?: FormData;
  status = 0;
  responseText = '';
  aborted = false;
  readonly upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  onabort: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
  }
  answer(status: number, body = '') {
    this.status = status;
    this.responseText = body;
    this.onload?.();
  }
}

const TICKET: UploadTicket = {
  uploadId: 'up0123456789ab',
  url: 'https://imagegen-images.s3.us-west-2.amazonaws.com/',
  fields: {
    key: 'uploads/anon-1/up0123456789ab',
    'Content-Type': 'image/png',
    Policy: 'eyJjb25kaXRpb25zIjpbXX0=',
    'X-Amz-Signature': 'abc',
  },
  maxBytes: UPLOAD_MAX_BYTES,
  expiresAt: '2026-12-02T15:00:00Z',
};
const CHECKED: UploadedImage = {
  uploadId: TICKET.uploadId,
  width: 1024,
  height: 768,
  format: 'png',
  hasAlpha: false,
  bytes: 4,
  url: 'https://imagegen-images.s3.us-west-2.amazonaws.com/uploads/anon-1/up0123456789ab?X-Amz-Signature=x',
  urlExpiresAt: '2026-12-02T15:15:00Z',
};
const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R</RequestId></Error>`;

let api: EditsApi;
let http: HttpTestingController;
let xhrs: FakeXhr[];
const png = () => new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
/** Lets the upload's awaits run (the next HTTP step starts after a microtask or two). */
const settle = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  xhrs = [];
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      {
        provide: UPLOAD_XHR,
        useValue: () => {
          const xhr = new FakeXhr();
          xhrs.push(xhr);
          return xhr as unknown as XMLHttpRequest;
        },
      },
    ],
  });
  api = TestBed.inject(EditsApi);
  http = TestBed.inject(HttpTestingController);
});
afterEach(() => http.verify());

/** Starts an upload and answers its ticket: the S3 request is then in flight. */
async function uploadToS3(file: Blob, onProgress?: (f: number) => void, signal?: AbortSignal) {
  const done = api.upload(file, onProgress, signal);
  const outcome = done.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await settle();
  const ticket = http.expectOne({ method: 'POST', url: '/api/uploads' });
  expect(ticket.request.body).toEqual({ contentType: file.type, bytes: file.size });
  ticket.flush(TICKET, { status: 201, statusText: 'Created' });
  await settle();
  expect(xhrs).toHaveLength(1);
  return { xhr: xhrs[0], outcome };
}

describe(EditsApi.name, () => {
  describe('upload', () => {
    it('asks for a ticket, POSTs the fields then the file to S3 with progress, then has the upload checked', async () => {
      const seen: number[] = [];
      const file = png();
      const { xhr, outcome } = await uploadToS3(file, (f) => seen.push(f));
      expect([xhr.method, xhr.url]).toEqual(['POST', TICKET.url]);
      const entries = [...(xhr.body as FormData).entries()];
      expect(entries.map(([name]) => name)).toEqual([...Object.keys(TICKET.fields), 'file']);
      expect(entries.slice(0, -1)).toEqual(Object.entries(TICKET.fields));
      expect((entries.at(-1)?.[1] as Blob).size).toBe(file.size);

      xhr.progress(250, 1000);
      xhr.progress(750, 1000);
      xhr.answer(204); // S3's answer to a POST without success_action_status
      await settle();
      http.expectOne({ method: 'POST', url: `/api/uploads/${TICKET.uploadId}/check` }).flush(CHECKED);
      expect(await outcome).toEqual({ value: CHECKED });
      expect(seen).toEqual([0.25, 0.75, 1]);
    });

    it.each([
      [
        'EntityTooLarge',
        400,
        s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size'),
        ErrorCode.PAYLOAD_TOO_LARGE,
        /larger than 30 MB/,
      ],
      [
        'AccessDenied (policy expired)',
        403,
        s3Error('AccessDenied', 'Invalid according to Policy: Policy expired.'),
        ErrorCode.UNAUTHORIZED,
        /link expired/,
      ],
      [
        'SlowDown',
        503,
        s3Error('SlowDown', 'Please reduce your request rate.'),
        ErrorCode.SERVICE_UNAVAILABLE,
        /try again/,
      ],
      [
        'an answer that is not XML',
        502,
        '<html>Bad gateway</html>',
        ErrorCode.SERVICE_UNAVAILABLE,
        /try again/,
      ],
    ])(
      'turns S3’s %s into a problem a person can act on, and checks nothing',
      async (_name, status, body, code, said) => {
        const { xhr, outcome } = await uploadToS3(png());
        xhr.answer(status, body);
        const { error } = (await outcome) as { error: unknown };
        expect(error).toBeInstanceOf(UploadProblem);
        const p = problemFrom(error);
        expect(p.code).toBe(code);
        expect(userMessage(p).message).toMatch(said);
      },
    );

    it('says so when the connection fails on the way to S3', async () => {
      const { xhr, outcome } = await uploadToS3(png());
      xhr.onerror?.();
      const { error } = (await outcome) as { error: UploadProblem };
      expect(error.problem).toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE, detail: /connection/ });
    });

    it('passes the check’s refusal on with its INPUT_IMAGE_* code', async () => {
      const { xhr, outcome } = await uploadToS3(png());
      xhr.answer(204);
      await settle();
      http
        .expectOne(`/api/uploads/${TICKET.uploadId}/check`)
        .flush(problem(ErrorCode.INPUT_IMAGE_ANIMATED, 'the image is animated'), {
          status: 422,
          statusText: 'Unprocessable Content',
        });
      const { error } = (await outcome) as { error: unknown };
      expect(problemFrom(error).code).toBe(ErrorCode.INPUT_IMAGE_ANIMATED);
      expect(userMessage(problemFrom(error)).message).toMatch(/Animated images cannot be edited/);
    });

    it('passes the BFF’s refusal of the ticket on (rate limit), sending nothing to S3', async () => {
      const done = api.upload(png()).catch((e: unknown) => e);
      await settle();
      http
        .expectOne('/api/uploads')
        .flush(problem(ErrorCode.RATE_LIMITED, 'too many uploads', { retryAfterSeconds: 9 }), {
          status: 429,
          statusText: 'Too Many Requests',
        });
      expect(problemFrom(await done)).toMatchObject({ code: ErrorCode.RATE_LIMITED, retryAfterSeconds: 9 });
      expect(xhrs).toEqual([]);
    });

    it.each([
      ['a GIF', new Blob(['GIF89a'], { type: 'image/gif' }), ErrorCode.UNSUPPORTED_MEDIA_TYPE],
      ['a file without a type', new Blob(['?']), ErrorCode.UNSUPPORTED_MEDIA_TYPE],
      ['an empty PNG', new Blob([], { type: 'image/png' }), ErrorCode.VALIDATION_FAILED],
      [
        'a PNG over the most',
        { type: 'image/png', size: UPLOAD_MAX_BYTES + 1 } as Blob,
        ErrorCode.PAYLOAD_TOO_LARGE,
      ],
    ])('refuses %s before sending anything', async (_name, file, code) => {
      const error = await api.upload(file).catch((e: unknown) => e);
      expect(problemFrom(error).code).toBe(code);
      expect(xhrs).toEqual([]);
    });

    it('stops the transfer when its signal aborts, and checks nothing', async () => {
      const stop = new AbortController();
      const { xhr, outcome } = await uploadToS3(png(), undefined, stop.signal);
      stop.abort();
      const { error } = (await outcome) as { error: DOMException };
      expect(xhr.aborted).toBe(true);
      expect(error.name).toBe('AbortError');
    });
  });

  it('starts an edit with its idempotency key', () => {
    const request: EditImageRequest = {
      serviceId: 'stability.stable-image-remove-background-v1:0',
      image: { uploadId: TICKET.uploadId },
    };
    let id = '';
    api.create(request, 'click-0001').subscribe((job) => (id = job.id));
    const post = http.expectOne({ method: 'POST', url: '/api/edits' });
    expect(post.request.body).toEqual(request);
    expect(post.request.headers.get('Idempotency-Key')).toBe('click-0001');
    post.flush({ id: 'job0000000009', status: 'queued' });
    expect(id).toBe('job0000000009');
  });

  it('lists the edits made from a job by parent, a page at a time', () => {
    api.edits('job0000000001', 'g1.next').subscribe();
    const get = http.expectOne((r) => r.url === '/api/generations');
    expect(get.request.params.get('parent')).toBe('job0000000001');
    expect(get.request.params.get('cursor')).toBe('g1.next');
    expect(get.request.params.get('limit')).toBe('24');
    get.flush({ items: [] });
  });
});
