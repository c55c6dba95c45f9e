import { readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { WRITING_SUFFIX } from './s3rver-store';

/** How s3rver names an object's files on disk: `<name>._S3rver_object`, `…_object.md5`, `…_metadata.json`. */
const OBJECT = '._S3rver_object';
const METADATA = '._S3rver_metadata.json';

/**
 * Removes the objects whose write a killed process left unfinished, before s3rver serves the store
 * (and the files a write cut off before its bytes were whole, see `hardenStore`).
 * s3rver writes an object's bytes, then its checksum, then its metadata; a stack killed in between
 * (SIGKILL, a crash) leaves an object without its metadata, or with metadata cut short, which makes
 * every ListObjectsV2 over it answer 500 InternalError from then on. S3 itself never shows a PUT that
 * did not complete ("Amazon S3 never adds partial objects", PutObject in the S3 API reference), so
 * neither does the stand-in. Answers the paths removed (relative to `dataDir`), for the log.
 */
export function removeInterruptedWrites(dataDir: string): string[] {
  const removed: string[] = [];
  const visit = (dir: string) => {
    for (const { name, path, isDir } of entriesOf(dir)) {
      if (isDir) {
        visit(path);
        continue;
      }
      // A write cut off before its bytes took the object's name: the object (if any) is as it was.
      if (name.includes(`${OBJECT}${WRITING_SUFFIX}`)) {
        rmSync(path, { force: true });
        continue;
      }
      if (!name.endsWith(OBJECT)) continue;
      const base = path.slice(0, -OBJECT.length);
      if (metadataIsWhole(`${base}${METADATA}`)) continue;
      for (const file of [path, `${path}.md5`, `${base}${METADATA}`]) rmSync(file, { force: true });
      removed.push(path.slice(dataDir.length + 1, -OBJECT.length));
    }
  };
  visit(dataDir);
  return removed;
}

function metadataIsWhole(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

/**
 * Removes the folders inside each bucket that hold nothing (left by deletes, see `hardenStore`), before s3rver
 * serves the store. Buckets themselves, even empty, and s3rver's own folders (`._S3rver_…`, multipart uploads)
 * stay. Answers how many folders were removed.
 */
export function removeEmptyFolders(dataDir: string): number {
  let removed = 0;
  /** Whether `dir` is empty once its empty subfolders are gone. */
  const prune = (dir: string, depth: number): boolean => {
    const entries = entriesOf(dir);
    let left = entries.length;
    for (const { name, path, isDir } of entries) {
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

/** The entries of a folder of the store (none when it cannot be read). */
function entriesOf(dir: string): { name: string; path: string; isDir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => ({
      name: e.name,
      path: join(dir, e.name),
      isDir: e.isDirectory(),
    }));
  } catch {
    return [];
  }
}
