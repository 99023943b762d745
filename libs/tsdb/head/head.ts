// The head: the in-memory, appendable part of a TSDB. Series live in MemSeries with compressed
// chunks (floats and native histograms); a postings index answers matchers; appends are
// transactions made durable by the WAL.

import {
  Labels, compareLabels, compareStrings, histogramsEqual, isCustomBucketsSchema, sameFloatBits, validateFloatHistogram,
  validateHistogram, type FloatHistogram, type Histogram, type Matcher,
} from '../../model/index.ts';
import {
  errDuplicateSampleForTimestamp, errOutOfBounds, errOutOfOrderSample, AppendError, AppendErrorCode, EMPTY_SERIES_SET, ListSeriesSet,
  type Appendable, type Appender, type Querier, type Queryable, type SelectHints, type Series, type SeriesRef,
  type SeriesSet,
} from '../../storage/index.ts';
import { ChunkSeries } from '../chunk_series.ts';
import { postingsForMatchers, type PostingsIndex } from '../postings_for_matchers.ts';
import { SampleBatch, type RefHistogramSample } from '../wal/index.ts';
import { MemPostings } from './postings.ts';
import { MemSeries, SampleKind, type HeadChunk } from './series.ts';

export interface HeadOptions {
  /** Chunks never cross multiples of this (ms); it is the block range. */
  chunkRange: number;
  samplesPerChunk?: number;
}

/** Where committed transactions go before they become visible; the WAL implements it. */
export interface HeadLog {
  /**
   * Writes the records of one commit: the new series, then each batch of `txn` (from `txn`
   * along `next`) as its float samples, histograms and float histograms, in that order. Must
   * issue the write synchronously (in call order) and resolve once it is durable under the
   * configured policy.
   */
  logCommit(newSeries: readonly MemSeries[], txn: TxnSamples): Promise<void>;
}

/**
 * The samples of one transaction, or of one batch of it: the WAL's columnar batch of floats and
 * the histogram samples, with the series owning each sample. Within a batch a series has samples
 * of one kind only, so applying (and replaying) floats, then histograms, then float histograms
 * keeps each series in time order; a series switching kind starts the `next` batch, as in
 * Prometheus. Histogram objects are the caller's until the commit is applied.
 */
export class TxnSamples {
  readonly batch = new SampleBatch(64);
  readonly series: MemSeries[] = [];
  readonly histograms: RefHistogramSample[] = [];
  readonly histogramSeries: MemSeries[] = [];
  readonly floatHistograms: RefHistogramSample[] = [];
  readonly floatHistogramSeries: MemSeries[] = [];
  /** The next batch of the same transaction. */
  next: TxnSamples | undefined = undefined;

  /** Float samples of this batch. */
  get length(): number {
    return this.batch.length;
  }

  /** Whether the transaction (every batch) holds no samples. */
  isEmpty(): boolean {
    for (let b: TxnSamples | undefined = this; b !== undefined; b = b.next) {
      if (b.batch.length > 0 || b.histograms.length > 0 || b.floatHistograms.length > 0) return false;
    }
    return true;
  }

  reset(): void {
    this.batch.reset();
    this.series.length = 0;
    this.histograms.length = 0;
    this.histogramSeries.length = 0;
    this.floatHistograms.length = 0;
    this.floatHistogramSeries.length = 0;
    this.next = undefined;
  }

  push(s: MemSeries, t: number, v: number): void {
    this.batch.push(s.ref, t, v);
    this.series.push(s);
  }

  pushHistogram(s: MemSeries, t: number, h: Histogram, float: boolean): void {
    if (float) {
      this.floatHistograms.push({ ref: s.ref, t, h });
      this.floatHistogramSeries.push(s);
    } else {
      this.histograms.push({ ref: s.ref, t, h });
      this.histogramSeries.push(s);
    }
  }
}

/**
 * Asked before the head creates a series for an append (not on WAL replay): an error rejects the
 * sample, and is counted like the head's own rejections. The ingester enforces tenant limits here.
 */
export type SeriesLimiter = (labels: Labels, head: Head) => AppendError | undefined;

/** Counters of what the head did, exported as metrics by the service that owns the head. */
export interface HeadStats {
  samplesAppended: number;
  seriesCreated: number;
  seriesRemoved: number;
  /** Rejected samples by AppendError code. */
  rejected: Record<string, number>;
}

export class Head implements Queryable, Appendable, PostingsIndex {
  // Indexed by ref: refs are dense integers, and an array lookup is the cheapest per-append step.
  private readonly byRef: (MemSeries | undefined)[] = [undefined];
  private seriesCount = 0;
  private readonly txnPool: TxnSamples[] = [];
  // Keyed by the 53-bit label hash; collisions hold an array.
  private readonly byHash = new Map<number, MemSeries | MemSeries[]>();
  private index = new MemPostings();
  private readonly symbols = new Map<string, string>();
  private nextRef = 1;
  private txnSeq = 0;
  private commitQueue: Promise<void> = Promise.resolve();
  private log: HeadLog | undefined;
  /** See SeriesLimiter; unset means no limit. */
  seriesLimiter: SeriesLimiter | undefined;

  /** Time range of committed samples; minTime > maxTime when empty. */
  minTime = Infinity;
  maxTime = -Infinity;
  /** Samples before this are out of bounds (everything up to here is in blocks). */
  minValidTime = -Infinity;

  readonly stats: HeadStats = { samplesAppended: 0, seriesCreated: 0, seriesRemoved: 0, rejected: {} };
  readonly chunkRange: number;
  private readonly samplesPerChunk: number;

  constructor(opts: HeadOptions) {
    this.chunkRange = opts.chunkRange;
    this.samplesPerChunk = opts.samplesPerChunk ?? 120;
  }

  /** Sets where commits are logged (the WAL); without one, commits are memory-only. */
  setLog(log: HeadLog | undefined): void {
    this.log = log;
  }

  numSeries(): number {
    return this.seriesCount;
  }

  isEmpty(): boolean {
    return this.minTime > this.maxTime;
  }

  /**
   * The oldest timestamp an append may have: everything older belongs to a block already, and
   * (as in Prometheus) the head accepts at most half a chunk range behind its newest sample.
   */
  appendableMinValidTime(): number {
    if (this.isEmpty()) return this.minValidTime;
    return Math.max(this.minValidTime, this.maxTime - this.chunkRange / 2);
  }

  appender(): Appender {
    return new HeadAppender(this, ++this.txnSeq);
  }

  series(ref: number): MemSeries | undefined {
    return this.byRef[ref];
  }

  /** Finds the series with these labels. */
  getByLabels(labels: Labels): MemSeries | undefined {
    const e = this.byHash.get(labels.hash53());
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return e.labels.equals(labels) ? e : undefined;
    return e.find((s) => s.labels.equals(labels));
  }

  /** Returns the series with these labels, creating it (with `ref` when replaying) if needed. */
  getOrCreate(labels: Labels, ref?: number): { series: MemSeries; created: boolean } {
    const existing = this.getByLabels(labels);
    if (existing !== undefined) return { series: existing, created: false };
    const r = ref ?? this.nextRef;
    if (r >= this.nextRef) this.nextRef = r + 1;
    const s = new MemSeries(r, this.intern(labels), this.chunkRange, this.samplesPerChunk);
    this.byRef[r] = s;
    this.seriesCount++;
    const h = labels.hash53();
    const e = this.byHash.get(h);
    if (e === undefined) this.byHash.set(h, s);
    else if (Array.isArray(e)) e.push(s);
    else this.byHash.set(h, [e, s]);
    this.index.add(r, s.labels.toFlat());
    this.stats.seriesCreated++;
    return { series: s, created: true };
  }

  // Label strings are shared between series: most names and many values repeat.
  private intern(labels: Labels): Labels {
    const flat = labels.toFlat();
    const out = new Array<string>(flat.length);
    for (let i = 0; i < flat.length; i++) {
      const s = flat[i]!;
      let v = this.symbols.get(s);
      if (v === undefined) {
        v = s;
        this.symbols.set(s, s);
      }
      out[i] = v;
    }
    return Labels.fromSortedFlat(out);
  }

  /** Applies one committed sample (also used by WAL replay); returns false if out of order. */
  applySample(s: MemSeries, t: number, v: number): boolean {
    if (t <= s.lastT) return false;
    s.append(t, v);
    if (t < this.minTime) this.minTime = t;
    if (t > this.maxTime) this.maxTime = t;
    this.stats.samplesAppended++;
    return true;
  }

  /** Applies one committed (float, with `float`) histogram sample; returns false if out of order. */
  applyHistogram(s: MemSeries, t: number, h: Histogram, float: boolean): boolean {
    if (t <= s.lastT) return false;
    s.appendHistogram(t, h, float);
    if (t < this.minTime) this.minTime = t;
    if (t > this.maxTime) this.maxTime = t;
    this.stats.samplesAppended++;
    return true;
  }

  countRejected(e: AppendError): void {
    this.stats.rejected[e.code] = (this.stats.rejected[e.code] ?? 0) + 1;
  }

  /** Called by HeadAppender.commit: log, then apply in log order. */
  commitBatch(newSeries: MemSeries[], txn: TxnSamples): Promise<void> {
    const logged = this.log ? this.log.logCommit(newSeries, txn) : Promise.resolve();
    const applied = this.commitQueue.then(
      () => logged,
    ).then(() => {
      for (let b: TxnSamples | undefined = txn; b !== undefined; b = b.next) {
        const { ts, vs } = b.batch;
        for (let i = 0; i < b.length; i++) {
          if (!this.applySample(b.series[i]!, ts[i]!, vs[i]!)) this.countRejected(errOutOfOrderSample);
        }
        for (let i = 0; i < b.histograms.length; i++) {
          const x = b.histograms[i]!;
          if (!this.applyHistogram(b.histogramSeries[i]!, x.t, x.h, false)) this.countRejected(errOutOfOrderSample);
        }
        for (let i = 0; i < b.floatHistograms.length; i++) {
          const x = b.floatHistograms[i]!;
          if (!this.applyHistogram(b.floatHistogramSeries[i]!, x.t, x.h, true)) this.countRejected(errOutOfOrderSample);
        }
      }
    });
    this.commitQueue = applied.catch(() => undefined);
    // The batch is free again once applied (or failed): recycle it for the next transaction.
    return applied.finally(() => this.releaseTxn(txn));
  }

  /**
   * Drops chunks ending before mint and series left empty, and raises minValidTime to mint.
   * Called after the data before mint was written to a block.
   */
  truncate(mint: number): { removedSeries: number[] } {
    if (mint > this.minValidTime) this.minValidTime = mint;
    const removed: number[] = [];
    for (const s of this.allSeries()) {
      s.truncateBefore(mint);
      if (s.isEmpty() && s.pendingTxn === 0) removed.push(s.ref);
    }
    for (const ref of removed) this.remove(this.byRef[ref]!);
    if (removed.length > 0) this.index = MemPostings.rebuild(this.allSeries());
    let min = Infinity;
    for (const s of this.allSeries()) min = Math.min(min, s.minTime());
    // A chunk straddling mint keeps older samples in memory, but they belong to the block now.
    this.minTime = min === Infinity ? Infinity : Math.max(min, mint);
    if (min === Infinity) this.maxTime = -Infinity;
    this.stats.seriesRemoved += removed.length;
    return { removedSeries: removed };
  }

  private remove(s: MemSeries): void {
    this.byRef[s.ref] = undefined;
    this.seriesCount--;
    const h = s.labels.hash53();
    const e = this.byHash.get(h);
    if (Array.isArray(e)) {
      const rest = e.filter((x) => x !== s);
      if (rest.length === 1) this.byHash.set(h, rest[0]!);
      else this.byHash.set(h, rest);
    } else {
      this.byHash.delete(h);
    }
  }

  /** Every series, for block writing and checkpoints. */
  *allSeries(): IterableIterator<MemSeries> {
    for (const s of this.byRef) if (s !== undefined) yield s;
  }

  /** A cleared sample buffer for a new transaction (recycled to avoid regrowing typed arrays). */
  acquireTxn(): TxnSamples {
    return this.txnPool.pop() ?? new TxnSamples();
  }

  /** Takes back a transaction's batches (the first one and its `next` chain). */
  releaseTxn(txn: TxnSamples): void {
    for (let b: TxnSamples | undefined = txn; b !== undefined; ) {
      const next: TxnSamples | undefined = b.next;
      b.reset();
      if (this.txnPool.length < 16) this.txnPool.push(b);
      b = next;
    }
  }

  // PostingsIndex
  labelValues(name: string): string[] {
    return this.index.labelValues(name);
  }

  postings(name: string, values: readonly string[]): Uint32Array {
    return this.index.postings(name, values);
  }

  allPostings(): Uint32Array {
    return this.index.allPostings();
  }

  labelNamesAll(): string[] {
    return this.index.labelNames();
  }

  querier(mint: number, maxt: number): Querier {
    return new HeadQuerier(this, mint, maxt);
  }
}

class HeadAppender implements Appender {
  /** The first batch of the transaction, and the one appended to. */
  private readonly batch: TxnSamples;
  private cur: TxnSamples;
  /** 8 × the current batch's number; a series' pendingTag adds its sample kind. */
  private batchTag = 0;
  private readonly newSeries: MemSeries[] = [];
  private readonly minValidTime: number;
  private done = false;

  constructor(
    private readonly head: Head,
    private readonly txn: number,
  ) {
    this.batch = head.acquireTxn();
    this.cur = this.batch;
    // Fixed for the transaction, as in Prometheus: cheaper than recomputing per sample.
    this.minValidTime = head.appendableMinValidTime();
  }

  /** The series for an append: by ref, else by labels, created (labels checked) if new. */
  private seriesFor(ref: SeriesRef, labels: Labels): MemSeries {
    const head = this.head;
    let s = ref !== 0 ? head.series(ref) : undefined;
    if (s === undefined) {
      s = head.getByLabels(labels);
      if (s === undefined) {
        const problem = labelsProblem(labels);
        if (problem !== undefined) {
          const err = new AppendError(AppendErrorCode.InvalidLabels, problem);
          head.countRejected(err);
          throw err;
        }
        const limited = head.seriesLimiter?.(labels, head);
        if (limited !== undefined) {
          head.countRejected(limited);
          throw limited;
        }
        s = head.getOrCreate(labels).series;
      }
    }
    return s;
  }

  /**
   * The series' pending sample is of another kind or in an earlier batch: only another kind in
   * the current batch needs a new one (Prometheus' getCurrentBatch).
   */
  private kindSwitch(s: MemSeries): void {
    if (s.pendingTag >> 3 !== this.batchTag >> 3) return;
    const b = this.head.acquireTxn();
    this.cur.next = b;
    this.cur = b;
    this.batchTag += 8;
  }

  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    if (this.done) throw new Error('appender already committed or rolled back');
    const head = this.head;
    if (t < this.minValidTime) {
      head.countRejected(errOutOfBounds);
      throw errOutOfBounds;
    }
    const s = this.seriesFor(ref, labels);
    const pending = s.pendingTxn === this.txn;
    const lastT = pending ? s.pendingT : s.lastT;
    if (t <= lastT) {
      if (t === lastT) {
        // An exact duplicate is a no-op; after a histogram, a float is a different value.
        if (pending ? (s.pendingTag & 7) === SampleKind.Float && sameFloatBits(s.pendingV, v) : s.lastKind === SampleKind.Float && sameFloatBits(s.lastV, v)) {
          return s.ref;
        }
        head.countRejected(errDuplicateSampleForTimestamp);
        throw errDuplicateSampleForTimestamp;
      }
      head.countRejected(errOutOfOrderSample);
      throw errOutOfOrderSample;
    }
    if (pending) {
      if (s.pendingTag !== this.batchTag + SampleKind.Float) this.kindSwitch(s);
    } else if (!s.logged) this.newSeries.push(s);
    s.pendingTxn = this.txn;
    s.pendingTag = this.batchTag + SampleKind.Float;
    s.pendingT = t;
    s.pendingV = v;
    this.cur.push(s, t, v);
    return s.ref;
  }

  /**
   * Appends an integer histogram `h` or, with `h` undefined, the float histogram `fh` (exactly
   * one of them), with the rules of `append`: out of bounds, out of order, a duplicate unless it
   * equals the last sample, and an invalid histogram (Prometheus' validation) are AppendErrors.
   * The histogram is read at commit: do not change it before then.
   */
  appendHistogram(ref: SeriesRef, labels: Labels, t: number, h: Histogram | undefined, fh?: FloatHistogram): SeriesRef {
    if (this.done) throw new Error('appender already committed or rolled back');
    const head = this.head;
    const float = h === undefined;
    const x = h ?? fh;
    if (x === undefined) throw new TypeError('appendHistogram needs a histogram or a float histogram');
    if (t < this.minValidTime) {
      head.countRejected(errOutOfBounds);
      throw errOutOfBounds;
    }
    const bad = float ? validateFloatHistogram(x) : validateHistogram(x);
    if (bad !== undefined) {
      const err = new AppendError(AppendErrorCode.InvalidHistogram, bad);
      head.countRejected(err);
      throw err;
    }
    const s = this.seriesFor(ref, labels);
    const kind = histogramKind(x, float);
    const pending = s.pendingTxn === this.txn;
    const lastT = pending ? s.pendingT : s.lastT;
    if (t <= lastT) {
      if (t === lastT) {
        const last = pending ? ((s.pendingTag & 7) === kind ? s.pendingH : undefined) : s.lastKind === kind ? s.lastH : undefined;
        if (last !== undefined && histogramsEqual(last, x)) return s.ref;
        head.countRejected(errDuplicateSampleForTimestamp);
        throw errDuplicateSampleForTimestamp;
      }
      head.countRejected(errOutOfOrderSample);
      throw errOutOfOrderSample;
    }
    if (pending) {
      if (s.pendingTag !== this.batchTag + kind) this.kindSwitch(s);
    } else if (!s.logged) this.newSeries.push(s);
    s.pendingTxn = this.txn;
    s.pendingTag = this.batchTag + kind;
    s.pendingT = t;
    s.pendingH = x;
    this.cur.pushHistogram(s, t, x, float);
    return s.ref;
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('appender already committed or rolled back');
    this.done = true;
    const newSeries = this.newSeries.filter((s) => !s.logged);
    for (const s of newSeries) s.logged = true;
    this.clearPending();
    if (this.batch.isEmpty() && newSeries.length === 0) {
      this.head.releaseTxn(this.batch);
      return;
    }
    try {
      await this.head.commitBatch(newSeries, this.batch);
    } catch (e) {
      for (const s of newSeries) s.logged = false;
      throw e;
    }
  }

  rollback(): void {
    if (this.done) return;
    this.done = true;
    this.clearPending();
    this.head.releaseTxn(this.batch);
  }

  private clearPending(): void {
    for (let b: TxnSamples | undefined = this.batch; b !== undefined; b = b.next) {
      for (const s of b.series) if (s.pendingTxn === this.txn) s.pendingTxn = 0;
      for (const s of b.histogramSeries) if (s.pendingTxn === this.txn) s.pendingTxn = 0;
      for (const s of b.floatHistogramSeries) if (s.pendingTxn === this.txn) s.pendingTxn = 0;
    }
  }
}

/** A histogram's kind for batching: custom-bucket histograms have their own WAL records. */
function histogramKind(h: Histogram, float: boolean): SampleKind {
  const custom = isCustomBucketsSchema(h.schema);
  if (float) return custom ? SampleKind.CustomFloatHistogram : SampleKind.FloatHistogram;
  return custom ? SampleKind.CustomHistogram : SampleKind.Histogram;
}

/** Why a new series' labels cannot be stored (Prometheus' head rules), or undefined. */
function labelsProblem(labels: Labels): string | undefined {
  if (labels.isEmpty()) return 'empty labelset: invalid sample';
  const flat = labels.toFlat();
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === '') return 'empty label name: invalid sample';
  const reason = Labels.validateSorted(flat);
  return reason === undefined ? undefined : `${reason}: invalid sample`;
}

class HeadQuerier implements Querier {
  constructor(
    private readonly head: Head,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private matching(matchers: readonly Matcher[]): MemSeries[] {
    const refs = postingsForMatchers(this.head, matchers);
    const out: MemSeries[] = [];
    for (let i = 0; i < refs.length; i++) {
      const s = this.head.series(refs[i]!);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  select(sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[]): SeriesSet {
    const mint = Math.max(this.mint, hints?.start ?? -Infinity);
    const maxt = Math.min(this.maxt, hints?.end ?? Infinity);
    if (this.head.isEmpty() || mint > this.head.maxTime || maxt < this.head.minTime) return EMPTY_SERIES_SET;
    const matched = this.matching(matchers);
    if (sorted) matched.sort((a, b) => compareLabels(a.labels, b.labels));
    const out: Series[] = [];
    // Indexed: runs once per query, often unoptimized, where for-of allocates per element.
    for (let i = 0; i < matched.length; i++) {
      const s = matched[i]!;
      const chunks: HeadChunk[] = s.chunks(mint, maxt);
      if (chunks.length > 0) out.push(new ChunkSeries(s.labels, chunks, mint, maxt));
    }
    return new ListSeriesSet(out);
  }

  async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
    if (matchers.length === 0) return this.head.labelNamesAll();
    const names = new Set<string>();
    for (const s of this.matching(matchers)) s.labels.forEach((n) => names.add(n));
    return [...names].sort(compareStrings);
  }

  async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
    if (matchers.length === 0) return [...this.head.labelValues(name)];
    const values = new Set<string>();
    for (const s of this.matching(matchers)) {
      const v = s.labels.get(name);
      if (v !== '') values.add(v);
    }
    return [...values].sort(compareStrings);
  }

  close(): void {}
}
