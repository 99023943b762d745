// The acceptance suite on a temporary directory, plus what only the filesystem has: the files on
// disk, the uploads directory, empty directories, and createBucket's embedded default.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemBucket, ObjstoreError, UPLOADS_DIR, bucketConfigSchema, createBucket } from './index.ts';
import { bucketAcceptanceSuite, collect } from './testing.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-fsbucket-'));
  dirs.push(d);
  return d;
}

describe('filesystem bucket', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe('acceptance', () => {
    bucketAcceptanceSuite(() => {
      const root = join(tempDir(), 'bucket');
      return Promise.resolve({ bucket: new FilesystemBucket(root), close: () => Promise.resolve(rmSync(root, { recursive: true, force: true })) });
    });
  });

  it('stores an object as the file at its name, and leaves no temporary files', async () => {
    const root = join(tempDir(), 'b');
    const b = new FilesystemBucket(root);
    assert.equal(existsSync(root), false, 'the constructor does no I/O');
    await b.upload('tenant/01ABC/chunks/000001', new TextEncoder().encode('chunk'));
    assert.equal(readFileSync(join(root, 'tenant/01ABC/chunks/000001'), 'utf8'), 'chunk');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error('broken');
    }
    await assert.rejects(b.upload('tenant/x', failing()));
    assert.deepEqual(readdirSync(join(root, UPLOADS_DIR)), []);
    assert.deepEqual(await collect(b.iter('')), ['tenant/']);
  });

  it('removes directories left empty by deletes, never the root', async () => {
    const root = join(tempDir(), 'b');
    const b = new FilesystemBucket(root);
    await b.upload('t/blk/chunks/000001', new Uint8Array(1));
    await b.delete('t/blk/chunks/000001');
    assert.deepEqual(readdirSync(root).sort(), [UPLOADS_DIR]);
    // Also with a relative root.
    const rel = new FilesystemBucket(join(root, '..', 'b', '.'));
    await rel.upload('x/y', new Uint8Array(1));
    await rel.delete('x/y');
    assert.equal(existsSync(root), true);
  });

  it('does not list empty directories or the uploads directory', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'empty/deeper'), { recursive: true });
    mkdirSync(join(root, UPLOADS_DIR));
    writeFileSync(join(root, UPLOADS_DIR, 'partial'), 'x');
    const b = new FilesystemBucket(root);
    await b.upload('full/x', new Uint8Array(1));
    assert.deepEqual(await collect(b.iter('')), ['full/']);
    assert.deepEqual(await collect(b.iter('', { recursive: true })), ['full/x']);
    assert.deepEqual(await collect(b.iter('empty')), []);
  });

  it('reserves the uploads directory and refuses a file where a directory is (and back)', async () => {
    const b = new FilesystemBucket(tempDir());
    await assert.rejects(b.upload(`${UPLOADS_DIR}/x`, new Uint8Array(1)), (err) => err instanceof ObjstoreError && err.code === 'invalid_object_name');
    await b.upload('a/b', new Uint8Array(1));
    await assert.rejects(b.upload('a', new Uint8Array(1)), (err) => err instanceof ObjstoreError && err.code === 'objstore_backend');
    await assert.rejects(b.upload('a/b/c', new Uint8Array(1)), (err) => err instanceof ObjstoreError && err.code === 'objstore_backend');
    assert.deepEqual(await collect(b.iter('', { recursive: true })), ['a/b']);
  });

  it('createBucket builds a filesystem bucket by default, under storage_prefix if set', async () => {
    const config = bucketConfigSchema.parse({});
    assert.equal(config.backend, 'filesystem');
    assert.equal(config.filesystem.dir, '');
    const root = tempDir();
    const b = createBucket(bucketConfigSchema.parse({ filesystem: { dir: root }, storage_prefix: 'blocks' }));
    await b.upload('t/x', new TextEncoder().encode('x'));
    assert.equal(readFileSync(join(root, 'blocks/t/x'), 'utf8'), 'x');
    assert.deepEqual(await collect(b.iter('')), ['t/']);
    await b.close();
  });
});
