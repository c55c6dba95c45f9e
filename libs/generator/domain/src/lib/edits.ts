import {
  CreateUploadRequest,
  ErrorCode,
  estimateServiceCostUsd,
  Generation,
  ImageRef,
  isJobInputRef,
  isUploadRef,
  ProblemError,
  ServiceInputName,
  UPLOAD_ID_PATTERN,
  UPLOAD_MAX_BYTES,
  UploadedImage,
  UploadTicket,
  validateCreateUploadRequest,
  validateEditImageRequest,
} from '@imagegen/contracts';

import { inputKey, uploadKey } from './generation-view';
import { GeneratorDeps } from './ports';
import { checkAccess, checkIdempotencyKey, createJob, ownJob } from './use-cases';

/** How long a presigned POST may be used: long enough for a 30 MB upload on a slow line, short enough not to linger. */
export const UPLOAD_POST_EXPIRY_SECONDS = 600;

function noUpload(uploadId: string): ProblemError {
  return ProblemError.of(ErrorCode.NOT_FOUND, `no upload ${uploadId.slice(0, 64)}`);
}

/**
 * POST /uploads: a presigned POST for one image, straight from the browser to S3. Its policy fixes the
 * key (under the owner, named by the server), the Content-Type and the size range, so S3 itself refuses
 * anything else. A declared size above the limit is 413, a type other than JPEG, PNG or WebP is 415.
 */
export async function createUpload(
  deps: GeneratorDeps,
  ownerId: string,
  body: unknown,
): Promise<UploadTicket> {
  const validated = validateCreateUploadRequest(body);
  if (!validated.ok) throw new ProblemError(validated.problem);
  const request: CreateUploadRequest = validated.value;
  const uploadId = `up${deps.ids.newId()}`;
  const post = await deps.signer.presignPost({
    key: uploadKey(ownerId, uploadId),
    contentType: request.contentType,
    maxBytes: UPLOAD_MAX_BYTES,
    expiresInSeconds: UPLOAD_POST_EXPIRY_SECONDS,
  });
  return {
    uploadId,
    url: post.url,
    fields: post.fields,
    maxBytes: UPLOAD_MAX_BYTES,
    expiresAt: new Date(deps.clock.now().getTime() + UPLOAD_POST_EXPIRY_SECONDS * 1000).toISOString(),
  };
}

/**
 * POST /uploads/{id}/check: the upload decoded by the input checks (type by its bytes, not a bomb, not
 * animated, not truncated). A bad one is deleted at once (nothing is left behind) and refused with its
 * INPUT_IMAGE_* code; another owner's upload id is a plain NOT_FOUND (the key names the owner).
 */
export async function checkUpload(
  deps: GeneratorDeps,
  ownerId: string,
  uploadId: string,
): Promise<UploadedImage> {
  if (!UPLOAD_ID_PATTERN.test(uploadId)) throw noUpload(uploadId);
  const key = uploadKey(ownerId, uploadId);
  const head = await deps.store.head(key);
  if (!head) throw noUpload(uploadId);
  const refuse = async (err: ProblemError): Promise<never> => {
    await deps.store.deleteMany([key]);
    throw err;
  };
  // The POST policy's content-length-range already holds it; an object put another way is refused unread.
  if (head.bytes > UPLOAD_MAX_BYTES)
    await refuse(
      ProblemError.of(ErrorCode.INPUT_IMAGE_TOO_LARGE, `the file must be at most ${UPLOAD_MAX_BYTES} bytes`),
    );
  const bytes = await deps.store.get(key);
  if (!bytes) throw noUpload(uploadId);
  let inspected;
  try {
    inspected = await deps.images.inspect(bytes);
  } catch (err) {
    if (err instanceof ProblemError) return refuse(err);
    throw err;
  }
  const expirySeconds = deps.settings.presignExpirySeconds;
  return {
    uploadId,
    width: inspected.width,
    height: inspected.height,
    format: inspected.format,
    hasAlpha: inspected.hasAlpha,
    bytes: inspected.bytes,
    url: await deps.signer.presignGet(key, expirySeconds),
    urlExpiresAt: new Date(deps.clock.now().getTime() + expirySeconds * 1000).toISOString(),
  };
}

/**
 * The stored object an input names, if it is the caller's: an upload of theirs, an image of a job of
 * theirs, or the kept copy of an input of an edit job of theirs (only while that copy exists: a job that
 * made no image has its inputs removed).
 */
async function ownInputKey(deps: GeneratorDeps, ownerId: string, ref: ImageRef): Promise<string> {
  if (isUploadRef(ref)) {
    const key = uploadKey(ownerId, ref.uploadId);
    if (!(await deps.store.head(key))) throw noUpload(ref.uploadId);
    return key;
  }
  // Another owner's job, an expired job and a malformed id look the same: NOT_FOUND.
  const job = await ownJob(deps, ownerId, ref.generationId);
  if (isJobInputRef(ref)) {
    // The key is built from the caller's id and a validated name, never taken from the request.
    const key = inputKey(ownerId, job.id, ref.input);
    if (!job.request.edit?.[ref.input] || !(await deps.store.head(key)))
      throw ProblemError.of(
        ErrorCode.NOT_FOUND,
        `no ${ref.input} kept by generation ${ref.generationId.slice(0, 64)}`,
      );
    return key;
  }
  const image = job.images.find((i) => i.id === ref.imageId);
  if (!image)
    throw ProblemError.of(
      ErrorCode.NOT_FOUND,
      `no image ${ref.imageId.slice(0, 64)} in generation ${ref.generationId.slice(0, 64)}`,
    );
  return image.key;
}

/**
 * POST /edits: an image service on the caller's own uploads or generated images, recorded and handed to
 * the worker exactly as a generation is (budgets, queue cap, reservation at the service's price,
 * idempotency, one message per image). The inputs are copied into the job's prefix; the worker checks
 * them before paying for a call.
 */
export async function createEdit(
  deps: GeneratorDeps,
  ownerId: string,
  body: unknown,
  requestId: string,
  idempotencyKey?: string,
): Promise<Generation> {
  checkIdempotencyKey(idempotencyKey);
  const validated = validateEditImageRequest(body, deps.services);
  if (!validated.ok) throw new ProblemError(validated.problem);
  const request = validated.value;
  const edit = request.edit;
  const service = edit ? deps.services(edit.serviceId) : undefined;
  if (!edit || !service)
    throw ProblemError.of(ErrorCode.VALIDATION_FAILED, `unknown service ${request.modelId}`);
  const refs: [ServiceInputName, ImageRef | undefined][] = [
    ['image', edit.image],
    ['mask', edit.mask],
    ['styleImage', edit.styleImage],
  ];
  const inputs: { name: ServiceInputName; from: string }[] = [];
  for (const [name, ref] of refs) if (ref) inputs.push({ name, from: await ownInputKey(deps, ownerId, ref) });
  await checkAccess(deps, service);
  return createJob(
    deps,
    ownerId,
    {
      request,
      modelId: service.id,
      estimatedCostUsd: estimateServiceCostUsd(service, request.count),
      seed: service.seed,
      inputs,
    },
    requestId,
    idempotencyKey,
  );
}
