import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { toProblemDetails } from './problem-details.filter';

describe(toProblemDetails.name, () => {
  it.each([
    ['a ProblemError as it is', ProblemError.of(ErrorCode.CONTENT_FILTERED, 'blocked'), 422, ErrorCode.CONTENT_FILTERED],
    ["Nest's 404", new NotFoundException('Cannot GET /api/x'), 404, ErrorCode.NOT_FOUND],
    ["Nest's 400", new BadRequestException(['a must be a string']), 400, ErrorCode.VALIDATION_FAILED],
    ["Nest's 413", new PayloadTooLargeException(), 413, ErrorCode.PAYLOAD_TOO_LARGE],
    ["the JSON parser's size error", Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }), 413, ErrorCode.PAYLOAD_TOO_LARGE],
    ["the JSON parser's syntax error", Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }), 400, ErrorCode.VALIDATION_FAILED],
    ['an unknown charset', Object.assign(new Error('x'), { type: 'charset.unsupported' }), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['anything else as INTERNAL', new TypeError("Cannot read properties of undefined (reading 'x')"), 500, ErrorCode.INTERNAL],
  ])('maps %s', (_name, err, status, code) => {
    expect(toProblemDetails(err)).toMatchObject({ status, code });
  });

  it('never carries the message of an unexpected error', () => {
    expect(JSON.stringify(toProblemDetails(new Error('password=hunter2 at /srv/app.js:10')))).not.toMatch(/hunter2|app\.js/);
  });
});
