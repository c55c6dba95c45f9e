// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for two untyped local servers
/// <reference path="../vendor.d.ts" />
import { mkdirSync } from 'node:fs';
import { Server } from 'node:http';

import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

import { PortInUseError } from '@imagegen/local-cloud/util-http';

export interface DynamoStandInOptions {
  readonly port: number;
  readonly host?: string;
  /** Keep data here across restarts (in memory when absent). */
  readonly dataDir?: string;
  readonly tableName: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface DynamoStandIn {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** dynalite with the jobs table (ownerId/id, on demand, TTL on expiresAt) made at start. */
export async function startDynamoStandIn(options: DynamoStandInOptions): Promise<DynamoStandIn> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDir ? { path: options.dataDir } : {}) });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(options.port, 'DynamoDB stand-in') : err));
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://${host}:${port}`;

  const client = new DynamoDBClient({ endpoint: url, region: options.region, credentials: options.credentials });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: options.tableName,
        AttributeDefinitions: [
          { AttributeName: 'ownerId', AttributeType: 'S' },
          { AttributeName: 'id', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'ownerId', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(new UpdateTimeToLiveCommand({ TableName: options.tableName, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } })).catch(() => undefined);
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await client.send(new DescribeTableCommand({ TableName: options.tableName }));
  client.destroy();

  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
