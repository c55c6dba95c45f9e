import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import {
  ImageStorePort,
  PostPolicy,
  PresignedPost,
  StoredObjectHead,
  UrlSignerPort,
} from '@imagegen/generator/domain';

import { orUnavailable } from './aws-unavailable';

const STORAGE = 'Image storage';

export class S3ImageStore implements ImageStorePort {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await orUnavailable(STORAGE, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          CacheControl: 'private, max-age=31536000, immutable',
        }),
      ),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await orUnavailable(STORAGE, () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async head(key: string): Promise<StoredObjectHead | undefined> {
    try {
      const out = await orUnavailable(STORAGE, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return { bytes: out.ContentLength ?? 0, ...(out.ContentType ? { contentType: out.ContentType } : {}) };
    } catch (err) {
      if (isMissing(err) || headForbidden(err)) return undefined;
      throw err;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    // The source key goes into a header: each segment URI-encoded, as S3 expects.
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
    await orUnavailable(STORAGE, () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          CopySource: source,
          MetadataDirective: 'COPY',
        }),
      ),
    );
  }

  async list(prefix: string): Promise<readonly string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await orUnavailable(STORAGE, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      keys.push(...(out.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await orUnavailable(STORAGE, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      if (out.Errors?.length) {
        const denied = out.Errors.filter((e) => e.Code === 'AccessDenied').length;
        // S3 refuses the keys one by one inside a 200 answer: surface a refusal as the AccessDenied it is.
        if (denied > 0)
          throw Object.assign(
            new Error(`not authorized to perform: s3:DeleteObject on ${denied} object(s) (Access Denied)`),
            { name: 'AccessDenied' },
          );
        throw new Error(`could not delete ${out.Errors.length} object(s)`);
      }
    }
  }
}

/** No such key: GetObject answers NoSuchKey, HeadObject (no body) NotFound. */
function isMissing(err: unknown): boolean {
  const name = err instanceof Error ? err.name : '';
  return name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * HeadObject of a missing key by a role without s3:ListBucket on the bucket answers 403, not 404
 * ("If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden
 * error", https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). Our roles list only
 * under owners/ and hold s3:GetObject on every key they head, so a 403 there means the key is not there.
 */
function headForbidden(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === 403 || (err instanceof Error && err.name === 'Forbidden');
}

/** Presigned GET links, minted on every read (role credentials expire, so links are never stored). */
export class S3UrlSigner implements UrlSignerPort {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  /**
   * A browser upload: a POST policy that holds the exact key and Content-Type and the size range
   * (conditions `eq` and `content-length-range`,
   * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html), signed with
   * this role's credentials, so the uploader needs s3:PutObject on the key.
   */
  presignPost(policy: PostPolicy): Promise<PresignedPost> {
    return createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: policy.key,
      Conditions: [
        ['eq', '$key', policy.key],
        ['eq', '$Content-Type', policy.contentType],
        ['content-length-range', 1, policy.maxBytes],
      ],
      Fields: { 'Content-Type': policy.contentType },
      Expires: policy.expiresInSeconds,
    });
  }
}
