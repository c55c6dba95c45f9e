/** Whole seconds since an ISO time (never negative: a clock a little behind the server's shows 0). */
export function secondsSince(iso: string, nowMs = Date.now()): number {
  return Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
}
