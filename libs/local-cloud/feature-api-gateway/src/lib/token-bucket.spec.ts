import { TokenBucket } from './token-bucket';

describe(TokenBucket.name, () => {
  it('starts full, refills at the rate, and never holds more than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket({ rateLimit: 2, burstLimit: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 500; // half a second at 2/s: one token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 60_000; // a minute idle: back to the burst, not 120
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('refuses everything with a burst of 0, as a stage throttled to 0 does', () => {
    const bucket = new TokenBucket({ rateLimit: 10, burstLimit: 0 }, () => 0);
    expect(bucket.take()).toBe(false);
  });
});
