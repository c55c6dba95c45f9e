import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

import { DynamoGenerationRepository } from './dynamo-generation-repository';

const doc = mockClient(DynamoDBDocumentClient);
const sut = () => new DynamoGenerationRepository(new DynamoDBClient({ region: 'us-west-2' }), 'jobs');
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

beforeEach(() => doc.reset());

describe(DynamoGenerationRepository.name, () => {
  it('answers undefined when a job is no longer queued (a second delivery does not run it again)', async () => {
    doc.on(UpdateCommand).rejects(conditionFailed());
    expect(await sut().markRunning('o', 'id1', '2026-11-24T00:00:00Z', '2026-11-23T23:55:00Z')).toBeUndefined();
  });

  it('settles only a queued or running job', async () => {
    doc.on(UpdateCommand).rejects(conditionFailed());
    const settled = await sut().settle('o', 'id1', { status: 'failed', updatedAt: 't', images: [], durationMs: 1, estimatedCostUsd: 0 });
    expect(settled).toBe(false);
  });

  it('writes the settled fields and guards the status', async () => {
    doc.on(UpdateCommand).resolves({});
    await sut().settle('o', 'id1', { status: 'succeeded', updatedAt: 't', images: [], durationMs: 5, estimatedCostUsd: 0.04, engine: 'offline' });
    const input = doc.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ConditionExpression).toBe('#s IN (:running, :queued)');
    expect(input.ExpressionAttributeValues).toMatchObject({ ':status': 'succeeded', ':engine': 'offline', ':durationMs': 5 });
  });

  it('lists newest first from after the cursor', async () => {
    doc.on(QueryCommand).resolves({ Items: [] });
    await sut().list('o', 21, 'abc');
    expect(doc.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      KeyConditionExpression: 'ownerId = :o AND id < :after',
      ScanIndexForward: false,
      Limit: 21,
    });
  });

  it('passes other DynamoDB failures on', async () => {
    doc.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    await expect(sut().markRunning('o', 'id1', 't', 's')).rejects.toThrow('ProvisionedThroughputExceeded');
  });
});
