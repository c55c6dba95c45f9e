import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, PresignedPost } from '@aws-sdk/s3-presigned-post';

import {
  AccessKeys,
  createAuthorizer,
  LOCAL_PRINCIPAL_KEYS,
  localPrincipals,
  RolePolicies,
} from '@imagegen/local-cloud/util-iam';

import { startRetentionSweeper } from './retention-sweeper';
import { S3StandIn, startS3StandIn } from './s3-stand-in';

const ADMIN = {
  accessKeyId: 'LOCALACCESSKEY0000000',
  secretAccessKey: 'localsecretkey/imagegen/0000000000000000',
};
const REGION = 'us-west-2';
const BUCKET = 'images';
const APP_ORIGIN = 'http://127.0.0.1:4200';
const PNG = Buffer.from('\x89PNG\r\n\x1a\n-pretend-image-bytes', 'latin1');

/** The signer of upload forms (the generator's API role): writes uploads/ and owners/. */
const apiRole: RolePolicies = {
  roleLogicalId: 'ApiRole',
  roleName: 'imagegen-ApiRole',
  statements: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [`arn:aws:s3:::${BUCKET}/uploads/*`, `arn:aws:s3:::${BUCKET}/owners/*`],
    },
  ],
};
/** A role that may read but never write. */
const workerRole: RolePolicies = {
  roleLogicalId: 'WorkerRole',
  roleName: 'imagegen-WorkerRole',
  statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }],
};

let dir: string;
let s3: S3StandIn;

const client = (credentials: AccessKeys = ADMIN) =>
  new S3Client({ region: REGION, endpoint: s3.url, forcePathStyle: true, credentials });

/** An upload form as the generator makes it: the key fixed, an image type, a size range. */
const presign = (
  key: string,
  options: { signer?: AccessKeys; contentType?: string; min?: number; max?: number } = {},
) =>
  createPresignedPost(client(options.signer ?? LOCAL_PRINCIPAL_KEYS.api), {
    Bucket: BUCKET,
    Key: key,
    Fields: { 'Content-Type': options.contentType ?? 'image/png' },
    Conditions: [['content-length-range', options.min ?? 8, options.max ?? 1024]],
    Expires: 300,
  });

/** Posts the form as a browser does: every field, then the file last. */
async function upload(
  post: PresignedPost,
  file: Buffer = PNG,
  change: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...post.fields, ...change.fields })) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file)], { type: 'image/png' }), 'photo.png');
  return fetch(post.url, { method: 'POST', body: form, headers: change.headers ?? {} });
}

/** What an error answer says: its Code and Message. */
async function s3ErrorOf(res: Response): Promise<{ status: number; code?: string; message?: string }> {
  const xml = await res.text();
  return {
    status: res.status,
    code: /<Code>([^<]*)<\/Code>/.exec(xml)?.[1],
    message: /<Message>([^<]*)<\/Message>/.exec(xml)?.[1]?.replace(/&quot;/g, '"'),
  };
}

const storedKeys = async (prefix = 'uploads/') => (await s3.listObjects(prefix)).map((o) => o.key);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-post-object-'));
  s3 = await startS3StandIn({
    port: 0,
    dataDir: join(dir, 's3'),
    bucket: BUCKET,
    region: REGION,
    credentials: ADMIN,
    authorizer: createAuthorizer({
      principals: localPrincipals({ api: apiRole, worker: workerRole }),
      trusted: [ADMIN],
    }),
    corsRules: [{ allowedMethods: ['GET', 'HEAD', 'POST'], allowedOrigins: [APP_ORIGIN], maxAge: 3000 }],
  });
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST Object (browser upload with a presigned POST policy)', () => {
  it('stores a good upload with its content type, answers 204 with CORS headers for the app', async () => {
    const post = await presign('uploads/owner-a/u1.png');
    expect(post.url).toBe(`${s3.url}/${BUCKET}`);

    const res = await upload(post, PNG, { headers: { origin: APP_ORIGIN } });

    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    const stored = await client().send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/owner-a/u1.png' }),
    );
    expect(stored.ContentType).toBe('image/png');
    expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? [])).toEqual(PNG);
  });

  it('answers 201 with a PostResponse document when success_action_status asks for it', async () => {
    const post = await createPresignedPost(client(LOCAL_PRINCIPAL_KEYS.api), {
      Bucket: BUCKET,
      Key: 'uploads/owner-a/u201.png',
      Fields: { 'Content-Type': 'image/png', success_action_status: '201' },
      Expires: 300,
    });
    const res = await upload(post);
    expect(res.status).toBe(201);
    const xml = await res.text();
    expect(xml).toContain('<Key>uploads/owner-a/u201.png</Key>');
    expect(xml).toContain(`<Bucket>${BUCKET}</Bucket>`);
  });

  it('names the object after the file for a key ending in ${filename}, within the starts-with prefix', async () => {
    const post = await presign('uploads/owner-a/${filename}');
    expect((await upload(post)).status).toBe(204);
    expect(await storedKeys('uploads/owner-a/photo')).toEqual(['uploads/owner-a/photo.png']);
    const escaped = await upload(post, PNG, { fields: { key: 'uploads/owner-b/${filename}' } });
    expect(await s3ErrorOf(escaped)).toMatchObject({
      status: 403,
      message:
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/owner-a/"]',
    });
  });

  it('refuses a file larger than the policy allows with EntityTooLarge, and stores nothing', async () => {
    const post = await presign('uploads/owner-a/big.png', { max: 16 });
    const res = await upload(post, Buffer.alloc(17, 1));
    expect(await s3ErrorOf(res)).toEqual({
      status: 400,
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size',
    });
    expect(await storedKeys('uploads/owner-a/big')).toEqual([]);
  });

  it('refuses a file smaller than the policy allows with EntityTooSmall (an empty file too)', async () => {
    const post = await presign('uploads/owner-a/small.png', { min: 8 });
    for (const file of [Buffer.alloc(7, 1), Buffer.alloc(0)]) {
      expect(await s3ErrorOf(await upload(post, file))).toEqual({
        status: 400,
        code: 'EntityTooSmall',
        message: 'Your proposed upload is smaller than the minimum allowed size',
      });
    }
    expect(await storedKeys('uploads/owner-a/small')).toEqual([]);
  });

  it('refuses a key other than the one the policy names (another owner’s prefix)', async () => {
    const post = await presign('uploads/owner-a/mine.png');
    const res = await upload(post, PNG, { fields: { key: 'uploads/owner-b/theirs.png' } });
    expect(await s3ErrorOf(res)).toEqual({
      status: 403,
      code: 'AccessDenied',
      message:
        'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "uploads/owner-a/mine.png"]',
    });
    expect(await storedKeys('uploads/owner-b/')).toEqual([]);
  });

  it('refuses a Content-Type other than the policy’s, and a field the policy does not name', async () => {
    const post = await presign('uploads/owner-a/typed.png');
    expect(await s3ErrorOf(await upload(post, PNG, { fields: { 'Content-Type': 'image/svg+xml' } }))).toEqual(
      {
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]',
      },
    );
    expect(await s3ErrorOf(await upload(post, PNG, { fields: { 'x-amz-meta-note': 'hi' } }))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-note',
    });
    expect(await storedKeys('uploads/owner-a/typed')).toEqual([]);
  });

  it('refuses an expired policy', async () => {
    const post = await presign('uploads/owner-a/late.png');
    // The world moves an hour on: the 5-minute policy signed before is past its expiration.
    await s3.setClockOffset(3600);
    try {
      expect(await s3ErrorOf(await upload(post))).toEqual({
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy expired.',
      });
    } finally {
      await s3.setClockOffset(0);
    }
    expect(await storedKeys('uploads/owner-a/late')).toEqual([]);
  });

  it('refuses a tampered signature, and a policy changed after signing', async () => {
    const post = await presign('uploads/owner-a/tampered.png', { max: 16 });
    const signature = post.fields['X-Amz-Signature'];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    const widened = Buffer.from(
      Buffer.from(post.fields['Policy'], 'base64').toString('utf8').replace(',16]', ',1048576]'),
    ).toString('base64');
    for (const fields of [{ 'X-Amz-Signature': flipped }, { Policy: widened }] as Record<string, string>[]) {
      const refusal = await s3ErrorOf(await upload(post, Buffer.alloc(64, 1), { fields }));
      expect(refusal).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    }
    expect(await storedKeys('uploads/owner-a/tampered')).toEqual([]);
  });

  it('refuses an upload whose signer’s IAM does not allow s3:PutObject on the key', async () => {
    // A role that may not write at all, and the uploads role on a key outside what it may write.
    const byReader = await presign('uploads/owner-a/by-reader.png', { signer: LOCAL_PRINCIPAL_KEYS.worker });
    const outside = await presign('elsewhere/x.png');
    for (const post of [byReader, outside]) {
      const refusal = await s3ErrorOf(await upload(post));
      expect(refusal.status).toBe(403);
      expect(refusal.code).toBe('AccessDenied');
      expect(refusal.message).toContain('s3:PutObject');
    }
    expect(await storedKeys('uploads/owner-a/by-reader')).toEqual([]);
    expect(await storedKeys('elsewhere/')).toEqual([]);
  });

  it('refuses more than 20 KB of fields before the file, even fields S3 ignores', async () => {
    const post = await presign('uploads/owner-a/padded.png');
    const res = await upload(post, PNG, { fields: { 'x-ignore-padding': 'p'.repeat(21 * 1024) } });
    expect(await s3ErrorOf(res)).toMatchObject({ status: 400, code: 'MaxPostPreDataLengthExceededError' });
    // The same field, small, is ignored by the policy check: the upload is stored.
    expect((await upload(post, PNG, { fields: { 'x-ignore-padding': 'p' } })).status).toBe(204);
  });

  it('refuses a form without a policy (anonymous) and a body that is not a form', async () => {
    const form = new FormData();
    form.append('key', 'uploads/owner-a/anon.png');
    form.append('file', new Blob([new Uint8Array(PNG)]), 'a.png');
    expect(await s3ErrorOf(await fetch(`${s3.url}/${BUCKET}`, { method: 'POST', body: form }))).toMatchObject(
      {
        status: 403,
        code: 'AccessDenied',
      },
    );
    const notForm = await fetch(`${s3.url}/${BUCKET}`, {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(await s3ErrorOf(notForm)).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    expect(await storedKeys('uploads/owner-a/anon')).toEqual([]);
  });
});

describe('CORS from the template’s rules', () => {
  const preflight = (origin: string) =>
    fetch(`${s3.url}/${BUCKET}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });

  it('answers a preflight for POST from the app’s origin, and 403 from another origin', async () => {
    const allowed = await preflight(APP_ORIGIN);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');

    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives an upload from another origin no Access-Control-Allow-Origin (the browser hides the answer)', async () => {
    const post = await presign('uploads/owner-a/cors.png');
    const res = await upload(post, PNG, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('uploads expire after a day (lifecycle rule on uploads/)', () => {
  it('sweeps an upload older than a day and keeps a job’s objects and younger uploads', async () => {
    const post = await presign('uploads/owner-s/old.png');
    expect((await upload(post)).status).toBe(204);
    await client().send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'owners/owner-s/jobs/j1/input.png', Body: PNG }),
    );
    const sweeperAt = (now: Date) =>
      startRetentionSweeper({
        dynamodbUrl: 'http://127.0.0.1:9',
        s3Url: s3.url,
        tableName: 'unused',
        bucket: BUCKET,
        region: REGION,
        credentials: ADMIN,
        ttlAttribute: null,
        // As the template has them: every object after 30 days, uploads/ after one.
        prefix: '',
        retentionDays: 30,
        rules: [{ prefix: 'uploads/', days: 1 }],
        intervalSeconds: 0,
        now: () => now,
      });

    const hourLater = sweeperAt(new Date(Date.now() + 3_600_000));
    await hourLater.sweep();
    await hourLater.close();
    expect(await storedKeys('uploads/owner-s/')).toEqual(['uploads/owner-s/old.png']);

    const dayLater = sweeperAt(new Date(Date.now() + 86_400_000 + 60_000));
    const result = await dayLater.sweep();
    await dayLater.close();
    expect(result.objectsDeleted).toBeGreaterThanOrEqual(1);
    expect(await storedKeys('uploads/owner-s/')).toEqual([]);
    expect(await storedKeys('owners/owner-s/')).toEqual(['owners/owner-s/jobs/j1/input.png']);
  });
});
