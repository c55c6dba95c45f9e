import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import { S3ImageStore, S3UrlSigner } from './s3-image-store';

const s3 = mockClient(S3Client);
const client = () =>
  new S3Client({
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });

beforeEach(() => s3.reset());

function awsError(name: string): Error {
  return Object.assign(new Error(name), { name, $metadata: {} });
}

describe(S3ImageStore.name, () => {
  it('answers undefined for a key that does not exist, on get and head', async () => {
    s3.on(GetObjectCommand).rejects(awsError('NoSuchKey'));
    s3.on(HeadObjectCommand).rejects(awsError('NotFound'));
    const store = new S3ImageStore(client(), 'images');
    expect(await store.get('uploads/o/up1')).toBeUndefined();
    expect(await store.head('uploads/o/up1')).toBeUndefined();
  });

  it("reads HeadObject's 403 (no s3:ListBucket on the bucket) as a missing key, and a refused GET as an error", async () => {
    s3.on(HeadObjectCommand).rejects(
      Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }),
    );
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied'));
    const store = new S3ImageStore(client(), 'images');
    expect(await store.head('uploads/o/up1')).toBeUndefined();
    await expect(store.get('uploads/o/up1')).rejects.toThrow('AccessDenied');
  });

  it("answers an object's size and type", async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1234, ContentType: 'image/png' });
    expect(await new S3ImageStore(client(), 'images').head('k')).toEqual({
      bytes: 1234,
      contentType: 'image/png',
    });
  });
});

describe(S3UrlSigner.name, () => {
  it('signs a POST whose policy holds the exact key, the exact type and the size range', async () => {
    const post = await new S3UrlSigner(client(), 'images').presignPost({
      key: 'uploads/anon-1/up123',
      contentType: 'image/png',
      maxBytes: 1000,
      expiresInSeconds: 600,
    });
    expect(post.url).toContain('images');
    expect(post.fields).toMatchObject({ key: 'uploads/anon-1/up123', 'Content-Type': 'image/png' });
    const policy = JSON.parse(Buffer.from(post.fields['Policy'], 'base64').toString());
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['eq', '$key', 'uploads/anon-1/up123'],
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', 1, 1000],
      ]),
    );
    const minutes = (Date.parse(policy.expiration) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(9);
    expect(minutes).toBeLessThanOrEqual(10);
    expect(post.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });
});
