// Prometheus' histogram chunk (encoding 2) for integer native histograms, byte for byte: after
// the header and layout, the first sample as varbit t, count, zero count, the raw sum and each
// bucket's delta to the previous bucket; later samples as delta-of-delta varbits of all of these
// except the sum, which is XOR-encoded. A stale marker writes no buckets.

import { isStaleNaN, isKnownSchema, newHistogram, reduceResolution, EXPONENTIAL_SCHEMA_MAX, type Histogram, type Span } from '../../model/index.ts';
import { ValueType, type SampleIterator } from '../../storage/index.ts';
import { ChunkCorruptError, Encoding } from './chunk.ts';
import { HistogramAppenderBase, HistogramChunkBase, type HistogramChunkIterator } from './histogram_base.ts';
import {
  COUNTER_RESET_HEADER_MASK, CounterResetHeader, HISTOGRAM_HEADER_SIZE, HistogramBitReader, NO_WINDOW, floatFromBits, floatHi, lastLo,
  type Layout,
} from './histogram_meta.ts';

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

/** An integer histogram chunk. See HistogramChunkBase for appending and compacting. */
export class HistogramChunk extends HistogramChunkBase<HistogramAppender> {
  get encoding(): Encoding {
    return Encoding.Histogram;
  }

  protected newAppender(stream: Uint8Array): HistogramAppender {
    return new HistogramAppender(this, stream);
  }

  protected newIterator(): HistogramIterator {
    return new HistogramIterator();
  }

  /** Iterates the samples present now; reuses `reuse` if it is a histogram iterator. */
  iterator(reuse?: SampleIterator): HistogramIterator {
    const it = reuse instanceof HistogramIterator ? reuse : new HistogramIterator();
    this.reading(it);
    return it;
  }
}

/** Appends integer histograms; see HistogramAppenderBase.appendHistogram. */
export class HistogramAppender extends HistogramAppenderBase {
  protected readonly isFloat = false;
  private t = 0;
  private tDelta = 0;
  private cntDelta = 0;
  private zCntDelta = 0;
  /** Per bucket (positive, then negative): the bucket's delta to the previous one, its change, its count. */
  private bv = new Float64Array(0);
  private bd = new Float64Array(0);
  private abs = new Float64Array(0);
  /** The sum's XOR state: bits hi, lo, leading, trailing. */
  private readonly sumSt = new Int32Array([0, 0, NO_WINDOW, 0]);

  protected counts(): Float64Array {
    return this.abs;
  }

  protected posStart(): number {
    return 0;
  }

  protected lastSampleStale(): boolean {
    return this.sumSt[0] === STALE_HI && this.sumSt[1] === STALE_LO;
  }

  protected emptyChunk(capacity: number): HistogramChunk {
    return new HistogramChunk(undefined, capacity);
  }

  private ensureBuckets(n: number): void {
    if (this.bv.length >= n) return;
    this.bv = new Float64Array(n);
    this.bd = new Float64Array(n);
    this.abs = new Float64Array(n);
  }

  writeFirst(t: number, h: Histogram, pSpans: readonly Span[], nSpans: readonly Span[], pos: ArrayLike<number>, neg: ArrayLike<number>): void {
    const stale = isStaleNaN(h.sum);
    this.setLayout(h, pSpans, nSpans, stale);
    const nP = this.nP;
    const n = nP + this.nN;
    this.ensureBuckets(n);
    this.putVarbitInt(t);
    const cnt = stale ? 0 : h.count;
    const zCnt = stale ? 0 : h.zeroCount;
    this.putVarbitUint(cnt);
    this.putVarbitUint(zCnt);
    const st = this.sumSt;
    st[0] = floatHi(h.sum);
    st[1] = lastLo();
    st[2] = NO_WINDOW;
    st[3] = 0;
    this.putBits(st[0]!, 32);
    this.putBits(st[1]!, 32);
    const bv = this.bv;
    const bd = this.bd;
    const abs = this.abs;
    let prev = 0;
    for (let i = 0; i < n; i++) {
      if (i === nP) prev = 0; // the negative side's deltas start over
      const c = i < nP ? pos[i]! : neg[i - nP]!;
      const v = c - prev;
      prev = c;
      this.putVarbitInt(v);
      bv[i] = v;
      bd[i] = 0;
      abs[i] = c;
    }
    this.t = t;
    this.tDelta = 0;
    this.cnt = cnt;
    this.zCnt = zCnt;
    this.cntDelta = 0;
    this.zCntDelta = 0;
    this.num = 1;
  }

  writeNext(t: number, h: Histogram, pos: ArrayLike<number>, neg: ArrayLike<number>): void {
    const stale = isStaleNaN(h.sum);
    const tDelta = t - this.t;
    const tDod = tDelta - this.tDelta;
    if (!Number.isSafeInteger(tDod)) throw new RangeError(`timestamp delta of ${t} exceeds 2^53 ms`);
    // A stale marker counts as an empty histogram, but its count deltas are written as 0.
    const cnt = stale ? 0 : h.count;
    const zCnt = stale ? 0 : h.zeroCount;
    const cntDelta = cnt - this.cnt;
    const zCntDelta = zCnt - this.zCnt;
    this.putVarbitInt(tDod);
    this.putVarbitInt(stale ? 0 : cntDelta - this.cntDelta);
    this.putVarbitInt(stale ? 0 : zCntDelta - this.zCntDelta);
    this.putXor(this.sumSt, 0, floatHi(h.sum), lastLo());
    if (!stale) {
      const nP = this.nP;
      const n = nP + this.nN;
      const bv = this.bv;
      const bd = this.bd;
      const abs = this.abs;
      let prev = 0;
      for (let i = 0; i < n; i++) {
        if (i === nP) prev = 0;
        const c = i < nP ? pos[i]! : neg[i - nP]!;
        const v = c - prev;
        prev = c;
        const delta = v - bv[i]!;
        this.putVarbitInt(delta - bd[i]!);
        bd[i] = delta;
        bv[i] = v;
        abs[i] = c;
      }
    }
    this.t = t;
    this.tDelta = tDelta;
    this.cnt = cnt;
    this.zCnt = zCnt;
    this.cntDelta = cntDelta;
    this.zCntDelta = zCntDelta;
    this.num++;
  }

  resumeFrom(chunkIt: HistogramChunkIterator): void {
    const it = chunkIt as HistogramIterator;
    this.resumeAt(it.bitPos());
    this.num = it.numRead;
    const l = it.layout;
    this.schema = l.schema;
    this.zeroThreshold = l.zeroThreshold;
    this.pSpans = l.positiveSpans.map((s) => ({ offset: s.offset, length: s.length }));
    this.nSpans = l.negativeSpans.map((s) => ({ offset: s.offset, length: s.length }));
    this.customValues = l.customValues?.slice();
    this.nP = it.nP;
    this.nN = it.nN;
    const n = it.nP + it.nN;
    this.ensureBuckets(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      if (i === it.nP) acc = 0;
      this.bv[i] = it.bv[i]!;
      this.bd[i] = it.bd[i]!;
      acc += it.bv[i]!;
      this.abs[i] = acc;
    }
    this.t = it.t;
    this.tDelta = it.tDelta;
    this.cnt = it.cnt;
    this.zCnt = it.zCnt;
    this.cntDelta = it.cntDelta;
    this.zCntDelta = it.zCntDelta;
    this.sumSt.set(it.sumSt);
  }
}

/** The hint a chunk's sample carries (Prometheus 3's counterResetHint: only gauge or "not the first"). */
export function sampleCounterResetHint(header: number, numRead: number): Histogram['counterResetHint'] {
  if ((header & COUNTER_RESET_HEADER_MASK) === CounterResetHeader.Gauge) return 'gauge';
  // The first sample's header may describe a chunk that is no longer its predecessor (out of
  // order, backfill), so it is "unknown", as in Prometheus 3.
  return numRead > 1 ? 'not_reset' : 'unknown';
}

/** Clears `h` to a stale marker, as Prometheus' iterators return them. */
export function setStale(h: Histogram, hi: number, lo: number): void {
  h.counterResetHint = 'unknown';
  h.schema = 0;
  h.zeroThreshold = 0;
  h.zeroCount = 0;
  h.count = 0;
  h.sum = floatFromBits(hi, lo);
  h.positiveSpans.length = 0;
  h.negativeSpans.length = 0;
  h.positiveBuckets.length = 0;
  h.negativeBuckets.length = 0;
  if (h.customValues !== undefined) h.customValues = undefined;
}

/** Copies a layout's spans and bounds into h. */
export function setLayoutOf(h: Histogram, l: Layout): void {
  h.schema = l.schema;
  h.zeroThreshold = l.zeroThreshold;
  copyInto(l.positiveSpans, h.positiveSpans);
  copyInto(l.negativeSpans, h.negativeSpans);
  if (l.customValues === undefined) {
    if (h.customValues !== undefined) h.customValues = undefined;
  } else {
    const cv = (h.customValues ??= []);
    for (let i = 0; i < l.customValues.length; i++) cv[i] = l.customValues[i]!;
    cv.length = l.customValues.length;
  }
}

function copyInto(src: readonly Span[], out: Span[]): void {
  for (let i = 0; i < src.length; i++) {
    const o = out[i];
    if (o === undefined) out.push({ offset: src[i]!.offset, length: src[i]!.length });
    else {
      o.offset = src[i]!.offset;
      o.length = src[i]!.length;
    }
  }
  out.length = src.length;
}

/**
 * Iterates a histogram chunk. Allocates nothing per sample (only when a chunk's layout needs
 * larger arrays); corrupt data ends iteration with `err()` set. Sees only the samples counted in
 * the header when it was reset.
 */
export class HistogramIterator implements SampleIterator, HistogramChunkIterator {
  private readonly br = new HistogramBitReader();
  private numTotal = 0;
  /** @internal */
  numRead = 0;
  private header = 0;
  private done = false;
  private error: Error | undefined = undefined;
  /** @internal Decoder state, also what an appender resumes from. */
  readonly layout: Layout = { schema: 0, zeroThreshold: 0, positiveSpans: [], negativeSpans: [], customValues: undefined };
  /** @internal */
  nP = 0;
  /** @internal */
  nN = 0;
  /** @internal */
  t = 0;
  /** @internal */
  tDelta = 0;
  /** @internal */
  cnt = 0;
  /** @internal */
  zCnt = 0;
  /** @internal */
  cntDelta = 0;
  /** @internal */
  zCntDelta = 0;
  /** @internal Per bucket: delta to the previous bucket, and its change since the previous sample. */
  bv = new Float64Array(0);
  /** @internal */
  bd = new Float64Array(0);
  /** @internal */
  readonly sumSt = new Int32Array([0, 0, NO_WINDOW, 0]);

  /** Restarts on the given chunk bytes. */
  reset(bytes: Uint8Array): void {
    this.resetRange(bytes, bytes.length);
  }

  /** @internal Restarts on `stream[0:len]`. */
  resetRange(stream: Uint8Array, len: number): void {
    this.br.reset(stream, HISTOGRAM_HEADER_SIZE, len);
    this.numRead = 0;
    this.done = false;
    this.error = undefined;
    this.t = 0;
    this.tDelta = 0;
    this.cnt = 0;
    this.zCnt = 0;
    this.cntDelta = 0;
    this.zCntDelta = 0;
    this.sumSt.fill(0);
    this.sumSt[2] = NO_WINDOW;
    if (len < HISTOGRAM_HEADER_SIZE) {
      this.numTotal = 0;
      this.header = 0;
      this.error = new ChunkCorruptError('histogram chunk shorter than its header');
    } else {
      this.numTotal = (stream[0]! << 8) | stream[1]!;
      this.header = stream[2]!;
    }
  }

  /** @internal Bit position after the last sample read. */
  bitPos(): number {
    return this.br.pos;
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    if (this.error !== undefined || this.numRead >= this.numTotal) {
      this.done = true;
      return ValueType.None;
    }
    const br = this.br;
    if (this.numRead === 0) {
      br.readLayout(this.layout);
      if (br.overflow) return this.fail('bad layout');
      if (!isKnownSchema(this.layout.schema)) return this.fail(`unknown schema ${this.layout.schema}`);
      let nP = 0;
      for (const s of this.layout.positiveSpans) nP += s.length;
      let nN = 0;
      for (const s of this.layout.negativeSpans) nN += s.length;
      this.nP = nP;
      this.nN = nN;
      const n = nP + nN;
      if (this.bv.length < n) {
        this.bv = new Float64Array(n);
        this.bd = new Float64Array(n);
      }
      this.t = br.readVarbitInt();
      this.cnt = br.readVarbitUint();
      this.zCnt = br.readVarbitUint();
      br.readFloatInto(this.sumSt, 0);
      const bv = this.bv;
      for (let i = 0; i < n; i++) {
        bv[i] = br.readVarbitInt();
        this.bd[i] = 0;
      }
    } else {
      this.tDelta += br.readVarbitInt();
      this.t += this.tDelta;
      this.cntDelta += br.readVarbitInt();
      this.cnt += this.cntDelta;
      this.zCntDelta += br.readVarbitInt();
      this.zCnt += this.zCntDelta;
      br.readXor(this.sumSt, 0);
      if (!(this.sumSt[0] === STALE_HI && this.sumSt[1] === STALE_LO)) {
        const n = this.nP + this.nN;
        const bv = this.bv;
        const bd = this.bd;
        for (let i = 0; i < n; i++) {
          bd[i] += br.readVarbitInt();
          bv[i] += bd[i]!;
        }
      }
    }
    if (br.overflow) return this.fail(br.fault ?? 'unexpected end of chunk data');
    this.numRead++;
    return ValueType.Histogram;
  }

  private fail(msg: string): ValueType {
    this.error = new ChunkCorruptError(`histogram chunk: ${msg} (sample ${this.numRead} of ${this.numTotal})`);
    this.done = true;
    return ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    while (this.numRead === 0 || t > this.t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return ValueType.Histogram;
  }

  atT(): number {
    return this.t;
  }

  atF(): number {
    throw new Error('atF() on a histogram sample: use atH() or atFH()');
  }

  /** The current histogram, into `h` (its arrays are reused) or a new object. Absolute counts. */
  atH(h?: Histogram): Histogram {
    const out = h ?? newHistogram();
    const st = this.sumSt;
    if (st[0] === STALE_HI && st[1] === STALE_LO) {
      setStale(out, st[0], st[1]);
      return out;
    }
    out.counterResetHint = sampleCounterResetHint(this.header, this.numRead);
    setLayoutOf(out, this.layout);
    out.count = this.cnt;
    out.zeroCount = this.zCnt;
    out.sum = floatFromBits(st[0]!, st[1]!);
    const nP = this.nP;
    const nN = this.nN;
    const bv = this.bv;
    const pb = out.positiveBuckets;
    let acc = 0;
    for (let i = 0; i < nP; i++) pb[i] = acc += bv[i]!;
    pb.length = nP;
    const nb = out.negativeBuckets;
    acc = 0;
    for (let i = 0; i < nN; i++) nb[i] = acc += bv[nP + i]!;
    nb.length = nN;
    // Schemas above 8 come from newer writers; readers reduce them (a slow path, as in Prometheus).
    if (out.schema > EXPONENTIAL_SCHEMA_MAX) reduceResolution(out, EXPONENTIAL_SCHEMA_MAX);
    return out;
  }

  /** The current histogram as a float histogram (same shape: the counts as they are). */
  atFH(fh?: Histogram): Histogram {
    return this.atH(fh);
  }

  err(): Error | undefined {
    return this.error;
  }
}
