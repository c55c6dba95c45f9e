import { BudgetStatus, ModelEta, OwnerSummary } from '@imagegen/contracts';

import { formatUsd } from './money';

const WORDS: Readonly<Record<BudgetStatus['name'], string>> = {
  'owner-daily': 'left today',
  'owner-monthly': 'left this month',
  'deployment-monthly': "left in this site's monthly budget",
};

/** The budget with the least left (the one the next job meets first), undefined without budgets. */
export function tightestBudget(summary: OwnerSummary | undefined): BudgetStatus | undefined {
  const budgets = summary?.budgets ?? [];
  return budgets.reduce<BudgetStatus | undefined>(
    (least, b) => (!least || b.remainingUsd < least.remainingUsd ? b : least),
    undefined,
  );
}

/** "US$ 1.84 left today": what is left of the tightest budget, in words, next to a job's cost. */
export function budgetLeft(summary: OwnerSummary | undefined): string | undefined {
  const budget = tightestBudget(summary);
  return budget ? `${formatUsd(budget.remainingUsd)} ${WORDS[budget.name]}` : undefined;
}

/** Whether a job of this cost would pass a budget (the server refuses it: BUDGET_EXCEEDED). */
export function passesBudget(summary: OwnerSummary | undefined, costUsd: number): boolean {
  const budget = tightestBudget(summary);
  return !!budget && costUsd > budget.remainingUsd + 1e-9;
}

/**
 * Seconds a new job waits for the images queued ahead of it (every owner's): they are made
 * `parallelism` at a time, each in about the model's p50. 0 with nothing queued or no summary.
 */
export function queueWaitSeconds(summary: OwnerSummary | undefined, eta: ModelEta): number {
  const queue = summary?.queue;
  if (!queue || queue.imagesAhead <= 0) return 0;
  return Math.ceil((queue.imagesAhead / Math.max(1, queue.parallelism)) * eta.p50Seconds);
}
