import {
  CancellationReason,
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import {
  BudgetUsage,
  GenerationRecord,
  GenerationRepositoryPort,
  IdempotencyRecord,
  Release,
  Reservation,
  ReservationLimits,
  ReserveOutcome,
  SettleUpdate,
  TaskOutcome,
  UsagePort,
} from '@imagegen/generator/domain';

/**
 * One table holds everything, each kind in partitions of its own so a listing of jobs never sees the rest:
 * jobs under `ownerId`; `idempotency|<owner>` keys; `repeat|<owner>` parameter fingerprints;
 * `spend|<owner>` months and days (`spend|*`: the deployment's); `inflight|<owner>` images queued
 * (`inflight|*`: everyone's); `durations|<model>` recent image durations (all with the `expiresAt` TTL);
 * the BFF's `ratelimit|…` counters (ADR 0015).
 */
export const PARTITIONS = {
  idempotency: (ownerId: string) => `idempotency|${ownerId}`,
  repeat: (ownerId: string) => `repeat|${ownerId}`,
  spend: (ownerId: string) => `spend|${ownerId}`,
  durations: (modelId: string) => `durations|${modelId}`,
  /** Images queued or in flight: one counter per owner (`*`, never an owner id: every owner's). */
  inFlight: (ownerId: string) => `inflight|${ownerId}`,
} as const;

/** The deployment's counters: `*` is no owner id (OWNER_ID_PATTERN), so no owner's partition is it. */
export const EVERY_OWNER = '*';
const IN_FLIGHT_SORT_KEY = 'images';

/** Durations are kept a week; spending a little over a year. */
const DURATION_TTL_SECONDS = 8 * 86_400;
const SPEND_TTL_SECONDS = 400 * 86_400;
const IN_FLIGHT_TTL_SECONDS = 7 * 86_400;

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * A spending counter (`usd` spent or reserved, `reservedUsd` the reserved part, `images` made) moved
 * by the given amounts; with `max`, only while it holds at most `max` dollars.
 */
function spendUpdate(
  table: string,
  partition: string,
  sortKey: string,
  expiresAt: number,
  usd: number,
  reservedUsd: number,
  images: number,
  max?: number,
): TransactItems[number] {
  return {
    Update: {
      TableName: table,
      Key: { ownerId: partition, id: sortKey },
      UpdateExpression: 'SET expiresAt = :exp ADD usd :usd, reservedUsd :reserved, images :images',
      ...(max !== undefined
        ? {
            ConditionExpression: 'attribute_not_exists(usd) OR usd <= :max',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }
        : {}),
      ExpressionAttributeValues: {
        ':usd': usd,
        ':reserved': reservedUsd,
        ':images': images,
        ':exp': expiresAt,
        ...(max !== undefined ? { ':max': max } : {}),
      },
    },
  };
}

/**
 * The images queued or in flight of an owner (or of all), moved by `images`; with `max`, only while at
 * most `max`. Kept a week after its last change (TTL), far longer than a job can live, so the counters
 * of owners long gone do not pile up.
 */
function inFlightUpdate(
  table: string,
  ownerId: string,
  images: number,
  expiresAt: number,
  max?: number,
): TransactItems[number] {
  return {
    Update: {
      TableName: table,
      Key: { ownerId: PARTITIONS.inFlight(ownerId), id: IN_FLIGHT_SORT_KEY },
      UpdateExpression: 'SET expiresAt = :exp ADD images :images',
      ...(max !== undefined
        ? {
            ConditionExpression: 'attribute_not_exists(images) OR images <= :max',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }
        : {}),
      ExpressionAttributeValues: {
        ':images': images,
        ':exp': expiresAt,
        ...(max !== undefined ? { ':max': max } : {}),
      },
    },
  };
}

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
    private readonly now: () => number = Date.now,
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

  async createReserved(
    record: GenerationRecord & { readonly reservation: Reservation },
    limits: ReservationLimits,
  ): Promise<ReserveOutcome> {
    const r = record.reservation;
    const owner = record.ownerId;
    const exp = Math.floor(this.now() / 1000) + SPEND_TTL_SECONDS;
    const inFlightExp = Math.floor(this.now() / 1000) + IN_FLIGHT_TTL_SECONDS;
    // Conditions cannot add (DynamoDB condition expressions compare, they do not compute): each
    // counter may take the job while it holds at most the limit minus the job.
    const reserve = (partition: string, sortKey: string, limit: number) =>
      spendUpdate(this.table, partition, sortKey, exp, r.usd, r.usd, 0, roundUsd(limit - r.usd));
    const items: TransactItems = [
      { Put: { TableName: this.table, Item: record, ConditionExpression: 'attribute_not_exists(id)' } },
      reserve(PARTITIONS.spend(owner), r.month, limits.ownerMonthlyUsd),
      reserve(PARTITIONS.spend(owner), r.day, limits.ownerDailyUsd),
      reserve(PARTITIONS.spend(EVERY_OWNER), r.month, limits.deploymentMonthlyUsd),
      inFlightUpdate(this.table, owner, r.images, inFlightExp, limits.ownerImagesInFlight - r.images),
      inFlightUpdate(this.table, EVERY_OWNER, r.images, inFlightExp),
    ];
    const LIMITS = [
      undefined,
      'owner-monthly',
      'owner-daily',
      'deployment-monthly',
      'owner-in-flight',
    ] as const;
    const refused = await this.transact(items);
    if (refused === undefined) return { ok: true };
    const index = refused.findIndex((c) => c.Code === 'ConditionalCheckFailed');
    const limit = LIMITS[index];
    if (!limit) throw new ConditionalCheckFailedException({ message: 'the job exists', $metadata: {} });
    const old = refused[index]?.Item as Record<string, { N?: string }> | undefined;
    const value: unknown = old?.[limit === 'owner-in-flight' ? 'images' : 'usd'];
    const used = Number(
      typeof value === 'object' && value !== null ? (value as { N?: string }).N : (value ?? 0),
    );
    return { ok: false, limit, used };
  }

  /**
   * Runs a transaction; answers undefined when it was applied, or the reasons a condition refused it.
   * Concurrent transactions on one counter can cancel each other (TransactionConflict, AWS
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html): tried again.
   */
  private async transact(items: TransactItems): Promise<CancellationReason[] | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return undefined;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const reasons = err.CancellationReasons ?? [];
        if (reasons.some((c) => c.Code === 'ConditionalCheckFailed')) return reasons;
        if (attempt >= 6 || !reasons.some((c) => c.Code === 'TransactionConflict')) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * Math.random()));
      }
    }
  }

  /** The counter updates that give a reservation back and count what the job really cost. */
  private releaseItems(ownerId: string, release: Release): TransactItems {
    const { reservation: r, costUsd, images } = release;
    const exp = Math.floor(this.now() / 1000) + SPEND_TTL_SECONDS;
    const inFlightExp = Math.floor(this.now() / 1000) + IN_FLIGHT_TTL_SECONDS;
    const back = roundUsd(costUsd - r.usd);
    return [
      spendUpdate(this.table, PARTITIONS.spend(ownerId), r.month, exp, back, -r.usd, images),
      spendUpdate(this.table, PARTITIONS.spend(ownerId), r.day, exp, back, -r.usd, images),
      spendUpdate(this.table, PARTITIONS.spend(EVERY_OWNER), r.month, exp, back, -r.usd, images),
      inFlightUpdate(this.table, ownerId, -r.images, inFlightExp),
      inFlightUpdate(this.table, EVERY_OWNER, -r.images, inFlightExp),
    ];
  }

  async settle(ownerId: string, id: string, update: SettleUpdate, release?: Release): Promise<boolean> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':running': 'running', ':queued': 'queued' };
    const sets = Object.entries(update)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        return `#${k} = :${k}`;
      });
    const settle = {
      TableName: this.table,
      Key: { ownerId, id },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: '#s IN (:running, :queued)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    if (release)
      return (
        (await this.transact([{ Update: settle }, ...this.releaseItems(ownerId, release)])) === undefined
      );
    const out = await unlessConditionFails(() => this.doc.send(new UpdateCommand(settle)));
    return out !== undefined;
  }

  async cancel(
    ownerId: string,
    id: string,
    at: string,
    release?: Release & { readonly finished: number },
  ): Promise<GenerationRecord | undefined> {
    if (release) {
      const refused = await this.transact([
        {
          Update: {
            TableName: this.table,
            Key: { ownerId, id },
            UpdateExpression: 'SET #s = :cancelled, updatedAt = :at',
            // Only while no image ended since the record was read: the release counts those images.
            ConditionExpression: '#s IN (:running, :queued) AND finished = :finished',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':cancelled': 'cancelled',
              ':running': 'running',
              ':queued': 'queued',
              ':at': at,
              ':finished': release.finished,
            },
          },
        },
        ...this.releaseItems(ownerId, release),
      ]);
      return refused === undefined ? this.get(ownerId, id) : undefined;
    }
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

  /**
   * Spending without a reservation (the prompt assistant's suggestions, jobs recorded before budgets):
   * counted on the same three budget counters a job's reservation uses (the owner's month and day, the
   * deployment's month), so every dollar spent counts against every budget (ADR 0015).
   */
  async addSpend(ownerId: string, month: string, usd: number, images: number): Promise<void> {
    const day =
      month === new Date(this.now()).toISOString().slice(0, 7)
        ? new Date(this.now()).toISOString().slice(0, 10)
        : undefined;
    const exp = Math.floor(this.now() / 1000) + SPEND_TTL_SECONDS;
    const targets: [string, string, number][] = [
      [PARTITIONS.spend(ownerId), month, images],
      ...(day ? ([[PARTITIONS.spend(ownerId), day, 0]] as [string, string, number][]) : []),
      [PARTITIONS.spend(EVERY_OWNER), month, 0],
    ];
    await Promise.all(
      targets.map(([partition, id, counted]) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { ownerId: partition, id },
            UpdateExpression: 'SET expiresAt = :exp ADD usd :usd, images :images',
            ExpressionAttributeValues: { ':usd': usd, ':images': counted, ':exp': exp },
          }),
        ),
      ),
    );
  }

  async spend(ownerId: string, month: string): Promise<{ usd: number; images: number }> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { ownerId: PARTITIONS.spend(ownerId), id: month } }),
    );
    const item = out.Item as { usd?: number; reservedUsd?: number; images?: number } | undefined;
    // `usd` holds what running jobs reserved too (the budgets count it): spent is the rest.
    return { usd: roundUsd((item?.usd ?? 0) - (item?.reservedUsd ?? 0)), images: item?.images ?? 0 };
  }

  async budgetUsage(ownerId: string, day: string, month: string): Promise<BudgetUsage> {
    const read = async (partition: string, id: string, attribute: 'usd' | 'images') => {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: { ownerId: partition, id }, ConsistentRead: true }),
      );
      return Number((out.Item as Record<string, unknown> | undefined)?.[attribute] ?? 0);
    };
    const [ownerDayUsd, ownerMonthUsd, deploymentMonthUsd, ownerImagesInFlight, imagesInFlight] =
      await Promise.all([
        read(PARTITIONS.spend(ownerId), day, 'usd'),
        read(PARTITIONS.spend(ownerId), month, 'usd'),
        read(PARTITIONS.spend(EVERY_OWNER), month, 'usd'),
        read(PARTITIONS.inFlight(ownerId), IN_FLIGHT_SORT_KEY, 'images'),
        read(PARTITIONS.inFlight(EVERY_OWNER), IN_FLIGHT_SORT_KEY, 'images'),
      ]);
    return { ownerDayUsd, ownerMonthUsd, deploymentMonthUsd, ownerImagesInFlight, imagesInFlight };
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
