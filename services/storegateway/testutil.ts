// Test helpers: a filesystem-backed StoreBucket (a directory of files, ranges read at offsets)
// that counts its reads, and uploading local blocks plus a bucket index into it. The real
// filesystem and S3 buckets of libs/objstore replace it once merged.
import { cp, mkdir, open, readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeBucketIndex, globalDeletionMarkPath, indexBlockOf, type BucketIndex } from '../../libs/bucketindex/index.ts';
import { readMeta } from '../../libs/tsdb/index.ts';
import type { StoreBucket } from './bucket.ts';

export class NotFoundError extends Error {
  readonly code = 'not_found';
}

export const isNotFound = (err: unknown): boolean => err instanceof NotFoundError;

export class FsBucket implements StoreBucket {
  /** Every get/getRange/attributes call, as "op name". */
  readonly calls: string[] = [];

  constructor(readonly root: string) {}

  private path(name: string): string {
    if (name.split('/').includes('..')) throw new Error(`bad object name ${name}`);
    return join(this.root, name);
  }

  private notFound<T>(name: string, err: unknown): T {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`object ${name} not found`);
    throw err;
  }

  async get(name: string): Promise<Uint8Array> {
    this.calls.push(`get ${name}`);
    return readFile(this.path(name)).catch((e: unknown) => this.notFound(name, e));
  }

  async getRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    this.calls.push(`getRange ${name}`);
    const fh = await open(this.path(name), 'r').catch((e: unknown) => this.notFound<never>(name, e));
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async attributes(name: string): Promise<{ size: number; lastModified: Date }> {
    this.calls.push(`attributes ${name}`);
    const s = await stat(this.path(name)).catch((e: unknown) => this.notFound<never>(name, e));
    return { size: s.size, lastModified: s.mtime };
  }

  async *iter(dir: string, opts?: { recursive?: boolean }): AsyncIterable<string> {
    const base = dir === '' || dir.endsWith('/') ? dir : `${dir}/`;
    let entries;
    try {
      entries = await readdir(this.path(base), { withFileTypes: true, recursive: opts?.recursive === true });
    } catch {
      return;
    }
    const names = entries
      .map((e) => {
        const rel = join(e.parentPath, e.name).slice(this.path(base).replace(/\/$/, '').length + 1);
        if (e.isDirectory()) return opts?.recursive ? undefined : `${base}${rel}/`;
        return `${base}${rel}`;
      })
      .filter((n): n is string => n !== undefined)
      .sort();
    yield* names;
  }

  async exists(name: string): Promise<boolean> {
    return stat(this.path(name)).then(() => true, () => false);
  }

  /** Reads of objects under `prefix` (get, getRange, attributes). */
  readsUnder(prefix: string): number {
    return this.calls.filter((c) => c.split(' ')[1]!.startsWith(prefix)).length;
  }

  rangeReadsOf(name: string): number {
    return this.calls.filter((c) => c === `getRange ${name}`).length;
  }
}

/** Copies local block directories into `<root>/<tenant>/` and writes the tenant's bucket index. */
export async function uploadBlocks(root: string, tenant: string, blockDirs: readonly string[], deletionMarks: Record<string, number> = {}): Promise<BucketIndex> {
  const idx: BucketIndex = { version: 1, blocks: [], block_deletion_marks: [], updated_at: Math.floor(Date.now() / 1000) };
  for (const dir of blockDirs) {
    const meta = await readMeta(dir);
    await cp(dir, join(root, tenant, meta.ulid), { recursive: true });
    idx.blocks.push(indexBlockOf(meta, idx.updated_at));
  }
  for (const [id, t] of Object.entries(deletionMarks)) {
    idx.block_deletion_marks.push({ block_id: id, deletion_time: t });
    const p = join(root, tenant, globalDeletionMarkPath(id));
    await mkdir(dirname(p), { recursive: true });
    const fh = await open(p, 'w');
    await fh.writeFile(JSON.stringify({ id, deletion_time: t, version: 1 }));
    await fh.close();
  }
  await writeIndex(root, tenant, idx);
  return idx;
}

export async function writeIndex(root: string, tenant: string, idx: BucketIndex): Promise<void> {
  await mkdir(join(root, tenant), { recursive: true });
  const fh = await open(join(root, tenant, 'bucket-index.json.gz'), 'w');
  await fh.writeFile(encodeBucketIndex(idx));
  await fh.close();
}
