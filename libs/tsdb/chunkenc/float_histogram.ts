// Prometheus' float histogram chunk (encoding 3), byte for byte: the same header and layout as
// the integer chunk; the first sample as varbit t and raw float64 count, zero count, sum and
// buckets; later samples as a delta-of-delta varbit t and an XOR (with its own window) for
// every other field. A stale marker writes count and zero count as 0 and no buckets.

import { isStaleNaN, isKnownSchema, newHistogram, reduceResolution, EXPONENTIAL_SCHEMA_MAX, type FloatHistogram, type Span } from '../../model/index.ts';
import { ValueType, type SampleIterator } from '../../storage/index.ts';
import { ChunkCorruptError, Encoding } from './chunk.ts';
import { HistogramAppenderBase, HistogramChunkBase, type HistogramChunkIterator } from './histogram_base.ts';
import { sampleCounterResetHint, setLayoutOf, setStale } from './histogram.ts';
import { HISTOGRAM_HEADER_SIZE, HistogramBitReader, NO_WINDOW, floatFromBits, floatHi, lastLo, type Layout } from './histogram_meta.ts';

const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;
/** Fields before the buckets in the per-field state: count, zero count, sum. */
const FIXED = 3;
const SUM = 2 * 4;

/** A float histogram chunk. See HistogramChunkBase for appending and compacting. */
export class FloatHistogramChunk extends HistogramChunkBase<FloatHistogramAppender> {
  get encoding(): Encoding {
    return Encoding.FloatHistogram;
  }

  protected newAppender(stream: Uint8Array): FloatHistogramAppender {
    return new FloatHistogramAppender(this, stream);
  }

  protected newIterator(): FloatHistogramIterator {
    return new FloatHistogramIterator();
  }

  /** Iterates the samples present now; reuses `reuse` if it is a float histogram iterator. */
  iterator(reuse?: SampleIterator): FloatHistogramIterator {
    const it = reuse instanceof FloatHistogramIterator ? reuse : new FloatHistogramIterator();
    this.reading(it);
    return it;
  }
}

/** Per-field XOR state, 4 words a field: bits hi, lo, leading and trailing zeros. */
function newState(fields: number): Int32Array {
  const st = new Int32Array(4 * fields);
  for (let k = 2; k < st.length; k += 4) st[k] = NO_WINDOW;
  return st;
}

/** Appends float histograms; see HistogramAppenderBase.appendHistogram. */
export class FloatHistogramAppender extends HistogramAppenderBase {
  protected readonly isFloat = true;
  private t = 0;
  private tDelta = 0;
  /** XOR state of count, zero count, sum, then each bucket (positive, then negative). */
  private st = newState(FIXED);
  /** The same fields as doubles, for counter-reset checks. */
  private cur = new Float64Array(FIXED);

  protected counts(): Float64Array {
    return this.cur;
  }

  protected posStart(): number {
    return FIXED;
  }

  protected lastSampleStale(): boolean {
    return this.st[SUM] === STALE_HI && this.st[SUM + 1] === STALE_LO;
  }

  protected emptyChunk(capacity: number): FloatHistogramChunk {
    return new FloatHistogramChunk(undefined, capacity);
  }

  writeFirst(t: number, h: FloatHistogram, pSpans: readonly Span[], nSpans: readonly Span[], pos: ArrayLike<number>, neg: ArrayLike<number>): void {
    const stale = isStaleNaN(h.sum);
    this.setLayout(h, pSpans, nSpans, stale);
    const nP = this.nP;
    const fields = FIXED + nP + this.nN;
    if (this.cur.length < fields) {
      this.st = newState(fields);
      this.cur = new Float64Array(fields);
    } else {
      for (let k = 0; k < 4 * fields; k += 4) {
        this.st[k + 2] = NO_WINDOW;
        this.st[k + 3] = 0;
      }
    }
    this.putVarbitInt(t);
    const cur = this.cur;
    cur[0] = stale ? 0 : h.count;
    cur[1] = stale ? 0 : h.zeroCount;
    cur[2] = h.sum;
    for (let i = FIXED; i < fields; i++) cur[i] = i < FIXED + nP ? pos[i - FIXED]! : neg[i - FIXED - nP]!;
    const st = this.st;
    for (let i = 0; i < fields; i++) {
      const hi = floatHi(cur[i]!);
      const lo = lastLo();
      st[4 * i] = hi;
      st[4 * i + 1] = lo;
      this.putBits(hi, 32);
      this.putBits(lo, 32);
    }
    this.t = t;
    this.tDelta = 0;
    this.cnt = cur[0]!;
    this.zCnt = cur[1]!;
    this.num = 1;
  }

  writeNext(t: number, h: FloatHistogram, pos: ArrayLike<number>, neg: ArrayLike<number>): void {
    const stale = isStaleNaN(h.sum);
    const tDelta = t - this.t;
    const tDod = tDelta - this.tDelta;
    if (!Number.isSafeInteger(tDod)) throw new RangeError(`timestamp delta of ${t} exceeds 2^53 ms`);
    this.putVarbitInt(tDod);
    const st = this.st;
    const cur = this.cur;
    const c = stale ? 0 : h.count;
    const z = stale ? 0 : h.zeroCount;
    this.putXor(st, 0, floatHi(c), lastLo());
    this.putXor(st, 4, floatHi(z), lastLo());
    this.putXor(st, SUM, floatHi(h.sum), lastLo());
    cur[0] = c;
    cur[1] = z;
    cur[2] = h.sum;
    if (!stale) {
      const nP = this.nP;
      const fields = FIXED + nP + this.nN;
      for (let i = FIXED; i < fields; i++) {
        const v = i < FIXED + nP ? pos[i - FIXED]! : neg[i - FIXED - nP]!;
        this.putXor(st, 4 * i, floatHi(v), lastLo());
        cur[i] = v;
      }
    }
    this.t = t;
    this.tDelta = tDelta;
    this.cnt = c;
    this.zCnt = z;
    this.num++;
  }

  resumeFrom(chunkIt: HistogramChunkIterator): void {
    const it = chunkIt as FloatHistogramIterator;
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
    const fields = FIXED + it.nP + it.nN;
    this.st = it.st.slice(0, 4 * fields);
    this.cur = new Float64Array(fields);
    for (let i = 0; i < fields; i++) this.cur[i] = floatFromBits(this.st[4 * i]!, this.st[4 * i + 1]!);
    this.t = it.t;
    this.tDelta = it.tDelta;
    this.cnt = this.cur[0]!;
    this.zCnt = this.cur[1]!;
  }
}

/**
 * Iterates a float histogram chunk. Allocates nothing per sample (only when a chunk's layout
 * needs larger arrays); corrupt data ends iteration with `err()` set.
 */
export class FloatHistogramIterator implements SampleIterator, HistogramChunkIterator {
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
  /** @internal XOR state of count, zero count, sum and the buckets. */
  st = newState(FIXED);

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
    if (len < HISTOGRAM_HEADER_SIZE) {
      this.numTotal = 0;
      this.header = 0;
      this.error = new ChunkCorruptError('float histogram chunk shorter than its header');
    } else {
      this.numTotal = (stream[0]! << 8) | stream[1]!;
      this.header = stream[2]!;
    }
  }

  /** @internal */
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
      const fields = FIXED + nP + nN;
      if (this.st.length < 4 * fields) this.st = newState(fields);
      const st = this.st;
      this.t = br.readVarbitInt();
      for (let k = 0; k < 4 * fields; k += 4) {
        br.readFloatInto(st, k);
        st[k + 2] = NO_WINDOW;
        st[k + 3] = 0;
      }
    } else {
      this.tDelta += br.readVarbitInt();
      this.t += this.tDelta;
      const st = this.st;
      br.readXor(st, 0);
      br.readXor(st, 4);
      br.readXor(st, SUM);
      if (!(st[SUM] === STALE_HI && st[SUM + 1] === STALE_LO)) {
        const end = 4 * (FIXED + this.nP + this.nN);
        for (let k = 4 * FIXED; k < end; k += 4) br.readXor(st, k);
      }
    }
    if (br.overflow) return this.fail(br.fault ?? 'unexpected end of chunk data');
    this.numRead++;
    return ValueType.FloatHistogram;
  }

  private fail(msg: string): ValueType {
    this.error = new ChunkCorruptError(`float histogram chunk: ${msg} (sample ${this.numRead} of ${this.numTotal})`);
    this.done = true;
    return ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    while (this.numRead === 0 || t > this.t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return ValueType.FloatHistogram;
  }

  atT(): number {
    return this.t;
  }

  atF(): number {
    throw new Error('atF() on a float histogram sample: use atFH()');
  }

  /** Not valid for float histograms (Prometheus panics too). */
  atH(): FloatHistogram {
    throw new Error('atH() on a float histogram sample: use atFH()');
  }

  /** The current float histogram, into `fh` (its arrays are reused) or a new object. */
  atFH(fh?: FloatHistogram): FloatHistogram {
    const out = fh ?? newHistogram();
    const st = this.st;
    if (st[SUM] === STALE_HI && st[SUM + 1] === STALE_LO) {
      setStale(out, STALE_HI, STALE_LO);
      return out;
    }
    out.counterResetHint = sampleCounterResetHint(this.header, this.numRead);
    setLayoutOf(out, this.layout);
    out.count = floatFromBits(st[0]!, st[1]!);
    out.zeroCount = floatFromBits(st[4]!, st[5]!);
    out.sum = floatFromBits(st[SUM]!, st[SUM + 1]!);
    const nP = this.nP;
    const nN = this.nN;
    const pb = out.positiveBuckets;
    for (let i = 0; i < nP; i++) pb[i] = floatFromBits(st[4 * (FIXED + i)]!, st[4 * (FIXED + i) + 1]!);
    pb.length = nP;
    const nb = out.negativeBuckets;
    for (let i = 0; i < nN; i++) nb[i] = floatFromBits(st[4 * (FIXED + nP + i)]!, st[4 * (FIXED + nP + i) + 1]!);
    nb.length = nN;
    if (out.schema > EXPONENTIAL_SCHEMA_MAX) reduceResolution(out, EXPONENTIAL_SCHEMA_MAX);
    return out;
  }

  err(): Error | undefined {
    return this.error;
  }
}
