/**
 * A sliding-window count per owner (in this BFF task's memory, like the BFF's other limits): at most
 * `limit` suggestions per `windowMs`; a refusal says when the oldest one leaves the window.
 */
export class OwnerRate {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one for the owner, or answers the seconds to wait (nothing counted). */
  take(ownerId: string): { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number } {
    const t = this.now();
    const recent = (this.seen.get(ownerId) ?? []).filter((at) => at > t - this.windowMs);
    if (recent.length >= this.limit) {
      this.seen.set(ownerId, recent);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[0] + this.windowMs - t) / 1000)) };
    }
    recent.push(t);
    this.seen.set(ownerId, recent);
    if (this.seen.size > 10_000)
      for (const [k, v] of this.seen) if (!v.some((at) => at > t - this.windowMs)) this.seen.delete(k);
    return { ok: true };
  }
}
