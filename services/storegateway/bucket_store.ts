// A tenant's blocks in object storage as a store-gateway serves them (Mimir's BucketStore): the
// block list comes from the tenant's bucket index; each owned block gets an index-header on local
// disk; queries read postings, series and chunks by range through the caches.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readBucketIndex, type IndexBucket } from '../../libs/bucketindex/index.ts';
import type { Cache } from '../../libs/cache/index.ts';
import { nopLogger, type Logger } from '../../libs/log/index.ts';
import { compareLabels, compareStrings, type Labels, type Matcher } from '../../libs/model/index.ts';
import { EMPTY_SERIES_SET, MergedSeries, type Querier, type QueryOptions, type Queryable, type SelectHints, type Series, type SeriesSet } from '../../libs/storage/index.ts';
import { ChunkSeries, isULID, type TimedChunk } from '../../libs/tsdb/index.ts';
import type { IsNotFound, StoreBucket } from './bucket.ts';
import { BucketBlock, type BlockReadOptions } from './bucket_block.ts';
import { INDEX_HEADER_FILE, IndexHeader } from './index_header.ts';
import { QueryLimiter, type StoreQueryLimits } from './limits.ts';

export interface BucketStoreConfig {
  /** This tenant's local directory; index-headers go to `<dir>/<ULID>/index-header`. */
  readonly dir: string;
  /** Blocks marked for deletion longer ago than this are no longer served (Mimir's ignore_deletion_marks_delay). */
  readonly ignoreDeletionMarksDelayMs: number;
  /** Index-headers prepared at once during a sync. */
  readonly blockSyncConcurrency: number;
  /** Series read from one block per batch of a query. */
  readonly seriesBatchSize: number;
  readonly read: BlockReadOptions;
}

export interface BucketStoreDeps {
  readonly tenant: string;
  /** The tenant's part of the bucket (names like `<ULID>/index`). */
  readonly bucket: StoreBucket;
  readonly isNotFound: IsNotFound;
  /** Postings and series. */
  readonly indexCache: Cache;
  readonly chunksCache: Cache;
  /** Whether this store-gateway serves a block (the sharding ring's answer); all blocks when absent. */
  readonly owns?: (blockId: string) => boolean;
  /** The tenant's current limits, read once per query. */
  readonly limits?: () => StoreQueryLimits;
  readonly logger?: Logger;
  /** Clock, ms (tests). */
  readonly now?: () => number;
}

/** start and end are inclusive ms. */
export interface SeriesRequest {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
  /** Only labels: series come without chunks. */
  readonly skipChunks?: boolean;
  /** Query only these blocks (those of them this store has); all blocks of the range when absent. */
  readonly blockIds?: readonly string[];
}

export interface LabelsRequest {
  readonly start: number;
  readonly end: number;
  readonly matchers: readonly Matcher[];
  readonly blockIds?: readonly string[];
}

/** One series with its chunks as stored (from every queried block, sorted by minTime). */
export interface StoreSeries {
  readonly labels: Labels;
  readonly chunks: readonly TimedChunk[];
}

/** The answer to a series request: the blocks it reads, and their series sorted by labels. */
export interface SeriesStream {
  readonly queriedBlocks: readonly string[];
  readonly series: AsyncIterable<StoreSeries>;
}

/** Label names or values, and the blocks they were read from. */
export interface LabelsResult {
  readonly values: string[];
  readonly queriedBlocks: string[];
}

export interface BlockInfo {
  readonly id: string;
  readonly minTime: number;
  readonly maxTime: number;
}

const NO_LIMITS: StoreQueryLimits = { max_fetched_series_per_query: 0, max_fetched_chunk_bytes_per_query: 0 };

export class BucketStore implements Queryable {
  private blocksById = new Map<string, BucketBlock>();
  private syncing: Promise<void> | undefined;
  private firstSync = true;
  private readonly logger: Logger;

  /** Does no I/O: call `sync()` to load the blocks. */
  constructor(
    private readonly cfg: BucketStoreConfig,
    private readonly deps: BucketStoreDeps,
  ) {
    this.logger = (deps.logger ?? nopLogger).child({ tenant: deps.tenant });
  }

  /**
   * Brings the served blocks in line with the bucket index: prepares the index-headers of new
   * owned blocks (from local disk when present, else from the bucket), drops the blocks that
   * left the index, are no longer owned or were marked for deletion long enough ago. A block whose
   * header cannot be prepared is skipped (logged) and tried again at the next sync. Concurrent
   * calls share one run.
   */
  sync(): Promise<void> {
    this.syncing ??= this.doSync().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    const idx = await readBucketIndex(indexBucket(this.deps.bucket), this.deps.isNotFound);
    const now = (this.deps.now ?? Date.now)();
    const marks = new Map((idx?.block_deletion_marks ?? []).map((m) => [m.block_id, m.deletion_time * 1000]));
    const owns = this.deps.owns ?? (() => true);
    const wanted = (idx?.blocks ?? []).filter((b) => {
      const marked = marks.get(b.block_id);
      if (marked !== undefined && now - marked > this.cfg.ignoreDeletionMarksDelayMs) return false;
      return owns(b.block_id);
    });
    const wantedIds = new Set(wanted.map((b) => b.block_id));
    const todo = wanted.filter((b) => !this.blocksById.has(b.block_id));
    let next = 0;
    const added: BucketBlock[] = [];
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const b = todo[next++]!;
        try {
          added.push(await this.openBlock(b.block_id, b.min_time, b.max_time));
        } catch (err) {
          this.logger.warn({ block: b.block_id, err: (err as Error).message }, 'cannot prepare block index-header; will retry at the next sync');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.cfg.blockSyncConcurrency, todo.length)) }, worker));

    const blocks = new Map<string, BucketBlock>();
    for (const [id, b] of this.blocksById) if (wantedIds.has(id)) blocks.set(id, b);
    for (const b of added) blocks.set(b.id, b);
    const dropped = [...this.blocksById.keys()].filter((id) => !blocks.has(id));
    this.blocksById = blocks;
    // Queries in flight keep their blocks (headers live in memory); only the local files go.
    for (const id of dropped) await rm(join(this.cfg.dir, id), { recursive: true, force: true });
    if (this.firstSync) {
      this.firstSync = false;
      await this.removeStrayDirs(wantedIds);
    }
  }

  private async removeStrayDirs(keep: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.cfg.dir);
    } catch {
      return;
    }
    for (const n of names) if (isULID(n) && !keep.has(n)) await rm(join(this.cfg.dir, n), { recursive: true, force: true });
  }

  private async openBlock(id: string, minTime: number, maxTime: number): Promise<BucketBlock> {
    const path = join(this.cfg.dir, id, INDEX_HEADER_FILE);
    let header: IndexHeader | undefined;
    try {
      header = await IndexHeader.load(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ block: id, err: (err as Error).message }, 'local index-header unreadable; rebuilding it');
    }
    if (header === undefined) {
      const { bucket } = this.deps;
      const size = (await bucket.attributes(`${id}/index`)).size;
      const segments: string[] = [];
      for await (const name of bucket.iter(`${id}/chunks/`)) if (/\/\d{6}$/.test(name)) segments.push(name);
      segments.sort();
      const sizes = await Promise.all(segments.map(async (s) => (await bucket.attributes(s)).size));
      header = await IndexHeader.build((o, l) => bucket.getRange(`${id}/index`, o, l), size, sizes);
      await mkdir(join(this.cfg.dir, id), { recursive: true });
      await header.save(path);
    }
    return new BucketBlock(id, minTime, maxTime, header, {
      bucket: this.deps.bucket,
      tenant: this.deps.tenant,
      indexCache: this.deps.indexCache,
      chunksCache: this.deps.chunksCache,
      options: this.cfg.read,
    });
  }

  /** The served blocks, by ULID. */
  blocks(): BlockInfo[] {
    return [...this.blocksById.values()].map((b) => ({ id: b.id, minTime: b.minTime, maxTime: b.maxTime })).sort((a, b) => compareStrings(a.id, b.id));
  }

  /** The served block `id` (its read counters, its header), for tests and tools. */
  block(id: string): BucketBlock | undefined {
    return this.blocksById.get(id);
  }

  private blocksFor(start: number, end: number, ids: readonly string[] | undefined): BucketBlock[] {
    const only = ids === undefined ? undefined : new Set(ids);
    return [...this.blocksById.values()].filter((b) => b.overlaps(start, end) && (only === undefined || only.has(b.id))).sort((a, b) => compareStrings(a.id, b.id));
  }

  /**
   * The series matching the request in the blocks of its range, merged by labels and sorted,
   * with their chunks overlapping [start, end] (as stored, not cut). Limits are checked while
   * streaming: iterating throws a QueryLimitError once one is exceeded.
   */
  series(req: SeriesRequest, opts: QueryOptions = {}): SeriesStream {
    const blocks = req.start > req.end ? [] : this.blocksFor(req.start, req.end, req.blockIds);
    const limiter = new QueryLimiter((this.deps.limits ?? (() => NO_LIMITS))());
    return { queriedBlocks: blocks.map((b) => b.id), series: mergeBlockSeries(blocks.map((b) => this.blockSeries(b, req, limiter, opts.signal)), limiter) };
  }

  private async *blockSeries(b: BucketBlock, req: SeriesRequest, limiter: QueryLimiter, signal: AbortSignal | undefined): AsyncGenerator<StoreSeries> {
    signal?.throwIfAborted();
    const refs = await b.postings(req.matchers);
    for (let i = 0; i < refs.length; i += this.cfg.seriesBatchSize) {
      signal?.throwIfAborted();
      const batch = await b.series(refs.subarray(i, i + this.cfg.seriesBatchSize));
      const kept = batch
        .map((s) => ({ labels: s.labels, metas: s.chunks.filter((c) => c.maxTime >= req.start && c.minTime <= req.end) }))
        .filter((s) => s.metas.length > 0);
      if (req.skipChunks) {
        for (const s of kept) yield { labels: s.labels, chunks: [] };
        continue;
      }
      const { chunks, bytes } = await b.chunks(kept.flatMap((s) => s.metas.map((m) => m.ref)));
      limiter.addChunkBytes(bytes);
      for (const s of kept) yield { labels: s.labels, chunks: s.metas.map((m) => ({ chunk: chunks.get(m.ref)!, minTime: m.minTime, maxTime: m.maxTime })) };
    }
  }

  /** Sorted label names of the series matching `matchers` in the blocks of the range (all names without matchers). */
  async labelNames(req: LabelsRequest): Promise<LabelsResult> {
    const names = new Set<string>();
    const blocks = this.blocksFor(req.start, req.end, req.blockIds);
    for (const b of blocks) {
      if (req.matchers.length === 0) for (const n of b.labelNames()) names.add(n);
      else for (const s of await this.matchingSeries(b, req.matchers)) s.labels.forEach((n) => names.add(n));
    }
    return { values: [...names].sort(compareStrings), queriedBlocks: blocks.map((b) => b.id) };
  }

  /** Sorted values of `name` among the series matching `matchers` in the blocks of the range. */
  async labelValues(req: LabelsRequest & { readonly name: string }): Promise<LabelsResult> {
    const values = new Set<string>();
    const blocks = this.blocksFor(req.start, req.end, req.blockIds);
    for (const b of blocks) {
      if (req.matchers.length === 0) for (const v of b.labelValues(req.name)) values.add(v);
      else {
        for (const s of await this.matchingSeries(b, req.matchers)) {
          const v = s.labels.get(req.name);
          if (v !== '') values.add(v);
        }
      }
    }
    return { values: [...values].sort(compareStrings), queriedBlocks: blocks.map((b) => b.id) };
  }

  private async matchingSeries(b: BucketBlock, matchers: readonly Matcher[]): Promise<{ labels: Labels }[]> {
    const refs = await b.postings(matchers);
    const out: { labels: Labels }[] = [];
    for (let i = 0; i < refs.length; i += this.cfg.seriesBatchSize) out.push(...(await b.series(refs.subarray(i, i + this.cfg.seriesBatchSize))));
    return out;
  }

  querier(mint: number, maxt: number): Querier {
    return new BucketStoreQuerier(this, mint, maxt);
  }

  /** Forgets the blocks (local files stay for the next start). */
  close(): void {
    this.blocksById = new Map();
  }
}

/** Merges per-block series streams (each sorted by labels) into one; equal labels become one series. */
async function* mergeBlockSeries(streams: AsyncGenerator<StoreSeries>[], limiter: QueryLimiter): AsyncGenerator<StoreSeries> {
  try {
    const heads = await Promise.all(streams.map(async (s) => (await s.next()).value as StoreSeries | undefined));
    for (;;) {
      let min: Labels | undefined;
      for (const h of heads) if (h && (!min || compareLabels(h.labels, min) < 0)) min = h.labels;
      if (!min) return;
      const same: number[] = [];
      for (let i = 0; i < heads.length; i++) if (heads[i] && compareLabels(heads[i]!.labels, min) === 0) same.push(i);
      const chunks = same.length === 1 ? heads[same[0]!]!.chunks : same.flatMap((i) => heads[i]!.chunks).sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
      limiter.addSeries(1);
      const next = await Promise.all(same.map(async (i) => (await streams[i]!.next()).value as StoreSeries | undefined));
      same.forEach((i, k) => (heads[i] = next[k]));
      yield { labels: min, chunks };
    }
  } finally {
    await Promise.all(streams.map((s) => s.return(undefined)));
  }
}

/**
 * A series from chunks of possibly overlapping blocks, read within [mint, maxt]: chunks that
 * overlap go to separate lanes merged by timestamp (equal timestamps once).
 */
export function seriesFromChunks(labels: Labels, chunks: readonly TimedChunk[], mint: number, maxt: number): Series {
  const lanes: TimedChunk[][] = [];
  for (const c of chunks) {
    const lane = lanes.find((l) => l[l.length - 1]!.maxTime < c.minTime);
    if (lane) lane.push(c);
    else lanes.push([c]);
  }
  if (lanes.length <= 1) return new ChunkSeries(labels, lanes[0] ?? [], mint, maxt);
  return new MergedSeries(labels, lanes.map((l) => new ChunkSeries(labels, l, mint, maxt)));
}

class BucketStoreQuerier implements Querier {
  constructor(
    private readonly store: BucketStore,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  select(_sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[], opts?: QueryOptions): SeriesSet {
    const start = Math.max(this.mint, hints?.start ?? -Infinity);
    const end = Math.min(this.maxt, hints?.end ?? Infinity);
    if (start > end) return EMPTY_SERIES_SET;
    const { series } = this.store.series({ start, end, matchers, skipChunks: hints?.seriesOnly === true }, opts);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const s of series) yield seriesFromChunks(s.labels, s.chunks, start, end);
      },
      warnings: () => [],
    };
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    return (await this.store.labelNames({ start: this.mint, end: this.maxt, matchers })).values;
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    return (await this.store.labelValues({ name, start: this.mint, end: this.maxt, matchers })).values;
  }

  close(): void {}
}

/** readBucketIndex needs only `get`; the writes of IndexBucket are never called by it. */
function indexBucket(b: StoreBucket): IndexBucket {
  const readOnly = (): Promise<void> => Promise.reject(new Error('the store-gateway does not write to the bucket'));
  return { get: (n) => b.get(n), iter: (d, o) => b.iter(d, o), upload: readOnly, delete: readOnly };
}
