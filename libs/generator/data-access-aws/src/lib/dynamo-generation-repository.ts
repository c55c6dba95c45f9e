import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GenerationRecord, GenerationRepositoryPort, SettleUpdate } from '@imagegen/generator/domain';

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

  async markRunning(ownerId: string, id: string, at: string): Promise<GenerationRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { ownerId, id },
          UpdateExpression: 'SET #s = :running, updatedAt = :at',
          ConditionExpression: '#s = :queued',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':at': at },
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
}
