// Encoder of prometheus.WriteRequest (remote write 1.0): for tests, the agent and load generators.
// Canonical proto3 output (default values omitted, repeated numbers packed), except that -0 is
// written (its bits are not the default's). Nested lengths are back-patched, so one pass suffices.

import { Labels } from '../model/index.ts';

export interface SampleInput {
  readonly value: number;
  /** Milliseconds; an integer within ±2^63. */
  readonly timestamp: number;
}

export interface ExemplarInput {
  readonly labels: Labels | readonly string[];
  readonly value: number;
  readonly timestamp: number;
}

export interface BucketSpanInput {
  readonly offset: number;
  readonly length: number;
}

/**
 * A native histogram; the shape of DecodedHistogram, with the repeated parts optional. For
 * bit-exact NaN payloads in the counts pass Float64Arrays: V8 quiets signaling NaNs in JS arrays.
 */
export interface HistogramInput {
  readonly count: number;
  /** Write count_float rather than count_int (float histograms). */
  readonly countFloat?: boolean;
  readonly zeroCount: number;
  readonly zeroCountFloat?: boolean;
  readonly sum: number;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly negativeSpans?: readonly BucketSpanInput[];
  readonly negativeDeltas?: ArrayLike<number>;
  readonly negativeCounts?: ArrayLike<number>;
  readonly positiveSpans?: readonly BucketSpanInput[];
  readonly positiveDeltas?: ArrayLike<number>;
  readonly positiveCounts?: ArrayLike<number>;
  readonly resetHint?: number;
  readonly timestamp: number;
  readonly customValues?: ArrayLike<number>;
}

export interface TimeSeriesInput {
  /** Labels, a flat [name, value, …] array (written in its order), or label fields from encodeLabels. */
  readonly labels: Labels | readonly string[] | Uint8Array;
  readonly samples?: readonly SampleInput[];
  readonly exemplars?: readonly ExemplarInput[];
  readonly histograms?: readonly HistogramInput[];
}

export interface MetadataInput {
  /** MetricType (0 unknown, 1 counter, …). */
  readonly type: number;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

export interface WriteRequestInput {
  readonly timeseries?: readonly TimeSeriesInput[];
  readonly metadata?: readonly MetadataInput[];
}

const utf8 = new TextEncoder();
const TWO32 = 4294967296;

function varintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** UTF-8 length of s as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function checkInt64(t: number, what: string): void {
  if (!Number.isInteger(t) || t < -(2 ** 63) || t >= 2 ** 63) throw new RangeError(`${what} must be an integer within ±2^63, got ${t}`);
}

/**
 * Builds one WriteRequest in a growable buffer. Call the series and metadata methods, then
 * `finish()` (a copy) or `view()`; `reset()` starts the next request in the same buffer.
 */
export class WriteRequestEncoder {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  get length(): number {
    return this.len;
  }

  reset(): void {
    this.len = 0;
  }

  /** The request so far, copied. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** The request so far, a view valid until the next call that writes or resets. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** One TimeSeries with a single sample and labels from encodeLabels: the load generator's fast path. */
  sampleSeries(encodedLabels: Uint8Array, timestamp: number, value: number): void {
    checkInt64(timestamp, 'timestamp');
    const tLen = timestamp === 0 ? 0 : 1 + (timestamp > 0 ? varintLen(timestamp) : 10);
    const vLen = this.isZeroBits(value) ? 0 : 9;
    const sampleLen = vLen + tLen;
    this.tag(0x0a);
    this.uvarint(encodedLabels.length + 1 + varintLen(sampleLen) + sampleLen);
    this.raw(encodedLabels);
    this.tag(0x12);
    this.uvarint(sampleLen);
    if (vLen !== 0) {
      this.tag(0x09);
      this.double(value);
    }
    if (tLen !== 0) {
      this.tag(0x10);
      this.int64(timestamp);
    }
  }

  /** A TimeSeries whose message body is given as is (a decoded request's rawSeries, forwarded). */
  rawTimeSeries(body: Uint8Array): void {
    this.tag(0x0a);
    this.uvarint(body.length);
    this.raw(body);
  }

  timeSeries(ts: TimeSeriesInput): void {
    const start = this.begin(0x0a);
    if (ts.labels instanceof Uint8Array) this.raw(ts.labels);
    else this.labels(0x0a, ts.labels);
    for (const s of ts.samples ?? []) {
      checkInt64(s.timestamp, 'timestamp');
      const m = this.begin(0x12);
      this.doubleField(0x09, s.value);
      this.int64Field(0x10, s.timestamp);
      this.end(m);
    }
    for (const e of ts.exemplars ?? []) {
      checkInt64(e.timestamp, 'exemplar timestamp');
      const m = this.begin(0x1a);
      this.labels(0x0a, e.labels);
      this.doubleField(0x11, e.value);
      this.int64Field(0x18, e.timestamp);
      this.end(m);
    }
    for (const h of ts.histograms ?? []) this.histogram(h);
    this.end(start);
  }

  metadata(md: MetadataInput): void {
    const m = this.begin(0x1a);
    if (md.type !== 0) {
      this.tag(0x08);
      this.int32(md.type);
    }
    this.stringField(0x12, md.metricFamilyName);
    this.stringField(0x22, md.help);
    this.stringField(0x2a, md.unit);
    this.end(m);
  }

  private histogram(h: HistogramInput): void {
    checkInt64(h.timestamp, 'histogram timestamp');
    const m = this.begin(0x22);
    // oneof members are written even when zero: their presence says int or float.
    if (h.countFloat === true) {
      this.tag(0x11);
      this.double(h.count);
    } else {
      this.tag(0x08);
      this.uint64(h.count, 'histogram count');
    }
    this.doubleField(0x19, h.sum);
    if (h.schema !== 0) {
      this.tag(0x20);
      this.uvarint(((h.schema << 1) ^ (h.schema >> 31)) >>> 0);
    }
    this.doubleField(0x29, h.zeroThreshold);
    if (h.zeroCountFloat === true) {
      this.tag(0x39);
      this.double(h.zeroCount);
    } else {
      this.tag(0x30);
      this.uint64(h.zeroCount, 'histogram zero count');
    }
    this.spans(0x42, h.negativeSpans);
    this.packedSint64(0x4a, h.negativeDeltas);
    this.packedDoubles(0x52, h.negativeCounts);
    this.spans(0x5a, h.positiveSpans);
    this.packedSint64(0x62, h.positiveDeltas);
    this.packedDoubles(0x6a, h.positiveCounts);
    if (h.resetHint !== undefined && h.resetHint !== 0) {
      this.tag(0x70);
      this.int32(h.resetHint);
    }
    this.int64Field(0x78, h.timestamp);
    if (h.customValues !== undefined && h.customValues.length > 0) {
      this.tag(0x82);
      this.tag(0x01);
      this.uvarint(h.customValues.length * 8);
      for (let i = 0; i < h.customValues.length; i++) this.double(h.customValues[i]!);
    }
    this.end(m);
  }

  private spans(tag: number, spans: readonly BucketSpanInput[] | undefined): void {
    for (const s of spans ?? []) {
      const m = this.begin(tag);
      if (s.offset !== 0) {
        this.tag(0x08);
        this.uvarint(((s.offset << 1) ^ (s.offset >> 31)) >>> 0);
      }
      if (s.length !== 0) {
        this.tag(0x10);
        this.uvarint(s.length >>> 0);
      }
      this.end(m);
    }
  }

  private packedSint64(tag: number, vs: ArrayLike<number> | undefined): void {
    if (vs === undefined || vs.length === 0) return;
    const m = this.begin(tag);
    for (let i = 0; i < vs.length; i++) {
      const d = vs[i]!;
      checkInt64(d, 'histogram delta');
      const hi = Math.floor(d / TWO32);
      const lo = d - hi * TWO32;
      // zigzag over 64 bits: (d << 1) ^ (d >> 63)
      const sign = hi < 0 ? -1 : 0;
      this.varint64((((hi << 1) | (lo >>> 31)) ^ sign) >>> 0, (((lo << 1) | 0) ^ sign) >>> 0);
    }
    this.end(m);
  }

  private packedDoubles(tag: number, vs: ArrayLike<number> | undefined): void {
    if (vs === undefined || vs.length === 0) return;
    this.tag(tag);
    this.uvarint(vs.length * 8);
    for (let i = 0; i < vs.length; i++) this.double(vs[i]!);
  }

  private labels(tag: number, labels: Labels | readonly string[]): void {
    const flat = labels instanceof Labels ? labels.toFlat() : labels;
    if (flat.length % 2 !== 0) throw new RangeError('labels: odd number of strings');
    for (let i = 0; i < flat.length; i += 2) {
      const m = this.begin(tag);
      this.stringField(0x0a, flat[i]!);
      this.stringField(0x12, flat[i + 1]!);
      this.end(m);
    }
  }

  // --- primitives ---

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  private tag(t: number): void {
    this.ensure(1);
    this.buf[this.len++] = t;
  }

  private raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Non-negative integers below 2^53. */
  private uvarint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  private varint64(hi: number, lo: number): void {
    this.ensure(10);
    while (hi !== 0 || lo >= 0x80) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.len++] = lo;
  }

  private int64(t: number): void {
    const hi = Math.floor(t / TWO32);
    this.varint64(hi >>> 0, (t - hi * TWO32) >>> 0);
  }

  private uint64(n: number, what: string): void {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 64) throw new RangeError(`${what} must be an integer within [0, 2^64), got ${n}`);
    const hi = Math.floor(n / TWO32);
    this.varint64(hi >>> 0, (n - hi * TWO32) >>> 0);
  }

  /** int32/enum: negatives are sign-extended to 10 bytes, as protobuf requires. */
  private int32(n: number): void {
    this.varint64(n < 0 ? 0xffffffff : 0, n >>> 0);
  }

  private isZeroBits(v: number): boolean {
    this.f64[0] = v;
    return this.u32[0] === 0 && this.u32[1] === 0;
  }

  private double(v: number): void {
    this.f64[0] = v;
    this.raw(this.f64Bytes);
  }

  private doubleField(tag: number, v: number): void {
    if (this.isZeroBits(v)) return;
    this.tag(tag);
    this.double(v);
  }

  private int64Field(tag: number, t: number): void {
    if (t === 0) return;
    this.tag(tag);
    this.int64(t);
  }

  private stringField(tag: number, s: string): void {
    if (s === '') return;
    const n = utf8Length(s);
    this.tag(tag);
    this.uvarint(n);
    this.ensure(n);
    utf8.encodeInto(s, this.buf.subarray(this.len, this.len + n));
    this.len += n;
  }

  /** Writes `tag` and reserves one length byte; returns where the body starts. */
  private begin(tag: number): number {
    this.ensure(2);
    this.buf[this.len++] = tag;
    this.len++;
    return this.len;
  }

  /** Writes the length of the body begun at `start`, moving the body when it needs more than one byte. */
  private end(start: number): void {
    const bodyLen = this.len - start;
    const n = varintLen(bodyLen);
    if (n > 1) {
      this.ensure(n - 1);
      this.buf.copyWithin(start + n - 1, start, this.len);
      this.len += n - 1;
    }
    let p = start - 1;
    let v = bodyLen;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
  }
}

/** The `labels` fields of a TimeSeries, encoded once per series for sampleSeries / TimeSeriesInput. */
export function encodeLabels(labels: Labels | readonly string[]): Uint8Array {
  const e = (labelsEncoder ??= new WriteRequestEncoder());
  e.reset();
  e.timeSeries({ labels });
  // The series message is tag (1 byte), length, then the label fields: strip the first two.
  const b = e.view();
  let p = 1;
  while (b[p]! >= 0x80) p++;
  return b.slice(p + 1);
}

let labelsEncoder: WriteRequestEncoder | undefined;

/** Encodes a whole WriteRequest (uncompressed protobuf). */
export function encodeWriteRequest(req: WriteRequestInput): Uint8Array {
  const e = new WriteRequestEncoder();
  for (const ts of req.timeseries ?? []) e.timeSeries(ts);
  for (const md of req.metadata ?? []) e.metadata(md);
  return e.finish();
}
