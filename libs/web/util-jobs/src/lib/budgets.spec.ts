import { OwnerSummary, QueueStatus } from '@imagegen/contracts';

import { budgetLeft, passesBudget, queueWaitSeconds, tightestBudget } from './budgets';

const SUMMARY: OwnerSummary = {
  retentionDays: 30,
  presignExpirySeconds: 900,
  month: '2026-12',
  spentUsd: 0.16,
  images: 4,
  budgets: [
    {
      name: 'owner-daily',
      limitUsd: 2,
      usedUsd: 0.16,
      remainingUsd: 1.84,
      resetsAt: '2026-12-03T00:00:00.000Z',
    },
    {
      name: 'owner-monthly',
      limitUsd: 20,
      usedUsd: 0.16,
      remainingUsd: 19.84,
      resetsAt: '2027-01-01T00:00:00.000Z',
    },
    {
      name: 'deployment-monthly',
      limitUsd: 200,
      usedUsd: 199,
      remainingUsd: 1,
      resetsAt: '2027-01-01T00:00:00.000Z',
    },
  ],
  queue: { imagesAhead: 10, ownerImages: 2, ownerLimit: 8, parallelism: 4 },
};
const ETA = { p50Seconds: 6, p90Seconds: 9, samples: 10, source: 'measured' as const, parallelism: 4 };

describe('budgets in the UI', () => {
  it('names the budget with the least left, in words', () => {
    expect(tightestBudget(SUMMARY)?.name).toBe('deployment-monthly');
    expect(budgetLeft(SUMMARY)).toBe("US$ 1.00 left in this site's monthly budget");
    expect(budgetLeft({ ...SUMMARY, budgets: SUMMARY.budgets?.slice(0, 2) })).toBe('US$ 1.84 left today');
    expect(budgetLeft({ ...SUMMARY, budgets: undefined })).toBeUndefined();
  });

  it('tells a job that would pass the budget from one that fits', () => {
    expect(passesBudget(SUMMARY, 1)).toBe(false);
    expect(passesBudget(SUMMARY, 1.04)).toBe(true);
    expect(passesBudget(undefined, 100)).toBe(false);
  });

  it('counts the wait behind the images queued ahead, made parallelism at a time', () => {
    expect(queueWaitSeconds(SUMMARY, ETA)).toBe(15); // 10 images / 4 at once × 6 s
    expect(
      queueWaitSeconds({ ...SUMMARY, queue: { ...(SUMMARY.queue as QueueStatus), imagesAhead: 0 } }, ETA),
    ).toBe(0);
    expect(queueWaitSeconds(undefined, ETA)).toBe(0);
  });
});
