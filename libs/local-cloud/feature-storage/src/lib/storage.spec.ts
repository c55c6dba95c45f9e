import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { startDynamoStandIn } from './dynamodb-stand-in';
import { S3StandIn, startS3StandIn } from './s3-stand-in';

const CREDS = { accessKeyId: 'LOCALACCESSKEY0000000', secretAccessKey: 'localsecretkey/imagegen/0000000000000000' };
const REGION = 'us-west-2';
let dir: string;
let s3: S3StandIn;

const client = (credentials = CREDS) =>
  new S3Client({ region: REGION, endpoint: s3.url, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-storage-'));
  s3 = await startS3StandIn({ port: 0, dataDir: join(dir, 's3'), bucket: 'images', region: REGION, credentials: CREDS, corsOrigins: ['http://127.0.0.1:4200'] });
});

afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(startS3StandIn.name, () => {
  it('stores an object and serves it through a presigned URL a browser can load', async () => {
    await client().send(new PutObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png', Body: 'png-bytes', ContentType: 'image/png' }));
    const url = await getSignedUrl(client(), new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }), { expiresIn: 60 });

    const res = await fetch(url, { headers: { origin: 'http://127.0.0.1:4200' } });

    expect(res.status).toBe(200);
    expect(await res.text()).toBe('png-bytes');
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4200');
  });

  it('answers 403 SignatureDoesNotMatch for a tampered presigned URL', async () => {
    const url = await getSignedUrl(client(), new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }), { expiresIn: 60 });
    const res = await fetch(url.replace('owners/a/', 'owners/b/'));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('answers 403 for an expired link and for a guessed key without a signature', async () => {
    const url = await getSignedUrl(client(), new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 10_000),
    });
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    expect((await fetch(`${s3.url}/images/owners/a/g/1.png`)).status).toBe(403);
  });

  it('refuses an SDK call signed with other credentials', async () => {
    const other = client({ ...CREDS, secretAccessKey: 'not-the-secret' });
    await expect(other.send(new PutObjectCommand({ Bucket: 'images', Key: 'x', Body: 'x' }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
  });

  it('keeps objects across a restart', async () => {
    await s3.close();
    s3 = await startS3StandIn({ port: 0, dataDir: join(dir, 's3'), bucket: 'images', region: REGION, credentials: CREDS });
    const out = await client().send(new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }));
    expect(await out.Body?.transformToString()).toBe('png-bytes');
  });
});

describe(startDynamoStandIn.name, () => {
  it('makes the jobs table at start, keeps items across restarts, and starts again on the same data', async () => {
    const dataDir = join(dir, 'dynamo');
    let dynamo = await startDynamoStandIn({ port: 0, dataDir, tableName: 'jobs', region: REGION, credentials: CREDS });
    const doc = (url: string) => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: url, region: REGION, credentials: CREDS }));
    await doc(dynamo.url).send(new PutCommand({ TableName: 'jobs', Item: { ownerId: 'o', id: '1', status: 'queued' } }));
    await dynamo.close();

    dynamo = await startDynamoStandIn({ port: 0, dataDir, tableName: 'jobs', region: REGION, credentials: CREDS });
    const out = await doc(dynamo.url).send(new GetCommand({ TableName: 'jobs', Key: { ownerId: 'o', id: '1' } }));
    await dynamo.close();

    expect(out.Item).toEqual({ ownerId: 'o', id: '1', status: 'queued' });
  });
});
