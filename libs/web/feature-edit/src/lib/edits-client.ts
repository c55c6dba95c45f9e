import { HttpClient } from '@angular/common/http';
import { inject, Injectable, InjectionToken } from '@angular/core';
import { Observable } from 'rxjs';

import { EditImageRequest, ErrorCode, Generation, problem, UploadedImage } from '@imagegen/contracts';
import { EditsApi } from '@imagegen/web/data-access';

/** What the editor needs of the edits API (tests provide a fake). */
export interface EditsClient {
  /** Ticket, then the file straight to S3 (progress 0..1), then the generator's check. */
  upload(file: Blob, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<UploadedImage>;
  /** An upload checked again (a reload of /edit?upload=…): its size and a fresh link. */
  check(uploadId: string): Observable<UploadedImage>;
  create(request: EditImageRequest, idempotencyKey: string): Observable<Generation>;
  /**
   * The pixel size of an image at a presigned link, read by the browser itself (an earlier edit's kept
   * input: the job view gives its link, not its size, and no bytes go through the API for it).
   */
  measure(url: string): Promise<{ readonly width: number; readonly height: number }>;
}

/** EditsApi, plus checking an upload again by its id (what a reload of the editor needs). */
@Injectable({ providedIn: 'root' })
export class EditorEdits implements EditsClient {
  private readonly api = inject(EditsApi);
  private readonly http = inject(HttpClient);

  upload(file: Blob, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<UploadedImage> {
    return this.api.upload(file, onProgress, signal);
  }

  check(uploadId: string): Observable<UploadedImage> {
    return this.http.post<UploadedImage>(`/api/uploads/${encodeURIComponent(uploadId)}/check`, null);
  }

  create(request: EditImageRequest, idempotencyKey: string): Observable<Generation> {
    return this.api.create(request, idempotencyKey);
  }

  measure(url: string): Promise<{ readonly width: number; readonly height: number }> {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve({ width: image.naturalWidth, height: image.naturalHeight });
      image.onerror = () =>
        reject(problem(ErrorCode.NOT_FOUND, 'The image this edit was made from could not be read.'));
      image.src = url;
    });
  }
}

export const EDITS_CLIENT = new InjectionToken<EditsClient>('EditsClient', {
  providedIn: 'root',
  factory: () => inject(EditorEdits),
});
