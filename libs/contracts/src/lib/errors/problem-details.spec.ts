import { ERROR_CODES, ErrorCode } from './error-code';
import { isProblemDetails, problem, ProblemError } from './problem-details';

describe(problem.name, () => {
  it('maps every code to a 4xx or 5xx status and a type URI', () => {
    for (const code of Object.values(ErrorCode)) {
      const p = problem(code);
      expect(p.status).toBe(ERROR_CODES[code].status);
      expect(p.status).toBeGreaterThanOrEqual(400);
      expect(p.type).toMatch(/^https:\/\/imagegen\.dev\/problems\/[a-z-]+$/);
    }
  });

  it('answers 429 with a retry hint for a throttled model', () => {
    expect(problem(ErrorCode.MODEL_THROTTLED, 'busy', { retryAfterSeconds: 5 })).toMatchObject({
      status: 429,
      retryAfterSeconds: 5,
      detail: 'busy',
    });
  });

  it('carries problem details through ProblemError', () => {
    const err = ProblemError.of(ErrorCode.NOT_FOUND, 'no such generation');
    expect(err.message).toBe('no such generation');
    expect(isProblemDetails(err.problem)).toBe(true);
    expect(isProblemDetails({ code: 'NOPE', status: 1, title: 'x' })).toBe(false);
  });
});
