// The protobuf wire format as Strata's hand-written codecs write and read it (the ingester's and
// the store-gateway's gRPC messages): a growing writer with sub-messages, a bounds-checked reader
// that raises the caller's own error for malformed input, and the messages both services share
// (label matchers, labels, chunks). Chunk bytes are read as views, never copied.
import { Labels, Matcher, MatchType } from '../model/index.ts';
import { chunkFromBytes, type TimedChunk } from '../tsdb/index.ts';

/** Makes the error a malformed message raises. */
export type Fail = (message: string, cause?: unknown) => Error;

const EMPTY = Buffer.alloc(0);

export const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;

/** The two's-complement int64 of a timestamp as [lo, hi] uint32s, clamped to the int64 range. */
export function int64Parts(v: number): [number, number] {
  if (Number.isNaN(v)) throw new RangeError('NaN timestamp');
  if (v >= TWO_63) return [0xffffffff, 0x7fffffff];
  if (v < -TWO_63) return [0, 0x80000000];
  const a = Math.abs(Math.trunc(v));
  let hi = Math.floor(a / TWO_32) >>> 0;
  let lo = (a - Math.floor(a / TWO_32) * TWO_32) >>> 0;
  if (v < 0 && a !== 0) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  return [lo, hi];
}

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

export const MATCH_TYPES: readonly MatchType[] = [MatchType.Equal, MatchType.NotEqual, MatchType.Regexp, MatchType.NotRegexp];

/** A growing protobuf writer; a sub-message reserves one length byte and moves its body if it needs more. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A non-negative safe integer. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  uint(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, 0);
    this.varint(v);
  }

  bool(field: number, v: boolean): void {
    if (v) this.uint(field, 1);
  }

  int64(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, 0);
    if (v > 0 && v <= Number.MAX_SAFE_INTEGER) {
      this.varint(v);
      return;
    }
    let [lo, hi] = int64Parts(v);
    this.ensure(10);
    const b = this.buf;
    while (hi !== 0) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    b[this.pos++] = lo;
  }

  /** Omitted when empty unless `always` (an element of a repeated string). */
  string(field: number, s: string, always = false): void {
    if (s === '' && !always) return;
    const n = Buffer.byteLength(s, 'utf8');
    this.tag(field, 2);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  bytes(field: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Starts a length-delimited sub-message; pass the result to `end`. */
  begin(field: number): number {
    this.tag(field, 2);
    this.ensure(1);
    return this.pos++;
  }

  end(start: number): void {
    const len = this.pos - start - 1;
    const n = varintSize(len);
    if (n > 1) {
      this.ensure(n - 1);
      this.buf.copyWithin(start + n, start + 1, this.pos);
      this.pos += n - 1;
    }
    const end = this.pos;
    this.pos = start;
    this.varint(len);
    this.pos = end;
  }

  get length(): number {
    return this.pos;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class Reader {
  pos: number;
  readonly buf: Buffer;

  constructor(
    buf: Uint8Array,
    /** Makes the error a malformed message raises (each service has its own). */
    readonly fail: Fail,
    start = 0,
    readonly end: number = buf.length,
  ) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  private byte(): number {
    if (this.pos >= this.end) throw this.fail('truncated varint');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw this.fail('varint too long');
  }

  /** A two's-complement int64 as the nearest double. */
  int64(): number {
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let i = 0; i < 4; i++) {
      b = this.byte();
      lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      if (b < 0x80) return lo;
    }
    b = this.byte();
    lo = (lo | ((b & 0x7f) << 28)) >>> 0;
    hi = (b & 0x7f) >>> 4;
    if (b < 0x80) return hi * TWO_32 + lo;
    for (let i = 0; i < 5; i++) {
      b = this.byte();
      hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0;
      if (b < 0x80) return (hi | 0) * TWO_32 + lo;
    }
    throw this.fail('varint too long');
  }

  /** The bounds of a length-delimited field's body; moves past it. */
  delimited(): [start: number, end: number] {
    const n = this.varint();
    const start = this.pos;
    if (n > this.end - start) throw this.fail('length past the end');
    this.pos += n;
    return [start, this.pos];
  }

  sub(): Reader {
    const [s, e] = this.delimited();
    return new Reader(this.buf, this.fail, s, e);
  }

  string(): string {
    const [s, e] = this.delimited();
    return this.buf.toString('utf8', s, e);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.delimited();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw this.fail('truncated field');
  }

  /** The next field as [field, wire type], or undefined at the end. */
  key(): [field: number, wire: number] | undefined {
    if (this.pos >= this.end) return undefined;
    const k = this.varint();
    return [Math.floor(k / 8), k & 7];
  }
}

// Matchers (strata.*.v1.LabelMatcher).

export function writeMatchers(w: Writer, field: number, matchers: readonly Matcher[]): void {
  for (const m of matchers) {
    const at = w.begin(field);
    w.uint(1, MATCH_TYPES.indexOf(m.type));
    w.string(2, m.name);
    w.string(3, m.value);
    w.end(at);
  }
}

/** Throws the reader's error for an unknown type or an invalid regex. */
export function readMatcher(r: Reader): Matcher {
  let type = 0;
  let name = '';
  let value = '';
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) type = r.varint();
    else if (f === 2 && wire === 2) name = r.string();
    else if (f === 3 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  const t = MATCH_TYPES[type];
  if (t === undefined) throw r.fail(`unknown label matcher type ${type}`);
  try {
    return new Matcher(t, name, value);
  } catch (err) {
    throw r.fail(`invalid matcher for ${JSON.stringify(name)}: ${(err as Error).message}`, err);
  }
}

// Labels and chunks (strata.*.v1.Label, Chunk).

export function readLabels(r: Reader, flat: string[]): void {
  let name = '';
  let value = '';
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 2) name = r.string();
    else if (f === 2 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  flat.push(name, value);
}

export function readChunk(r: Reader): TimedChunk {
  let minTime = 0;
  let maxTime = 0;
  let encoding = 0;
  let data: Buffer = EMPTY;
  for (let k = r.key(); k; k = r.key()) {
    const [f, wire] = k;
    if (f === 1 && wire === 0) minTime = r.int64();
    else if (f === 2 && wire === 0) maxTime = r.int64();
    else if (f === 3 && wire === 0) encoding = r.varint();
    else if (f === 4 && wire === 2) {
      const [s, e] = r.delimited();
      data = r.buf.subarray(s, e);
    } else r.skip(wire);
  }
  try {
    return { chunk: chunkFromBytes(encoding, data), minTime, maxTime };
  } catch (err) {
    throw r.fail((err as Error).message, err);
  }
}

export function toLabels(flat: string[], fail: Fail): Labels {
  // Senders send sorted labels; anything else is sorted here rather than trusted.
  if (Labels.validateSorted(flat) === undefined) return Labels.fromSortedFlat(flat);
  try {
    return Labels.fromStrings(...flat);
  } catch (err) {
    throw fail((err as Error).message, err);
  }
}


/** A series with its chunks (strata.*.v1.ChunkSeries: labels = 1, chunks = 2) as sub-message `field`. */
export function writeChunkSeries(w: Writer, field: number, labels: Labels, chunks: readonly TimedChunk[]): void {
  const at = w.begin(field);
  const flat = labels.toFlat();
  for (let i = 0; i < flat.length; i += 2) {
    const l = w.begin(1);
    w.string(1, flat[i]!);
    w.string(2, flat[i + 1]!);
    w.end(l);
  }
  for (const c of chunks) {
    const ca = w.begin(2);
    w.int64(1, c.minTime);
    w.int64(2, c.maxTime);
    w.uint(3, c.chunk.encoding);
    w.bytes(4, c.chunk.bytes());
    w.end(ca);
  }
  w.end(at);
}

/** The series of a ChunkSeries sub-message; chunk data are views into the reader's buffer. */
export function readChunkSeries(s: Reader): { labels: Labels; chunks: TimedChunk[] } {
  const flat: string[] = [];
  const chunks: TimedChunk[] = [];
  for (let j = s.key(); j; j = s.key()) {
    const [f, wire] = j;
    if (f === 1 && wire === 2) readLabels(s.sub(), flat);
    else if (f === 2 && wire === 2) chunks.push(readChunk(s.sub()));
    else s.skip(wire);
  }
  return { labels: toLabels(flat, s.fail), chunks };
}
