import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An object as s3rver hands it to its store: the bytes (a buffer, or the request itself) and the headers kept. */
interface S3rverObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | Readable;
  readonly metadata: Record<string, string>;
}

/** The parts of s3rver's filesystem store (s3rver 3.7) that `hardenStore` replaces or uses. */
export interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, options: unknown): Promise<unknown>;
}

/** What `hardenStore` gives back: waiting for the store's calls still running. */
export interface HardenedStore {
  /** Waits (at most `timeoutMs`) until no store call runs; answers how many were still running at the end. */
  settle(timeoutMs: number): Promise<number>;
}

/** The suffix of the file an object's bytes are written to before it takes the object's name. */
export const WRITING_SUFFIX = '.writing-';
/** The files s3rver keeps for one object. */
const OBJECT_FILES = ['object', 'object.md5', 'metadata.json'];
/** A list that met a file deleted while it walked the folders is read again, this many times at most. */
const LIST_ATTEMPTS = 5;

/**
 * Makes s3rver's store behave as S3 does under concurrent calls, and never stop the process on a file error.
 * - S3 has no folders: deleting one key never fails a write of another. s3rver keeps each key `a/b/c` as files in
 *   the folder `a/b`, and its delete removed a folder it found empty; a write into that folder that had made it a
 *   moment before then opened its file in a folder gone, and the stream error, unhandled in s3rver, stopped the
 *   whole local stack (a job deleted while its worker wrote a thumbnail). The delete also failed when a write
 *   landed between its look and its removal (ENOTEMPTY). Here a delete removes the key's files and leaves its
 *   folders; `removeEmptyFolders` clears them at the next start.
 * - A list is read again when a file it was walking went away under it (ENOENT): S3's list is simply current.
 * - A write goes to a file of its own and takes the object's name only once whole, and any error of it (the
 *   request cut off, the disk) fails that request alone: S3 never shows a partial object, and a failed overwrite
 *   leaves the object as it was.
 * - Every store call is tracked, so that a stop can wait for those still running before its folder is removed.
 * AWS's word: "Amazon S3 never adds partial objects" (PutObject, Amazon S3 API Reference,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html); reads and lists are strongly consistent
 * after a write or delete (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel).
 */
export function hardenStore(store: S3rverStore): HardenedStore {
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      OBJECT_FILES.map((resource) => rm(store.getResourcePath(bucket, key, resource), { force: true })),
    );
  };
  const list = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await list(bucket, options);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= LIST_ATTEMPTS) throw err;
      }
    }
  };
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const writing = `${objectPath}${WRITING_SUFFIX}${randomBytes(6).toString('hex')}`;
    const md5 = createHash('md5');
    let size = 0;
    try {
      await pipeline(
        Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(writing),
      );
      await rename(writing, objectPath);
    } catch (err) {
      await rm(writing, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
  return { settle: trackCalls(store) };
}

/** Wraps each method of `store` that answers a promise so that its calls in flight are known. */
function trackCalls(store: object): HardenedStore['settle'] {
  const running = new Set<Promise<unknown>>();
  const names = new Set([
    ...Object.getOwnPropertyNames(Object.getPrototypeOf(store) as object),
    ...Object.getOwnPropertyNames(store),
  ]);
  const methods = store as Record<string, unknown>;
  for (const name of names) {
    const method = methods[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      const result: unknown = (method as (...a: unknown[]) => unknown).apply(this, args);
      if (!(result instanceof Promise)) return result;
      running.add(result);
      result.then(
        () => running.delete(result),
        () => running.delete(result),
      );
      return result;
    };
  }
  return async (timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (running.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
    return running.size;
  };
}
