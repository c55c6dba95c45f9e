import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

import { RATE_LIMIT_PARTITION_PREFIX } from './dynamo-rate-limit-storage';

/**
 * Places that expire: `cap` slots per scope (an owner's or an address's live streams), each held by one holder
 * until its lease runs out. A holder renews its lease while it lives; a holder that dies (its task killed) frees
 * its slot when the lease runs out, so nothing stays counted for ever.
 */
export interface LeaseStore {
  /** Takes a free slot of `scope` (one of `cap`) for `holder` until `untilMs`: its number, or undefined when all are held. */
  take(scope: string, cap: number, holder: string, untilMs: number): Promise<number | undefined>;
  /** Extends the lease; false when the slot is no longer this holder's. */
  renew(scope: string, slot: number, holder: string, untilMs: number): Promise<boolean>;
  /** Frees the slot if this holder still has it. */
  give(scope: string, slot: number, holder: string): Promise<void>;
}

/** The slots to try, from a random one on, so concurrent takers rarely race for the same item. */
function slotOrder(cap: number): number[] {
  const start = Math.floor(Math.random() * cap);
  return Array.from({ length: cap }, (_, i) => (start + i) % cap);
}

/** Leases in this process (one BFF task, or tests): the same rules as the shared store. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly slots = new Map<string, { holder: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(scope: string, cap: number, holder: string, untilMs: number): Promise<number | undefined> {
    for (const slot of slotOrder(cap)) {
      const key = `${scope}#${slot}`;
      const held = this.slots.get(key);
      if (held && held.until > this.now()) continue;
      this.slots.set(key, { holder, until: untilMs });
      return slot;
    }
    return undefined;
  }

  async renew(scope: string, slot: number, holder: string, untilMs: number): Promise<boolean> {
    const held = this.slots.get(`${scope}#${slot}`);
    if (held?.holder !== holder) return false;
    held.until = untilMs;
    return true;
  }

  async give(scope: string, slot: number, holder: string): Promise<void> {
    const key = `${scope}#${slot}`;
    if (this.slots.get(key)?.holder === holder) this.slots.delete(key);
  }
}

/**
 * Leases shared by every BFF task, in the rate limiter's table and partition prefix (the task role may only
 * UpdateItem items whose partition key starts `ratelimit|`): one item per slot
 * (`ratelimit|lease|<scope>`, sort key the slot number), taken with a conditional UpdateItem that succeeds only
 * when the slot is free or its lease ran out. Conditional writes are atomic per item
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate),
 * so however many tasks race, at most `cap` leases of a scope are live. The table's TTL removes slots an hour
 * after their lease ends.
 */
export class DynamoLeaseStore implements LeaseStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async take(scope: string, cap: number, holder: string, untilMs: number): Promise<number | undefined> {
    for (const slot of slotOrder(cap)) {
      const taken = await this.write(scope, slot, {
        UpdateExpression: 'SET holder = :holder, leaseUntil = :until, expiresAt = :exp',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeValues: {
          ':holder': holder,
          ':until': untilMs,
          ':now': this.now(),
          ':exp': Math.ceil(untilMs / 1000) + 3600,
        },
      });
      if (taken) return slot;
    }
    return undefined;
  }

  renew(scope: string, slot: number, holder: string, untilMs: number): Promise<boolean> {
    return this.write(scope, slot, {
      UpdateExpression: 'SET leaseUntil = :until, expiresAt = :exp',
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: {
        ':holder': holder,
        ':until': untilMs,
        ':exp': Math.ceil(untilMs / 1000) + 3600,
      },
    });
  }

  async give(scope: string, slot: number, holder: string): Promise<void> {
    await this.write(scope, slot, {
      UpdateExpression: 'SET leaseUntil = :zero REMOVE holder',
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: { ':holder': holder, ':zero': 0 },
    });
  }

  /** One conditional UpdateItem on a slot: false when its condition failed. */
  private async write(
    scope: string,
    slot: number,
    update: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId: `${RATE_LIMIT_PARTITION_PREFIX}lease|${scope}`, id: String(slot) },
          ...update,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
