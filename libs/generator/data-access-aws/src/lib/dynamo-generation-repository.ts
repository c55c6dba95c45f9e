import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import {
  GenerationRecord,
  GenerationRepositoryPort,
  IdempotencyRecord,
  SettleUpdate,
  TaskOutcome,
  UsagePort,
} from '@imagegen/generator/domain';

/**
 * One table holds everything, each kind in partitions of its own so a listing of jobs never sees the rest:
 * jobs under `ownerId`; `idempotency|<owner>` keys; `repeat|<owner>` parameter fingerprints;
 * `spend|<owner>` months; `durations|<model>` recent image durations (all with the `expiresAt` TTL).
 */
export const PARTITIONS = {
  idempotency: (ownerId: string) => `idempotency|${ownerId}`,
  repeat: (ownerId: string) => `repeat|${ownerId}`,
  spend: (ownerId: string) => `spend|${ownerId}`,
  durations: (modelId: string) => `durations|${modelId}`,
} as const;

/** Durations are kept a week; spending a little over a year. */
const DURATION_TTL_SECONDS = 8 * 86_400;
const SPEND_TTL_SECONDS = 400 * 86_400;

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

async function unlessConditionFails<T>(send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}

/** Jobs in one table: partition key `ownerId`, sort key `id` (time-sortable, so newest first is a reverse query). */
export class DynamoGenerationRepository implements GenerationRepositoryPort {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = documentClient(client);
  }

  async create(record: GenerationRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: record,
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
  }

  async get(ownerId: string, id: string): Promise<GenerationRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { ownerId, id }, ConsistentRead: true }),
    );
    return out.Item as GenerationRecord | undefined;
  }

  async list(ownerId: string, limit: number, after?: string): Promise<readonly GenerationRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: after ? 'ownerId = :o AND id < :after' : 'ownerId = :o',
        ExpressionAttributeValues: { ':o': ownerId, ...(after ? { ':after': after } : {}) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []) as GenerationRecord[];
  }

  async startTask(
    ownerId: string,
    id: string,
    index: number,
    token: string,
    at: string,
    staleBefore: string,
  ): Promise<GenerationRecord | undefined> {
    const out = await unlessConditionFails(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression:
            'SET #s = :running, updatedAt = :at, startedAt = if_not_exists(startedAt, :at), tasks.#i = :task',
          // A task held under this token is an earlier attempt of the same event: claimed again. One held by
          // another delivery untouched since `staleBefore` lost its worker: this one takes it over.
          ConditionExpression:
            '#s IN (:queued, :running) AND (attribute_not_exists(tasks.#i) OR (tasks.#i.#state = :running AND (tasks.#i.#token = :token OR tasks.#i.#at < :stale)))',
          ExpressionAttributeNames: {
            '#s': 'status',
            '#i': String(index),
            '#state': 'state',
            '#at': 'at',
            '#token': 'token',
          },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':queued': 'queued',
            ':at': at,
            ':stale': staleBefore,
            ':token': token,
            ':task': { state: 'running', token, at },
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes as GenerationRecord | undefined;
  }

  async finishTask(
    ownerId: string,
    id: string,
    index: number,
    token: string | undefined,
    outcome: TaskOutcome,
    at: string,
  ): Promise<GenerationRecord | undefined> {
    const image = 'image' in outcome;
    const out = await unlessConditionFails(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression:
            `SET #s = :running, updatedAt = :at, tasks.#i = :done, ` +
            (image
              ? '#list = list_append(if_not_exists(#list, :empty), :item), engine = :engine'
              : '#list = list_append(if_not_exists(#list, :empty), :item)') +
            ' ADD finished :one',
          // With a token: only the delivery holding the task, while the job runs. Without (every attempt
          // failed): any task not yet done.
          ConditionExpression:
            token !== undefined
              ? '#s = :running AND tasks.#i.#state = :running AND tasks.#i.#token = :token'
              : '#s IN (:queued, :running) AND (attribute_not_exists(tasks.#i) OR tasks.#i.#state = :running)',
          ExpressionAttributeNames: {
            '#s': 'status',
            '#i': String(index),
            '#state': 'state',
            '#list': image ? 'images' : 'failures',
            ...(token !== undefined ? { '#token': 'token' } : {}),
          },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':at': at,
            ':done': { state: 'done', token: token ?? 'abandoned', at },
            ':empty': [],
            ':item': [image ? outcome.image : outcome.failure],
            ':one': 1,
            ...(image ? { ':engine': outcome.engine } : {}),
            ...(token !== undefined ? { ':token': token } : { ':queued': 'queued' }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes as GenerationRecord | undefined;
  }

  async releaseTask(ownerId: string, id: string, index: number, token: string): Promise<void> {
    await unlessConditionFails(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: 'REMOVE tasks.#i',
          ConditionExpression: 'tasks.#i.#state = :running AND tasks.#i.#token = :token',
          ExpressionAttributeNames: { '#i': String(index), '#state': 'state', '#token': 'token' },
          ExpressionAttributeValues: { ':running': 'running', ':token': token },
        }),
      ),
    );
  }

  async settle(ownerId: string, id: string, update: SettleUpdate): Promise<boolean> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':running': 'running', ':queued': 'queued' };
    const sets = Object.entries(update)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        return `#${k} = :${k}`;
      });
    const out = await unlessConditionFails(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#s IN (:running, :queued)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return out !== undefined;
  }

  async cancel(ownerId: string, id: string, at: string): Promise<GenerationRecord | undefined> {
    const out = await unlessConditionFails(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: 'SET #s = :cancelled, updatedAt = :at',
          ConditionExpression: '#s IN (:running, :queued)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':cancelled': 'cancelled',
            ':running': 'running',
            ':queued': 'queued',
            ':at': at,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return out?.Attributes as GenerationRecord | undefined;
  }

  async remove(ownerId: string, id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { ownerId, id } }));
  }

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord> {
    const item = {
      ownerId: PARTITIONS.idempotency(record.ownerId),
      id: record.key,
      generationId: record.generationId,
      fingerprint: record.fingerprint,
      expiresAt: record.expiresAt,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return record;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const out = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { ownerId: item.ownerId, id: record.key },
          ConsistentRead: true,
        }),
      );
      const existing = out.Item as
        | { generationId: string; fingerprint: string; expiresAt: number }
        | undefined;
      if (!existing) return this.claimIdempotencyKey(record); // expired and removed meanwhile
      return {
        ownerId: record.ownerId,
        key: record.key,
        generationId: existing.generationId,
        fingerprint: existing.fingerprint,
        expiresAt: existing.expiresAt,
      };
    }
  }

  async findRepeat(ownerId: string, fingerprint: string): Promise<string | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { ownerId: PARTITIONS.repeat(ownerId), id: fingerprint },
      }),
    );
    return (out.Item as { generationId?: string } | undefined)?.generationId;
  }

  async rememberRepeat(
    ownerId: string,
    fingerprint: string,
    generationId: string,
    expiresAt: number,
  ): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { ownerId: PARTITIONS.repeat(ownerId), id: fingerprint, generationId, expiresAt },
      }),
    );
  }
}

/** Spending per owner and month (atomic counters) and recent image durations per model, in the jobs table. */
export class DynamoUsageRepository implements UsagePort {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = documentClient(client);
  }

  async addSpend(ownerId: string, month: string, usd: number, images: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { ownerId: PARTITIONS.spend(ownerId), id: month },
        UpdateExpression: 'SET expiresAt = :exp ADD usd :usd, images :images',
        ExpressionAttributeValues: {
          ':usd': usd,
          ':images': images,
          ':exp': Math.floor(this.now() / 1000) + SPEND_TTL_SECONDS,
        },
      }),
    );
  }

  async spend(ownerId: string, month: string): Promise<{ usd: number; images: number }> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { ownerId: PARTITIONS.spend(ownerId), id: month } }),
    );
    const item = out.Item as { usd?: number; images?: number } | undefined;
    return { usd: item?.usd ?? 0, images: item?.images ?? 0 };
  }

  async recordDuration(modelId: string, ms: number, at: string): Promise<void> {
    // Sort key: the time, then a random tail so two images ending in the same millisecond both count.
    const id = `${at}#${Math.random().toString(36).slice(2, 10)}`;
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ownerId: PARTITIONS.durations(modelId),
          id,
          ms,
          expiresAt: Math.floor(Date.parse(at) / 1000) + DURATION_TTL_SECONDS,
        },
      }),
    );
  }

  async recentDurations(modelId: string, limit: number, since: string): Promise<readonly number[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'ownerId = :p AND id > :since',
        ExpressionAttributeValues: { ':p': PARTITIONS.durations(modelId), ':since': since },
        ProjectionExpression: 'ms',
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => Number((i as { ms: number }).ms)).filter((n) => Number.isFinite(n));
  }
}
