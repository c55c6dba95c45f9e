import { BudgetName, BudgetStatus, ErrorCode, ProblemError, QueueStatus } from '@imagegen/contracts';

import { BudgetUsage, GeneratorDeps, Reservation, ReservationLimits, ReserveOutcome } from './ports';

/** Dollars as counted: to the micro-dollar, so sums of catalog prices stay exact. */
export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The day and month (UTC) a moment falls in, and when each ends. */
export function periodsOf(now: Date): {
  readonly day: string;
  readonly month: string;
  readonly dayEndsAt: string;
  readonly monthEndsAt: string;
} {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  return {
    day: now.toISOString().slice(0, 10),
    month: now.toISOString().slice(0, 7),
    dayEndsAt: new Date(Date.UTC(y, m, d + 1)).toISOString(),
    monthEndsAt: new Date(Date.UTC(y, m + 1, 1)).toISOString(),
  };
}

/** What a new job reserves: its estimated cost and its images, on today's and this month's counters. */
export function reservationFor(now: Date, estimatedUsd: number, images: number): Reservation {
  const { day, month } = periodsOf(now);
  return { usd: roundUsd(estimatedUsd), images, day, month };
}

const money = (usd: number) => `$${usd.toFixed(2)}`;

/** Each budget as it stands, from the counters. */
export function budgetStatuses(
  limits: ReservationLimits,
  usage: Pick<BudgetUsage, 'ownerDayUsd' | 'ownerMonthUsd' | 'deploymentMonthUsd'>,
  now: Date,
): BudgetStatus[] {
  const { dayEndsAt, monthEndsAt } = periodsOf(now);
  const status = (name: BudgetName, limitUsd: number, usedUsd: number, resetsAt: string): BudgetStatus => ({
    name,
    limitUsd,
    usedUsd: roundUsd(usedUsd),
    remainingUsd: roundUsd(Math.max(0, limitUsd - usedUsd)),
    resetsAt,
  });
  return [
    status('owner-daily', limits.ownerDailyUsd, usage.ownerDayUsd, dayEndsAt),
    status('owner-monthly', limits.ownerMonthlyUsd, usage.ownerMonthUsd, monthEndsAt),
    status('deployment-monthly', limits.deploymentMonthlyUsd, usage.deploymentMonthUsd, monthEndsAt),
  ];
}

const BUDGET_WORDS: Readonly<Record<BudgetName, string>> = {
  'owner-daily': 'your daily budget',
  'owner-monthly': 'your monthly budget',
  'deployment-monthly': "this deployment's monthly budget",
};

/**
 * The problem for a job a limit refused: BUDGET_EXCEEDED naming the budget, what is left of it and
 * when it resets (Retry-After until then); QUEUE_FULL when the owner already has as many images
 * waiting as allowed (Retry-After: about one image's time).
 */
export function refusalProblem(
  refused: Exclude<ReserveOutcome, { ok: true }>,
  limits: ReservationLimits,
  jobUsd: number,
  now: Date,
  imageSeconds: number,
): ProblemError {
  if (refused.limit === 'owner-in-flight') {
    const retryAfterSeconds = Math.max(1, Math.ceil(imageSeconds));
    return ProblemError.of(
      ErrorCode.QUEUE_FULL,
      `you already have ${refused.used} images waiting or being made (at most ${limits.ownerImagesInFlight}): ` +
        `send this job when some are done`,
      { retryAfterSeconds },
    );
  }
  const usage = {
    ownerDayUsd: refused.limit === 'owner-daily' ? refused.used : 0,
    ownerMonthUsd: refused.limit === 'owner-monthly' ? refused.used : 0,
    deploymentMonthUsd: refused.limit === 'deployment-monthly' ? refused.used : 0,
  };
  const budget = budgetStatuses(limits, usage, now).find((b) => b.name === refused.limit);
  if (!budget) throw new Error(`no budget ${refused.limit}`);
  const retryAfterSeconds = Math.max(1, Math.ceil((Date.parse(budget.resetsAt) - now.getTime()) / 1000));
  return ProblemError.of(
    ErrorCode.BUDGET_EXCEEDED,
    `this job (${money(jobUsd)}) would pass ${BUDGET_WORDS[budget.name]} of ${money(budget.limitUsd)}: ` +
      `${money(budget.remainingUsd)} left until ${budget.resetsAt}`,
    { budget, retryAfterSeconds },
  );
}

/** The queue as a new job of this owner would find it. */
export function queueStatus(deps: Pick<GeneratorDeps, 'settings'>, usage: BudgetUsage): QueueStatus {
  return {
    imagesAhead: Math.max(0, usage.imagesInFlight),
    ownerImages: Math.max(0, usage.ownerImagesInFlight),
    ownerLimit: deps.settings.budgets?.ownerImagesInFlight ?? 0,
    parallelism: deps.settings.workerConcurrency,
  };
}
