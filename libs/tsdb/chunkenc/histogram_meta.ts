// Pieces shared by the histogram (2) and float histogram (3) chunk encodings, in Prometheus'
// format (tsdb/docs/format/chunks.md): the 3-byte header with its counter-reset bits, the layout
// (zero threshold, schema, spans, custom bounds), the varbit integer encodings, Gorilla XOR of
// floats, and the merging of two bucket layouts that decides between appending, recoding and
// cutting a new chunk. Integers are JS safe integers; 64-bit floats travel as uint32 halves.

import type { Span } from '../../model/index.ts';
import { BitReader, BitWriter } from './bstream.ts';

/** Bytes before the layout: sample count (uint16 BE) and the flags byte. */
export const HISTOGRAM_HEADER_SIZE = 3;
export const MAX_HISTOGRAM_SAMPLES = 0xffff;
const FLAGS_POS = 2;

/** The top two bits of the flags byte: what is known about a counter reset before this chunk. */
export const CounterResetHeader = {
  Unknown: 0b00 << 6,
  CounterReset: 0b10 << 6,
  NotCounterReset: 0b01 << 6,
  Gauge: 0b11 << 6,
} as const;
export type CounterResetHeader = (typeof CounterResetHeader)[keyof typeof CounterResetHeader];
export const COUNTER_RESET_HEADER_MASK = 0b11 << 6;

/** The counter-reset header of encoded chunk bytes. */
export function counterResetHeaderOf(bytes: Uint8Array): CounterResetHeader {
  return (bytes.length > FLAGS_POS ? bytes[FLAGS_POS]! & COUNTER_RESET_HEADER_MASK : 0) as CounterResetHeader;
}

/** "No XOR window yet" in a leading-zeros field (the writer must then write one). */
export const NO_WINDOW = 0xff;

const TWO_32 = 4294967296;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Value bits after 0..8 leading one bits of a varbit prefix. */
const VARBIT_SIZES = [0, 3, 6, 9, 12, 18, 25, 56, 64] as const;

// Float <-> bits scratch.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of a float64's high / low word in a Uint32Array view of native memory. */
export const HI = LITTLE_ENDIAN ? 1 : 0;
export const LO = LITTLE_ENDIAN ? 0 : 1;

export function floatFromBits(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0]!;
}

/**
 * The high word of v's bits; the low word is then in `lastLo()`. Both as int32: a uint32 above
 * 2^31 is no small integer, and V8 would box it in a heap number wherever it is not inlined.
 */
export function floatHi(v: number): number {
  f64[0] = v;
  return u32[HI]! | 0;
}

export function lastLo(): number {
  return u32[LO]! | 0;
}

/** A chunk's bucket layout. Spans are owned by whoever holds the layout (copied in and out). */
export interface Layout {
  schema: number;
  zeroThreshold: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  /** Schema -53 only. */
  customValues: number[] | undefined;
}

/** Writer side: the varbit, XOR and layout encodings on top of the bit stream. */
export class HistogramBitWriter extends BitWriter {
  /** Prometheus' putVarbitInt for a safe integer. */
  putVarbitInt(v: number): void {
    if (v === 0) this.put(0, 1);
    else if (v >= -3 && v <= 4) this.put((0b10 << 3) | (v & 0x7), 5);
    else if (v >= -31 && v <= 32) this.put((0b110 << 6) | (v & 0x3f), 9);
    else if (v >= -255 && v <= 256) this.put((0b1110 << 9) | (v & 0x1ff), 13);
    else if (v >= -2047 && v <= 2048) this.put((0b11110 << 12) | (v & 0xfff), 17);
    else if (v >= -131071 && v <= 131072) this.put((0b111110 << 18) | (v & 0x3ffff), 24);
    else if (v >= -16777215 && v <= 16777216) this.putBits((0b1111110 << 25) | (v & 0x1ffffff), 32);
    else if (v >= -(2 ** 55 - 1) && v <= 2 ** 55) {
      this.put(0b11111110, 8);
      this.putWide(v, 24);
    } else {
      this.put(0b11111111, 8);
      this.putWide(v, 32);
    }
  }

  /** Prometheus' putVarbitUint for a non-negative safe integer. */
  putVarbitUint(v: number): void {
    if (v === 0) this.put(0, 1);
    else if (v <= 7) this.put((0b10 << 3) | v, 5);
    else if (v <= 63) this.put((0b110 << 6) | v, 9);
    else if (v <= 511) this.put((0b1110 << 9) | v, 13);
    else if (v <= 4095) this.put((0b11110 << 12) | v, 17);
    else if (v <= 262143) this.put((0b111110 << 18) | v, 24);
    else if (v <= 33554431) this.putBits((0b1111110 << 25) | v, 32);
    else if (v < 2 ** 56) {
      this.put(0b11111110, 8);
      this.putWide(v, 24);
    } else {
      this.put(0b11111111, 8);
      this.putWide(v, 32);
    }
  }

  /** The low 32 + hiBits bits of the integer v in two's complement. */
  private putWide(v: number, hiBits: number): void {
    const hi = Math.floor(v / TWO_32);
    const lo = v - hi * TWO_32;
    this.putBits(hi | 0, hiBits);
    this.putBits(lo | 0, 32);
  }

  putFloat(v: number): void {
    f64[0] = v;
    this.putBits(u32[HI]!, 32);
    this.putBits(u32[LO]!, 32);
  }

  /**
   * Gorilla XOR of a float against the previous value, in Prometheus' xorWrite form. The field's
   * state is `st[k..k+3]`: previous bits hi, lo (int32), then leading and trailing zeros
   * (NO_WINDOW at first).
   */
  putXor(st: Int32Array, k: number, hi: number, lo: number): void {
    const xHi = hi ^ st[k]!;
    const xLo = lo ^ st[k + 1]!;
    st[k] = hi;
    st[k + 1] = lo;
    if (xHi === 0 && xLo === 0) {
      this.put(0, 1);
      return;
    }
    let leading = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
    const trailing = xLo !== 0 ? 31 - Math.clz32(xLo & -xLo) : 63 - Math.clz32(xHi & -xHi);
    if (leading >= 32) leading = 31; // only 5 bits for it
    const pl = st[k + 2]!;
    let shift = st[k + 3]!;
    let sigbits: number;
    if (pl !== NO_WINDOW && leading >= pl && trailing >= shift) {
      sigbits = 64 - pl - shift;
      this.put(0b10, 2);
    } else {
      st[k + 2] = leading;
      st[k + 3] = trailing;
      shift = trailing;
      sigbits = 64 - leading - trailing;
      // 64 significant bits wrap to 0 in the 6-bit field; the reader maps 0 back to 64.
      this.put((0b11 << 11) | (leading << 6) | (sigbits & 0x3f), 13);
    }
    // Bits [shift, shift + sigbits) of the XOR.
    if (shift >= 32) this.putBits(xHi >>> (shift - 32), sigbits);
    else {
      const wLo = shift > 0 ? (xLo >>> shift) | (xHi << (32 - shift)) : xLo;
      if (sigbits > 32) this.putBits(xHi >>> shift, sigbits - 32);
      this.putBits(wLo, sigbits > 32 ? 32 : sigbits);
    }
  }

  /** The layout, as written before the first sample. */
  putLayout(schema: number, zeroThreshold: number, pos: readonly Span[], neg: readonly Span[], customValues: readonly number[] | undefined): void {
    this.putZeroThreshold(zeroThreshold);
    this.putVarbitInt(schema);
    this.putSpans(pos);
    this.putSpans(neg);
    if (schema === -53) {
      const cv = customValues ?? [];
      this.putVarbitUint(cv.length);
      for (let i = 0; i < cv.length; i++) this.putCustomBound(cv[i]!);
    }
  }

  private putSpans(spans: readonly Span[]): void {
    this.putVarbitUint(spans.length);
    for (let i = 0; i < spans.length; i++) {
      this.putVarbitUint(spans[i]!.length);
      this.putVarbitInt(spans[i]!.offset);
    }
  }

  /**
   * 0 as one zero byte; a power of two in [2^-243, 2^10] as one byte, its frexp exponent + 243;
   * anything else as 255 followed by the float64.
   */
  private putZeroThreshold(zt: number): void {
    if (zt === 0) {
      this.put(0, 8);
      return;
    }
    f64[0] = zt;
    const hi = u32[HI]!;
    const biased = hi >>> 20; // sign bit and exponent
    // Positive normal powers of two: zero mantissa; frexp's exponent is biased - 1022.
    if (u32[LO] === 0 && (hi & 0xfffff) === 0 && biased >= 1022 - 242 && biased <= 1022 + 11) {
      this.put(biased - 1022 + 243, 8);
      return;
    }
    this.put(255, 8);
    this.putFloat(zt);
  }

  /** A bound x with 1000x an integer in [0, 33554430] as uvarbit 1000x + 1, else a 0 bit and the float64. */
  private putCustomBound(x: number): void {
    const tf = x * 1000;
    if (tf >= 0 && tf <= 33554430 && Math.round(tf) / 1000 === x) this.putVarbitUint(Math.round(tf) + 1);
    else {
      this.put(0, 1);
      this.putFloat(x);
    }
  }

  /** Writes the sample count and flags byte into the (flushed) buffer. */
  writeHeader(num: number, flags: number): void {
    const s = this.stream;
    s[0] = num >>> 8;
    s[1] = num;
    s[FLAGS_POS] = flags;
  }
}

/**
 * Reader side. Malformed data (a bad varbit prefix, a value beyond 2^53, reading past the end)
 * sets `overflow` and `fault`, so a decoder checks once per sample.
 */
export class HistogramBitReader extends BitReader {
  fault: string | undefined = undefined;

  override reset(stream: Uint8Array, startByte: number, endByte: number): void {
    super.reset(stream, startByte, endByte);
    this.fault = undefined;
  }

  private fail(msg: string): void {
    this.overflow = true;
    this.fault ??= msg;
  }

  /** Number of value bits that follow the varbit prefix (0..64). */
  private varbitSize(): number {
    const p = this.pos;
    let d = 0;
    if (p + 8 <= this.end) {
      const s = this.stream;
      const i = p >>> 3;
      const off = p & 7;
      const byte = off === 0 ? s[i]! : ((s[i]! << off) | (s[i + 1]! >>> (8 - off))) & 0xff;
      d = Math.clz32(~(byte << 24)); // leading ones, at most 8
      this.pos = p + (d === 8 ? 8 : d + 1);
    } else {
      while (d < 8 && this.readBit() === 1) d++;
    }
    return VARBIT_SIZES[d]!;
  }

  readVarbitInt(): number {
    const sz = this.varbitSize();
    if (sz === 0) return 0;
    if (sz <= 25) {
      const b = this.readBits(sz);
      return b > 1 << (sz - 1) ? b - (1 << sz) : b;
    }
    let v: number;
    if (sz === 56) {
      const hi = this.readBits(24);
      const lo = this.readBits(32);
      // Above 2^55 is negative (Prometheus' bitRange puts 2^55 itself on the positive side).
      v = hi > 0x800000 || (hi === 0x800000 && lo > 0) ? -((0x1000000 - hi) * TWO_32 - lo) : hi * TWO_32 + lo;
    } else {
      const hi = this.readBits(32);
      const lo = this.readBits(32);
      v = (hi | 0) * TWO_32 + lo;
    }
    if (!(v <= MAX_SAFE && v >= -MAX_SAFE)) this.fail('varbit integer beyond 2^53');
    return v;
  }

  readVarbitUint(): number {
    const sz = this.varbitSize();
    if (sz === 0) return 0;
    if (sz <= 25) return this.readBits(sz);
    const hi = this.readBits(sz - 32);
    const lo = this.readBits(32);
    const v = hi * TWO_32 + lo;
    if (v > MAX_SAFE) this.fail('varbit integer beyond 2^53');
    return v;
  }

  /** Reads a float64's bits into st[k] (hi) and st[k + 1] (lo). */
  readFloatInto(st: Int32Array, k: number): void {
    st[k] = this.readBits(32) | 0;
    st[k + 1] = this.readBits(32) | 0;
  }

  /** Applies one XOR-encoded value to the state written by HistogramBitWriter.putXor. */
  readXor(st: Int32Array, k: number): void {
    if (this.readBit() === 0) return; // unchanged
    let leading: number;
    let trailing: number;
    let mbits: number;
    if (this.readBit() === 0) {
      leading = st[k + 2]!;
      trailing = st[k + 3]!;
      // Prometheus' reader starts with a 0/0 window.
      if (leading === NO_WINDOW) {
        leading = 0;
        trailing = 0;
        st[k + 2] = 0;
        st[k + 3] = 0;
      }
      mbits = 64 - leading - trailing;
    } else {
      const x = this.readBits(11);
      leading = x >>> 6;
      mbits = x & 0x3f;
      if (mbits === 0) mbits = 64;
      trailing = 64 - leading - mbits;
      if (trailing < 0) {
        this.fail(`invalid XOR window: ${leading} leading zeros, ${mbits} significant bits`);
        return;
      }
      st[k + 2] = leading;
      st[k + 3] = trailing;
    }
    let hi = 0;
    let lo: number;
    if (mbits > 32) {
      hi = this.readBits(mbits - 32);
      lo = this.readBits(32);
    } else {
      lo = this.readBits(mbits);
    }
    if (trailing >= 32) {
      hi = lo << (trailing - 32);
      lo = 0;
    } else if (trailing > 0) {
      hi = (hi << trailing) | (lo >>> (32 - trailing));
      lo = lo << trailing;
    }
    st[k] = st[k]! ^ hi;
    st[k + 1] = st[k + 1]! ^ lo;
  }

  /** Reads the layout into `out`, reusing its span objects. */
  readLayout(out: Layout): void {
    out.zeroThreshold = this.readZeroThreshold();
    out.schema = this.readVarbitInt();
    this.readSpans(out.positiveSpans);
    this.readSpans(out.negativeSpans);
    if (out.schema === -53) {
      const n = this.readVarbitUint();
      const cv = out.customValues ?? [];
      cv.length = 0;
      for (let i = 0; i < n && !this.overflow; i++) cv.push(this.readCustomBound());
      out.customValues = cv;
    } else {
      out.customValues = undefined;
    }
  }

  private readSpans(out: Span[]): void {
    const n = this.readVarbitUint();
    let i = 0;
    for (; i < n && !this.overflow; i++) {
      const length = this.readVarbitUint();
      const offset = this.readVarbitInt();
      if (length > 0xffffffff || offset > 0x7fffffff || offset < -0x80000000) this.fail('span out of range');
      const s = out[i];
      if (s === undefined) out.push({ offset, length });
      else {
        s.offset = offset;
        s.length = length;
      }
    }
    out.length = i;
  }

  private readZeroThreshold(): number {
    const b = this.readBits(8);
    if (b === 0) return 0;
    if (b === 255) {
      const hi = this.readBits(32);
      return floatFromBits(hi, this.readBits(32));
    }
    return floatFromBits((b - 243 + 1022) << 20, 0); // 0.5 * 2^(b - 243)
  }

  private readCustomBound(): number {
    const v = this.readVarbitUint();
    if (v !== 0) return (v - 1) / 1000;
    const hi = this.readBits(32);
    return floatFromBits(hi, this.readBits(32));
  }
}

/** Number of buckets the spans cover. */
export function spanBuckets(spans: readonly Span[]): number {
  let n = 0;
  for (let i = 0; i < spans.length; i++) n += spans[i]!.length;
  return n;
}

/** Whether two span lists are identical span by span (the cheap check before merging). */
export function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.offset !== b[i]!.offset || a[i]!.length !== b[i]!.length) return false;
  return true;
}

export function copySpanList(spans: readonly Span[]): Span[] {
  const out = new Array<Span>(spans.length);
  for (let i = 0; i < spans.length; i++) out[i] = { offset: spans[i]!.offset, length: spans[i]!.length };
  return out;
}

/** Absolute bucket indexes covered by the spans, in order. */
function indexesOf(spans: readonly Span[]): number[] {
  const out: number[] = [];
  let idx = 0;
  for (let s = 0; s < spans.length; s++) {
    idx += spans[s]!.offset;
    for (let k = 0; k < spans[s]!.length; k++) out.push(idx++);
  }
  return out;
}

/**
 * One side (positive or negative) of a chunk layout `a` merged with a new histogram's `b`.
 * `union` lists the bucket indexes of both; `fromA[i]` / `fromB[i]` is the position of union
 * bucket i in a's or b's buckets, or -1.
 */
export interface SideMerge {
  union: number[];
  fromA: number[];
  fromB: number[];
  /** b has buckets a lacks (the chunk must be recoded). */
  forward: boolean;
  /** a has buckets b lacks (b gets empty buckets there). */
  backward: boolean;
}

/**
 * Merges the buckets of the chunk's last sample (`aSpans`, absolute counts `aCounts` starting at
 * `aStart`) with a new histogram's (`bSpans`, `bCounts`). For a counter (`counter`), returns
 * undefined on a counter reset: a bucket of a that b lacks is in use, or a bucket's count went
 * down (Prometheus' expandIntSpansAndBuckets); a gauge only merges (expandSpansBothWays).
 */
export function mergeSide(
  aSpans: readonly Span[],
  aCounts: ArrayLike<number>,
  aStart: number,
  bSpans: readonly Span[],
  bCounts: readonly number[],
  counter: boolean,
): SideMerge | undefined {
  const ai = indexesOf(aSpans);
  const bi = indexesOf(bSpans);
  const m: SideMerge = { union: [], fromA: [], fromB: [], forward: false, backward: false };
  let i = 0;
  let j = 0;
  while (i < ai.length || j < bi.length) {
    const ax = i < ai.length ? ai[i]! : Infinity;
    const bx = j < bi.length ? bi[j]! : Infinity;
    if (ax === bx) {
      if (counter && aCounts[aStart + i]! > bCounts[j]!) return undefined;
      m.union.push(ax);
      m.fromA.push(i++);
      m.fromB.push(j++);
    } else if (ax < bx) {
      if (counter && aCounts[aStart + i]! !== 0) return undefined;
      m.backward = true;
      m.union.push(ax);
      m.fromA.push(i++);
      m.fromB.push(-1);
    } else {
      m.forward = true;
      m.union.push(bx);
      m.fromA.push(-1);
      m.fromB.push(j++);
    }
  }
  return m;
}

/** The spans of a merged side: a's when b added nothing, b's when a had nothing more, else new ones. */
export function mergedSpans(m: SideMerge, aSpans: readonly Span[], bSpans: readonly Span[]): Span[] {
  if (!m.forward) return copySpanList(aSpans);
  if (!m.backward) return copySpanList(bSpans);
  const out: Span[] = [];
  let last = 0;
  for (const x of m.union) {
    if (out.length > 0 && x === last + 1) out[out.length - 1]!.length++;
    else out.push({ offset: out.length === 0 ? x : x - last - 1, length: 1 });
    last = x;
  }
  return out;
}

/** Counts in the merged layout: `counts[fromX[i]]`, or 0 where X lacks the bucket. */
export function expandCounts(m: SideMerge, fromB: boolean, counts: ArrayLike<number>, start = 0): number[] {
  const from = fromB ? m.fromB : m.fromA;
  const out = new Array<number>(from.length);
  for (let i = 0; i < from.length; i++) out[i] = from[i]! < 0 ? 0 : counts[start + from[i]!]!;
  return out;
}
