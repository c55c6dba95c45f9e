import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../settings';

/** Where a stack keeps its data (the URLs of its S3 and DynamoDB stand-ins). */
export interface StackStores {
  readonly s3: string;
  readonly dynamodb: string;
  /** The table and bucket (their names come from the template); default: the one table and bucket the stand-ins hold. */
  readonly names?: { readonly table: string; readonly bucket: string };
}

/** Runs `use` with an SDK client of the stack's DynamoDB stand-in, destroyed afterwards. */
async function withDynamo<T>(stores: StackStores, use: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: stores.dynamodb,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/** Runs `use` with an SDK client of the stack's S3 front, destroyed afterwards. */
async function withS3<T>(stores: StackStores, use: (client: S3Client) => Promise<T>): Promise<T> {
  const client = new S3Client({
    region: LOCAL_REGION,
    endpoint: stores.s3,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

async function tableName(stores: StackStores): Promise<string> {
  if (stores.names) return stores.names.table;
  return withDynamo(stores, async (client) => {
    const [name] = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
    if (!name) throw new Error('the DynamoDB stand-in has no table');
    return name;
  });
}

async function bucketName(stores: StackStores): Promise<string> {
  if (stores.names) return stores.names.bucket;
  return withS3(stores, async (client) => {
    const [bucket] = (await client.send(new ListBucketsCommand({}))).Buckets ?? [];
    if (!bucket?.Name) throw new Error('the S3 stand-in has no bucket');
    return bucket.Name;
  });
}

/** A job as the table holds it (only what the invariants look at). */
export interface JobItem {
  readonly ownerId: string;
  readonly id: string;
  readonly status: string;
  readonly images?: readonly { readonly key: string; readonly thumbnailKey?: string }[];
}

/** What breaks the promise "nothing lost, nothing left behind": each list is empty in a sound stack. */
export interface InvariantViolations {
  /** Objects no job record points to. */
  readonly orphanObjects: readonly string[];
  /** Keys a record points to that are not in the bucket. */
  readonly missingObjects: readonly string[];
  /** Jobs still queued or running. */
  readonly unsettledJobs: readonly string[];
}

/** Every job record in the table (the other partitions, `kind|owner`, hold keys, spending and durations). */
export async function jobRecords(stores: StackStores): Promise<JobItem[]> {
  const table = await tableName(stores);
  return withDynamo(stores, async (client) => {
    const doc = DynamoDBDocumentClient.from(client);
    const items: JobItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...((out.Items ?? []) as JobItem[]).filter((i) => !String(i.ownerId).includes('|')));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  });
}

/** Every key in the images bucket, listed through the S3 front with the SDK (ListObjectsV2). */
export async function bucketKeys(stores: StackStores): Promise<string[]> {
  const bucket = await bucketName(stores);
  return withS3(stores, async (s3) => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      keys.push(...(out.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  });
}

/** Deletes one object of the images bucket, as the bucket's lifecycle rule would (an upload expiring). */
export async function deleteKey(stores: StackStores, key: string): Promise<void> {
  const bucket = await bucketName(stores);
  await withS3(stores, (s3) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
}

/**
 * The one check every fault scenario ends with: no object without a record pointing to it, no
 * record pointing at a missing object, no job left queued or running.
 */
export async function invariantViolations(stores: StackStores): Promise<InvariantViolations> {
  const [jobs, keys] = await Promise.all([jobRecords(stores), bucketKeys(stores)]);
  const recorded = new Set(
    jobs.flatMap((j) =>
      (j.images ?? []).flatMap((i) => [i.key, ...(i.thumbnailKey ? [i.thumbnailKey] : [])]),
    ),
  );
  const stored = new Set(keys);
  return {
    orphanObjects: keys.filter((k) => !recorded.has(k)).sort(),
    missingObjects: [...recorded].filter((k) => !stored.has(k)).sort(),
    unsettledJobs: jobs
      .filter((j) => j.status === 'queued' || j.status === 'running')
      .map((j) => `${j.id} ${j.status}`),
  };
}

export const NO_VIOLATIONS: InvariantViolations = {
  orphanObjects: [],
  missingObjects: [],
  unsettledJobs: [],
};
