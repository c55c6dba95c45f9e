import { Generation } from '@imagegen/contracts';

/** Re-read a job this long before its links stop working, so a link handed out still works a while. */
export const LINK_REFRESH_MARGIN_MS = 60_000;

/** When the first of a job's image links stops working (undefined: it has none). */
export function linksExpireAt(job: Pick<Generation, 'images'>): number | undefined {
  const times = job.images.map((i) => Date.parse(i.urlExpiresAt)).filter((t) => !Number.isNaN(t));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** True when a job has links that are dead, or about to be (within the margin). */
export function needsFreshLinks(
  job: Pick<Generation, 'images'>,
  nowMs: number,
  marginMs = LINK_REFRESH_MARGIN_MS,
): boolean {
  const at = linksExpireAt(job);
  return at !== undefined && at - nowMs <= marginMs;
}
