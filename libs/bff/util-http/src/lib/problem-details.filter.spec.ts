import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { toProblemDetails } from './problem-details.filter';

describe(toProblemDetails.name, () => {
  it.each([
    [
      'a ProblemError as it is',
      ProblemError.of(ErrorCode.CONTENT_FILTERED, 'blocked'),
      422,
      ErrorCode.CONTENT_FILTERED,
    ],
    ["Nest's 404", new NotFoundException('Cannot GET /api/x'), 404, ErrorCode.NOT_FOUND],
    ["Nest's 400", new BadRequestException(['a must be a string']), 400, ErrorCode.VALIDATION_FAILED],
    ["Nest's 413", new PayloadTooLargeException(), 413, ErrorCode.PAYLOAD_TOO_LARGE],
    [
      "the JSON parser's size error",
      Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }),
      413,
      ErrorCode.PAYLOAD_TOO_LARGE,
    ],
    [
      "the JSON parser's syntax error",
      Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'an unknown charset',
      Object.assign(new Error('x'), { type: 'charset.unsupported' }),
      415,
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ],
    [
      'an unknown Content-Encoding',
      Object.assign(new Error('x'), { type: 'encoding.unsupported', status: 415 }),
      415,
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ],
    // (the decompressor's error on a body that is not gzip, as body-parser passes it on: a status, no type)
    [
      'a body that does not decompress',
      Object.assign(new Error('incorrect header check'), {
        errno: -3,
        code: 'Z_DATA_ERROR',
        status: 400,
        statusCode: 400,
        expose: true,
      }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'a body cut short of its Content-Length',
      Object.assign(new Error('request size did not match content length'), {
        type: 'request.size.invalid',
        status: 400,
      }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'a parser error with only a statusCode',
      Object.assign(new Error('x'), { statusCode: 413 }),
      413,
      ErrorCode.PAYLOAD_TOO_LARGE,
    ],
    [
      'a parser error with another 4xx as not valid',
      Object.assign(new Error('x'), { status: 429 }),
      400,
      ErrorCode.VALIDATION_FAILED,
    ],
    [
      'a parser error with a 415 status only',
      Object.assign(new Error('x'), { status: 415 }),
      415,
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ],
    [
      'a parser error with a 5xx as INTERNAL',
      Object.assign(new Error('stream is not readable'), { type: 'stream.not.readable', status: 500 }),
      500,
      ErrorCode.INTERNAL,
    ],
    [
      'anything else as INTERNAL',
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      500,
      ErrorCode.INTERNAL,
    ],
  ])('maps %s', (_name, err, status, code) => {
    expect(toProblemDetails(err)).toMatchObject({ status, code });
  });

  it('never carries the message of an unexpected error', () => {
    expect(JSON.stringify(toProblemDetails(new Error('password=hunter2 at /srv/app.js:10')))).not.toMatch(
      /hunter2|app\.js/,
    );
  });

  it("never carries the message of a parser's error either", () => {
    expect(
      JSON.stringify(
        toProblemDetails(Object.assign(new Error('zlib: bad block at /srv/app.js:10'), { status: 400 })),
      ),
    ).not.toMatch(/zlib|app\.js/);
  });
});
