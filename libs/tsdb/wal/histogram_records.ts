// WAL records of native histogram samples in Prometheus' encoding (tsdb/record): integer (7) and
// float (8) histograms with exponential buckets, and their custom-bucket variants (9, 10) that
// add the bounds. Integer buckets are deltas on the wire and absolute counts in memory.

import { COUNTER_RESET_HINT_BYTES, counterResetHintByte, isCustomBucketsSchema, isKnownSchema, newHistogram, reduceResolution, EXPONENTIAL_SCHEMA_MAX, type FloatHistogram, type Span } from '../../model/index.ts';
import { DecodeError, type Encbuf } from '../encoding/index.ts';

export const HistogramRecordType = {
  HistogramSamples: 7,
  FloatHistogramSamples: 8,
  CustomBucketsHistogramSamples: 9,
  CustomBucketsFloatHistogramSamples: 10,
} as const;
export type HistogramRecordType = (typeof HistogramRecordType)[keyof typeof HistogramRecordType];

/** A histogram sample of a series; `h` is an integer or a float histogram by the record (or list) it belongs to. */
export interface RefHistogramSample {
  ref: number;
  t: number;
  h: FloatHistogram;
}

const TWO32 = 0x100000000;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

// ---- writing ----

function putFloat(enc: Encbuf, v: number): void {
  f64[0] = v; // a typed-array store keeps NaN payloads (the stale marker is one)
  enc.putBE32(u32[HI]!);
  enc.putBE32(u32[LO]!);
}

/** Signed 64-bit big-endian (safe integers). */
function putBE64Int(enc: Encbuf, v: number): void {
  const hi = Math.floor(v / TWO32);
  enc.putBE32(hi | 0);
  enc.putBE32((v - hi * TWO32) >>> 0);
}

function putSpans(enc: Encbuf, spans: readonly Span[]): void {
  enc.putUvarint(spans.length);
  for (let i = 0; i < spans.length; i++) {
    enc.putVarint(spans[i]!.offset);
    enc.putUvarint(spans[i]!.length);
  }
}

/** Float counts as float64s, integer counts as deltas to the previous bucket. */
function putBuckets(enc: Encbuf, buckets: readonly number[], float: boolean): void {
  enc.putUvarint(buckets.length);
  if (float) for (let i = 0; i < buckets.length; i++) putFloat(enc, buckets[i]!);
  else {
    let prev = 0;
    for (let i = 0; i < buckets.length; i++) {
      enc.putVarint(buckets[i]! - prev);
      prev = buckets[i]!;
    }
  }
}

function putHistogram(enc: Encbuf, h: FloatHistogram, float: boolean): void {
  enc.putByte(counterResetHintByte(h.counterResetHint));
  enc.putVarint(h.schema);
  putFloat(enc, h.zeroThreshold);
  if (float) {
    putFloat(enc, h.zeroCount);
    putFloat(enc, h.count);
  } else {
    enc.putUvarint(h.zeroCount);
    enc.putUvarint(h.count);
  }
  putFloat(enc, h.sum);
  putSpans(enc, h.positiveSpans);
  putSpans(enc, h.negativeSpans);
  putBuckets(enc, h.positiveBuckets, float);
  putBuckets(enc, h.negativeBuckets, float);
  if (isCustomBucketsSchema(h.schema)) {
    const cv = h.customValues ?? [];
    enc.putUvarint(cv.length);
    for (let i = 0; i < cv.length; i++) putFloat(enc, cv[i]!);
  }
}

/**
 * Appends the records for `samples` (integer histograms, or float ones with `float`) to `enc`
 * and returns views of them (valid until `enc` is reset): one record of the exponential-bucket
 * samples and one of the custom-bucket samples, each only if it has samples, as Prometheus
 * splits them. Refs and timestamps are deltas to the record's first sample.
 */
export function encodeHistogramSamples(samples: readonly RefHistogramSample[], float: boolean, enc: Encbuf): Uint8Array[] {
  const starts: number[] = [];
  for (const custom of [false, true]) {
    let first: RefHistogramSample | undefined;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (isCustomBucketsSchema(s.h.schema) !== custom) continue;
      if (first === undefined) {
        first = s;
        starts.push(enc.len);
        enc.putByte(custom ? (float ? 10 : 9) : float ? 8 : 7);
        putBE64Int(enc, s.ref);
        putBE64Int(enc, s.t);
      }
      enc.putVarint(s.ref - first.ref);
      enc.putVarint(s.t - first.t);
      putHistogram(enc, s.h, float);
    }
  }
  // Views are taken at the end: the buffer may have been reallocated while writing.
  starts.push(enc.len);
  const out: Uint8Array[] = [];
  for (let k = 0; k + 1 < starts.length; k++) out.push(enc.buf.subarray(starts[k]!, starts[k + 1]!));
  return out;
}

// ---- reading ----

class Cursor {
  off = 1;
  constructor(
    readonly b: Uint8Array,
    readonly end: number,
  ) {}

  need(n: number): void {
    if (this.off + n > this.end) throw new DecodeError(`unexpected end of record at offset ${this.off} (need ${n} bytes)`);
  }

  byte(): number {
    this.need(1);
    return this.b[this.off++]!;
  }

  be32(): number {
    this.need(4);
    const b = this.b;
    const o = this.off;
    this.off = o + 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  be64Int(): number {
    const hi = this.be32() | 0;
    return hi * TWO32 + this.be32();
  }

  float(): number {
    u32[HI] = this.be32();
    u32[LO] = this.be32();
    return f64[0]!;
  }

  uvarint(): number {
    const b = this.b;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.off >= this.end) throw new DecodeError(`unexpected end of record in varint at offset ${this.off}`);
      const c = b[this.off++]!;
      result += (c & 0x7f) * mul;
      if (c < 0x80) return result;
      mul *= 0x80;
    }
    throw new DecodeError(`varint overflow at offset ${this.off}`);
  }

  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** A length that cannot exceed what is left of the record (each element takes >= `min` bytes). */
  count(min: number): number {
    const n = this.uvarint();
    if (n * min > this.end - this.off) throw new DecodeError(`count ${n} exceeds the record`);
    return n;
  }
}

function readSpans(c: Cursor, out: Span[]): void {
  const n = c.count(2);
  for (let i = 0; i < n; i++) {
    const offset = c.varint();
    const length = c.uvarint();
    const s = out[i];
    if (s === undefined) out.push({ offset, length });
    else {
      s.offset = offset;
      s.length = length;
    }
  }
  out.length = n;
}

function readBuckets(c: Cursor, buckets: number[], float: boolean): void {
  const n = c.count(1);
  if (float) for (let i = 0; i < n; i++) buckets[i] = c.float();
  else {
    let acc = 0;
    for (let i = 0; i < n; i++) buckets[i] = acc += c.varint();
  }
  buckets.length = n;
}

function readHistogram(c: Cursor, h: FloatHistogram, float: boolean): void {
  const hint = c.byte();
  h.counterResetHint = COUNTER_RESET_HINT_BYTES[hint] ?? 'unknown';
  h.schema = c.varint();
  h.zeroThreshold = c.float();
  if (float) {
    h.zeroCount = c.float();
    h.count = c.float();
  } else {
    h.zeroCount = c.uvarint();
    h.count = c.uvarint();
  }
  h.sum = c.float();
  readSpans(c, h.positiveSpans);
  readSpans(c, h.negativeSpans);
  readBuckets(c, h.positiveBuckets, float);
  readBuckets(c, h.negativeBuckets, float);
  if (isCustomBucketsSchema(h.schema)) {
    const n = c.count(8);
    const cv = (h.customValues ??= []);
    for (let i = 0; i < n; i++) cv[i] = c.float();
    cv.length = n;
  } else if (h.customValues !== undefined) {
    h.customValues = undefined;
  }
}

/** Whether a record type holds float histograms (8, 10) rather than integer ones (7, 9). */
export function isFloatHistogramRecord(type: number): boolean {
  return type === HistogramRecordType.FloatHistogramSamples || type === HistogramRecordType.CustomBucketsFloatHistogramSamples;
}

/**
 * Decodes a histogram record (any of 7..10) into `out[0..n)`, reusing the entries (and their
 * histograms' arrays) already there; returns n. Samples with a schema unknown to this version
 * are skipped, as Prometheus does; schemas above 8 are reduced to 8. Throws DecodeError.
 */
export function decodeHistogramSamples(rec: Uint8Array, out: RefHistogramSample[]): number {
  const type = rec[0];
  if (type === undefined || type < 7 || type > 10) throw new DecodeError(`invalid record type ${type ?? '<empty>'}, expected a histogram record`);
  if (rec.length === 1) return 0;
  const float = isFloatHistogramRecord(type);
  const c = new Cursor(rec, rec.length);
  const baseRef = c.be64Int();
  const baseT = c.be64Int();
  let n = 0;
  try {
    while (c.off < c.end) {
      const ref = baseRef + c.varint();
      const t = baseT + c.varint();
      let s = out[n];
      if (s === undefined) {
        s = { ref, t, h: newHistogram() };
        out[n] = s;
      } else {
        s.ref = ref;
        s.t = t;
      }
      readHistogram(c, s.h, float);
      if (!isKnownSchema(s.h.schema)) continue;
      if (s.h.schema > EXPONENTIAL_SCHEMA_MAX) reduceResolution(s.h, EXPONENTIAL_SCHEMA_MAX);
      n++;
    }
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(`histogram record: ${err.message} after ${n} histograms`);
    throw err;
  }
  return n;
}
