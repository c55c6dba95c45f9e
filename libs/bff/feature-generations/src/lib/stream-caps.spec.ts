import { MemoryLeaseStore } from '@imagegen/bff/util-http';
import { ErrorCode, ProblemDetails, ProblemError } from '@imagegen/contracts';

import { StreamCaps } from './stream-caps';

const refusal = async (open: Promise<unknown>): Promise<ProblemDetails> => {
  const err = await open.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProblemError)) throw new Error('not refused');
  return err.problem;
};

describe(StreamCaps.name, () => {
  it('refuses a stream past the per-owner or per-address cap with RATE_LIMITED, and frees places on release (once)', async () => {
    const caps = new StreamCaps({ perOwner: 2, perIp: 3 });
    const a1 = await caps.open('alice', '1.1.1.1');
    await caps.open('alice', '1.1.1.1');
    expect(await refusal(caps.open('alice', '2.2.2.2'))).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      detail: expect.stringMatching(/at most 2 per person/),
    });
    await caps.open('bob', '1.1.1.1');
    expect((await refusal(caps.open('carol', '1.1.1.1'))).detail).toMatch(/at most 3 per address/);
    a1();
    a1(); // a second release changes nothing
    await new Promise((r) => setImmediate(r));
    expect(caps.openStreams()).toBe(2);
    await expect(caps.open('carol', '1.1.1.1')).resolves.toBeInstanceOf(Function);
    expect((await refusal(caps.open('dave', '1.1.1.1'))).code).toBe(ErrorCode.RATE_LIMITED);
  });

  it("gives a dead task's places back once their leases run out", async () => {
    let now = 1_000_000;
    const leases = new MemoryLeaseStore(() => now);
    const clock = () => now;
    const dead = new StreamCaps({ perOwner: 1, perIp: 5, leases, leaseMs: 60_000, now: clock });
    const alive = new StreamCaps({ perOwner: 1, perIp: 5, leases, leaseMs: 60_000, now: clock });
    await dead.open('alice', '1.1.1.1'); // never released: its task is killed
    expect((await refusal(alive.open('alice', '1.1.1.1'))).code).toBe(ErrorCode.RATE_LIMITED);
    now += 61_000;
    await expect(alive.open('alice', '1.1.1.1')).resolves.toBeInstanceOf(Function);
  });
});
