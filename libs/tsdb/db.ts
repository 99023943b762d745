// A TSDB: the head (with its WAL) plus the local blocks cut from it. Cuts a block of
// `blockRange` once the head spans 1.5× that, checkpoints the WAL, and applies retention.

import { readdir, rm } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareLabels, compareStrings, type FloatHistogram, type Histogram, type Labels, type Matcher } from '../model/index.ts';
import {
  mergeSeriesSets, type Appendable, type Appender, type Querier, type Queryable, type QueryOptions, type SelectHints,
  type SeriesRef, type SeriesSet,
} from '../storage/index.ts';
import { nopLogger, type Logger } from '../log/index.ts';
import { Block, clampChunks, writeBlock, type ChunkSeriesEntry } from './block.ts';
import { Head, type HeadLog, type TxnSamples } from './head/head.ts';
import type { MemSeries } from './head/series.ts';
import { isULID, type ThanosMeta } from './meta/index.ts';
import {
  checkpoint, decodeHistogramSamples, decodeSamples, decodeSeries, encodeHistogramSamples, encodeSamples, encodeSeries, isFloatHistogramRecord,
  recordType, replayRecords, RecordType, SampleBatch, WAL, type FsyncPolicy, type RefHistogramSample,
} from './wal/index.ts';
import { Encbuf } from './encoding/index.ts';

export const HOUR = 3_600_000;

export interface DBOptions {
  /** Block range in ms (default 2h). */
  blockRange?: number;
  /** Blocks whose max time is this much older than the newest block's are deleted; 0 keeps all. */
  retention?: number;
  walFsync?: FsyncPolicy;
  walSegmentSize?: number;
  samplesPerChunk?: number;
  /** Cut blocks automatically after commits when the head is large enough (default true). */
  autoCompact?: boolean;
  /** `thanos` section for meta.json of blocks cut by this DB. */
  thanos?: ThanosMeta;
  /** Whether retention may delete a block yet (an ingester keeps blocks until they are shipped). */
  deletable?: (ulid: string) => boolean;
  logger?: Logger;
}

export class DB implements Queryable, Appendable {
  private blockList: Block[] = [];
  private compacting: Promise<void> | undefined;
  // Block cuts run one at a time (explicit calls and background ones alike).
  private cutQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly head: Head,
    private readonly wal: WAL,
    private readonly opts: Required<Omit<DBOptions, 'thanos' | 'walSegmentSize'>> & Pick<DBOptions, 'thanos'>,
  ) {}

  /** Opens (or creates) the DB in `dir`: loads blocks, replays the WAL into the head. */
  static async open(dir: string, options: DBOptions = {}): Promise<DB> {
    const opts = {
      blockRange: options.blockRange ?? 2 * HOUR,
      retention: options.retention ?? 0,
      walFsync: options.walFsync ?? 'never',
      samplesPerChunk: options.samplesPerChunk ?? 120,
      autoCompact: options.autoCompact ?? true,
      // Blocks carry a thanos section so object-storage tooling can group them; callers add labels.
      thanos: options.thanos ?? { labels: {}, downsample: { resolution: 0 }, source: 'head' },
      deletable: options.deletable ?? (() => true),
      logger: options.logger ?? nopLogger,
    };
    mkdirSync(dir, { recursive: true });
    const blocks = await openBlocks(dir, opts.logger);
    const head = new Head({ chunkRange: opts.blockRange, samplesPerChunk: opts.samplesPerChunk });
    head.minValidTime = blocks.length > 0 ? Math.max(...blocks.map((b) => b.meta.maxTime)) : -Infinity;
    const walDir = join(dir, 'wal');
    // Opening the WAL first repairs a torn tail, so replay sees only complete records.
    const wal = await WAL.open(walDir, {
      fsync: opts.walFsync,
      logger: opts.logger,
      ...(options.walSegmentSize ? { segmentSize: options.walSegmentSize } : {}),
    });
    const started = Date.now();
    const replayed = replayWAL(head, walDir);
    opts.logger.info({ ...replayed, series: head.numSeries(), ms: Date.now() - started }, 'WAL replayed');
    head.setLog(new WALHeadLog(wal));
    const db = new DB(dir, head, wal, opts);
    db.blockList = blocks;
    return db;
  }

  blocks(): readonly Block[] {
    return this.blockList;
  }

  appender(): Appender {
    return new DBAppender(this, this.head.appender());
  }

  /** After a commit: cut blocks in the background once the head is large enough. */
  afterCommit(): void {
    if (this.opts.autoCompact && this.compactable()) this.compactInBackground();
  }

  /** Whether the head spans more than 1.5 block ranges (Prometheus' rule). */
  compactable(): boolean {
    return !this.head.isEmpty() && this.head.maxTime - this.head.minTime > (this.opts.blockRange / 2) * 3;
  }

  private compactInBackground(): void {
    if (this.compacting || this.closed) return;
    this.compacting = this.compact()
      .catch((e: unknown) => this.opts.logger.error({ err: e }, 'head compaction failed'))
      .finally(() => (this.compacting = undefined));
  }

  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.cutQueue.then(fn);
    this.cutQueue = run.catch(() => undefined);
    return run;
  }

  /** Applies retention now (e.g. once blocks it kept back have been shipped). */
  retain(): Promise<void> {
    return this.serialized(() => this.applyRetention());
  }

  /** Cuts blocks from the head while it is compactable, then applies retention. */
  compact(): Promise<void> {
    return this.serialized(() => this.compactNow());
  }

  private async compactNow(): Promise<void> {
    while (this.compactable()) {
      const mint = Math.floor(this.head.minTime / this.opts.blockRange) * this.opts.blockRange;
      await this.cutBlock(mint, mint + this.opts.blockRange);
    }
    await this.applyRetention();
  }

  /** Writes everything in the head into blocks (aligned to the block range) and empties it. */
  flush(): Promise<void> {
    return this.serialized(() => this.flushNow());
  }

  private async flushNow(): Promise<void> {
    while (!this.head.isEmpty()) {
      const mint = Math.floor(this.head.minTime / this.opts.blockRange) * this.opts.blockRange;
      await this.cutBlock(mint, Math.min(mint + this.opts.blockRange, this.head.maxTime + 1));
    }
    await this.applyRetention();
  }

  /** Writes head data in [mint, maxt) to a block, then truncates head and WAL. */
  private async cutBlock(mint: number, maxt: number): Promise<void> {
    const series = headChunkSeries(this.head, mint, maxt - 1);
    if (series.length > 0) {
      const meta = await writeBlock(this.dir, series, {
        minTime: mint,
        maxTime: maxt,
        ...(this.opts.thanos ? { thanos: this.opts.thanos } : {}),
      });
      this.blockList.push(await Block.open(join(this.dir, meta.ulid)));
      this.blockList.sort((a, b) => a.meta.minTime - b.meta.minTime);
      this.opts.logger.info({ ulid: meta.ulid, mint, maxt, series: meta.stats.numSeries, samples: meta.stats.numSamples }, 'block cut from head');
    }
    this.head.truncate(maxt);
    await this.truncateWAL(maxt);
  }

  /** Checkpoints every closed WAL segment keeping only live series and samples >= mint, then deletes them. */
  private async truncateWAL(mint: number): Promise<void> {
    const last = (await this.wal.nextSegment()) - 1;
    const first = this.wal.segments().first;
    if (last < first) return;
    await checkpoint(this.wal, first, last, (ref) => this.head.series(ref) !== undefined, mint, { logger: this.opts.logger });
    await this.wal.truncate(last + 1);
  }

  private async applyRetention(): Promise<void> {
    if (this.opts.retention <= 0 || this.blockList.length === 0) return;
    const newest = Math.max(...this.blockList.map((b) => b.meta.maxTime));
    const expired = this.blockList.filter((b) => newest - b.meta.maxTime >= this.opts.retention && this.opts.deletable(b.ulid));
    if (expired.length === 0) return;
    this.blockList = this.blockList.filter((b) => !expired.includes(b));
    for (const b of expired) {
      b.close();
      await rm(b.dir, { recursive: true, force: true });
      this.opts.logger.info({ ulid: b.ulid }, 'block deleted by retention');
    }
  }

  querier(mint: number, maxt: number): Querier {
    const queriers: Querier[] = [];
    for (const b of this.blockList) if (b.overlaps(mint, maxt)) queriers.push(b.querier(mint, maxt));
    if (!this.head.isEmpty() && maxt >= this.head.minTime && mint <= this.head.maxTime) queriers.push(this.head.querier(mint, maxt));
    return new MergeQuerier(queriers);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.compacting) await this.compacting;
    await this.wal.close();
    for (const b of this.blockList) b.close();
  }
}

class DBAppender implements Appender {
  constructor(
    private readonly db: DB,
    private readonly inner: Appender,
  ) {}

  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    return this.inner.append(ref, labels, t, v);
  }

  appendHistogram(ref: SeriesRef, labels: Labels, t: number, h: Histogram | undefined, fh?: FloatHistogram): SeriesRef {
    return this.inner.appendHistogram(ref, labels, t, h, fh);
  }

  async commit(): Promise<void> {
    await this.inner.commit();
    this.db.afterCommit();
  }

  rollback(): void {
    this.inner.rollback();
  }
}

/** The head's series in [mint, maxt] (inclusive), sorted by labels, chunks clamped to the range. */
export function headChunkSeries(head: Head, mint: number, maxt: number): ChunkSeriesEntry[] {
  const out: ChunkSeriesEntry[] = [];
  for (const s of head.allSeries()) {
    const chunks = clampChunks(s.chunks(mint, maxt), mint, maxt);
    if (chunks.length > 0) out.push({ labels: s.labels, chunks });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

/** Merges the queriers of several sources (blocks and head) into one. */
export class MergeQuerier implements Querier {
  constructor(private readonly queriers: readonly Querier[]) {}

  select(sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[], opts?: QueryOptions): SeriesSet {
    if (this.queriers.length === 1) return this.queriers[0]!.select(sorted, hints, matchers, opts);
    // Merging needs every input sorted.
    return mergeSeriesSets(this.queriers.map((q) => q.select(true, hints, matchers, opts)));
  }

  async labelNames(matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]> {
    return unionSorted(await Promise.all(this.queriers.map((q) => q.labelNames(matchers, opts))));
  }

  async labelValues(name: string, matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]> {
    return unionSorted(await Promise.all(this.queriers.map((q) => q.labelValues(name, matchers, opts))));
  }

  close(): void {
    for (const q of this.queriers) q.close();
  }
}

function unionSorted(lists: string[][]): string[] {
  if (lists.length === 1) return lists[0]!;
  return [...new Set(lists.flat())].sort(compareStrings);
}

async function openBlocks(dir: string, logger: Logger): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    if (e.name.endsWith('.tmp-for-creation') || e.name.endsWith('.tmp-for-deletion')) {
      // Left by a crash mid-write: never complete, so never visible.
      await rm(join(dir, e.name), { recursive: true, force: true });
      continue;
    }
    if (!isULID(e.name)) continue;
    try {
      blocks.push(await Block.open(join(dir, e.name)));
    } catch (err) {
      logger.warn({ err, block: e.name }, 'skipping unreadable block');
    }
  }
  return blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
}

/** Replays checkpoint and segments into the head. Samples already in blocks are skipped. */
function replayWAL(head: Head, walDir: string): { records: number; samples: number; unknownRefs: number } {
  const byWalRef = new Map<number, MemSeries>();
  const batch = new SampleBatch(1024);
  const histograms: RefHistogramSample[] = [];
  let records = 0;
  let samples = 0;
  let unknownRefs = 0;
  for (const rec of replayRecords(walDir)) {
    records++;
    switch (recordType(rec)) {
      case RecordType.Series:
        for (const { ref, labels } of decodeSeries(rec)) {
          const { series } = head.getOrCreate(labels, ref);
          series.logged = true;
          byWalRef.set(ref, series);
        }
        break;
      case RecordType.Samples: {
        batch.reset();
        decodeSamples(rec, batch);
        const { refs, ts, vs } = batch;
        for (let i = 0; i < batch.length; i++) {
          const s = byWalRef.get(refs[i]!);
          if (s === undefined) {
            unknownRefs++;
            continue;
          }
          if (ts[i]! < head.minValidTime) continue;
          if (head.applySample(s, ts[i]!, vs[i]!)) samples++;
        }
        break;
      }
      case RecordType.HistogramSamples:
      case RecordType.FloatHistogramSamples:
      case RecordType.CustomBucketsHistogramSamples:
      case RecordType.CustomBucketsFloatHistogramSamples: {
        const float = isFloatHistogramRecord(rec[0]!);
        const n = decodeHistogramSamples(rec, histograms);
        for (let i = 0; i < n; i++) {
          const x = histograms[i]!;
          const s = byWalRef.get(x.ref);
          if (s === undefined) {
            unknownRefs++;
            continue;
          }
          if (x.t < head.minValidTime) continue;
          if (head.applyHistogram(s, x.t, x.h, float)) samples++;
        }
        break;
      }
      default:
        // Tombstones: the head has no deletion API yet, so a WAL of ours never holds them.
        break;
    }
  }
  return { records, samples, unknownRefs };
}

/**
 * Logs head commits to the WAL: a series record for new series, then per batch the samples
 * record and the histogram records (integer, then float; each split off custom buckets).
 */
class WALHeadLog implements HeadLog {
  private readonly seriesEnc = new Encbuf(4096);
  private readonly samplesEnc = new Encbuf(64 * 1024);

  constructor(private readonly wal: WAL) {}

  logCommit(newSeries: readonly MemSeries[], txn: TxnSamples): Promise<void> {
    // WAL.log writes synchronously, so the encoders can be reused right after the call.
    this.seriesEnc.reset();
    this.samplesEnc.reset();
    const recs: Uint8Array[] = [];
    if (newSeries.length > 0) recs.push(encodeSeries(newSeries.map((s) => ({ ref: s.ref, labels: s.labels })), this.seriesEnc));
    for (let b: TxnSamples | undefined = txn; b !== undefined; b = b.next) {
      if (b.batch.length > 0) recs.push(encodeSamples(b.batch, 0, b.batch.length, this.samplesEnc));
      if (b.histograms.length > 0) recs.push(...encodeHistogramSamples(b.histograms, false, this.samplesEnc));
      if (b.floatHistograms.length > 0) recs.push(...encodeHistogramSamples(b.floatHistograms, true, this.samplesEnc));
    }
    return this.wal.log(...recs);
  }
}
