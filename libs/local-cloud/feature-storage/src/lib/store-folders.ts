import { readdirSync, rmdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The parts of s3rver's filesystem store (s3rver 3.7) that `keepFoldersWhileServing` replaces. */
export interface S3rverFolderStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, options: unknown): Promise<unknown>;
}

/** The files s3rver keeps for one object. */
const OBJECT_FILES = ['object', 'object.md5', 'metadata.json'];
/** A list that met a file deleted while it walked the folders is read again, this many times at most. */
const LIST_ATTEMPTS = 5;

/**
 * Makes s3rver's store as safe as S3 under concurrent calls on keys of one folder. S3 has no folders: deleting
 * one key never fails a write of another, and a list never fails because a key went away meanwhile. s3rver
 * keeps each key `a/b/c` as files in the folder `a/b`, and its delete removed a folder it found empty; a write
 * into that folder that had made it a moment before then opened its file in a folder gone, and the error,
 * unhandled in s3rver, stopped the whole local stack (a job deleted while its worker wrote a thumbnail).
 * The delete also failed when a write landed between its look and its removal (ENOTEMPTY).
 * Here a delete removes the key's files and leaves its folders; `removeEmptyFolders` clears them at the next start.
 * A list is read again when a file it was walking went away under it (ENOENT), as S3's list is simply current.
 */
export function keepFoldersWhileServing(store: S3rverFolderStore): void {
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
}

/**
 * Removes the folders inside each bucket that hold nothing (left by deletes, see `keepFoldersWhileServing`),
 * before s3rver serves the store. Buckets themselves, even empty, and s3rver's own folders (`._S3rver_…`,
 * multipart uploads) stay. Answers how many folders were removed.
 */
export function removeEmptyFolders(dataDir: string): number {
  let removed = 0;
  /** Whether `dir` is empty once its empty subfolders are gone. */
  const prune = (dir: string, depth: number): boolean => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return false;
    }
    let left = entries.length;
    for (const name of entries) {
      const path = join(dir, name);
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        continue;
      }
      if (!isDir || name.includes('._S3rver_')) continue;
      // depth 0 is the data folder, 1 a bucket: only the folders of keys (depth 2 on) are removed.
      if (prune(path, depth + 1) && depth + 1 >= 2) {
        rmdirSync(path);
        removed += 1;
        left -= 1;
      }
    }
    return left === 0;
  };
  prune(dataDir, 0);
  return removed;
}
