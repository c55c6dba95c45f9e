import { ErrorCode, ProblemError } from '@imagegen/contracts';

export interface StreamCapsOptions {
  /** Live job streams open at once per owner. */
  readonly perOwner: number;
  /** Live job streams open at once per client address. */
  readonly perIp: number;
}

export const DEFAULT_STREAM_CAPS: StreamCapsOptions = { perOwner: 6, perIp: 20 };

/**
 * Caps the live job streams (SSE) open at once per owner and per client address, so one client
 * cannot hold an unbounded number of generator pollers. Counted in this process: a stream lives on
 * one connection to one task (ADR 0015).
 */
export class StreamCaps {
  private readonly owners = new Map<string, number>();
  private readonly addresses = new Map<string, number>();

  constructor(private readonly options: StreamCapsOptions = DEFAULT_STREAM_CAPS) {}

  /** Opens a stream for the owner and address, or refuses RATE_LIMITED; answers its release (idempotent). */
  open(ownerId: string, address: string): () => void {
    const owner = this.owners.get(ownerId) ?? 0;
    const ip = this.addresses.get(address) ?? 0;
    if (owner >= this.options.perOwner || ip >= this.options.perIp) {
      const which =
        owner >= this.options.perOwner
          ? `${this.options.perOwner} per person`
          : `${this.options.perIp} per address`;
      throw ProblemError.of(
        ErrorCode.RATE_LIMITED,
        `too many live job streams open (at most ${which}): close a tab, or read the job instead`,
        { retryAfterSeconds: 5 },
      );
    }
    this.owners.set(ownerId, owner + 1);
    this.addresses.set(address, ip + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.decrement(this.owners, ownerId);
      this.decrement(this.addresses, address);
    };
  }

  /** Streams open now (for tests and metrics). */
  openStreams(): { readonly owners: number; readonly addresses: number } {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return { owners: sum(this.owners), addresses: sum(this.addresses) };
  }

  private decrement(map: Map<string, number>, key: string): void {
    const n = (map.get(key) ?? 1) - 1;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  }
}
