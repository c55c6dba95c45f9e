import { OwnerRate } from './owner-rate';

describe(OwnerRate.name, () => {
  it('allows `limit` per owner in a sliding window, then says when the oldest leaves it', () => {
    let now = 0;
    const rate = new OwnerRate(2, 60_000, () => now);
    expect(rate.take('a').ok).toBe(true);
    now = 10_000;
    expect(rate.take('a').ok).toBe(true);
    expect(rate.take('a')).toEqual({ ok: false, retryAfterSeconds: 50 });
    expect(rate.take('b').ok).toBe(true);
    now = 60_001;
    expect(rate.take('a').ok).toBe(true);
  });
});
