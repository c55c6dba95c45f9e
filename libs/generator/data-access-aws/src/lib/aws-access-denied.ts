import { ErrorCode, ProblemError } from '@imagegen/contracts';

const DENIED_NAMES = new Set(['AccessDenied', 'AccessDeniedException']);

/**
 * True when AWS refused a call of ours (S3 `AccessDenied`, DynamoDB, Lambda or Bedrock
 * `AccessDeniedException`): the role this code runs as lacks a permission. Not an outage, not a bug.
 */
export function isAwsAccessDenied(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; cause?: unknown };
  if (e.name && DENIED_NAMES.has(e.name)) return true;
  return e.cause !== undefined && e.cause !== err && isAwsAccessDenied(e.cause);
}

/** The IAM action AWS named in its refusal (`…not authorized to perform: dynamodb:PutItem on …`), if it did. */
export function deniedAction(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : '';
  return /not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1];
}

/**
 * What a caller gets when AWS refused one of our calls: 403 UNAUTHORIZED naming the missing permission
 * (the action only: no ARN, account or principal reaches the caller), never a 500.
 */
export function accessDeniedProblem(err: unknown): ProblemError {
  const action = deniedAction(err);
  return ProblemError.of(
    ErrorCode.UNAUTHORIZED,
    action
      ? `The image service is not allowed to ${action} in its AWS account: its IAM role lacks that permission (an operator must grant it).`
      : 'The image service was refused by AWS (AccessDenied): its IAM role lacks a permission (an operator must grant it).',
  );
}
