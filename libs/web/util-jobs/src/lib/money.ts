import { Generation } from '@imagegen/contracts';

/** US dollars with cents, or tenths of a cent when the amount needs them: "US$ 0.12", "US$ 0.035". */
export function formatUsd(amount: number): string {
  const cents = Math.round(amount * 100);
  const precise = Math.abs(amount * 100 - cents) > 1e-6;
  return `US$ ${amount.toFixed(precise ? 3 : 2)}`;
}

/** What a job cost: the real cost once known, else the estimate ("≈"); repeats from the store cost nothing. */
export function costText(job: Generation): string {
  if (job.costUsd !== undefined)
    return job.source === 'store' ? `${formatUsd(job.costUsd)} (no model call)` : formatUsd(job.costUsd);
  return `≈ ${formatUsd(job.estimatedCostUsd)}`;
}
