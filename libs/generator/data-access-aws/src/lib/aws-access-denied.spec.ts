import { ErrorCode } from '@imagegen/contracts';

import { accessDeniedProblem, isAwsAccessDenied } from './aws-access-denied';

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

describe(isAwsAccessDenied.name, () => {
  it.each([
    ['S3 AccessDenied', awsError('AccessDenied')],
    ['DynamoDB AccessDeniedException', awsError('AccessDeniedException')],
    ['a wrapped one', Object.assign(new Error('x'), { cause: awsError('AccessDeniedException') })],
  ])('recognizes %s', (_n, err) => expect(isAwsAccessDenied(err)).toBe(true));

  it.each([
    ['a throttle', awsError('ThrottlingException')],
    ['a bug', new TypeError('x')],
    ['nothing', undefined],
  ])('does not count %s', (_n, err) => expect(isAwsAccessDenied(err)).toBe(false));
});

describe(accessDeniedProblem.name, () => {
  it('names the missing action and nothing else of the refusal', () => {
    const problem = accessDeniedProblem(
      awsError(
        'AccessDeniedException',
        'User: arn:aws:sts::000000000000:assumed-role/R/api is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-west-2:000000000000:table/t because no identity-based policy allows the dynamodb:PutItem action',
      ),
    ).problem;
    expect(problem).toMatchObject({ status: 403, code: ErrorCode.UNAUTHORIZED });
    expect(problem.detail).toContain('dynamodb:PutItem');
    expect(problem.detail).not.toMatch(/arn:|000000000000|assumed-role/);
  });

  it('says what it can when AWS named no action (S3)', () => {
    expect(accessDeniedProblem(awsError('AccessDenied', 'Access Denied')).problem.detail).toMatch(
      /AccessDenied/,
    );
  });
});
