import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { isAwsUnavailable, orUnavailable } from './aws-unavailable';

const awsError = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });

describe(isAwsUnavailable.name, () => {
  it.each([
    ['S3 SlowDown', awsError('SlowDown', 503)],
    ['DynamoDB ServiceUnavailable', awsError('ServiceUnavailable', 503)],
    ['any 5xx', awsError('Weird', 502)],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])('counts %s as a passing outage', (_name, err) => expect(isAwsUnavailable(err)).toBe(true));

  it.each([
    ['a failed condition', awsError('ConditionalCheckFailedException', 400)],
    ['a validation error', awsError('ValidationException', 400)],
    ['a plain bug', new TypeError('x is undefined')],
    ['nothing', undefined],
  ])('does not count %s', (_name, err) => expect(isAwsUnavailable(err)).toBe(false));
});

describe(orUnavailable.name, () => {
  it('turns an outage into SERVICE_UNAVAILABLE with a Retry-After and no AWS words', async () => {
    const err = await orUnavailable('Image storage', () => Promise.reject(awsError('SlowDown', 503))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).problem).toMatchObject({
      status: 503,
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfterSeconds: 5,
      detail: 'Image storage is unavailable for a moment: try again shortly.',
    });
  });

  it('passes anything else on unchanged', async () => {
    const bug = new TypeError('bug');
    await expect(orUnavailable('x', () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
