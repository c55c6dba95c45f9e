import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { checkedId, checkedIdempotencyKey, checkedPageQuery } from './request-checks';

function problemOf(f: () => unknown) {
  try {
    f();
  } catch (err) {
    if (err instanceof ProblemError) return err.problem;
    throw err;
  }
  throw new Error('expected a problem');
}

describe(checkedId.name, () => {
  it.each([
    ['path traversal', '../../etc/passwd'],
    ['an encoded slash decoded', 'job0000000001/../x'],
    ['a backslash', '..\\..\\x'],
    ['a null byte', 'job0000000001\u0000'],
    ['upper case', 'JOB0000000001'],
    ['too short', 'abc'],
    ['too long', 'a'.repeat(41)],
    ['unicode look-alikes', 'јоb0000000001'],
    ['an array', ['job0000000001']],
  ])('answers NOT_FOUND for %s', (_name, id) => {
    expect(problemOf(() => checkedId(id))).toMatchObject({ status: 404, code: ErrorCode.NOT_FOUND });
  });

  it('takes a generation id as it is', () => {
    expect(checkedId('01jd4x9k2m3n4p5q6r7s8t9v0w')).toBe('01jd4x9k2m3n4p5q6r7s8t9v0w');
  });
});

describe(checkedIdempotencyKey.name, () => {
  it('takes no key, an empty one, and a UUID', () => {
    expect(checkedIdempotencyKey(undefined)).toBeUndefined();
    expect(checkedIdempotencyKey('')).toBeUndefined();
    expect(checkedIdempotencyKey('0b6f7a52-1c1e-4b8e-9a34-2f0c3e0d9a11')).toBe(
      '0b6f7a52-1c1e-4b8e-9a34-2f0c3e0d9a11',
    );
  });

  it.each([
    ['of 256 characters', 'k'.repeat(256)],
    ['of 129 characters', 'k'.repeat(129)],
    ['shorter than 8', 'abc'],
    ['with spaces', 'click 123456'],
    ['sent twice (joined with a comma)', 'click-123456, click-123456'],
    ['with a slash', 'click/123456'],
    ['with unicode', 'clické123456'],
    ['with a control character', 'click\u0001123456'],
  ])('refuses a key %s with VALIDATION_FAILED on Idempotency-Key', (_name, key) => {
    expect(problemOf(() => checkedIdempotencyKey(key))).toMatchObject({
      status: 400,
      code: ErrorCode.VALIDATION_FAILED,
      errors: [expect.objectContaining({ field: 'Idempotency-Key' })],
    });
  });
});

describe(checkedPageQuery.name, () => {
  it('passes cursor and limit on as they are, for the generator to judge', () => {
    expect(checkedPageQuery('g1.whatever', '1000')).toEqual({ cursor: 'g1.whatever', limit: '1000' });
    expect(checkedPageQuery('not-a-cursor', '-1')).toEqual({ cursor: 'not-a-cursor', limit: '-1' });
    expect(checkedPageQuery(undefined, '')).toEqual({});
  });

  it.each([
    ['a cursor of 257 characters', 'c'.repeat(257), undefined, 'cursor'],
    ['a cursor with a space', 'g1.a b', undefined, 'cursor'],
    ['a cursor with a line break', 'g1.a\nb', undefined, 'cursor'],
    ['a cursor with unicode', 'g1.é', undefined, 'cursor'],
    ['a cursor given twice', ['g1.a', 'g1.b'], undefined, 'cursor'],
    ['a cursor as an object', { a: 'b' }, undefined, 'cursor'],
    ['a limit of 17 digits', undefined, '1'.repeat(17), 'limit'],
    ['a limit given twice', undefined, ['1', '2'], 'limit'],
  ])('refuses %s with VALIDATION_FAILED naming it', (_name, cursor, limit, field) => {
    expect(problemOf(() => checkedPageQuery(cursor, limit))).toMatchObject({
      status: 400,
      code: ErrorCode.VALIDATION_FAILED,
      errors: [expect.objectContaining({ field })],
    });
  });
});
