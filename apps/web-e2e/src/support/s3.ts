import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { LOCAL_CREDENTIALS, LOCAL_REGION } from './fuzz-sigv4';
import { E2E_PORTS, S3_ORIGIN } from './stack';

/** Deletes one object of the images bucket through the S3 API, as the bucket's lifecycle rule would (an upload expiring). */
export async function deleteObject(key: string): Promise<void> {
  const listed = await fetch(
    `http://127.0.0.1:${E2E_PORTS.LOCAL_S3_PORT}/__objects?prefix=${encodeURIComponent(key)}`,
  );
  if (!listed.ok) throw new Error(`/__objects: HTTP ${listed.status}`);
  const { bucket } = (await listed.json()) as { bucket: string };
  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint: S3_ORIGIN,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } finally {
    s3.destroy();
  }
}
