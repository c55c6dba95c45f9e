import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BedrockClient, GetFoundationModelAvailabilityCommand } from '@aws-sdk/client-bedrock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { createLogger } from '@imagegen/shared/util-logging';

import { LocalCloud, startLocalCloud } from './local-cloud';
import { loadLocalCloudSettings, LOCAL_CREDENTIALS, LOCAL_REGION } from './settings';
import { inProcessStackEnv } from './testing/stack-env';

const ULTRA = 'stability.stable-image-ultra-v1:1';
const CORE = 'stability.stable-image-core-v1:1';

let dir: string;
let cloud: LocalCloud;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-stand-ins-'));
  const env = inProcessStackEnv(dir, {
    LOCAL_WORKER_CONCURRENCY: '3',
    RETENTION_DAYS: '7',
    LOCAL_RETENTION_SWEEP_SECONDS: '0',
    LOCAL_BEDROCK_ACCESS_DENIED: ULTRA,
  });
  const destination = new Writable({ write: (_c, _e, done) => done() });
  cloud = await startLocalCloud({
    settings: loadLocalCloudSettings(env),
    log: createLogger({ service: 'local-cloud', destination }),
  });
});

afterAll(async () => {
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

const s3 = () =>
  new S3Client({
    region: LOCAL_REGION,
    endpoint: cloud.urls.s3,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
const doc = () =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: cloud.urls.dynamodb,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
const getJson = async (url: string, body?: unknown) =>
  (
    await fetch(
      url,
      body === undefined
        ? {}
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    )
  ).json();

describe('the local cloud stand-ins, as the generator and the tests see them', () => {
  it('points the generator at the Bedrock control plane and tells it the worker budget and the retention', async () => {
    // GIVEN a control-plane client built only from the environment, as the generator builds it
    expect(process.env['AWS_ENDPOINT_URL_BEDROCK']).toBe(cloud.urls.bedrock);
    expect([process.env['WORKER_CONCURRENCY'], process.env['RETENTION_DAYS']]).toEqual(['3', '7']);
    const control = new BedrockClient({});
    // WHEN it asks about a model the account may call and one it may not (LOCAL_BEDROCK_ACCESS_DENIED)
    const core = await control.send(new GetFoundationModelAvailabilityCommand({ modelId: CORE }));
    const ultra = await control.send(new GetFoundationModelAvailabilityCommand({ modelId: ULTRA }));
    control.destroy();
    // THEN the stand-in answers, in the stack's region
    expect(core).toMatchObject({ entitlementAvailability: 'AVAILABLE', regionAvailability: 'AVAILABLE' });
    expect(ultra).toMatchObject({ entitlementAvailability: 'NOT_AVAILABLE' });
    // AND npm start's default is the realistic latency profile
    expect(await getJson(`${cloud.urls.bedrock}/__faults`)).toMatchObject({
      latencyMs: 'realistic',
      latencyJitter: 0.2,
    });
  });

  it('shows the worker budget and its peak over HTTP on the Lambda stand-in', async () => {
    expect(await getJson(`${cloud.urls.lambda}/__stats`)).toMatchObject({
      concurrency: 3,
      running: 0,
      queued: 0,
    });
    expect(await getJson(`${cloud.urls.lambda}/__stats/reset`, {})).toMatchObject({ maxRunning: 0 });
  });

  it('copies, lists, counts and expires on the S3 stand-in through its admin endpoints', async () => {
    await s3().send(
      new PutObjectCommand({
        Bucket: cloud.names.bucket,
        Key: 'owners/o1/generations/g1/0.png',
        Body: 'png',
        ContentType: 'image/png',
      }),
    );
    await s3().send(
      new CopyObjectCommand({
        Bucket: cloud.names.bucket,
        Key: 'owners/o1/generations/g2/0.png',
        CopySource: `${cloud.names.bucket}/owners/o1/generations/g1/0.png`,
      }),
    );
    const listed = await getJson(`${cloud.urls.s3}/__objects?prefix=owners/o1/`);
    expect(listed.objects.map((o: { key: string }) => o.key)).toEqual([
      'owners/o1/generations/g1/0.png',
      'owners/o1/generations/g2/0.png',
    ]);
    expect(await getJson(`${cloud.urls.s3}/__stats`)).toMatchObject({ copies: 1, objects: 2 });

    // AND a gallery left open for an hour: its links have expired, a refreshed one works
    const presign = () =>
      getSignedUrl(
        s3(),
        new GetObjectCommand({ Bucket: cloud.names.bucket, Key: 'owners/o1/generations/g2/0.png' }),
        { expiresIn: 900 },
      );
    const link = await presign();
    await getJson(`${cloud.urls.s3}/__clock`, { offsetSeconds: 3600 });
    expect((await fetch(link)).status).toBe(403);
    expect((await fetch(await presign())).status).toBe(200);
    await getJson(`${cloud.urls.s3}/__clock`, { offsetSeconds: 0 });
    expect((await fetch(link)).status).toBe(200);
  });

  it('takes DynamoDB faults over HTTP and answers as DynamoDB does while down', async () => {
    await getJson(`${cloud.urls.dynamodb}/__faults`, { unavailable: true });
    const down = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: LOCAL_REGION,
        endpoint: cloud.urls.dynamodb,
        credentials: LOCAL_CREDENTIALS,
        maxAttempts: 1,
      }),
    );
    await expect(
      down.send(new GetCommand({ TableName: cloud.names.table, Key: { ownerId: 'o1', id: 'x' } })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    await getJson(`${cloud.urls.dynamodb}/__faults`, { unavailable: false });
  });

  it('sweeps expired jobs out of the table like DynamoDB TTL', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    await doc().send(
      new PutCommand({
        TableName: cloud.names.table,
        Item: { ownerId: 'o1', id: 'expired-job', expiresAt: past },
      }),
    );
    const result = await cloud.retention.sweep();
    expect(result.itemsDeleted).toBeGreaterThanOrEqual(1);
    expect(
      (
        await doc().send(
          new GetCommand({ TableName: cloud.names.table, Key: { ownerId: 'o1', id: 'expired-job' } }),
        )
      ).Item,
    ).toBeUndefined();
  });
});
