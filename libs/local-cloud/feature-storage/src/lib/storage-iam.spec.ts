import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import {
  createAuthorizer,
  LOCAL_PRINCIPAL_KEYS,
  localPrincipals,
  RolePolicies,
} from '@imagegen/local-cloud/util-iam';
import { sdkRefusal } from '@imagegen/local-cloud/util-iam/testing';

import { DynamoStandIn, startDynamoStandIn } from './dynamodb-stand-in';
import { S3StandIn, startS3StandIn } from './s3-stand-in';

const ADMIN = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const REGION = 'us-west-2';
const BUCKET = 'images';
const TABLE = 'gens';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:000000000000:table/${TABLE}`;

/** The API role: reads and writes its objects under owners/, lists only owners/ prefixes, reads and writes the table but never deletes from it. */
const apiRole: RolePolicies = {
  roleLogicalId: 'ApiRole',
  roleName: 'imagegen-ApiRole',
  statements: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: `arn:aws:s3:::${BUCKET}/owners/*`,
    },
    {
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: `arn:aws:s3:::${BUCKET}`,
      Condition: { StringLike: { 's3:prefix': 'owners/*' } },
    },
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      Resource: TABLE_ARN,
    },
    {
      Effect: 'Deny',
      Action: 'dynamodb:PutItem',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
    },
  ],
};
/** The worker role: nothing in S3 but reading, nothing in DynamoDB. */
const workerRole: RolePolicies = {
  roleLogicalId: 'WorkerRole',
  roleName: 'imagegen-WorkerRole',
  statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
};
const authorizer = createAuthorizer({
  principals: localPrincipals({ api: apiRole, worker: workerRole }),
  trusted: [ADMIN],
});
const API = LOCAL_PRINCIPAL_KEYS.api;
const WORKER = LOCAL_PRINCIPAL_KEYS.worker;

let dir: string;
let s3: S3StandIn;
let dynamo: DynamoStandIn;

const s3Client = (credentials = API) =>
  new S3Client({
    region: REGION,
    endpoint: s3.url,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
const ddb = (credentials = API) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: REGION, endpoint: dynamo.url, credentials, maxAttempts: 1 }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-iam-'));
  s3 = await startS3StandIn({
    port: 0,
    dataDir: join(dir, 's3'),
    bucket: BUCKET,
    region: REGION,
    credentials: ADMIN,
    authorizer,
  });
  dynamo = await startDynamoStandIn({
    port: 0,
    tableName: TABLE,
    table: {
      keySchema: [
        { AttributeName: 'ownerId', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      attributeDefinitions: [
        { AttributeName: 'ownerId', AttributeType: 'S' },
        { AttributeName: 'id', AttributeType: 'S' },
      ],
    },
    region: REGION,
    credentials: ADMIN,
    authorizer,
  });
});

afterAll(async () => {
  await s3.close();
  await dynamo.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the S3 stand-in with an authorizer', () => {
  it('allows each principal what its role allows, and answers 403 AccessDenied otherwise', async () => {
    await s3Client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'owners/a/1.png', Body: 'x' }));
    const read = await s3Client(WORKER).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'owners/a/1.png' }));
    expect(await read.Body?.transformToString()).toBe('x');

    expect(
      await sdkRefusal(
        s3Client(WORKER).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'owners/a/2.png', Body: 'y' })),
      ),
    ).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole/worker is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${BUCKET}/owners/a/2.png because no identity-based policy allows the s3:PutObject action`,
    });
    expect(
      await sdkRefusal(
        s3Client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'elsewhere/2.png', Body: 'y' })),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect((await s3.listObjects()).map((o) => o.key)).toEqual(['owners/a/1.png']);
  });

  it('authorizes a presigned URL as its signer, when it is used', async () => {
    await s3Client(ADMIN).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private/p.png', Body: 'p' }));
    const link = (credentials: typeof API, key: string) =>
      getSignedUrl(s3Client(credentials), new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 60,
      });
    expect((await fetch(await link(API, 'owners/a/1.png'))).status).toBe(200);
    const refused = await fetch(await link(API, 'private/p.png'));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>AccessDenied</Code>');
    expect((await fetch(await link(WORKER, 'private/p.png'))).status).toBe(200);
  });

  it('CopyObject needs s3:GetObject on the source as well as s3:PutObject on the target', async () => {
    await s3Client().send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'owners/a/copy.png',
        CopySource: `${BUCKET}/owners/a/1.png`,
      }),
    );
    expect(
      await sdkRefusal(
        s3Client().send(
          new CopyObjectCommand({
            Bucket: BUCKET,
            Key: 'owners/a/leak.png',
            CopySource: `${BUCKET}/private/p.png`,
          }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  it('ListObjectsV2 is s3:ListBucket with the s3:prefix condition', async () => {
    const out = await s3Client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'owners/a/' }));
    expect(out.Contents?.map((o) => o.Key)).toContain('owners/a/1.png');
    expect(
      await sdkRefusal(s3Client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'private/' }))),
    ).toMatchObject({
      name: 'AccessDenied',
      status: 403,
    });
    expect(await sdkRefusal(s3Client().send(new ListObjectsV2Command({ Bucket: BUCKET })))).toMatchObject({
      status: 403,
    });
  });

  it('DeleteObjects deletes the keys the caller may delete and reports AccessDenied for the others', async () => {
    await s3Client(ADMIN).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'owners/a/d.png', Body: 'd' }));
    const out = await s3Client().send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'owners/a/d.png' }, { Key: 'private/p.png' }], Quiet: true },
      }),
    );
    expect(out.Errors).toEqual([{ Key: 'private/p.png', Code: 'AccessDenied', Message: 'Access Denied' }]);
    const keys = (await s3.listObjects()).map((o) => o.key);
    expect(keys).toContain('private/p.png');
    expect(keys).not.toContain('owners/a/d.png');

    const none = await s3Client(WORKER).send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'private/p.png' }] } }),
    );
    expect(none.Errors?.map((e) => e.Code)).toEqual(['AccessDenied']);
    expect((await s3.listObjects()).map((o) => o.key)).toContain('private/p.png');
  });
});

describe('the DynamoDB stand-in with an authorizer', () => {
  it('allows what the role allows', async () => {
    await ddb().send(new PutCommand({ TableName: TABLE, Item: { ownerId: 'o', id: '1' } }));
    const got = await ddb().send(new GetCommand({ TableName: TABLE, Key: { ownerId: 'o', id: '1' } }));
    expect(got.Item).toEqual({ ownerId: 'o', id: '1' });
    const q = await ddb().send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'ownerId = :o',
        ExpressionAttributeValues: { ':o': 'o' },
      }),
    );
    expect(q.Count).toBe(1);
  });

  it('refuses with 400 AccessDeniedException naming the principal, the action and the table', async () => {
    const refused = await sdkRefusal(
      ddb(WORKER).send(new PutCommand({ TableName: TABLE, Item: { ownerId: 'o', id: '2' } })),
    );
    expect(refused).toEqual({
      name: 'AccessDeniedException',
      status: 400,
      message: `User: arn:aws:sts::000000000000:assumed-role/imagegen-WorkerRole/worker is not authorized to perform: dynamodb:PutItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:PutItem action`,
    });
    expect(
      await sdkRefusal(
        ddb().send(
          new QueryCommand({
            TableName: TABLE,
            IndexName: 'byStatus',
            KeyConditionExpression: 'ownerId = :o',
            ExpressionAttributeValues: { ':o': 'o' },
          }),
        ),
      ),
    ).toMatchObject({ name: 'AccessDeniedException', status: 400 });
  });

  it('the local cloud’s own key is trusted; an unknown key is refused as before', async () => {
    await ddb(ADMIN).send(new PutCommand({ TableName: TABLE, Item: { ownerId: 'o', id: '3' } }));
    expect(
      await sdkRefusal(
        ddb({ accessKeyId: 'LOCALNOBODY000000000', secretAccessKey: 'x' }).send(
          new GetCommand({ TableName: TABLE, Key: { ownerId: 'o', id: '3' } }),
        ),
      ),
    ).toMatchObject({ name: 'UnrecognizedClientException' });
  });
});
