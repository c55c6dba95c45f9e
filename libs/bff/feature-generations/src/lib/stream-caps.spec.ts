import { ErrorCode, ProblemError } from '@imagegen/contracts';

import { StreamCaps } from './stream-caps';

const refusal = (open: () => unknown) => {
  try {
    open();
  } catch (err) {
    return (err as ProblemError).problem;
  }
  throw new Error('not refused');
};

describe(StreamCaps.name, () => {
  it('refuses a stream past the per-owner or per-address cap with RATE_LIMITED, and frees places on release (once)', () => {
    const caps = new StreamCaps({ perOwner: 2, perIp: 3 });
    const a1 = caps.open('alice', '1.1.1.1');
    caps.open('alice', '1.1.1.1');
    expect(refusal(() => caps.open('alice', '2.2.2.2'))).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      detail: expect.stringMatching(/at most 2 per person/),
    });
    caps.open('bob', '1.1.1.1');
    expect(refusal(() => caps.open('carol', '1.1.1.1')).detail).toMatch(/at most 3 per address/);
    a1();
    a1(); // a second release changes nothing
    expect(caps.openStreams()).toEqual({ owners: 2, addresses: 2 });
    expect(() => caps.open('carol', '1.1.1.1')).not.toThrow();
    expect(refusal(() => caps.open('dave', '1.1.1.1')).code).toBe(ErrorCode.RATE_LIMITED);
  });
});
