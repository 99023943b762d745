// What the integer and float histogram chunks share: the chunk wrapper around its bytes, and the
// appender's decisions (Prometheus' appendable / appendableGauge and AppendHistogram): append in
// place, widen the bucket layout by recoding the chunk, or cut a new chunk with a counter-reset
// header. The two encodings differ only in how one sample is written and read.

import { customBoundsMatch, isCustomBucketsSchema, isStaleNaN, newHistogram, type Histogram, type Span } from '../../model/index.ts';
import { ValueType, type SampleIterator } from '../../storage/index.ts';
import { MIN_STREAM_CAPACITY } from './bstream.ts';
import { ChunkCorruptError, type Chunk, type Encoding } from './chunk.ts';
import {
  COUNTER_RESET_HEADER_MASK, CounterResetHeader, HISTOGRAM_HEADER_SIZE, HistogramBitWriter, MAX_HISTOGRAM_SAMPLES, expandCounts,
  mergeSide, mergedSpans, sameSpans, type SideMerge,
} from './histogram_meta.ts';

/** `appendable` result: the histogram can join the chunk. Headers are >= 0. */
const OK = -1;

/** An iterator of one of the histogram encodings, as the chunk wrapper needs it. */
export interface HistogramChunkIterator {
  resetRange(stream: Uint8Array, len: number): void;
  next(): ValueType;
  atT(): number;
  /** Valid for both encodings (the integer one returns its counts as they are). */
  atFH(h?: Histogram): Histogram;
  err(): Error | undefined;
}

/**
 * A histogram or float histogram chunk: encoded bytes (wrapped without copying) or, while being
 * appended to, the appender's buffer. `compact()` ends appending and trims the buffer.
 */
export abstract class HistogramChunkBase<A extends HistogramAppenderBase> implements Chunk {
  private buf: Uint8Array;
  private len: number;
  /** The buffer belongs to someone else (e.g. a segment file): copy before writing. */
  private borrowed: boolean;
  /** @internal The attached appender. */
  app: A | undefined = undefined;

  constructor(bytes?: Uint8Array, capacity = MIN_STREAM_CAPACITY) {
    if (bytes === undefined) {
      this.buf = new Uint8Array(Math.max(capacity, HISTOGRAM_HEADER_SIZE));
      this.len = HISTOGRAM_HEADER_SIZE;
      this.borrowed = false;
    } else {
      this.buf = bytes;
      this.len = bytes.length;
      this.borrowed = true;
    }
  }

  abstract get encoding(): Encoding;
  /** @internal */
  protected abstract newAppender(stream: Uint8Array): A;
  /** @internal */
  protected abstract newIterator(): HistogramChunkIterator;
  abstract iterator(reuse?: SampleIterator): HistogramChunkIterator & SampleIterator;

  bytes(): Uint8Array {
    if (this.app !== undefined) return this.app.bytes();
    return this.len === this.buf.length ? this.buf : this.buf.subarray(0, this.len);
  }

  numSamples(): number {
    if (this.app !== undefined) return this.app.num;
    return this.len < HISTOGRAM_HEADER_SIZE ? 0 : (this.buf[0]! << 8) | this.buf[1]!;
  }

  /** The counter-reset bits of the header. */
  counterResetHeader(): CounterResetHeader {
    if (this.app !== undefined) return (this.app.flags & COUNTER_RESET_HEADER_MASK) as CounterResetHeader;
    return (this.len < HISTOGRAM_HEADER_SIZE ? 0 : this.buf[2]! & COUNTER_RESET_HEADER_MASK) as CounterResetHeader;
  }

  /** Ends appending (the appender keeps its state for the next chunk's header) and trims the buffer. */
  compact(): void {
    const app = this.app;
    if (app !== undefined) {
      app.sync();
      this.buf = app.stream;
      this.len = app.len;
      app.detach();
      this.app = undefined;
    }
    if (this.buf.length > this.len) this.buf = this.buf.slice(0, this.len);
  }

  /** @internal The bytes to iterate now. */
  protected reading(it: HistogramChunkIterator): void {
    const app = this.app;
    if (app === undefined) it.resetRange(this.buf, this.len);
    else {
      app.sync();
      it.resetRange(app.stream, app.len);
    }
  }

  /**
   * The appender continuing after the last sample: the attached one, or a new one that decoded
   * every sample to recover the encoder state (like Prometheus' Appender()). Throws on corrupt data.
   */
  appender(): A {
    if (this.app !== undefined) return this.app;
    if (this.len < HISTOGRAM_HEADER_SIZE) throw new ChunkCorruptError('histogram chunk shorter than its header');
    let stream = this.buf;
    if (this.borrowed) {
      stream = new Uint8Array(Math.max(MIN_STREAM_CAPACITY, this.len * 2));
      stream.set(this.buf.subarray(0, this.len));
    }
    const app = this.newAppender(stream);
    app.flags = stream[2]!;
    if (((stream[0]! << 8) | stream[1]!) !== 0) {
      const it = this.newIterator();
      it.resetRange(stream, this.len);
      while (it.next() !== ValueType.None);
      const err = it.err();
      if (err !== undefined) throw err;
      app.resumeFrom(it);
    }
    this.buf = stream;
    this.borrowed = false;
    this.app = app;
    return app;
  }
}

/**
 * The part of a histogram appender that decides where a histogram goes. Subclasses write the
 * samples and keep the last sample's counts (`counts`, positive buckets from `posStart`,
 * negative ones from `negStart`).
 */
export abstract class HistogramAppenderBase extends HistogramBitWriter {
  /** @internal Samples written. */
  num = 0;
  /** @internal The header's flags byte (counter-reset bits on top). */
  flags = 0;
  /** Whether the last append replaced the chunk with a recoded copy (wider bucket layout). */
  recoded = false;
  // Layout, set by the first sample.
  /** @internal */
  schema = 0;
  /** @internal */
  zeroThreshold = 0;
  /** @internal */
  pSpans: Span[] = [];
  /** @internal */
  nSpans: Span[] = [];
  /** @internal */
  customValues: number[] | undefined = undefined;
  /** @internal Buckets per side. */
  nP = 0;
  /** @internal */
  nN = 0;
  /** @internal Last sample's count and zero count. */
  cnt = 0;
  /** @internal */
  zCnt = 0;
  private attached = true;
  // How the last `appendable` call merged the layouts (undefined: same spans).
  private mergePos: SideMerge | undefined;
  private mergeNeg: SideMerge | undefined;

  constructor(
    /** @internal The chunk this appender writes. */
    readonly owner: HistogramChunkBase<HistogramAppenderBase>,
    stream: Uint8Array,
  ) {
    super(stream, HISTOGRAM_HEADER_SIZE);
  }

  /** Whether this is the float encoding (it differs from Prometheus' integer one in two headers). */
  protected abstract readonly isFloat: boolean;
  /** Last sample's absolute counts; see posStart / negStart. */
  protected abstract counts(): ArrayLike<number>;
  protected abstract posStart(): number;
  protected abstract lastSampleStale(): boolean;
  /** @internal Writes the first sample with the given layout (its buckets follow it). */
  abstract writeFirst(t: number, h: Histogram, pSpans: readonly Span[], nSpans: readonly Span[], pos: ArrayLike<number>, neg: ArrayLike<number>): void;
  /** @internal Writes a later sample whose buckets follow the chunk's layout. */
  abstract writeNext(t: number, h: Histogram, pos: ArrayLike<number>, neg: ArrayLike<number>): void;
  /** @internal Restores the encoder state after decoding every sample. */
  abstract resumeFrom(it: HistogramChunkIterator): void;
  /** A new empty chunk of the same encoding. */
  protected abstract emptyChunk(capacity: number): HistogramChunkBase<HistogramAppenderBase>;

  /** @internal Stores the header and everything pending: the buffer is then complete. */
  sync(): void {
    this.flush();
    this.writeHeader(this.num, this.flags);
  }

  override bytes(): Uint8Array {
    this.sync();
    const len = this.len;
    return len === this.stream.length ? this.stream : this.stream.subarray(0, len);
  }

  /** @internal The chunk was compacted: no more appends (the state stays for `appendable`). */
  detach(): void {
    this.attached = false;
  }

  /** @internal Records the layout of the first sample. */
  protected setLayout(h: Histogram, pSpans: readonly Span[], nSpans: readonly Span[], stale: boolean): void {
    this.schema = stale ? 0 : h.schema;
    this.zeroThreshold = stale ? 0 : h.zeroThreshold;
    this.pSpans = stale ? [] : pSpans.map((s) => ({ offset: s.offset, length: s.length }));
    this.nSpans = stale ? [] : nSpans.map((s) => ({ offset: s.offset, length: s.length }));
    this.customValues = !stale && isCustomBucketsSchema(h.schema) ? (h.customValues ?? []).slice() : undefined;
    this.nP = 0;
    for (const s of this.pSpans) this.nP += s.length;
    this.nN = 0;
    for (const s of this.nSpans) this.nN += s.length;
    this.putLayout(this.schema, this.zeroThreshold, this.pSpans, this.nSpans, this.customValues);
  }

  /**
   * Appends `h` at `t` (after the last sample) and returns the chunk holding it now: this
   * appender's chunk; a recoded copy with a wider layout (`recoded` is set; replace the old chunk,
   * which is unchanged); or a new chunk, when `h` cannot join this one (counter reset, a schema,
   * zero-threshold or custom-bound change, a gauge/counter switch, a sample after a stale marker).
   * Continue with the returned chunk's appender. `prev` is the appender of the series' previous
   * chunk, for a chunk that is still empty: its header then says whether there was a counter reset.
   * `h` must be valid (see libs/model's validateHistogram) and is not modified.
   */
  appendHistogram(t: number, h: Histogram, prev?: HistogramAppenderBase): HistogramChunkBase<HistogramAppenderBase> {
    if (!this.attached) throw new Error('append to a compacted histogram chunk');
    if (!Number.isSafeInteger(t)) throw new RangeError(`timestamp ${t} is not a safe integer`);
    this.recoded = false;
    const chunk = this.owner;
    if (this.num === 0) {
      this.writeFirst(t, h, h.positiveSpans, h.negativeSpans, h.positiveBuckets, h.negativeBuckets);
      if (h.counterResetHint === 'gauge') this.setHeader(CounterResetHeader.Gauge);
      else if (h.counterResetHint === 'reset') this.setHeader(CounterResetHeader.CounterReset);
      else if (prev !== undefined && prev.isFloat === this.isFloat) {
        const r = prev.appendable(h);
        // Prometheus' integer appender passes its hint on; the float one only says reset or not.
        if (this.isFloat) this.setHeader(r === CounterResetHeader.CounterReset ? r : CounterResetHeader.NotCounterReset);
        else this.setHeader(r === OK ? CounterResetHeader.NotCounterReset : r);
      }
      return chunk;
    }
    if (this.num === MAX_HISTOGRAM_SAMPLES) throw new RangeError('chunk capacity exceeded');
    const r = h.counterResetHint === 'gauge' ? this.appendableGauge(h) : this.appendable(h);
    if (r !== OK) {
      const c = this.emptyChunk(Math.max(MIN_STREAM_CAPACITY, this.len));
      const a = c.appender();
      a.setHeader(r);
      a.writeFirst(t, h, h.positiveSpans, h.negativeSpans, h.positiveBuckets, h.negativeBuckets);
      return c;
    }
    const mp = this.mergePos;
    const mn = this.mergeNeg;
    if (mp === undefined || mn === undefined) {
      this.writeNext(t, h, h.positiveBuckets, h.negativeBuckets);
      return chunk;
    }
    // Without backward merges, h's buckets are the merged layout's already.
    const pos = mp.backward ? expandCounts(mp, true, h.positiveBuckets) : h.positiveBuckets;
    const neg = mn.backward ? expandCounts(mn, true, h.negativeBuckets) : h.negativeBuckets;
    if (!mp.forward && !mn.forward) {
      this.writeNext(t, h, pos, neg);
      return chunk;
    }
    const c = this.recode(mp, mn, h);
    c.app!.writeNext(t, h, pos, neg);
    this.recoded = true;
    return c;
  }

  private setHeader(h: CounterResetHeader): void {
    this.flags = (this.flags & ~COUNTER_RESET_HEADER_MASK) | h;
  }

  /**
   * Whether a counter histogram can join this chunk (OK, with the layout merges in mergePos /
   * mergeNeg), else the counter-reset header of the chunk to cut for it.
   */
  private appendable(h: Histogram): number {
    this.mergePos = undefined;
    this.mergeNeg = undefined;
    if (this.num > 0 && (this.flags & COUNTER_RESET_HEADER_MASK) === CounterResetHeader.Gauge) {
      return this.isFloat ? CounterResetHeader.Unknown : CounterResetHeader.NotCounterReset;
    }
    if (h.counterResetHint === 'reset') return CounterResetHeader.CounterReset;
    if (isStaleNaN(h.sum)) return OK; // buckets and layout of a stale marker do not matter
    if (this.lastSampleStale()) return CounterResetHeader.Unknown; // only stale markers may follow one
    if (h.count < this.cnt) return CounterResetHeader.CounterReset;
    // Prometheus does no full counter-reset detection across schema or threshold changes.
    if (h.schema !== this.schema || h.zeroThreshold !== this.zeroThreshold) return CounterResetHeader.Unknown;
    if (isCustomBucketsSchema(h.schema) && !customBoundsMatch(h.customValues, this.customValues)) return CounterResetHeader.CounterReset;
    if (h.zeroCount < this.zCnt) return CounterResetHeader.CounterReset;
    return this.mergeLayouts(h, true) ? OK : CounterResetHeader.CounterReset;
  }

  /** Whether a gauge histogram can join this chunk (OK, merges set), else Gauge for a new chunk. */
  private appendableGauge(h: Histogram): number {
    this.mergePos = undefined;
    this.mergeNeg = undefined;
    if (this.num > 0 && (this.flags & COUNTER_RESET_HEADER_MASK) !== CounterResetHeader.Gauge) return CounterResetHeader.Gauge;
    if (isStaleNaN(h.sum)) return OK;
    if (this.lastSampleStale()) return CounterResetHeader.Gauge;
    if (h.schema !== this.schema || h.zeroThreshold !== this.zeroThreshold) return CounterResetHeader.Gauge;
    if (isCustomBucketsSchema(h.schema) && !customBoundsMatch(h.customValues, this.customValues)) return CounterResetHeader.Gauge;
    this.mergeLayouts(h, false);
    return OK;
  }

  /** Merges h's layout into the chunk's; false on a counter reset (counters only). */
  private mergeLayouts(h: Histogram, counter: boolean): boolean {
    const counts = this.counts();
    const ps = this.posStart();
    if (sameSpans(this.pSpans, h.positiveSpans) && sameSpans(this.nSpans, h.negativeSpans)) {
      if (counter) {
        const pb = h.positiveBuckets;
        for (let i = 0; i < this.nP; i++) if (counts[ps + i]! > pb[i]!) return false;
        const nb = h.negativeBuckets;
        for (let i = 0; i < this.nN; i++) if (counts[ps + this.nP + i]! > nb[i]!) return false;
      }
      return true;
    }
    const mp = mergeSide(this.pSpans, counts, ps, h.positiveSpans, h.positiveBuckets, counter);
    if (mp === undefined) return false;
    const mn = mergeSide(this.nSpans, counts, ps + this.nP, h.negativeSpans, h.negativeBuckets, counter);
    if (mn === undefined) return false;
    this.mergePos = mp;
    this.mergeNeg = mn;
    return true;
  }

  /** Re-encodes every sample of the chunk with the merged (wider) layout, into a new chunk. */
  private recode(mp: SideMerge, mn: SideMerge, h: Histogram): HistogramChunkBase<HistogramAppenderBase> {
    const pSpans = mergedSpans(mp, this.pSpans, h.positiveSpans);
    const nSpans = mergedSpans(mn, this.nSpans, h.negativeSpans);
    const c = this.emptyChunk(this.len + (this.len >> 2) + 16);
    const a = c.appender();
    a.flags = this.flags;
    const it = this.owner.iterator();
    let old = newHistogram();
    while (it.next() !== ValueType.None) {
      old = it.atFH(old);
      const stale = isStaleNaN(old.sum);
      const p = stale ? old.positiveBuckets : expandCounts(mp, false, old.positiveBuckets);
      const n = stale ? old.negativeBuckets : expandCounts(mn, false, old.negativeBuckets);
      if (a.num === 0) a.writeFirst(it.atT(), old, pSpans, nSpans, p, n);
      else a.writeNext(it.atT(), old, p, n);
    }
    const err = it.err();
    if (err !== undefined) throw err;
    return c;
  }
}
