// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for s3rver's store
/// <reference path="../vendor.d.ts" />
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import S3Object from 's3rver/lib/models/object';
import FilesystemStore from 's3rver/lib/stores/filesystem';

import { hardenStore, S3rverStore, WRITING_SUFFIX } from './s3rver-store';

let dir: string;
let store: FilesystemStore & S3rverStore;
let settle: (timeoutMs: number) => Promise<number>;

const read = async (key: string) => {
  const object = await store.getObject('images', key);
  if (!object) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of object.content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};
const folderFiles = () => readdirSync(join(dir, 'images/owners/a'));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagegen-s3rver-store-'));
  store = new FilesystemStore(dir) as FilesystemStore & S3rverStore;
  ({ settle } = hardenStore(store));
  await store.putBucket('images');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hardenStore', () => {
  it('fails a write whose request is cut off, and only it: the object keeps its bytes and no file is left', async () => {
    // GIVEN an object
    await store.putObject(new S3Object('images', 'owners/a/0.png', Buffer.from('before'), {}));
    // WHEN an overwrite's request is cut off halfway
    const cut = new Readable({ read: () => undefined });
    const writing = store.putObject(new S3Object('images', 'owners/a/0.png', cut, {}));
    cut.push(Buffer.from('half of the'));
    setTimeout(() => cut.destroy(new Error('aborted')), 20);
    // THEN that write fails, the object is as it was, no partial file stays, and the store has nothing running
    await expect(writing).rejects.toThrow('aborted');
    expect(await read('owners/a/0.png')).toBe('before');
    expect(folderFiles().filter((f) => f.includes(WRITING_SUFFIX))).toEqual([]);
    expect(await settle(1_000)).toBe(0);
  });

  it('shows a written object only once it is whole, and waits for a write still running when asked to settle', async () => {
    // GIVEN a write whose bytes are still coming
    const body = new PassThrough();
    const writing = store.putObject(new S3Object('images', 'owners/a/1.png', body, {}));
    body.write('first part, ');
    // WHEN the store is asked to settle before it ends
    // THEN the write is counted as running, and the object is not there yet
    expect(await settle(50)).toBe(1);
    expect(await read('owners/a/1.png')).toBeUndefined();
    // WHEN its bytes end
    body.end('second part');
    // THEN settling ends with nothing running, and the object has every byte
    expect(await settle(5_000)).toBe(0);
    await expect(writing).resolves.toMatchObject({ size: 23 });
    expect(await read('owners/a/1.png')).toBe('first part, second part');
  });

  it('deletes a key and leaves its folder in place for a write on its way', async () => {
    await store.putObject(new S3Object('images', 'owners/a/2.png', Buffer.from('x'), {}));
    await store.deleteObject('images', 'owners/a/2.png');
    expect(await read('owners/a/2.png')).toBeUndefined();
    expect(folderFiles()).toEqual([]);
  });
});
