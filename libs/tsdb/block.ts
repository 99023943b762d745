// Blocks: immutable directories in the Prometheus TSDB layout (meta.json, index, chunks/,
// tombstones). `writeBlock` turns any label-sorted set of chunked series into one; `Block`
// opens one and serves it as a Queryable.

import { mkdir, readdir, rename, rm, open as openFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { compareLabels, compareStrings, newHistogram, type FloatHistogram, type Histogram, type Labels, type Matcher } from '../model/index.ts';
import {
  EMPTY_SERIES_SET, ListSeriesSet, ValueType, type Querier, type Queryable, type SampleIterator, type SelectHints,
  type Series, type SeriesSet,
} from '../storage/index.ts';
import {
  Encoding, FloatHistogramChunk, HistogramChunk, XORChunk, type ChunkAppender, type HistogramAppenderBase, type HistogramChunkBase,
} from './chunkenc/index.ts';
import { ChunkReader, ChunkWriter, type ChunkMeta } from './chunks/index.ts';
import { IndexReader, IndexWriter } from './index/index.ts';
import { newULID, readMeta, writeMeta, type BlockDesc, type BlockMeta, type ThanosMeta } from './meta/index.ts';
import { readTombstones, writeTombstones, type Interval } from './tombstones/index.ts';
import { ChunkSeries, type TimedChunk } from './chunk_series.ts';
import { postingsForMatchers } from './postings_for_matchers.ts';

/** One series with its chunks, as a block writer consumes it. */
export interface ChunkSeriesEntry {
  readonly labels: Labels;
  readonly chunks: readonly TimedChunk[];
}

export interface WriteBlockOptions {
  /** Block time range in ms: [minTime, maxTime), maxTime exclusive as in meta.json. */
  minTime: number;
  maxTime: number;
  ulid?: string;
  thanos?: ThanosMeta;
  compactionLevel?: number;
  /** The head blocks whose data this block holds (default: itself) and the blocks it was compacted from. */
  sources?: readonly string[];
  parents?: readonly BlockDesc[];
  /** Max bytes per chunk segment file (tests use small ones). */
  segmentSize?: number;
}

/**
 * Writes a block into `parentDir/<ULID>` from series sorted by labels and returns its meta.
 * The block is built in a temporary directory and renamed into place after meta.json is
 * written, so a crash never leaves a partial block under a ULID name. Series without chunks
 * are skipped. Buffers series labels and chunk refs (not chunk data) in memory.
 */
export async function writeBlock(
  parentDir: string,
  series: Iterable<ChunkSeriesEntry> | AsyncIterable<ChunkSeriesEntry>,
  opts: WriteBlockOptions,
): Promise<BlockMeta> {
  const ulid = opts.ulid ?? newULID();
  const tmp = join(parentDir, `${ulid}.tmp-for-creation`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const cw = await ChunkWriter.create(join(tmp, 'chunks'), opts.segmentSize ? { segmentSize: opts.segmentSize } : undefined);
    const written: { labels: Labels; metas: ChunkMeta[] }[] = [];
    const symbols = new Set<string>();
    let numSamples = 0;
    let numFloatSamples = 0;
    let numHistogramSamples = 0;
    let numChunks = 0;
    let prev: Labels | undefined;
    for await (const s of series) {
      if (s.chunks.length === 0) continue;
      if (prev !== undefined && compareLabels(prev, s.labels) >= 0) {
        throw new Error(`writeBlock: series out of order or duplicated: ${s.labels.toString()} after ${prev.toString()}`);
      }
      prev = s.labels;
      const metas: ChunkMeta[] = s.chunks.map((c) => ({ ref: 0, minTime: c.minTime, maxTime: c.maxTime, chunk: c.chunk }));
      cw.writeChunks(metas);
      for (const m of metas) {
        const n = m.chunk!.numSamples();
        numSamples += n;
        if (m.chunk!.encoding === Encoding.XOR) numFloatSamples += n;
        else numHistogramSamples += n;
        delete m.chunk; // keep refs only: chunk data is on disk now
      }
      numChunks += metas.length;
      s.labels.forEach((n, v) => {
        symbols.add(n);
        symbols.add(v);
      });
      written.push({ labels: s.labels, metas });
    }
    await cw.close();

    const iw = await IndexWriter.create(join(tmp, 'index'));
    for (const sym of [...symbols].sort(compareStrings)) iw.addSymbol(sym);
    for (const w of written) iw.addSeries(w.labels, w.metas);
    await iw.close();

    await writeTombstones(tmp, new Map());
    const meta: BlockMeta = {
      ulid,
      minTime: opts.minTime,
      maxTime: opts.maxTime,
      // Prometheus 3 splits the count by kind, omitting zeros; 2.x reads numSamples only.
      stats: {
        numSamples,
        ...(numFloatSamples > 0 ? { numFloatSamples } : {}),
        ...(numHistogramSamples > 0 ? { numHistogramSamples } : {}),
        numSeries: written.length,
        numChunks,
      },
      compaction: {
        level: opts.compactionLevel ?? 1,
        sources: opts.sources ? [...opts.sources] : [ulid],
        ...(opts.parents ? { parents: opts.parents.map((p) => ({ ...p })) } : {}),
      },
      version: 1,
      ...(opts.thanos ? { thanos: opts.thanos } : {}),
    };
    await writeMeta(tmp, meta);
    await syncDir(tmp);
    const final = join(parentDir, ulid);
    await rename(tmp, final);
    await syncDir(parentDir);
    return meta;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The files of a block directory (or any directory), relative paths, sorted: what a shipper uploads. */
export async function blockFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function syncDir(dir: string): Promise<void> {
  const fh = await openFile(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Encodes samples into XOR chunks of at most `samplesPerChunk` samples (for backfill and for
 * re-cutting chunks at block boundaries). `ts` must be strictly increasing.
 */
export function chunksFromSamples(ts: ArrayLike<number>, vs: Float64Array, samplesPerChunk = 120): TimedChunk[] {
  const out: TimedChunk[] = [];
  for (let i = 0; i < ts.length; i += samplesPerChunk) {
    const end = Math.min(ts.length, i + samplesPerChunk);
    const c = new XORChunk();
    const app = c.appender();
    for (let j = i; j < end; j++) app.append(ts[j]!, vs[j]!);
    c.compact();
    out.push({ chunk: c, minTime: ts[i]!, maxTime: ts[end - 1]! });
  }
  return out;
}

/**
 * Encodes samples of any kind into chunks in order: floats as XOR, histograms and float
 * histograms in their encodings. A chunk is cut when the kind changes, after `samplesPerChunk`
 * samples, and where a histogram cannot join the chunk (counter reset, schema change, ...).
 */
export class ChunkBuilder {
  private readonly out: TimedChunk[] = [];
  private xor: XORChunk | undefined;
  private xapp: ChunkAppender | undefined;
  private hist: HistogramChunkBase<HistogramAppenderBase> | undefined;
  private minT = 0;
  private maxT = 0;
  private n = 0;

  constructor(private readonly samplesPerChunk = 120) {}

  addFloat(t: number, v: number): void {
    if (this.xor === undefined || this.n >= this.samplesPerChunk) {
      this.close();
      this.xor = new XORChunk();
      this.xapp = this.xor.appender();
      this.minT = t;
    }
    this.xapp!.append(t, v);
    this.maxT = t;
    this.n++;
  }

  addHistogram(t: number, h: Histogram, float: boolean): void {
    let prev: HistogramAppenderBase | undefined;
    const cur = this.hist;
    if (cur === undefined || cur instanceof FloatHistogramChunk !== float || this.n >= this.samplesPerChunk) {
      // A chunk cut for its size continues the previous one: its header says whether it is a reset.
      if (cur !== undefined && cur instanceof FloatHistogramChunk === float) prev = cur.appender();
      this.close();
      this.hist = float ? new FloatHistogramChunk() : new HistogramChunk();
      this.minT = t;
    }
    const app = this.hist!.appender();
    const got = app.appendHistogram(t, h, prev);
    if (got !== this.hist) {
      if (app.recoded) this.hist = got;
      else {
        this.close();
        this.hist = got;
        this.minT = t;
      }
    }
    this.maxT = t;
    this.n++;
  }

  /** Adds the iterator's current sample of type `vt`. */
  addFrom(it: SampleIterator, vt: ValueType, scratch?: Histogram): void {
    if (vt === ValueType.Float) this.addFloat(it.atT(), it.atF());
    else if (vt === ValueType.Histogram) this.addHistogram(it.atT(), it.atH(scratch), false);
    else this.addHistogram(it.atT(), it.atFH(scratch), true);
  }

  private close(): void {
    const c = this.xor ?? this.hist;
    if (c !== undefined && c.numSamples() > 0) {
      c.compact();
      this.out.push({ chunk: c, minTime: this.minT, maxTime: this.maxT });
    }
    this.xor = undefined;
    this.xapp = undefined;
    this.hist = undefined;
    this.n = 0;
  }

  /** The chunks built; the builder is then empty. */
  finish(): TimedChunk[] {
    this.close();
    return this.out.splice(0);
  }
}

/**
 * Adapts a label-sorted SeriesSet (any Queryable's output) for `writeBlock`: each series' samples
 * (floats and histograms) are re-encoded into chunks of up to `samplesPerChunk` samples.
 */
export async function* chunkSeriesFromSeriesSet(set: SeriesSet, samplesPerChunk = 120): AsyncIterable<ChunkSeriesEntry> {
  const scratch = newHistogram();
  for await (const s of set) {
    const b = new ChunkBuilder(samplesPerChunk);
    const it = s.iterator();
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) b.addFrom(it, vt, scratch);
    const err = it.err();
    if (err) throw err;
    const chunks = b.finish();
    if (chunks.length > 0) yield { labels: s.labels, chunks };
  }
}

/**
 * Restricts chunks to [mint, maxt] (inclusive): chunks inside are reused as they are, chunks
 * straddling a bound are re-encoded with only the samples inside.
 */
export function clampChunks(chunks: readonly TimedChunk[], mint: number, maxt: number): TimedChunk[] {
  const out: TimedChunk[] = [];
  for (const c of chunks) {
    if (c.maxTime < mint || c.minTime > maxt) continue;
    if (c.minTime >= mint && c.maxTime <= maxt) {
      out.push(c);
      continue;
    }
    const it = c.chunk.iterator();
    // The samples inside, in the chunk's encoding (a histogram chunk may still need several).
    const b = new ChunkBuilder(Infinity);
    for (let vt = it.seek(mint); vt !== ValueType.None && it.atT() <= maxt; vt = it.next()) b.addFrom(it, vt);
    const err = it.err();
    if (err) throw err;
    out.push(...b.finish());
  }
  return out;
}

/** An open block on local disk. */
export class Block implements Queryable {
  private constructor(
    readonly dir: string,
    readonly meta: BlockMeta,
    readonly index: IndexReader,
    readonly chunkReader: ChunkReader,
    private readonly tombstones: Map<number, readonly Interval[]>,
  ) {}

  static async open(dir: string): Promise<Block> {
    const meta = await readMeta(dir);
    const index = await IndexReader.open(join(dir, 'index'));
    try {
      const chunks = await ChunkReader.open(join(dir, 'chunks'));
      const tombstones = await readTombstones(dir);
      return new Block(dir, meta, index, chunks, tombstones);
    } catch (e) {
      index.close();
      throw e;
    }
  }

  get ulid(): string {
    return this.meta.ulid;
  }

  /** Whether [mint, maxt] (inclusive) overlaps the block's [minTime, maxTime). */
  overlaps(mint: number, maxt: number): boolean {
    return mint < this.meta.maxTime && maxt >= this.meta.minTime;
  }

  querier(mint: number, maxt: number): Querier {
    return new BlockQuerier(this, mint, maxt, this.tombstones);
  }

  /** Whether some series have deleted intervals, which readers of raw chunks must apply themselves. */
  hasTombstones(): boolean {
    return this.tombstones.size > 0;
  }

  close(): void {
    this.index.close();
    this.chunkReader.close();
  }
}

class BlockQuerier implements Querier {
  constructor(
    private readonly block: Block,
    private readonly mint: number,
    private readonly maxt: number,
    private readonly tombstones: Map<number, readonly Interval[]>,
  ) {}

  select(_sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[]): SeriesSet {
    const mint = Math.max(this.mint, hints?.start ?? -Infinity);
    const maxt = Math.min(this.maxt, hints?.end ?? Infinity);
    if (!this.block.overlaps(mint, maxt)) return EMPTY_SERIES_SET;
    // Series refs follow label order in a block index, so postings are already sorted by labels.
    const refs = postingsForMatchers(this.block.index, matchers);
    const out: Series[] = [];
    for (let i = 0; i < refs.length; i++) {
      const { labels, chunks } = this.block.index.series(refs[i]!);
      const timed: TimedChunk[] = [];
      for (const c of chunks) {
        if (c.maxTime < mint || c.minTime > maxt) continue;
        timed.push({ chunk: this.block.chunkReader.chunk(c.ref), minTime: c.minTime, maxTime: c.maxTime });
      }
      if (timed.length === 0) continue;
      const deleted = this.tombstones.get(refs[i]!);
      const series = new ChunkSeries(labels, timed, mint, maxt);
      out.push(deleted && deleted.length > 0 ? new DeletedIntervalsSeries(series, deleted) : series);
    }
    return new ListSeriesSet(out);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    if (matchers.length === 0) return this.block.index.labelNames();
    const names = new Set<string>();
    const refs = postingsForMatchers(this.block.index, matchers);
    for (let i = 0; i < refs.length; i++) this.block.index.series(refs[i]!).labels.forEach((n) => names.add(n));
    return [...names].sort(compareStrings);
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    if (matchers.length === 0) return this.block.index.labelValues(name);
    const values = new Set<string>();
    const refs = postingsForMatchers(this.block.index, matchers);
    for (let i = 0; i < refs.length; i++) {
      const v = this.block.index.series(refs[i]!).labels.get(name);
      if (v !== '') values.add(v);
    }
    return [...values].sort(compareStrings);
  }

  close(): void {}
}

/** Hides samples inside deleted intervals (tombstones). */
class DeletedIntervalsSeries implements Series {
  constructor(
    private readonly inner: Series,
    private readonly deleted: readonly Interval[],
  ) {}

  get labels(): Labels {
    return this.inner.labels;
  }

  iterator(): SampleIterator {
    return new DeletedIntervalsIterator(this.inner.iterator(), this.deleted);
  }
}

class DeletedIntervalsIterator implements SampleIterator {
  constructor(
    private readonly it: SampleIterator,
    private readonly deleted: readonly Interval[],
  ) {}

  private skip(vt: ValueType): ValueType {
    while (vt !== ValueType.None) {
      const t = this.it.atT();
      const iv = this.deleted.find((d) => t >= d.mint && t <= d.maxt);
      if (iv === undefined) return vt;
      vt = this.it.seek(iv.maxt + 1);
    }
    return vt;
  }

  next(): ValueType {
    return this.skip(this.it.next());
  }

  seek(t: number): ValueType {
    return this.skip(this.it.seek(t));
  }

  atT(): number {
    return this.it.atT();
  }

  atF(): number {
    return this.it.atF();
  }

  atH(h?: Histogram): Histogram {
    return this.it.atH(h);
  }

  atFH(fh?: FloatHistogram): FloatHistogram {
    return this.it.atFH(fh);
  }

  err(): Error | undefined {
    return this.it.err();
  }
}
