import { ERROR_CODES, ErrorCode, isErrorCode } from './error-code';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One field that failed validation, and the rule it broke. */
export interface FieldError {
  /** Property path, e.g. `prompt` or `seed`. */
  readonly field: string;
  /** The rule's stable name, e.g. `maxLength`, `isIn`, `whitelistValidation`. */
  readonly rule: string;
  readonly message: string;
}

/** RFC 9457 problem details, with imagegen's stable `code`. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
  /** Seconds to wait before retrying (also sent as the Retry-After header). */
  readonly retryAfterSeconds?: number;
  readonly requestId?: string;
  /** BUDGET_EXCEEDED: the budget the job would pass, what is left of it and when it resets. */
  readonly budget?: BudgetStatus;
}

/** The spending budgets (settings, in dollars at catalog prices). */
export type BudgetName = 'deployment-monthly' | 'owner-daily' | 'owner-monthly';

/** One budget as it stands. */
export interface BudgetStatus {
  readonly name: BudgetName;
  readonly limitUsd: number;
  /** Spent, plus what the jobs still running have reserved. */
  readonly usedUsd: number;
  readonly remainingUsd: number;
  /** When the period ends and the budget is whole again (UTC midnight, or the 1st of the month). */
  readonly resetsAt: string;
}

export function problemTypeUri(code: ErrorCode): string {
  return `https://imagegen.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problem(
  code: ErrorCode,
  detail?: string,
  extra: Partial<Omit<ProblemDetails, 'code' | 'status' | 'type'>> = {},
): ProblemDetails {
  const info = ERROR_CODES[code];
  return {
    type: problemTypeUri(code),
    title: info.title,
    status: info.status,
    code,
    ...(detail !== undefined ? { detail } : {}),
    ...extra,
  };
}

export function validationProblem(errors: readonly FieldError[]): ProblemDetails {
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return problem(ErrorCode.VALIDATION_FAILED, detail, { errors });
}

/** An error carrying problem details: thrown by the core, mapped to HTTP at the edge. */
export class ProblemError extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }

  static of(
    code: ErrorCode,
    detail?: string,
    extra?: Partial<Omit<ProblemDetails, 'code' | 'status' | 'type'>>,
  ) {
    return new ProblemError(problem(code, detail, extra));
  }
}

/** True when a value looks like problem details with a known code (e.g. parsed from a response). */
export function isProblemDetails(value: unknown): value is ProblemDetails {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isErrorCode(v['code']) && typeof v['status'] === 'number' && typeof v['title'] === 'string';
}
