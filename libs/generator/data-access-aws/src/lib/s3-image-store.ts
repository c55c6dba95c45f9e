import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { ImageStorePort, UrlSignerPort } from '@imagegen/generator/domain';

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
}
