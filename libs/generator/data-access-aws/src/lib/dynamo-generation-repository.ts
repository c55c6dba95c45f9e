import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GenerationRecord, GenerationRepositoryPort, IdempotencyRecord, SettleUpdate } from '@imagegen/generator/domain';

/** Idempotency keys live in a partition of their own per owner, so they never show in a listing. */
const idempotencyPartition = (ownerId: string) => `idempotency|${ownerId}`;

/** Jobs in one table: partition key `ownerId`, sort key `id` (time-sortable, so newest first is a reverse query). */
export class DynamoGenerationRepository implements GenerationRepositoryPort {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(record: GenerationRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: record, ConditionExpression: 'attribute_not_exists(id)' }),
    );
  }

  async get(ownerId: string, id: string): Promise<GenerationRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { ownerId, id }, ConsistentRead: true }));
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

  async markRunning(ownerId: string, id: string, at: string, staleBefore: string): Promise<GenerationRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: 'SET #s = :running, updatedAt = :at',
          // A running job untouched since `staleBefore` lost its worker: this delivery takes it over.
          ConditionExpression: '#s = :queued OR (#s = :running AND updatedAt < :stale)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':at': at, ':stale': staleBefore },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as GenerationRecord;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  async settle(ownerId: string, id: string, update: SettleUpdate): Promise<boolean> {
    const fields: Record<string, unknown> = { ...update };
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':running': 'running', ':queued': 'queued' };
    const sets = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        return `#${k} = :${k}`;
      });
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#s IN (:running, :queued)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async cancel(ownerId: string, id: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: 'SET #s = :cancelled, updatedAt = :at',
          ConditionExpression: '#s IN (:running, :queued)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'cancelled', ':running': 'running', ':queued': 'queued', ':at': at },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async remove(ownerId: string, id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { ownerId, id } }));
  }

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord> {
    const item = { ownerId: idempotencyPartition(record.ownerId), id: record.key, generationId: record.generationId, fingerprint: record.fingerprint, expiresAt: record.expiresAt };
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(id)' }));
      return record;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { ownerId: item.ownerId, id: record.key }, ConsistentRead: true }));
      const existing = out.Item as { generationId: string; fingerprint: string; expiresAt: number } | undefined;
      if (!existing) return this.claimIdempotencyKey(record); // expired and removed meanwhile
      return { ownerId: record.ownerId, key: record.key, generationId: existing.generationId, fingerprint: existing.fingerprint, expiresAt: existing.expiresAt };
    }
  }
}
