import { ErrorCode } from '../errors/error-code';
import { validateCreateUploadRequest } from './create-upload-request';
import { UPLOAD_MAX_BYTES } from './edit-image-request';

describe(validateCreateUploadRequest.name, () => {
  it.each(['image/png', 'image/jpeg', 'image/webp'])('accepts %s up to the most bytes', (contentType) => {
    expect(validateCreateUploadRequest({ contentType, bytes: UPLOAD_MAX_BYTES })).toEqual({
      ok: true,
      value: { contentType, bytes: UPLOAD_MAX_BYTES },
    });
  });

  it.each([
    ['a GIF', 'image/gif'],
    ['an SVG (script in an image)', 'image/svg+xml'],
    ['a type with parameters', 'image/png; charset=utf-8'],
  ])('refuses %s with 415 UNSUPPORTED_MEDIA_TYPE', (_name, contentType) => {
    const result = validateCreateUploadRequest({ contentType, bytes: 10 });
    expect(result).toMatchObject({
      ok: false,
      problem: { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, errors: [{ field: 'contentType' }] },
    });
  });

  it('refuses one byte over the most with 413 PAYLOAD_TOO_LARGE', () => {
    const result = validateCreateUploadRequest({ contentType: 'image/png', bytes: UPLOAD_MAX_BYTES + 1 });
    expect(result).toMatchObject({
      ok: false,
      problem: { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, errors: [{ field: 'bytes' }] },
    });
  });

  it.each([
    ['no body', null, '(body)'],
    ['zero bytes', { contentType: 'image/png', bytes: 0 }, 'bytes'],
    ['a fraction of a byte', { contentType: 'image/png', bytes: 1.5 }, 'bytes'],
    ['bytes as text', { contentType: 'image/png', bytes: '10' }, 'bytes'],
    ['no content type', { bytes: 10 }, 'contentType'],
    ['an unknown field', { contentType: 'image/png', bytes: 10, key: 'uploads/other/x' }, 'key'],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field', (_name, body, field) => {
    const result = validateCreateUploadRequest(body);
    expect(result).toMatchObject({ ok: false, problem: { status: 400, code: ErrorCode.VALIDATION_FAILED } });
    expect(!result.ok && result.problem.errors?.map((e) => e.field)).toEqual([field]);
  });
});
