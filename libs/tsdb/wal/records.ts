// WAL record payloads in Prometheus' encoding (tsdb/record): series (1), samples (2), tombstones (3);
// the histogram records (7..10) are in histogram_records.ts.
// Samples are encoded from and decoded into columnar typed arrays so that no sample allocates.

import { Encbuf, DecodeError } from '../encoding/index.ts';
import { Labels } from '../../model/index.ts';

export const RecordType = {
  Series: 1,
  Samples: 2,
  Tombstones: 3,
  HistogramSamples: 7,
  FloatHistogramSamples: 8,
  CustomBucketsHistogramSamples: 9,
  CustomBucketsFloatHistogramSamples: 10,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The type of a record's payload, or 0 for an empty record or a type we do not decode (exemplars, metadata, …). */
export function recordType(rec: Uint8Array): RecordType | 0 {
  if (rec.length === 0) return 0;
  const t = rec[0]!;
  return (t >= 1 && t <= 3) || (t >= 7 && t <= 10) ? (t as RecordType) : 0;
}

/** A series with the reference the head assigned to it. Refs are integers below 2^53. */
export interface RefSeries {
  ref: number;
  labels: Labels;
}

/** A deleted interval [mint, maxt] (inclusive) of one series. */
export interface Tombstone {
  ref: number;
  mint: number;
  maxt: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// Index of the high/low 32-bit word of a float64 in a Uint32Array view of native memory.
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/**
 * Columnar samples: `refs[i]`, `ts[i]`, `vs[i]` for i < length. Values are copied as raw bits
 * (through `vsBits`), so stale markers and other NaN payloads survive bit-exact.
 * The arrays grow by reallocation: re-read the fields after `push`/`ensure`/decoding.
 */
export class SampleBatch {
  refs: Float64Array;
  ts: Float64Array;
  vs: Float64Array;
  /** The bits of `vs`, two 32-bit words per value in native order. */
  vsBits: Uint32Array;
  length = 0;

  constructor(capacity = 256) {
    const cap = Math.max(1, capacity);
    this.refs = new Float64Array(cap);
    this.ts = new Float64Array(cap);
    this.vs = new Float64Array(cap);
    this.vsBits = new Uint32Array(this.vs.buffer);
  }

  get capacity(): number {
    return this.refs.length;
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for at least `n` samples in total, keeping the first `length`. */
  ensure(n: number): void {
    if (n <= this.refs.length) return;
    let cap = this.refs.length * 2;
    while (cap < n) cap *= 2;
    const refs = new Float64Array(cap);
    refs.set(this.refs.subarray(0, this.length));
    const ts = new Float64Array(cap);
    ts.set(this.ts.subarray(0, this.length));
    const vs = new Float64Array(cap);
    const vsBits = new Uint32Array(vs.buffer);
    vsBits.set(this.vsBits.subarray(0, 2 * this.length)); // integer copy: never touches NaN bits
    this.refs = refs;
    this.ts = ts;
    this.vs = vs;
    this.vsBits = vsBits;
  }

  push(ref: number, t: number, v: number): void {
    if (this.length === this.refs.length) this.ensure(this.length + 1);
    const i = this.length++;
    this.refs[i] = ref;
    this.ts[i] = t;
    this.vs[i] = v;
  }

  /** Appends sample `i` of `src`, copying the value's bits. */
  pushFrom(src: SampleBatch, i: number): void {
    if (this.length === this.refs.length) this.ensure(this.length + 1);
    const j = this.length++;
    this.refs[j] = src.refs[i]!;
    this.ts[j] = src.ts[i]!;
    this.vsBits[2 * j] = src.vsBits[2 * i]!;
    this.vsBits[2 * j + 1] = src.vsBits[2 * i + 1]!;
  }
}

// ---- low-level writing into an Encbuf without per-value bounds checks ----

/** Makes room for `n` more bytes in `enc` (Encbuf keeps its growth private, but `buf` is public). */
function reserve(enc: Encbuf, n: number): void {
  if (enc.len + n <= enc.buf.length) return;
  let cap = Math.max(64, enc.buf.length * 2);
  while (cap < enc.len + n) cap *= 2;
  const nb = new Uint8Array(cap);
  nb.set(enc.buf.subarray(0, enc.len));
  enc.buf = nb;
}

const TWO32 = 0x100000000;
const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);

/** Writes a signed 64-bit big-endian integer; values outside int64 are clamped. */
function putBE64Int(b: Uint8Array, o: number, v: number): void {
  let hi: number;
  let lo: number;
  if (Number.isSafeInteger(v)) {
    hi = Math.floor(v / TWO32);
    lo = v - hi * TWO32;
  } else {
    let x = BigInt(Math.trunc(v));
    if (x > MAX_INT64) x = MAX_INT64;
    if (x < MIN_INT64) x = MIN_INT64;
    const u = BigInt.asUintN(64, x);
    hi = Number(u >> 32n);
    lo = Number(u & 0xffffffffn);
  }
  b[o] = hi >>> 24;
  b[o + 1] = hi >>> 16;
  b[o + 2] = hi >>> 8;
  b[o + 3] = hi;
  b[o + 4] = lo >>> 24;
  b[o + 5] = lo >>> 16;
  b[o + 6] = lo >>> 8;
  b[o + 7] = lo;
}

/** Zig-zag varint (Go's PutVarint) at `o`; returns the new offset. Values outside int64 are clamped. */
function putVarint(b: Uint8Array, o: number, v: number): number {
  if (v < 2 ** 52 && v > -(2 ** 52)) {
    let u = v >= 0 ? v * 2 : -v * 2 - 1;
    while (u >= 0x80) {
      b[o++] = (u % 0x80) | 0x80;
      u = Math.floor(u / 0x80);
    }
    b[o++] = u;
    return o;
  }
  // Rare: sentinels like math.MaxInt64 (open-ended tombstones).
  let x = BigInt(Math.trunc(v));
  if (x > MAX_INT64) x = MAX_INT64;
  if (x < MIN_INT64) x = MIN_INT64;
  let u = BigInt.asUintN(64, (x << 1n) ^ (x >> 63n));
  while (u >= 0x80n) {
    b[o++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  b[o++] = Number(u);
  return o;
}

// ---- low-level reading; `cur.off` is the cursor, shared to avoid returning pairs ----

interface Cursor {
  b: Uint8Array;
  off: number;
  end: number;
}

function readUvarint(c: Cursor): number {
  const b = c.b;
  let o = c.off;
  if (o < c.end && b[o]! < 0x80) {
    c.off = o + 1;
    return b[o]!;
  }
  let x = 0;
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (o >= c.end) throw new DecodeError(`unexpected end of record in varint at offset ${o}`);
    x = b[o++]!;
    result += (x & 0x7f) * mul;
    if (x < 0x80) {
      c.off = o;
      return result;
    }
    mul *= 0x80;
  }
  throw new DecodeError(`varint overflow at offset ${o}`);
}

function readVarint(c: Cursor): number {
  const start = c.off;
  const u = readUvarint(c);
  if (u <= Number.MAX_SAFE_INTEGER) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  // Rare: beyond 2^53 (e.g. MaxInt64 tombstones) the float lost the sign bit; redo it exactly.
  let x = 0n;
  for (let i = 0, o = start; o < c.off; i++, o++) x |= BigInt(c.b[o]! & 0x7f) << BigInt(7 * i);
  return Number(BigInt.asIntN(64, (x >> 1n) ^ -(x & 1n)));
}

function readBE32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function need(c: Cursor, n: number): void {
  if (c.off + n > c.end) throw new DecodeError(`unexpected end of record at offset ${c.off} (need ${n} bytes)`);
}

function readBE64Uint(c: Cursor): number {
  need(c, 8);
  const v = readBE32(c.b, c.off) * TWO32 + readBE32(c.b, c.off + 4);
  c.off += 8;
  return v;
}

function readBE64Int(c: Cursor): number {
  need(c, 8);
  const v = (readBE32(c.b, c.off) | 0) * TWO32 + readBE32(c.b, c.off + 4);
  c.off += 8;
  return v;
}

function checkType(rec: Uint8Array, want: RecordType): void {
  if (rec.length === 0 || rec[0] !== want) {
    throw new DecodeError(`invalid record type ${rec.length === 0 ? '<empty>' : rec[0]}, expected ${want}`);
  }
}

// ---- series ----

/** Appends a series record to `enc` and returns a view of it (valid until `enc` is reset). */
export function encodeSeries(series: readonly RefSeries[], enc: Encbuf = new Encbuf()): Uint8Array {
  const start = enc.len;
  enc.putByte(RecordType.Series);
  for (const s of series) {
    reserve(enc, 8);
    putBE64Int(enc.buf, enc.len, s.ref);
    enc.len += 8;
    const flat = s.labels.toFlat();
    enc.putUvarint(flat.length >> 1);
    for (let i = 0; i < flat.length; i++) enc.putUvarintStr(flat[i]!);
  }
  return enc.buf.subarray(start, enc.len);
}

/** Decodes a series record, appending to `out`. Throws DecodeError on a malformed record. */
export function decodeSeries(rec: Uint8Array, out: RefSeries[] = []): RefSeries[] {
  checkType(rec, RecordType.Series);
  const c: Cursor = { b: rec, off: 1, end: rec.length };
  const text = Buffer.from(rec.buffer, rec.byteOffset, rec.length);
  while (c.off < c.end) {
    const ref = readBE64Uint(c);
    const n = readUvarint(c);
    if (n > c.end - c.off) throw new DecodeError(`label count ${n} exceeds record size`);
    const flat: string[] = new Array<string>(2 * n);
    for (let i = 0; i < 2 * n; i++) {
      const len = readUvarint(c);
      need(c, len);
      flat[i] = text.toString('utf8', c.off, c.off + len);
      c.off += len;
    }
    const bad = Labels.validateSorted(flat);
    if (bad !== undefined) throw new DecodeError(`series ${ref}: ${bad}`);
    out.push({ ref, labels: Labels.fromSortedFlat(flat) });
  }
  return out;
}

// ---- samples ----

/**
 * Appends a samples record of `batch[from:to]` to `enc` and returns a view of it (valid until
 * `enc` is reset). Refs and timestamps are deltas to the first sample (signed varints), values
 * their raw IEEE-754 bits. An empty range gives a record of just the type byte.
 */
export function encodeSamples(batch: SampleBatch, from: number, to: number, enc: Encbuf): Uint8Array {
  const start = enc.len;
  const n = to - from;
  reserve(enc, 1 + 16 + 28 * Math.max(0, n));
  const b = enc.buf;
  let o = enc.len;
  b[o++] = RecordType.Samples;
  if (n > 0) {
    const refs = batch.refs;
    const ts = batch.ts;
    const bits = batch.vsBits;
    const baseRef = refs[from]!;
    const baseT = ts[from]!;
    putBE64Int(b, o, baseRef);
    putBE64Int(b, o + 8, baseT);
    o += 16;
    for (let i = from; i < to; i++) {
      o = putVarint(b, o, refs[i]! - baseRef);
      o = putVarint(b, o, ts[i]! - baseT);
      const hi = bits[2 * i + HI]!;
      const lo = bits[2 * i + LO]!;
      b[o] = hi >>> 24;
      b[o + 1] = hi >>> 16;
      b[o + 2] = hi >>> 8;
      b[o + 3] = hi;
      b[o + 4] = lo >>> 24;
      b[o + 5] = lo >>> 16;
      b[o + 6] = lo >>> 8;
      b[o + 7] = lo;
      o += 8;
    }
  }
  enc.len = o;
  return b.subarray(start, o);
}

/** Convenience: a freshly allocated samples record of `batch[from:to]`. */
export function encodeSamplesRecord(batch: SampleBatch, from = 0, to = batch.length): Uint8Array {
  const enc = new Encbuf(1 + 16 + 28 * Math.max(0, to - from));
  return encodeSamples(batch, from, to, enc);
}

/**
 * Decodes a samples record, appending to `out`; returns the number of samples appended.
 * Allocates nothing per sample (the batch grows once per record at most). On a malformed record
 * `out` is left as it was and a DecodeError is thrown.
 */
export function decodeSamples(rec: Uint8Array, out: SampleBatch): number {
  checkType(rec, RecordType.Samples);
  if (rec.length === 1) return 0;
  const c: Cursor = { b: rec, off: 1, end: rec.length };
  const baseRef = readBE64Uint(c);
  const baseT = readBE64Int(c);
  const first = out.length;
  // Every sample takes at least 1+1+8 bytes.
  out.ensure(first + Math.floor((c.end - c.off) / 10));
  const b = rec;
  let i = first;
  try {
    while (c.off < c.end) {
      if (i === out.refs.length) out.ensure(i + 1);
      const ref = baseRef + readVarint(c);
      const t = baseT + readVarint(c);
      need(c, 8);
      const o = c.off;
      out.refs[i] = ref;
      out.ts[i] = t;
      out.vsBits[2 * i + HI] = readBE32(b, o);
      out.vsBits[2 * i + LO] = readBE32(b, o + 4);
      c.off = o + 8;
      i++;
    }
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(`samples record: ${err.message} after ${i - first} samples`);
    throw err;
  }
  out.length = i;
  return i - first;
}

// ---- tombstones ----

/** Appends a tombstones record to `enc` and returns a view of it (valid until `enc` is reset). */
export function encodeTombstones(stones: readonly Tombstone[], enc: Encbuf = new Encbuf()): Uint8Array {
  const start = enc.len;
  reserve(enc, 1 + 28 * stones.length);
  const b = enc.buf;
  let o = enc.len;
  b[o++] = RecordType.Tombstones;
  for (const s of stones) {
    putBE64Int(b, o, s.ref);
    o = putVarint(b, o + 8, s.mint);
    o = putVarint(b, o, s.maxt);
  }
  enc.len = o;
  return b.subarray(start, o);
}

/** Decodes a tombstones record, appending to `out`. */
export function decodeTombstones(rec: Uint8Array, out: Tombstone[] = []): Tombstone[] {
  checkType(rec, RecordType.Tombstones);
  const c: Cursor = { b: rec, off: 1, end: rec.length };
  while (c.off < c.end) {
    const ref = readBE64Uint(c);
    const mint = readVarint(c);
    const maxt = readVarint(c);
    out.push({ ref, mint, maxt });
  }
  return out;
}
