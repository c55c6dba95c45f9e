import { ErrorCode } from '../errors/error-code';
import { FieldError, problem, validationProblem } from '../errors/problem-details';
import { bodyShapeProblem, type ValidationResult } from '../validation/validate-generate-image-request';
import {
  CreateUploadRequest,
  UPLOAD_CONTENT_TYPES,
  UPLOAD_MAX_BYTES,
  UploadContentType,
} from './edit-image-request';

const CREATE_UPLOAD_REQUEST_FIELDS = [
  'contentType',
  'bytes',
] as const satisfies readonly (keyof CreateUploadRequest)[];

/**
 * Checks a request for an upload ticket before any is made: the answers a person can act on come first,
 * as the upload itself would get them (a type other than JPEG, PNG or WebP is 415 UNSUPPORTED_MEDIA_TYPE, more
 * than UPLOAD_MAX_BYTES 413 PAYLOAD_TOO_LARGE, each naming its field in `errors`); anything else malformed is 400 VALIDATION_FAILED naming the field.
 * The browser, the BFF and the generator all call it.
 */
export function validateCreateUploadRequest(input: unknown): ValidationResult<CreateUploadRequest> {
  const shape = bodyShapeProblem(input, CREATE_UPLOAD_REQUEST_FIELDS);
  if (shape) return { ok: false, problem: shape };
  const body = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  const { contentType, bytes } = body;
  if (typeof contentType !== 'string' || contentType === '')
    errors.push({
      field: 'contentType',
      rule: 'isString',
      message: `contentType must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`,
    });
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1)
    errors.push({ field: 'bytes', rule: 'isInt', message: 'bytes must be a whole number of at least 1' });
  if (errors.length > 0) return { ok: false, problem: validationProblem(errors) };

  if (!(UPLOAD_CONTENT_TYPES as readonly string[]).includes(contentType as string))
    return {
      ok: false,
      problem: problem(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        `only JPEG, PNG and WebP images can be edited (${UPLOAD_CONTENT_TYPES.join(', ')})`,
        // The field named, so that a client can tell the image from the request body (also 415).
        {
          errors: [
            {
              field: 'contentType',
              rule: 'isIn',
              message: `contentType must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`,
            },
          ],
        },
      ),
    };
  if ((bytes as number) > UPLOAD_MAX_BYTES)
    return {
      ok: false,
      problem: problem(
        ErrorCode.PAYLOAD_TOO_LARGE,
        `the image is larger than ${UPLOAD_MAX_BYTES / (1024 * 1024)} MB: make it smaller and try again`,
        { errors: [{ field: 'bytes', rule: 'max', message: `bytes must be at most ${UPLOAD_MAX_BYTES}` }] },
      ),
    };
  return { ok: true, value: { contentType: contentType as UploadContentType, bytes: bytes as number } };
}
