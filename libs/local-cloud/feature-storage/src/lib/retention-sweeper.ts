import {
  AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

import type { Logger } from '@imagegen/shared/util-logging';

export interface RetentionSweeperOptions {
  readonly dynamodbUrl: string;
  readonly s3Url: string;
  readonly tableName: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The table's TTL attribute: epoch seconds after which an item is deleted (default `expiresAt`); null: the table has no TTL. */
  readonly ttlAttribute?: string | null;
  /** Objects under this prefix expire (the S3 lifecycle rule's filter; default `owners/`). */
  readonly prefix?: string;
  /** Objects older than this many days are deleted (the lifecycle rule's expiration); undefined: no rule expires them. */
  readonly retentionDays: number | undefined;
  /**
   * Further lifecycle expiration rules, each on its own prefix (the template's other rules, e.g.
   * uploads/ after a day). Where several rules apply to an object the earliest expiration wins: "if two
   * expiration policies overlap, the shorter expiration policy is honored"
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-conflicts.html).
   */
  readonly rules?: readonly LifecycleExpirationRule[];
  /** Seconds between sweeps; 0: no timer (sweep() still works). */
  readonly intervalSeconds: number;
  /** The clock (tests pass one in the future rather than make data in the past). */
  readonly now?: () => Date;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
}

/** A lifecycle rule that expires the current objects under `prefix` (empty: all) `days` after their creation. */
export interface LifecycleExpirationRule {
  readonly prefix: string;
  readonly days: number;
}

export interface SweepResult {
  readonly itemsDeleted: number;
  readonly objectsDeleted: number;
}

export interface RetentionSweeper {
  /** One sweep now (joins the one in progress, if any). */
  sweep(): Promise<SweepResult>;
  /** Stops the timer and waits for a sweep in progress. */
  close(): Promise<void>;
}

/**
 * Stands in locally for DynamoDB TTL and the S3 lifecycle rule: every `intervalSeconds` it deletes
 * the table items whose TTL attribute is past, and the objects under `prefix` older than
 * `retentionDays` or expired by one of `rules`, through the SDK against the stand-ins (so `npm start` honours RETENTION_DAYS).
 * The first sweep runs one interval after start.
 */
export function startRetentionSweeper(options: RetentionSweeperOptions): RetentionSweeper {
  const now = options.now ?? (() => new Date());
  const ttl = options.ttlAttribute === undefined ? 'expiresAt' : options.ttlAttribute;
  const prefix = options.prefix ?? 'owners/';
  const dynamo = new DynamoDBClient({
    endpoint: options.dynamodbUrl,
    region: options.region,
    credentials: options.credentials,
  });
  const s3 = new S3Client({
    endpoint: options.s3Url,
    region: options.region,
    credentials: options.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let keyNames: string[] | undefined;
  let running: Promise<SweepResult> | undefined;

  async function sweepItems(at: Date): Promise<number> {
    if (ttl === null) return 0;
    keyNames ??= (
      (await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }))).Table?.KeySchema ?? []
    ).map((k) => k.AttributeName ?? '');
    const cutoff: AttributeValue = { N: String(Math.floor(at.getTime() / 1000)) };
    const names = { '#ttl': ttl, ...Object.fromEntries(keyNames.map((k, i) => [`#k${i}`, k])) };
    let deleted = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(
        new ScanCommand({
          TableName: options.tableName,
          FilterExpression: '#ttl < :cutoff',
          ProjectionExpression: keyNames.map((_k, i) => `#k${i}`).join(', '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':cutoff': cutoff },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        try {
          await dynamo.send(
            new DeleteItemCommand({
              TableName: options.tableName,
              Key: item,
              // Only if still expired: a job written again meanwhile stays.
              ConditionExpression: '#ttl < :cutoff',
              ExpressionAttributeNames: { '#ttl': ttl },
              ExpressionAttributeValues: { ':cutoff': cutoff },
            }),
          );
          deleted++;
        } catch (err) {
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  /** The objects under `rulePrefix` older than `days` at `at` (S3 counts from the object's creation). */
  async function expiredUnder(rulePrefix: string, days: number, at: Date): Promise<string[]> {
    const cutoff = at.getTime() - days * 86_400_000;
    const expired: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: options.bucket,
          Prefix: rulePrefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key && o.LastModified && o.LastModified.getTime() < cutoff) expired.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return expired;
  }

  async function sweepObjects(at: Date): Promise<number> {
    const rules = [
      ...(options.retentionDays === undefined ? [] : [{ prefix, days: options.retentionDays }]),
      ...(options.rules ?? []),
    ];
    // An object any rule expires goes (the earliest expiration of those that apply wins).
    const expired = new Set<string>();
    for (const rule of rules)
      for (const key of await expiredUnder(rule.prefix, rule.days, at)) expired.add(key);
    const keys = [...expired];
    let deleted = 0;
    // DeleteObjects takes at most 1,000 keys a request.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
      const out = await s3.send(
        new DeleteObjectsCommand({ Bucket: options.bucket, Delete: { Objects: batch, Quiet: true } }),
      );
      deleted += batch.length - (out.Errors?.length ?? 0);
    }
    return deleted;
  }

  const sweep = (): Promise<SweepResult> => {
    running ??= (async () => {
      try {
        const at = now();
        const itemsDeleted = await sweepItems(at);
        const objectsDeleted = await sweepObjects(at);
        if (itemsDeleted || objectsDeleted)
          options.log?.info(
            { itemsDeleted, objectsDeleted, retentionDays: options.retentionDays, rules: options.rules },
            'retention sweep removed expired jobs and images',
          );
        return { itemsDeleted, objectsDeleted };
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const timer =
    options.intervalSeconds > 0
      ? setInterval(
          () =>
            void sweep().catch((err) =>
              options.log?.warn({ err }, 'retention sweep failed; trying again at the next interval'),
            ),
          options.intervalSeconds * 1000,
        )
      : undefined;
  timer?.unref();

  return {
    sweep,
    close: async () => {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
      dynamo.destroy();
      s3.destroy();
    },
  };
}
