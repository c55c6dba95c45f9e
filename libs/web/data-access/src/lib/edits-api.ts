import { HttpClient, HttpHeaders } from '@angular/common/http';
import { inject, Injectable, InjectionToken } from '@angular/core';
import { firstValueFrom, Observable } from 'rxjs';

import {
  EditImageRequest,
  ErrorCode,
  Generation,
  GenerationPage,
  problem,
  ProblemDetails,
  UPLOAD_MAX_BYTES,
  UploadedImage,
  UploadTicket,
  validateCreateUploadRequest,
} from '@imagegen/contracts';

import { problemFrom } from './problem-messages';

const API = '/api';

/** Makes the request that sends a file to S3: XMLHttpRequest, the one browser API that reports upload progress. */
export const UPLOAD_XHR = new InjectionToken<() => XMLHttpRequest>('UPLOAD_XHR', {
  providedIn: 'root',
  factory: () => () => new XMLHttpRequest(),
});

/** Why an upload failed, as a problem with a stable code (`problemFrom` reads it). */
export class UploadProblem extends Error {
  override readonly name = 'UploadProblem';
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
  }
}

const MB = UPLOAD_MAX_BYTES / (1024 * 1024);

/**
 * S3's answer to a refused POST, as a problem. S3 answers errors as XML `<Error><Code>…</Code><Message>…`, with
 * EntityTooLarge / EntityTooSmall (400) when the file is outside the POST policy's content-length-range, and
 * AccessDenied (403) when the policy has expired or a condition (key, Content-Type) does not hold:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList and
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
export function s3UploadProblem(status: number, body: string): ProblemDetails {
  // The one element read from a small XML document: a pattern, no XML parser needed.
  const code = /<Code>([A-Za-z]{1,64})<\/Code>/.exec(body)?.[1];
  switch (code) {
    case 'EntityTooLarge':
      return problem(ErrorCode.PAYLOAD_TOO_LARGE, `The image is larger than ${MB} MB.`, {
        errors: [{ field: 'bytes', rule: 'max', message: `bytes must be at most ${UPLOAD_MAX_BYTES}` }],
      });
    case 'EntityTooSmall':
      return problem(ErrorCode.INPUT_IMAGE_UNREADABLE, 'The file is empty.');
    case 'AccessDenied':
      return problem(
        ErrorCode.UNAUTHORIZED,
        'The upload was refused: its link expired, or the file is not the one announced. Choose the image again.',
      );
    case 'SlowDown':
    case 'ServiceUnavailable':
    case 'InternalError':
      return problem(ErrorCode.SERVICE_UNAVAILABLE, 'The storage is busy: try again in a moment.', {
        retryAfterSeconds: 2,
      });
  }
  return status >= 500
    ? problem(ErrorCode.SERVICE_UNAVAILABLE, 'The storage is unavailable for a moment: try again.', {
        retryAfterSeconds: 2,
      })
    : problem(ErrorCode.INTERNAL, `The upload was refused (HTTP ${status}): try again.`);
}

/**
 * Image editing through the BFF: uploads (the file goes straight to S3 with a presigned POST, never through
 * the BFF), edit jobs, and the edits made from a job's images.
 */
@Injectable({ providedIn: 'root' })
export class EditsApi {
  private readonly http = inject(HttpClient);
  private readonly newXhr = inject(UPLOAD_XHR);

  /**
   * Uploads one image and has it checked: a ticket from the BFF, the file POSTed to S3 (progress reported
   * from 0 to 1 as it is sent), then the check (decoded, not animated, not a bomb). Rejects with an
   * UploadProblem: a type or size refused before anything is sent (415/413), S3's refusal, or the check's
   * INPUT_IMAGE_* problem (the upload is then deleted). An aborted `signal` stops the transfer (AbortError).
   */
  async upload(
    file: Blob,
    onProgress?: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<UploadedImage> {
    // A file without a type is no image type either: 415, as for a GIF.
    const asked = validateCreateUploadRequest({
      contentType: file.type || 'application/octet-stream',
      bytes: file.size,
    });
    if (!asked.ok) throw new UploadProblem(asked.problem);
    const ticket = await this.call(this.http.post<UploadTicket>(`${API}/uploads`, asked.value));
    await this.send(ticket, file, onProgress, signal);
    return this.call(
      this.http.post<UploadedImage>(`${API}/uploads/${encodeURIComponent(ticket.uploadId)}/check`, null),
    );
  }

  /** Starts an edit job (answers the queued job, as a generation); follow it with GenerationsApi.follow. */
  create(request: EditImageRequest, idempotencyKey: string): Observable<Generation> {
    return this.http.post<Generation>(`${API}/edits`, request, {
      headers: new HttpHeaders({ 'Idempotency-Key': idempotencyKey }),
    });
  }

  /** The owner's edits made from a job's images (its lineage), newest first, a page at a time. */
  edits(generationId: string, cursor?: string, limit = 24): Observable<GenerationPage> {
    const params: Record<string, string> = {
      parent: generationId,
      limit: String(limit),
      ...(cursor ? { cursor } : {}),
    };
    return this.http.get<GenerationPage>(`${API}/generations`, { params });
  }

  private async call<T>(request: Observable<T>): Promise<T> {
    try {
      return await firstValueFrom(request);
    } catch (err) {
      throw new UploadProblem(problemFrom(err));
    }
  }

  /** The multipart POST to S3: the ticket's fields first, the file last (S3 ignores fields after the file). */
  private send(
    ticket: UploadTicket,
    file: Blob,
    onProgress: ((fraction: number) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new DOMException('The upload was stopped.', 'AbortError'));
      // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTForms.html: `file` must be the last
      // field of the form; fields after it are ignored.
      const form = new FormData();
      for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
      form.append('file', file);
      const xhr = this.newXhr();
      const stop = () => xhr.abort();
      signal?.addEventListener('abort', stop, { once: true });
      const settle = (error?: unknown) => {
        signal?.removeEventListener('abort', stop);
        if (error === undefined) resolve();
        else reject(error);
      };
      xhr.upload.onprogress = (e: ProgressEvent) => {
        if (e.lengthComputable && e.total > 0) onProgress?.(Math.min(1, e.loaded / e.total));
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress?.(1);
          return settle();
        }
        settle(new UploadProblem(s3UploadProblem(xhr.status, String(xhr.responseText ?? ''))));
      };
      const offline = () =>
        settle(
          new UploadProblem(
            problem(
              ErrorCode.SERVICE_UNAVAILABLE,
              'The upload did not go through: check the connection and try again.',
            ),
          ),
        );
      xhr.onerror = offline;
      xhr.ontimeout = offline;
      xhr.onabort = () => settle(new DOMException('The upload was stopped.', 'AbortError'));
      xhr.open('POST', ticket.url);
      xhr.send(form);
    });
  }
}
