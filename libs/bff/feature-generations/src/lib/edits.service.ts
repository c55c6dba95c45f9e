import { Inject, Injectable } from '@nestjs/common';

import { GENERATOR_CLIENT, type GeneratorClient } from '@imagegen/bff/data-access-generator';
import {
  Generation,
  ProblemError,
  UploadedImage,
  UploadTicket,
  validateCreateUploadRequest,
  validateEditImageRequest,
} from '@imagegen/contracts';

import { checkedIdempotencyKey, checkedUploadId } from './request-checks';

/**
 * Uploads and edits: the BFF hands out upload tickets (the browser sends the file straight to S3, never
 * through here), asks for their checks, and starts edit jobs. Every body is judged by the contracts'
 * validators first, so nothing odd is sent on; the generator's problems pass through as they are.
 */
@Injectable()
export class EditsService {
  constructor(@Inject(GENERATOR_CLIENT) private readonly generator: GeneratorClient) {}

  /** A presigned POST for one image: a type or size the upload would be refused for is refused now (415/413). */
  async createUpload(ownerId: string, requestId: string, body: unknown): Promise<UploadTicket> {
    const checked = validateCreateUploadRequest(body);
    if (!checked.ok) throw new ProblemError(checked.problem);
    return this.generator.createUpload(ownerId, checked.value, requestId);
  }

  /** The upload decoded and checked by the generator (a bad image is 422 INPUT_IMAGE_* and is deleted). */
  async checkUpload(ownerId: string, uploadId: unknown, requestId: string): Promise<UploadedImage> {
    return this.generator.checkUpload(ownerId, checkedUploadId(uploadId), requestId);
  }

  /**
   * Starts an edit job. The body goes on as the browser sent it once the service's rules accept it (the
   * validator refuses unknown fields, so nothing else rides along); the generator normalizes it itself.
   */
  async create(
    ownerId: string,
    requestId: string,
    body: unknown,
    idempotencyKey: unknown,
  ): Promise<Generation> {
    const key = checkedIdempotencyKey(idempotencyKey);
    const checked = validateEditImageRequest(body);
    if (!checked.ok) throw new ProblemError(checked.problem);
    // A retried click with the same key answers the first job (the generator keeps the keys).
    return this.generator.createEdit(ownerId, body, requestId, key);
  }
}
