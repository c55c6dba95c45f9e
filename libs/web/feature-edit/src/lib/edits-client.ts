import { HttpClient, HttpHeaders } from '@angular/common/http';
import { inject, Injectable, InjectionToken } from '@angular/core';
import { firstValueFrom, Observable } from 'rxjs';

import {
  CreateUploadRequest,
  EditImageRequest,
  ErrorCode,
  Generation,
  GenerationPage,
  problem,
  UPLOAD_CONTENT_TYPES,
  UPLOAD_MAX_BYTES,
  UploadContentType,
  UploadedImage,
  UploadTicket,
} from '@imagegen/contracts';

/** What the editor needs of the edits API (the shape agreed for issue 12's web data-access `EditsApi`). */
export interface EditsClient {
  /** Ticket, then the file straight to S3 (progress 0..1), then the generator's check. */
  upload(file: Blob, onProgress?: (fraction: number) => void): Promise<UploadedImage>;
  /** An upload checked again (a reload of /edit?upload=…): its size and a fresh link. */
  check(uploadId: string): Observable<UploadedImage>;
  create(request: EditImageRequest, idempotencyKey: string): Observable<Generation>;
  /** The owner's edits made from a job's images (lineage). */
  edits(generationId: string): Observable<GenerationPage>;
}

/**
 * Interim client until the shared `EditsApi` of @imagegen/web/data-access is available: the same calls to
 * the BFF's routes. Errors come out as GenerationsApi's do (HttpErrorResponse with a problem+json body),
 * or as a ProblemDetails for what the browser refuses before sending.
 */
@Injectable({ providedIn: 'root' })
export class InterimEditsClient implements EditsClient {
  private readonly http = inject(HttpClient);

  async upload(file: Blob, onProgress?: (fraction: number) => void): Promise<UploadedImage> {
    const contentType = file.type as UploadContentType;
    if (!(UPLOAD_CONTENT_TYPES as readonly string[]).includes(contentType))
      throw problem(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Only PNG, JPEG and WebP images can be edited.');
    if (file.size > UPLOAD_MAX_BYTES)
      throw problem(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `The file is larger than ${UPLOAD_MAX_BYTES / 1024 / 1024} MB.`,
      );
    const body: CreateUploadRequest = { contentType, bytes: file.size };
    const ticket = await firstValueFrom(this.http.post<UploadTicket>('/api/uploads', body));
    await postToS3(ticket, file, onProgress);
    return firstValueFrom(this.check(ticket.uploadId));
  }

  check(uploadId: string): Observable<UploadedImage> {
    return this.http.post<UploadedImage>(`/api/uploads/${encodeURIComponent(uploadId)}/check`, null);
  }

  create(request: EditImageRequest, idempotencyKey: string): Observable<Generation> {
    return this.http.post<Generation>('/api/edits', request, {
      headers: new HttpHeaders({ 'Idempotency-Key': idempotencyKey }),
    });
  }

  edits(generationId: string): Observable<GenerationPage> {
    return this.http.get<GenerationPage>('/api/generations', { params: { parent: generationId } });
  }
}

/** The presigned POST: the ticket's fields, then the file last (S3 ignores fields after it). */
function postToS3(ticket: UploadTicket, file: Blob, onProgress?: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', ticket.url);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? (onProgress?.(1), resolve())
        : reject(problem(ErrorCode.INPUT_IMAGE_UNREADABLE, 'The upload was refused by the storage.'));
    xhr.onerror = () =>
      reject(problem(ErrorCode.MODEL_UNAVAILABLE, 'The upload did not get through: check the connection.'));
    xhr.send(form);
  });
}

/** The editor's edits API (tests provide a fake). */
export const EDITS_CLIENT = new InjectionToken<EditsClient>('EditsClient', {
  providedIn: 'root',
  factory: () => inject(InterimEditsClient),
});
