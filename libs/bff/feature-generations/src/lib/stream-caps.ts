import { randomUUID } from 'node:crypto';

import { LeaseStore, MemoryLeaseStore } from '@imagegen/bff/util-http';
import { ErrorCode, ProblemError } from '@imagegen/contracts';

export interface StreamCapsOptions {
  /** Live job streams open at once per owner. */
  readonly perOwner: number;
  /** Live job streams open at once per client address. */
  readonly perIp: number;
  /**
   * Where the places are counted: shared by every BFF task (DynamoLeaseStore in the rate limiter's table) or, by
   * default, in this process.
   */
  readonly leases?: LeaseStore;
  /** How long a place is held without renewal: a task that dies frees its streams' places after this. */
  readonly leaseMs?: number;
  /** The clock leases are timed by (tests move it). */
  readonly now?: () => number;
}

export const DEFAULT_STREAM_CAPS: StreamCapsOptions = { perOwner: 6, perIp: 20 };
const DEFAULT_LEASE_MS = 60_000;

const refusal = (which: string) =>
  ProblemError.of(
    ErrorCode.RATE_LIMITED,
    `too many live job streams open (at most ${which}): close a tab, or read the job instead`,
    { retryAfterSeconds: 5 },
  );

/**
 * Caps the live job streams (SSE) open at once per owner and per client address, so one client cannot hold an
 * unbounded number of generator pollers. Each open stream holds a place of its owner's and of its address's,
 * leased and renewed while it lives: with a shared lease store the caps hold across BFF tasks (ADR 0015), and a
 * task that dies gives its places back when their leases run out.
 */
export class StreamCaps {
  private readonly leases: LeaseStore;
  private readonly leaseMs: number;
  private live = 0;

  constructor(private readonly options: StreamCapsOptions = DEFAULT_STREAM_CAPS) {
    this.leases = options.leases ?? new MemoryLeaseStore();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Opens a stream for the owner and address, or refuses RATE_LIMITED; answers its release (idempotent). */
  async open(ownerId: string, address: string): Promise<() => void> {
    const holder = randomUUID();
    const now = this.options.now ?? Date.now;
    const until = () => now() + this.leaseMs;
    const owner = `owner|${ownerId}`;
    const ip = `ip|${address}`;
    const ownerSlot = await this.take(owner, this.options.perOwner, holder, until());
    if (ownerSlot === undefined) throw refusal(`${this.options.perOwner} per person`);
    const ipSlot = await this.take(ip, this.options.perIp, holder, until()).catch(async (err: unknown) => {
      await this.leases.give(owner, ownerSlot, holder).catch(() => undefined);
      throw err;
    });
    if (ipSlot === undefined) {
      await this.leases.give(owner, ownerSlot, holder).catch(() => undefined);
      throw refusal(`${this.options.perIp} per address`);
    }
    this.live++;
    // Renewed well before the lease runs out; a failed renewal is tried again at the next tick.
    const renewal = setInterval(
      () => {
        void Promise.all([
          this.leases.renew(owner, ownerSlot, holder, until()),
          this.leases.renew(ip, ipSlot, holder, until()),
        ]).catch(() => undefined);
      },
      Math.max(1_000, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.live--;
      clearInterval(renewal);
      void Promise.all([
        this.leases.give(owner, ownerSlot, holder),
        this.leases.give(ip, ipSlot, holder),
      ]).catch(() => undefined);
    };
  }

  /** Streams this task has open now (for tests and metrics). */
  openStreams(): number {
    return this.live;
  }

  /** A place, or a 503 when the store cannot be asked (refusing beats counting nothing). */
  private async take(
    scope: string,
    cap: number,
    holder: string,
    untilMs: number,
  ): Promise<number | undefined> {
    try {
      return await this.leases.take(scope, cap, holder, untilMs);
    } catch {
      throw ProblemError.of(ErrorCode.SERVICE_UNAVAILABLE, 'the service is busy: try again in a moment', {
        retryAfterSeconds: 5,
      });
    }
  }
}
