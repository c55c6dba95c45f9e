import {
  ErrorCode,
  FieldError,
  GENERATION_ID_PATTERN,
  IDEMPOTENCY_KEY_PATTERN,
  ProblemError,
  UPLOAD_ID_PATTERN,
  validationProblem,
} from '@imagegen/contracts';

/** Longest page cursor and limit passed on: far above what the generator makes (~45 characters), far below anything harmful. */
export const PAGE_QUERY_MAX_LENGTH = { cursor: 256, limit: 16 } as const;

/** Printable ASCII without spaces: what a cursor or a limit can be. */
const VISIBLE_ASCII = /^[\x21-\x7E]+$/;

const invalid = (error: FieldError) => new ProblemError(validationProblem([error]));

/** A generation id from the path: anything that cannot be an id (traversal, encoded slashes, …) is 404, never sent on. */
export function checkedId(id: unknown): string {
  if (typeof id !== 'string' || !GENERATION_ID_PATTERN.test(id))
    throw ProblemError.of(ErrorCode.NOT_FOUND, 'no such generation');
  return id;
}

/** An upload id from the path: anything else is 404, as another owner's upload is (never sent on). */
export function checkedUploadId(id: unknown): string {
  if (typeof id !== 'string' || !UPLOAD_ID_PATTERN.test(id))
    throw ProblemError.of(ErrorCode.NOT_FOUND, 'no such upload');
  return id;
}

/** The `parent` query (a job id: its edits are asked for): absent means every job; anything else odd is 400. */
export function checkedParent(parent: unknown): string | undefined {
  if (parent === undefined || parent === '') return undefined;
  if (typeof parent !== 'string' || !GENERATION_ID_PATTERN.test(parent))
    throw invalid({ field: 'parent', rule: 'matches', message: 'parent must be given once, as a job id' });
  return parent;
}

/** The Idempotency-Key header: absent or empty means none; a malformed one is 400. */
export function checkedIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined || key === '') return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    const message = 'Idempotency-Key must be 8 to 128 letters, digits, - or _ (one per click)';
    throw invalid({ field: 'Idempotency-Key', rule: 'matches', message });
  }
  return key;
}

/**
 * The page query passed on to the generator, which judges the cursor's format and the limit's range;
 * the BFF only refuses what is odd in any case: repeated, too long, or not printable ASCII.
 */
export function checkedPageQuery(cursor: unknown, limit: unknown): { cursor?: string; limit?: string } {
  const one = (field: 'cursor' | 'limit', value: unknown): string | undefined => {
    if (value === undefined || value === '') return undefined;
    const max = PAGE_QUERY_MAX_LENGTH[field];
    if (typeof value !== 'string' || value.length > max || !VISIBLE_ASCII.test(value)) {
      throw invalid({
        field,
        rule: 'isPageQuery',
        message: `${field} must be given once, as at most ${max} printable characters`,
      });
    }
    return value;
  };
  const c = one('cursor', cursor);
  const l = one('limit', limit);
  return { ...(c ? { cursor: c } : {}), ...(l ? { limit: l } : {}) };
}
