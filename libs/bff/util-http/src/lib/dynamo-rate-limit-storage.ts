import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ThrottlerStorage } from '@nestjs/throttler';

import { ErrorCode, ProblemError } from '@imagegen/contracts';

/** The partition prefix of the limiter's counters in the deployment's table (the BFF may write no other). */
export const RATE_LIMIT_PARTITION_PREFIX = 'ratelimit|';

/** What one counted request left on its counter. */
interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * The rate limiter's counters in DynamoDB, shared by every BFF task: one fixed-window counter item
 * per limit, client and window (`ratelimit|<limit>|<client>`, sort key the window's start), counted
 * with one conditional UpdateItem (`ADD hits`, only while `hits < limit`: a refused request is not
 * counted, so a flood cannot keep a client refused past the window) and removed by the table's TTL
 * (`expiresAt`, a minute after the window). DynamoDB conditional updates are atomic per item
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate),
 * so concurrent requests on any task never count past the limit.
 */
export class DynamoRateLimitStorage implements ThrottlerStorage {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    const windowStart = Math.floor(now / ttl) * ttl;
    const windowEnd = windowStart + ttl;
    const secondsLeft = Math.max(1, Math.ceil((windowEnd - now) / 1000));
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId: `${RATE_LIMIT_PARTITION_PREFIX}${key}`, id: String(windowStart) },
          UpdateExpression: 'SET expiresAt = :exp ADD hits :one',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :limit',
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': limit,
            ':exp': Math.ceil(windowEnd / 1000) + 60,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const hits = Number((out.Attributes as { hits?: number } | undefined)?.hits ?? 1);
      return { totalHits: hits, timeToExpire: secondsLeft, isBlocked: false, timeToBlockExpire: 0 };
    } catch (err) {
      // The counters cannot be read (after the SDK's retries): refuse for a moment rather than count nothing.
      if (!(err instanceof ConditionalCheckFailedException))
        throw ProblemError.of(ErrorCode.SERVICE_UNAVAILABLE, 'the service is busy: try again in a moment', {
          retryAfterSeconds: 5,
        });
      return {
        totalHits: limit + 1,
        timeToExpire: secondsLeft,
        isBlocked: true,
        timeToBlockExpire: secondsLeft,
      };
    }
  }
}
