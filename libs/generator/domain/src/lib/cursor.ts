import { ErrorCode, GENERATION_ID_PATTERN, ProblemError } from '@imagegen/contracts';

const PREFIX = 'g1.';

/** Opaque page cursor: the id of the last item shown. */
export function encodeCursor(lastId: string): string {
  return PREFIX + lastId;
}

/** Answers the id in a cursor, or throws VALIDATION_FAILED for anything we did not make. */
export function decodeCursor(cursor: string): string {
  const id = cursor.startsWith(PREFIX) ? cursor.slice(PREFIX.length) : '';
  if (!GENERATION_ID_PATTERN.test(id)) {
    throw ProblemError.of(
      ErrorCode.VALIDATION_FAILED,
      'cursor is not valid: use the nextCursor of a previous page',
      {
        errors: [{ field: 'cursor', rule: 'isCursor', message: 'cursor is not valid' }],
      },
    );
  }
  return id;
}

export const PAGE_LIMITS = { default: 20, max: 100 } as const;

export function parseLimit(limit: string | undefined): number {
  if (limit === undefined || limit === '') return PAGE_LIMITS.default;
  const n = Number(limit);
  if (!/^\d+$/.test(limit) || n < 1 || n > PAGE_LIMITS.max) {
    throw ProblemError.of(
      ErrorCode.VALIDATION_FAILED,
      `limit must be a whole number from 1 to ${PAGE_LIMITS.max}`,
      {
        errors: [
          {
            field: 'limit',
            rule: 'range',
            message: `limit must be a whole number from 1 to ${PAGE_LIMITS.max}`,
          },
        ],
      },
    );
  }
  return n;
}
