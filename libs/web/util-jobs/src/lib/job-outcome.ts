import { GeneratedImage, Generation, GenerationStatus, ImageFailure, isTerminal } from '@imagegen/contracts';

import { failureReason } from './problem-messages';

/** One of the images a job asked for: made, failed, still coming, or never made (cancelled, lost). */
export type ImageSlot =
  | { readonly index: number; readonly state: 'made'; readonly image: GeneratedImage }
  | { readonly index: number; readonly state: 'failed'; readonly failure: ImageFailure }
  | { readonly index: number; readonly state: 'pending' }
  | { readonly index: number; readonly state: 'missing' };

/** A slot per image asked for, in index order, whatever order the images arrived in. */
export function imageSlots(job: Generation): ImageSlot[] {
  const asked = Math.max(
    job.request.count,
    ...job.images.map((i) => i.index + 1),
    ...(job.failures ?? []).map((f) => f.index + 1),
  );
  const running = !isTerminal(job.status);
  return Array.from({ length: asked }, (_, index): ImageSlot => {
    const image = job.images.find((i) => i.index === index);
    if (image) return { index, state: 'made', image };
    const failure = job.failures?.find((f) => f.index === index);
    if (failure) return { index, state: 'failed', failure };
    return running ? { index, state: 'pending' } : { index, state: 'missing' };
  });
}

/** The job's images in index order. */
export function imagesByIndex(job: Generation): GeneratedImage[] {
  return [...job.images].sort((a, b) => a.index - b.index);
}

/**
 * What a job made, in one line: "3 of 4 made · 1 blocked by the content filter", "2 of 4 made so far",
 * "Cancelled after 1 of 4". Empty for a plain one-image job that went as asked.
 */
export function outcomeSummary(job: Generation): string {
  const asked = Math.max(1, job.request.count);
  const made = job.images.length;
  const failures = job.failures ?? [];
  if (asked === 1) return '';
  if (!isTerminal(job.status)) {
    const parts = [`${made} of ${asked} made so far`, ...reasonCounts(failures)];
    return parts.join(' · ');
  }
  if (job.status === 'cancelled')
    return made === 0 ? 'Cancelled before any image was made' : `Cancelled after ${made} of ${asked}`;
  if (made === asked) return `${made} of ${asked} made`;
  const missing = asked - made - failures.length;
  return [
    `${made} of ${asked} made`,
    ...reasonCounts(failures),
    ...(missing > 0 ? [`${missing} not made`] : []),
  ].join(' · ');
}

function reasonCounts(failures: readonly ImageFailure[]): string[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(failureReason(f.error), (counts.get(failureReason(f.error)) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`);
}

const STATUS_LABELS: Readonly<Record<GenerationStatus, string>> = {
  queued: 'Queued',
  running: 'Generating',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function statusLabel(status: GenerationStatus): string {
  return STATUS_LABELS[status];
}

export function isActive(job: Pick<Generation, 'status'>): boolean {
  return !isTerminal(job.status);
}
