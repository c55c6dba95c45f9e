import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { DynamoStandIn, startDynamoStandIn } from './dynamodb-stand-in';
import { startRetentionSweeper } from './retention-sweeper';
import { S3StandIn, startS3StandIn } from './s3-stand-in';

const JOBS_TABLE = {
  keySchema: [
    { AttributeName: 'ownerId', KeyType: 'HASH' },
    { AttributeName: 'id', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'ownerId', AttributeType: 'S' },
    { AttributeName: 'id', AttributeType: 'S' },
  ],
  timeToLiveAttribute: 'expiresAt',
} as const;

const CREDS = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const REGION = 'us-west-2';
let dir: string;
let s3: S3StandIn;

const client = (credentials = CREDS, maxAttempts = 3, endpoint = s3.url) =>
  new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts,
  });
/** A client of another stand-in than the shared one. */
const clientOf = (standIn: { url: string }) => client(CREDS, 3, standIn.url);
/** Starts a stand-in on `dataDir`, hands `use` a client of it, and stops it after. */
async function withStandIn(dataDir: string, use: (c: S3Client, standIn: S3StandIn) => Promise<void>) {
  const standIn = await startS3StandIn({
    port: 0,
    dataDir,
    bucket: 'images',
    region: REGION,
    credentials: CREDS,
  });
  try {
    await use(clientOf(standIn), standIn);
  } finally {
    await standIn.close();
  }
}

async function admin(path: string, body?: unknown) {
  const res = await fetch(
    `${s3.url}${path}`,
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-storage-'));
  s3 = await startS3StandIn({
    port: 0,
    dataDir: join(dir, 's3'),
    bucket: 'images',
    region: REGION,
    credentials: CREDS,
    corsOrigins: ['http://127.0.0.1:4200'],
  });
});

afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the S3 stand-in after a crash', () => {
  it('starts without the objects whose write was cut off (metadata missing or cut short), and lists the rest', async () => {
    const store = join(dir, 's3-crashed');
    await withStandIn(store, async (s3c) => {
      const put = (key: string) =>
        s3c.send(new PutObjectCommand({ Bucket: 'images', Key: key, Body: 'bytes' }));
      await put('owners/a/whole.png');
      await put('owners/a/cut.png');
      await put('owners/a/unfinished.png');
    });
    // As a SIGKILL leaves them: one metadata file cut short, one never written
    writeFileSync(join(store, 'images/owners/a/cut.png._S3rver_metadata.json'), '{"content-ty');
    rmSync(join(store, 'images/owners/a/unfinished.png._S3rver_metadata.json'));
    // and an overwrite of the whole one cut off before its bytes took the object's name
    writeFileSync(join(store, 'images/owners/a/whole.png._S3rver_object.writing-0123456789ab'), 'half');

    await withStandIn(store, async (s3c, again) => {
      expect([...again.interruptedWrites].sort()).toEqual([
        'images/owners/a/cut.png',
        'images/owners/a/unfinished.png',
      ]);
      const listed = await s3c.send(new ListObjectsV2Command({ Bucket: 'images', Prefix: 'owners/a/' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['owners/a/whole.png']);
      expect(readdirSync(join(store, 'images/owners/a')).filter((f) => f.includes('.writing-'))).toEqual([]);
    });
  });
});

describe(startS3StandIn.name, () => {
  it('stores an object and serves it through a presigned URL a browser can load', async () => {
    await client().send(
      new PutObjectCommand({
        Bucket: 'images',
        Key: 'owners/a/g/1.png',
        Body: 'png-bytes',
        ContentType: 'image/png',
      }),
    );
    const url = await getSignedUrl(
      client(),
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }),
      { expiresIn: 60 },
    );

    const res = await fetch(url, { headers: { origin: 'http://127.0.0.1:4200' } });

    expect(res.status).toBe(200);
    expect(await res.text()).toBe('png-bytes');
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4200');
  });

  it('answers 403 SignatureDoesNotMatch for a tampered presigned URL', async () => {
    const url = await getSignedUrl(
      client(),
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }),
      { expiresIn: 60 },
    );
    const res = await fetch(url.replace('owners/a/', 'owners/b/'));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('answers 403 for an expired link and for a guessed key without a signature', async () => {
    const url = await getSignedUrl(
      client(),
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }),
      {
        expiresIn: 1,
        signingDate: new Date(Date.now() - 10_000),
      },
    );
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    expect((await fetch(`${s3.url}/images/owners/a/g/1.png`)).status).toBe(403);
  });

  it('refuses an SDK call signed with other credentials', async () => {
    const other = client({ ...CREDS, secretAccessKey: 'not-the-secret' });
    await expect(
      other.send(new PutObjectCommand({ Bucket: 'images', Key: 'x', Body: 'x' })),
    ).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
  });

  it('keeps objects across a restart', async () => {
    await s3.close();
    s3 = await startS3StandIn({
      port: 0,
      dataDir: join(dir, 's3'),
      bucket: 'images',
      region: REGION,
      credentials: CREDS,
    });
    const out = await client().send(new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }));
    expect(await out.Body?.transformToString()).toBe('png-bytes');
  });
});

describe('the S3 stand-in under concurrent writes and deletes in one folder', () => {
  it('stores every object written while another key of its folder is deleted or listed, as S3 does', async () => {
    // GIVEN folders holding one object each (a job's first image)
    const s3c = client();
    const rounds = 150;
    const folder = (i: number) => `owners/race/generations/g${i}/`;
    for (let i = 0; i < rounds; i++) {
      await s3c.send(new PutObjectCommand({ Bucket: 'images', Key: `${folder(i)}0.png`, Body: 'first' }));
    }
    // WHEN that object is deleted (a job deleted while it runs) as its next image and thumbnail are written,
    // and the folder is listed meanwhile
    // (the writes start 0 to 3 ms after the delete, so that some land in each step of it)
    const later = <T>(ms: number, call: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => setTimeout(() => call().then(resolve, reject), ms));
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < rounds; i += 10) {
      const calls = Array.from({ length: 10 }, (_, j) => [
        s3c.send(new DeleteObjectCommand({ Bucket: 'images', Key: `${folder(i + j)}0.png` })),
        later(j % 4, () =>
          s3c.send(new PutObjectCommand({ Bucket: 'images', Key: `${folder(i + j)}1.png`, Body: 'second' })),
        ),
        later(j % 4, () =>
          s3c.send(
            new PutObjectCommand({ Bucket: 'images', Key: `${folder(i + j)}1.thumb.webp`, Body: 'thumb' }),
          ),
        ),
        s3c.send(new ListObjectsV2Command({ Bucket: 'images', Prefix: folder(i + j) })),
      ]).flat();
      outcomes.push(...(await Promise.allSettled(calls)));
    }
    // THEN no call failed, and every folder holds exactly the two objects written, readable
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const listed = await s3c.send(
      new ListObjectsV2Command({ Bucket: 'images', Prefix: 'owners/race/', MaxKeys: 1000 }),
    );
    expect(listed.Contents?.length).toBe(rounds * 2);
    for (const i of [0, rounds - 1]) {
      const got = await s3c.send(new GetObjectCommand({ Bucket: 'images', Key: `${folder(i)}1.thumb.webp` }));
      expect(await got.Body?.transformToString()).toBe('thumb');
    }
  });
  it('clears at its next start the folders that deletes left empty, and keeps the bucket and every object', async () => {
    // GIVEN a store where one job's only image was deleted, another's kept
    const store = join(dir, 's3-folders');
    await withStandIn(store, async (s3c) => {
      await s3c.send(new PutObjectCommand({ Bucket: 'images', Key: 'owners/b/g1/0.png', Body: 'one' }));
      await s3c.send(new PutObjectCommand({ Bucket: 'images', Key: 'owners/b/g2/0.png', Body: 'two' }));
      await s3c.send(new DeleteObjectCommand({ Bucket: 'images', Key: 'owners/b/g1/0.png' }));
    });
    // WHEN the stand-in starts again
    await withStandIn(store, async (s3c) => {
      // THEN the emptied folder is gone, the other job's image is still served, and the bucket still takes writes
      expect(existsSync(join(store, 'images/owners/b/g1'))).toBe(false);
      const got = await s3c.send(new GetObjectCommand({ Bucket: 'images', Key: 'owners/b/g2/0.png' }));
      expect(await got.Body?.transformToString()).toBe('two');
      await s3c.send(new DeleteObjectCommand({ Bucket: 'images', Key: 'owners/b/g2/0.png' }));
    });
    await withStandIn(store, async (s3c) => {
      expect(existsSync(join(store, 'images/owners'))).toBe(false);
      await s3c.send(new PutObjectCommand({ Bucket: 'images', Key: 'owners/b/g3/0.png', Body: 'three' }));
      const listed = await s3c.send(new ListObjectsV2Command({ Bucket: 'images', Prefix: 'owners/' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['owners/b/g3/0.png']);
    });
  });
});

describe('the S3 stand-in for repeats, link expiry and faults', () => {
  afterEach(async () => {
    s3.setFaults({ unavailable: false, failWritesNext: 0, failWritesRate: 0 });
    await s3.setClockOffset(0);
  });

  it('copies an object with CopyObject through the signature-checking front, keys with ":" and spaces included', async () => {
    // GIVEN an image stored under an owner id with a colon
    await client().send(
      new PutObjectCommand({
        Bucket: 'images',
        Key: 'owners/anon:1/generations/g1/0.png',
        Body: 'first-image',
        ContentType: 'image/png',
      }),
    );
    const before = await s3.stats();
    // WHEN a repeat copies it to a new job (CopySource URL-encoded, as the SDK asks)
    await client().send(
      new CopyObjectCommand({
        Bucket: 'images',
        Key: 'owners/anon:1/generations/g2/0 copy.png',
        CopySource: `images/${encodeURIComponent('owners/anon:1/generations/g1/0.png')}`,
      }),
    );
    // THEN the copy has the same bytes and type, and it was counted as a copy
    const out = await client().send(
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/anon:1/generations/g2/0 copy.png' }),
    );
    expect(await out.Body?.transformToString()).toBe('first-image');
    expect(out.ContentType).toBe('image/png');
    expect((await s3.stats()).copies - before.copies).toBe(1);
  });

  it('lists the keys under a prefix straight from the store, with sizes', async () => {
    const { status, body } = await admin(`/__objects?prefix=${encodeURIComponent('owners/anon:1/')}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ bucket: 'images', prefix: 'owners/anon:1/', count: 2 });
    expect(body.objects.map((o: { key: string; size: number }) => [o.key, o.size])).toEqual([
      ['owners/anon:1/generations/g1/0.png', 11],
      ['owners/anon:1/generations/g2/0 copy.png', 11],
    ]);
  });

  it('expires the links signed before the test clock moved past X-Amz-Expires; links signed after it work', async () => {
    const url = await getSignedUrl(
      client(),
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }),
      { expiresIn: 900 },
    );
    expect((await fetch(url)).status).toBe(200);
    // WHEN the clock moves past the link's 15 minutes
    expect((await admin('/__clock', { offsetSeconds: 1_000 })).body).toMatchObject({ offsetSeconds: 1_000 });
    // THEN the link has expired, as S3 answers it
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    // AND a link signed now (what a refresh gets) works, and header-signed SDK calls are not affected
    const fresh = await getSignedUrl(
      client(),
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }),
      { expiresIn: 900 },
    );
    expect((await fetch(fresh)).status).toBe(200);
    await client().send(new PutObjectCommand({ Bucket: 'images', Key: 'owners/a/g/2.png', Body: 'x' }));
    expect((await admin('/__clock')).body).toMatchObject({ offsetSeconds: 1_000 });
    // AND moving the clock back brings the old link back to life
    await admin('/__clock', { offsetSeconds: 0 });
    expect((await fetch(url)).status).toBe(200);
    expect((await admin('/__clock', { offsetSeconds: 1.5 })).status).toBe(400);
  });

  it('answers every request 503 ServiceUnavailable while "unavailable", links included', async () => {
    const url = await getSignedUrl(
      client(),
      new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }),
      { expiresIn: 60 },
    );
    await admin('/__faults', { unavailable: true });
    await expect(
      client(CREDS, 1).send(new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' })),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    const link = await fetch(url);
    expect(link.status).toBe(503);
    expect(await link.text()).toContain('<Code>ServiceUnavailable</Code>');
    await admin('/__faults', { unavailable: false });
    expect((await fetch(url)).status).toBe(200);
  });

  it('fails the next N writes and only writes, so the SDK retry or the caller has to deal with it', async () => {
    const before = await s3.stats();
    await admin('/__faults', { failWritesNext: 1 });
    // WHEN two writes and a read are made without SDK retries
    const first = client(CREDS, 1).send(
      new PutObjectCommand({ Bucket: 'images', Key: 'owners/a/g/3.png', Body: 'x' }),
    );
    await expect(first).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    await client(CREDS, 1).send(new GetObjectCommand({ Bucket: 'images', Key: 'owners/a/g/1.png' }));
    await client(CREDS, 1).send(
      new PutObjectCommand({ Bucket: 'images', Key: 'owners/a/g/3.png', Body: 'x' }),
    );
    // THEN the first write failed, the rest went through, and the stats say so
    const after = await s3.stats();
    expect(after.writes - before.writes).toBe(1);
    expect(after.faultsInjected - before.faultsInjected).toBe(1);
    expect(after.requests - before.requests).toBe(3);
    expect((await admin('/__faults')).body).toEqual({
      unavailable: false,
      failWritesNext: 0,
      failWritesRate: 0,
    });
  });

  it('refuses a bad fault setting by name, and admin calls from a web page', async () => {
    const bad = await admin('/__faults', { failWritesRate: 2, bogus: true });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/unknown setting bogus/);
    expect((await admin('/__faults', { failWritesRate: 2 })).body.message).toMatch(
      /failWritesRate must be a number from 0 to 1/,
    );
    const fromPage = await fetch(`${s3.url}/__objects`, { headers: { origin: 'http://127.0.0.1:4200' } });
    expect(fromPage.status).toBe(403);
  });
});

describe(startDynamoStandIn.name, () => {
  it('makes the jobs table at start, keeps items across restarts, and starts again on the same data', async () => {
    const dataDir = join(dir, 'dynamo');
    let dynamo = await startDynamoStandIn({
      port: 0,
      dataDir,
      tableName: 'jobs',
      table: JOBS_TABLE,
      region: REGION,
      credentials: CREDS,
    });
    const doc = (url: string) =>
      DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: url, region: REGION, credentials: CREDS }));
    await doc(dynamo.url).send(
      new PutCommand({ TableName: 'jobs', Item: { ownerId: 'o', id: '1', status: 'queued' } }),
    );
    await dynamo.close();

    dynamo = await startDynamoStandIn({
      port: 0,
      dataDir,
      tableName: 'jobs',
      table: JOBS_TABLE,
      region: REGION,
      credentials: CREDS,
    });
    const out = await doc(dynamo.url).send(
      new GetCommand({ TableName: 'jobs', Key: { ownerId: 'o', id: '1' } }),
    );
    await dynamo.close();

    expect(out.Item).toEqual({ ownerId: 'o', id: '1', status: 'queued' });
  });
});

describe('the DynamoDB stand-in front', () => {
  let dynamo: DynamoStandIn;
  const doc = (credentials = CREDS, maxAttempts = 1) =>
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.url, region: REGION, credentials, maxAttempts }),
    );
  const get = (c = doc()) => c.send(new GetCommand({ TableName: 'jobs', Key: { ownerId: 'o', id: '1' } }));
  const put = (c = doc()) =>
    c.send(new PutCommand({ TableName: 'jobs', Item: { ownerId: 'o', id: '1', status: 'queued' } }));

  beforeAll(async () => {
    dynamo = await startDynamoStandIn({
      port: 0,
      tableName: 'jobs',
      table: JOBS_TABLE,
      region: REGION,
      credentials: CREDS,
    });
    await put();
  });
  afterAll(() => dynamo.close());
  afterEach(() =>
    dynamo.setFaults({ unavailable: false, failNext: 0, failRate: 0, latencyMs: 0, operations: [] }),
  );

  it('answers 503 ServiceUnavailable in DynamoDB\'s shape while "unavailable", then works again', async () => {
    await fetch(`${dynamo.url}/__faults`, { method: 'POST', body: JSON.stringify({ unavailable: true }) });
    await expect(get()).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    dynamo.setFaults({ unavailable: false });
    expect((await get()).Item).toEqual({ ownerId: 'o', id: '1', status: 'queued' });
  });

  it('fails the next N calls with InternalServerError, which the SDK retries', async () => {
    // GIVEN two failures to come
    dynamo.setFaults({ failNext: 2 });
    const before = dynamo.stats();
    // WHEN a client with the SDK's standard three attempts reads
    const out = await get(doc(CREDS, 3));
    // THEN it got the item on the third attempt
    expect(out.Item).toMatchObject({ id: '1' });
    expect(dynamo.stats().faultsInjected - before.faultsInjected).toBe(2);
    dynamo.setFaults({ failNext: 1 });
    await expect(get()).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
  });

  it('aims faults at the named operations only, and counts calls per operation', async () => {
    dynamo.resetStats();
    const res = await fetch(`${dynamo.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ failNext: 1, operations: ['PutItem'] }),
    });
    expect(res.status).toBe(200);
    await get();
    await expect(put()).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(await (await fetch(`${dynamo.url}/__stats`)).json()).toEqual({
      requests: 2,
      faultsInjected: 1,
      operations: { GetItem: 1, PutItem: 1 },
    });
  });

  it('holds the named operations for latencyMs (a slow DynamoDB), and only those', async () => {
    // GIVEN writes are slow
    dynamo.setFaults({ latencyMs: 1_000, operations: ['PutItem'] });
    // WHEN a write is sent, then a read
    let written = false;
    const write = put().then(() => (written = true));
    const read = await get();
    // THEN the read is answered while the write is still held, and the write lands after
    expect(read.Item).toMatchObject({ id: '1' });
    expect(written).toBe(false);
    await write;
    expect(written).toBe(true);
  });

  describe('TransactWriteItems (dynalite has none: the front runs it)', () => {
    const counter = (id: string) => ({ ownerId: 'counter', id });
    const reserve = (id: string, usd: number, max: number) => ({
      Update: {
        TableName: 'jobs',
        Key: counter(id),
        UpdateExpression: 'ADD usd :usd',
        ConditionExpression: 'attribute_not_exists(usd) OR usd <= :max',
        ExpressionAttributeValues: { ':usd': usd, ':max': max },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    });
    const usd = async (id: string) =>
      (await doc().send(new GetCommand({ TableName: 'jobs', Key: counter(id) }))).Item?.['usd'];

    it('applies every action when every condition holds', async () => {
      await doc().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: 'jobs',
                Item: { ownerId: 'tx', id: 'job-1' },
                ConditionExpression: 'attribute_not_exists(id)',
              },
            },
            reserve('a', 2, 8),
          ],
        }),
      );
      expect(await usd('a')).toBe(2);
      expect(
        (await doc().send(new GetCommand({ TableName: 'jobs', Key: { ownerId: 'tx', id: 'job-1' } }))).Item,
      ).toBeDefined();
    });

    it('applies none when one condition fails, naming it in CancellationReasons (with the item asked for)', async () => {
      await doc().send(new TransactWriteCommand({ TransactItems: [reserve('b', 9, 100)] }));
      const refused = await doc()
        .send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: 'jobs', Item: { ownerId: 'tx', id: 'job-2' } } },
              reserve('c', 1, 100),
              reserve('b', 2, 8), // 9 > 8: over
            ],
          }),
        )
        .catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(TransactionCanceledException);
      const reasons = (refused as TransactionCanceledException).CancellationReasons ?? [];
      expect(reasons.map((r) => r.Code)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
      expect(reasons[2]?.Item?.['usd']).toEqual({ N: '9' });
      expect((refused as Error).message).toMatch(/\[None, None, ConditionalCheckFailed\]/);
      // AND nothing of it is kept
      expect(await usd('b')).toBe(9);
      expect(await usd('c')).toBeUndefined();
      expect(
        (await doc().send(new GetCommand({ TableName: 'jobs', Key: { ownerId: 'tx', id: 'job-2' } }))).Item,
      ).toBeUndefined();
    });

    it('refuses two actions on one item, as DynamoDB does', async () => {
      await expect(
        doc().send(new TransactWriteCommand({ TransactItems: [reserve('d', 1, 9), reserve('d', 1, 9)] })),
      ).rejects.toMatchObject({
        name: 'ValidationException',
        message: 'Transaction request cannot include multiple operations on one item',
      });
      expect(await usd('d')).toBeUndefined();
    });

    it('lets concurrent transactions pass a shared limit by no more than one reservation', async () => {
      // 20 transactions at once, each reserving 1 on a counter that allows reserving while usd <= 9
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          doc().send(new TransactWriteCommand({ TransactItems: [reserve('e', 1, 9)] })),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      expect(await usd('e')).toBe(10);
    });
  });

  it('refuses calls signed with another secret or an unknown key, and bad fault settings', async () => {
    await expect(get(doc({ ...CREDS, secretAccessKey: 'not-the-secret' }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    await expect(get(doc({ accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' }))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    const bad = await fetch(`${dynamo.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ failRate: -1 }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toBe('failRate must be a number from 0 to 1');
    expect(() => dynamo.setFaults({ latencyMs: 120_000 })).toThrow(
      'latencyMs must be a whole number of ms from 0 to 60000',
    );
  });
});

describe(startRetentionSweeper.name, () => {
  const DAY = 86_400_000;
  let dynamo: DynamoStandIn;
  let store: S3StandIn;
  const s3Client = () => clientOf(store);
  const doc = () =>
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.url, region: REGION, credentials: CREDS }),
    );
  const sweeper = (now: Date) =>
    startRetentionSweeper({
      dynamodbUrl: dynamo.url,
      s3Url: store.url,
      tableName: 'jobs',
      bucket: 'kept',
      region: REGION,
      credentials: CREDS,
      retentionDays: 30,
      intervalSeconds: 0,
      now: () => now,
    });
  const ids = async () =>
    ((await doc().send(new ScanCommand({ TableName: 'jobs' }))).Items ?? []).map((i) => i['id']).sort();
  const keys = async () =>
    ((await s3Client().send(new ListObjectsV2Command({ Bucket: 'kept' }))).Contents ?? [])
      .map((o) => o.Key)
      .sort();

  beforeAll(async () => {
    dynamo = await startDynamoStandIn({
      port: 0,
      tableName: 'jobs',
      table: JOBS_TABLE,
      region: REGION,
      credentials: CREDS,
    });
    store = await startS3StandIn({
      port: 0,
      dataDir: join(dir, 'sweep-s3'),
      bucket: 'kept',
      region: REGION,
      credentials: CREDS,
    });
    // GIVEN a job past its expiry, one within it, one without any, and images in and outside owners/
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const [id, expiresAt] of [
      ['expired', nowSeconds - 10],
      ['fresh', nowSeconds + 10 * 86_400],
      ['untimed', undefined],
    ] as const) {
      await doc().send(
        new PutCommand({
          TableName: 'jobs',
          Item: { ownerId: 'o', id, ...(expiresAt ? { expiresAt } : {}) },
        }),
      );
    }
    for (const key of [
      'owners/o/generations/g/0.png',
      'owners/o/generations/g/0.thumb.webp',
      'other/keep.txt',
    ]) {
      await s3Client().send(new PutObjectCommand({ Bucket: 'kept', Key: key, Body: 'x' }));
    }
  });
  afterAll(async () => {
    await dynamo.close();
    await store.close();
  });

  it('deletes the items whose expiresAt is past, and keeps images younger than the retention', async () => {
    const s = sweeper(new Date());
    const result = await s.sweep();
    await s.close();
    expect(result).toEqual({ itemsDeleted: 1, objectsDeleted: 0 });
    expect(await ids()).toEqual(['fresh', 'untimed']);
    expect(await keys()).toHaveLength(3);
  });

  it('deletes images under owners/ older than the retention days, and items expired by then; nothing else', async () => {
    // WHEN the sweep runs 31 days from now
    const s = sweeper(new Date(Date.now() + 31 * DAY));
    const result = await s.sweep();
    await s.close();
    // THEN the owners' images are gone, the other object stays, and so does the item without expiry
    expect(result).toEqual({ itemsDeleted: 1, objectsDeleted: 2 });
    expect(await keys()).toEqual(['other/keep.txt']);
    expect(await ids()).toEqual(['untimed']);
  });
});

describe('the stand-ins built from the template', () => {
  it("answers CORS by the bucket's rules: a method or origin no rule allows gets no CORS headers, a preflight for it 403", async () => {
    // GIVEN a bucket whose only rule allows GET from one origin
    const bucketDir = mkdtempSync(join(tmpdir(), 'imagegen-cors-'));
    const store = await startS3StandIn({
      port: 0,
      dataDir: bucketDir,
      bucket: 'b',
      region: REGION,
      credentials: CREDS,
      corsRules: [{ allowedMethods: ['GET'], allowedOrigins: ['https://*.example.com'], maxAge: 60 }],
    });
    const preflight = (origin: string, method: string) =>
      fetch(`${store.url}/b/k`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method },
      });
    try {
      // THEN a GET preflight from a matching origin passes with the rule's max age; others are refused
      const ok = await preflight('https://app.example.com', 'GET');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-max-age')).toBe('60');
      expect((await preflight('https://app.example.com', 'PUT')).status).toBe(403);
      expect((await preflight('https://evil.test', 'GET')).status).toBe(403);
    } finally {
      await store.close();
      rmSync(bucketDir, { recursive: true, force: true });
    }
  });

  it('makes the table with the keys and indexes the template gives, and TTL only when it names an attribute', async () => {
    const { DescribeTableCommand, DescribeTimeToLiveCommand } = await import('@aws-sdk/client-dynamodb');
    const table = {
      keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      attributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'byDate', AttributeType: 'N' },
      ],
      globalSecondaryIndexes: [
        {
          IndexName: 'dates',
          KeySchema: [{ AttributeName: 'byDate', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    } as const;
    const db = await startDynamoStandIn({
      port: 0,
      tableName: 'ttt',
      table,
      region: REGION,
      credentials: CREDS,
    });
    try {
      const client = new DynamoDBClient({ endpoint: db.url, region: REGION, credentials: CREDS });
      const described = (await client.send(new DescribeTableCommand({ TableName: 'ttt' }))).Table;
      expect(described?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(described?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['dates']);
      // A table without a TTL attribute in the template has TTL off
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'ttt' }));
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus ?? 'DISABLED').toBe('DISABLED');
      client.destroy();
    } finally {
      await db.close();
    }
  });
});
