// The bucket index (Mimir's bucket-index.json.gz): per tenant, every complete block and every
// deletion mark, written by the compactor after each pass so that queriers and store-gateways
// know the blocks without listing the bucket. JSON field names are Mimir's.
import { gunzipSync, gzipSync } from 'node:zlib';
import { isULID, type BlockMeta } from '../tsdb/index.ts';
import type { IndexBucket } from './bucket.ts';
import { MARKERS_DIR, parseDeletionMark, ulidOfGlobalDeletionMark } from './markers.ts';

export const BUCKET_INDEX_FILE = 'bucket-index.json.gz';

export interface IndexBlock {
  block_id: string;
  /** Milliseconds, as in meta.json (max exclusive). */
  min_time: number;
  max_time: number;
  /** Unix seconds when the index first listed the block. */
  uploaded_at: number;
  /** Chunk segment file names: "1b6d" = 000001…, numbered (Mimir's format code). */
  segments_format: string;
  segments_num: number;
}

export interface IndexDeletionMark {
  block_id: string;
  /** Unix seconds. */
  deletion_time: number;
}

export interface BucketIndex {
  version: 1;
  blocks: IndexBlock[];
  block_deletion_marks: IndexDeletionMark[];
  /** Unix seconds. */
  updated_at: number;
}

/** Raised for a missing object; the bucket's own not-found check is injected to stay independent of it. */
export type NotFound = (err: unknown) => boolean;

export function encodeBucketIndex(idx: BucketIndex): Uint8Array {
  return gzipSync(JSON.stringify(idx));
}

export function decodeBucketIndex(bytes: Uint8Array): BucketIndex {
  const doc = JSON.parse(gunzipSync(bytes).toString('utf8')) as Partial<BucketIndex>;
  if (doc.version !== 1 || !Array.isArray(doc.blocks) || !Array.isArray(doc.block_deletion_marks)) {
    throw new Error(`${BUCKET_INDEX_FILE}: unsupported or malformed index (expected version 1 with blocks and block_deletion_marks)`);
  }
  return doc as BucketIndex;
}

/** The tenant's index, or undefined when none was written yet. */
export async function readBucketIndex(bucket: IndexBucket, notFound: NotFound): Promise<BucketIndex | undefined> {
  try {
    return decodeBucketIndex(await bucket.get(BUCKET_INDEX_FILE));
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

export async function writeBucketIndex(bucket: IndexBucket, idx: BucketIndex): Promise<void> {
  await bucket.upload(BUCKET_INDEX_FILE, encodeBucketIndex(idx));
}

export function indexBlockOf(meta: BlockMeta, uploadedAt: number): IndexBlock {
  return {
    block_id: meta.ulid,
    min_time: meta.minTime,
    max_time: meta.maxTime,
    uploaded_at: uploadedAt,
    segments_format: '1b6d',
    segments_num: 0,
  };
}

export interface UpdatedIndex {
  readonly index: BucketIndex;
  /** Block directories without meta.json: being uploaded, or left by an interrupted upload. */
  readonly partials: readonly string[];
  /** meta.json of the blocks read in this update (not those reused from the old index). */
  readonly metas: ReadonlyMap<string, BlockMeta>;
}

/**
 * The index of the bucket as it is now: blocks already in `old` are kept as they were, new block
 * directories have their meta.json read, every deletion mark under `markers/` is listed.
 */
export async function updateBucketIndex(bucket: IndexBucket, notFound: NotFound, old: BucketIndex | undefined, now: number = Date.now()): Promise<UpdatedIndex> {
  const known = new Map((old?.blocks ?? []).map((b) => [b.block_id, b]));
  const blocks: IndexBlock[] = [];
  const partials: string[] = [];
  const metas = new Map<string, BlockMeta>();
  const nowSec = Math.floor(now / 1000);
  for await (const entry of bucket.iter('')) {
    if (!entry.endsWith('/')) continue;
    const ulid = entry.slice(0, -1);
    if (!isULID(ulid)) continue;
    const had = known.get(ulid);
    if (had) {
      blocks.push(had);
      continue;
    }
    let meta: BlockMeta;
    try {
      meta = JSON.parse(new TextDecoder().decode(await bucket.get(`${ulid}/meta.json`))) as BlockMeta;
    } catch (err) {
      if (notFound(err)) {
        partials.push(ulid);
        continue;
      }
      throw err;
    }
    metas.set(ulid, meta);
    const segments = await countSegments(bucket, ulid);
    blocks.push({ ...indexBlockOf(meta, nowSec), segments_num: segments });
  }
  const marks: IndexDeletionMark[] = [];
  for await (const name of bucket.iter(`${MARKERS_DIR}/`)) {
    const ulid = ulidOfGlobalDeletionMark(name);
    if (ulid === undefined) continue;
    try {
      const m = parseDeletionMark(await bucket.get(name), name);
      marks.push({ block_id: m.id, deletion_time: m.deletion_time });
    } catch (err) {
      if (!notFound(err)) throw err; // deleted meanwhile
    }
  }
  blocks.sort((a, b) => (a.block_id < b.block_id ? -1 : a.block_id > b.block_id ? 1 : 0));
  return { index: { version: 1, blocks, block_deletion_marks: marks, updated_at: nowSec }, partials, metas };
}

async function countSegments(bucket: IndexBucket, ulid: string): Promise<number> {
  let n = 0;
  for await (const name of bucket.iter(`${ulid}/chunks/`)) if (/\/\d{6}$/.test(name)) n++;
  return n;
}
