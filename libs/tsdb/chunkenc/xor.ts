// Prometheus' XOR ("Gorilla") float chunk, byte for byte: 2-byte big-endian sample count, then
// t0 varint + raw 64-bit v0, t1 delta uvarint + XOR value, then delta-of-delta timestamps in
// 1/16/20/24/68-bit buckets and XOR values with a reusable leading/trailing-zero window.
// Values are handled as their 64-bit patterns (two uint32 halves), so NaN payloads such as the
// stale marker survive; timestamps are integer milliseconds in JS numbers.

import { ValueType } from '../../storage/index.ts';
import type { SampleIterator } from '../../storage/index.ts';
import { BitReader, BitWriter, MIN_STREAM_CAPACITY } from './bstream.ts';
import { ChunkCorruptError, Encoding } from './chunk.ts';
import type { Chunk, ChunkAppender } from './chunk.ts';

const HEADER_SIZE = 2;
const MAX_SAMPLES = 0xffff;
const TWO_32 = 4294967296;
/** 2^-32: multiplying by it is exact, and cheaper than dividing by 2^32. */
const TWO_M32 = 1 / TWO_32;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** "No leading/trailing window yet": forces the first non-zero XOR to write its window. */
const NO_WINDOW = 0xff;
const NO_BYTES = new Uint8Array(0);

// Float <-> bits scratch. Index of the high half depends on the platform's endianness.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/**
 * An XOR chunk. Created empty (a head chunk being appended to) or around encoded bytes read from
 * disk, which are wrapped without copying and copied only if `appender()` is called.
 *
 * While an appender is attached it owns the buffer, and the chunk reads through it. The head
 * appends one sample to each series' open chunk in turn, so every append starts on cold memory:
 * keeping the writer and encoder state in that one object saves a dependent cache miss per
 * sample. `compact()` detaches the appender, so complete chunks stay small.
 */
export class XORChunk implements Chunk {
  /** Buffer and bytes in use while no appender is attached. */
  private buf: Uint8Array;
  private len: number;
  /** The buffer belongs to someone else (e.g. a segment file buffer): copy before writing. */
  private borrowed: boolean;
  /** @internal The attached appender. */
  app: XORAppender | undefined = undefined;

  /**
   * `capacity` sizes a new chunk's buffer up front: the head passes its estimate of the final
   * size, because regrowing many small buffers costs more than the encoding itself.
   */
  constructor(bytes?: Uint8Array, capacity = MIN_STREAM_CAPACITY) {
    if (bytes === undefined) {
      this.buf = new Uint8Array(Math.max(capacity, HEADER_SIZE));
      this.len = HEADER_SIZE;
      this.borrowed = false;
    } else {
      this.buf = bytes;
      this.len = bytes.length;
      this.borrowed = true;
    }
  }

  get encoding(): Encoding {
    return Encoding.XOR;
  }

  /** @internal The backing buffer, up to date; its length is the capacity. */
  get stream(): Uint8Array {
    const app = this.app;
    if (app === undefined) return this.buf;
    app.sync();
    return app.stream;
  }

  /** @internal Free low bits in the last byte while appending (0 otherwise). */
  get count(): number {
    return this.app !== undefined ? this.app.count : 0;
  }

  bytes(): Uint8Array {
    if (this.app !== undefined) return this.app.bytes();
    return this.len === this.buf.length ? this.buf : this.buf.subarray(0, this.len);
  }

  numSamples(): number {
    if (this.app !== undefined) return this.app.num;
    return this.len < HEADER_SIZE ? 0 : (this.buf[0]! << 8) | this.buf[1]!;
  }

  /**
   * Drops spare capacity (a chunk that is complete) and detaches the appender. Appending
   * afterwards still works: the appender attaches itself again.
   */
  compact(): void {
    const app = this.app;
    if (app !== undefined) {
      app.sync();
      this.buf = app.stream;
      this.len = app.len;
      this.app = undefined;
    }
    if (this.buf.length > this.len) this.buf = this.buf.slice(0, this.len);
    app?.detach(this.buf);
  }

  /** @internal Called by a detached appender that appends again. */
  attach(app: XORAppender): void {
    this.app = app;
    this.buf = NO_BYTES;
    this.len = 0;
  }

  /**
   * An appender continuing after the last sample: the attached one, or a new one. On a chunk
   * with samples it decodes them all once to recover the encoder state, and resumes at the exact
   * bit where they end, so the result is identical to having appended everything through one
   * appender. (Prometheus' Reset-then-Appender would instead start at the next whole byte.)
   * Throws on corrupt data.
   */
  appender(): ChunkAppender {
    if (this.app !== undefined) return this.app;
    if (this.len < HEADER_SIZE) throw new ChunkCorruptError('XOR chunk shorter than its header');
    let stream = this.buf;
    if (this.borrowed) {
      stream = new Uint8Array(Math.max(MIN_STREAM_CAPACITY, this.len * 2));
      stream.set(this.buf.subarray(0, this.len));
    }
    const app = new XORAppender(this, stream);
    if (((stream[0]! << 8) | stream[1]!) !== 0) {
      const it = new XORIterator();
      it.resetRange(stream, this.len);
      while (it.next() !== ValueType.None);
      const err = it.err();
      if (err !== undefined) throw err;
      app.resume(it);
    }
    // The appender holds the buffer (and replaces it as it grows) until compact().
    this.buf = NO_BYTES;
    this.len = 0;
    this.borrowed = false;
    this.app = app;
    return app;
  }

  /** Iterates the samples present now; reuses `reuse` if it is an XOR iterator. */
  iterator(reuse?: SampleIterator): XORIterator {
    const it = reuse instanceof XORIterator ? reuse : new XORIterator();
    const app = this.app;
    if (app === undefined) it.resetRange(this.buf, this.len);
    else {
      app.sync();
      it.resetRange(app.stream, app.len);
    }
    return it;
  }
}

/**
 * Appends to an XORChunk, holding its buffer while attached. The header and the pending bits
 * are stored by `sync()`, which the chunk calls before anyone reads the buffer. Every field is
 * an int32, which V8 keeps inline (a double would be boxed in a separate heap object, one more
 * cache miss): the previous timestamp and delta are split in two, values are int32 halves.
 */
class XORAppender extends BitWriter implements ChunkAppender {
  /** @internal Samples written. */
  num = 0;
  /** Previous timestamp and delta, each as floor(x / 2^32) and the low 32 bits as int32. */
  private tHi = 0;
  private tLo = 0;
  private dHi = 0;
  private dLo = 0;
  private vHi = 0;
  private vLo = 0;
  private leading = NO_WINDOW;
  private trailing = 0;
  private attached = true;

  constructor(
    private readonly chunk: XORChunk,
    stream: Uint8Array,
  ) {
    super(stream, HEADER_SIZE);
  }

  /** @internal Continues after the samples the iterator has read to the end. */
  resume(it: XORIterator): void {
    this.resumeAt(it.bitPos());
    this.num = it.numSamplesRead();
    this.setT(it.t, it.tDelta);
    this.vHi = it.vHi | 0;
    this.vLo = it.vLo | 0;
    this.leading = it.leading;
    this.trailing = it.trailing;
  }

  /** @internal Stores the header and everything pending: the buffer is then complete. */
  sync(): void {
    this.flush();
    const s = this.stream;
    s[0] = this.num >>> 8;
    s[1] = this.num;
  }

  override bytes(): Uint8Array {
    this.sync();
    const len = this.len;
    return len === this.stream.length ? this.stream : this.stream.subarray(0, len);
  }

  /** @internal The chunk took the (synced) data as `stream` and no longer reads through us. */
  detach(stream: Uint8Array): void {
    this.stream = stream;
    this.attached = false;
  }

  private setT(t: number, tDelta: number): void {
    let lo = t >>> 0;
    this.tLo = lo | 0;
    this.tHi = ((t - lo) * TWO_M32) | 0;
    lo = tDelta >>> 0;
    this.dLo = lo | 0;
    this.dHi = ((tDelta - lo) * TWO_M32) | 0;
  }

  /** The previous sample's delta. */
  private tDelta(): number {
    return this.dHi * TWO_32 + (this.dLo >>> 0);
  }

  /**
   * The common case, written out rather than through helpers (setT, put): the JIT decides what
   * to inline from call counts gathered while the first samples of every chunk took the slow
   * path, and a call per group of bits is a measurable part of an append.
   */
  append(t: number, v: number): void {
    f64[0] = v;
    const hi = u32[HI]! | 0;
    const lo = u32[LO]! | 0;
    const num = this.num;
    const tDelta = t - (this.tHi * TWO_32 + (this.tLo >>> 0));
    // Safe integers have safe differences unless |delta| >= 2^53.
    if (num < 2 || num === MAX_SAMPLES || !this.attached || !Number.isSafeInteger(t) || !(tDelta <= MAX_SAFE && tDelta >= -MAX_SAFE)) {
      this.appendSlow(t, tDelta, hi, lo);
      return;
    }
    const dod = tDelta - (this.dHi * TWO_32 + (this.dLo >>> 0));
    // The sample is written as up to three groups of at most 32 bits: `a` (na bits) holds the
    // timestamp's control bits and delta-of-delta and the value's control bits, `b` and `c` the
    // XOR's significant bits. Bucket bounds are Prometheus' bitRange: -(2^(n-1)-1) <= dod <= 2^(n-1).
    let a: number;
    let na: number;
    if (dod === 0) {
      a = 0;
      na = 1;
    } else if (dod >= -8191 && dod <= 8192) {
      a = (0b10 << 14) | (dod & 0x3fff);
      na = 16;
    } else if (dod >= -65535 && dod <= 65536) {
      a = (0b110 << 17) | (dod & 0x1ffff);
      na = 20;
    } else if (dod >= -524287 && dod <= 524288) {
      a = (0b1110 << 20) | (dod & 0xfffff);
      na = 24;
    } else {
      this.appendSlow(t, tDelta, hi, lo);
      return;
    }
    const xHi = hi ^ this.vHi;
    const xLo = lo ^ this.vLo;
    let b = 0;
    let nb = 0;
    let c = 0;
    let nc = 0;
    if (xHi === 0 && xLo === 0) {
      // Unchanged value: '0'.
      a <<= 1;
      na++;
    } else {
      let leading = xHi !== 0 ? Math.clz32(xHi) : 32 + Math.clz32(xLo);
      const trailing = xLo !== 0 ? 31 - Math.clz32(xLo & -xLo) : 63 - Math.clz32(xHi & -xHi);
      // Only 5 bits for the leading count.
      if (leading >= 32) leading = 31;
      let shift = this.trailing;
      let sigbits: number;
      if (leading >= this.leading && trailing >= shift) {
        // The previous window (NO_WINDOW never matches) still covers every set bit: '10'.
        sigbits = 64 - this.leading - shift;
        a = (a << 2) | 0b10;
        na += 2;
      } else {
        // Does not fit in `a`; rare (irregular scrapes and a new window).
        if (na > 16) {
          this.appendSlow(t, tDelta, hi, lo);
          return;
        }
        this.leading = leading;
        this.trailing = trailing;
        shift = trailing;
        sigbits = 64 - leading - trailing;
        // '11', 5-bit leading, 6-bit significant-bit count (64 wraps to 0: never occurs otherwise).
        a = (a << 13) | (0b11 << 11) | (leading << 6) | (sigbits & 0x3f);
        na += 13;
      }
      // The window: bits [shift, shift + sigbits) of the XOR.
      if (shift >= 32) {
        c = xHi >>> (shift - 32);
      } else if (shift > 0) {
        c = (xLo >>> shift) | (xHi << (32 - shift));
        b = xHi >>> shift;
      } else {
        c = xLo;
        b = xHi;
      }
      if (sigbits > 32) {
        nb = sigbits - 32;
        nc = 32;
      } else {
        b = 0;
        nc = sigbits;
      }
    }
    // put() for each group, MSB first; complete words are queued.
    let acc = this.acc;
    let nacc = this.nacc;
    let u = a;
    let n = na;
    for (let k = 1; ; k++) {
      const free = 32 - nacc;
      if (n < free) {
        // (n = 0 has u = 0.)
        acc |= u << (free - n);
        nacc += n;
      } else {
        nacc = n - free;
        const w = acc | (u >>> nacc);
        acc = nacc === 0 ? 0 : u << (32 - nacc);
        this.queue(w);
      }
      if (k === 3) break;
      if (k === 1) {
        u = b;
        n = nb;
      } else {
        u = c;
        n = nc;
      }
    }
    this.acc = acc;
    this.nacc = nacc;
    // setT(t, tDelta):
    let l = t >>> 0;
    this.tLo = l | 0;
    this.tHi = ((t - l) * TWO_M32) | 0;
    l = tDelta >>> 0;
    this.dLo = l | 0;
    this.dHi = ((tDelta - l) * TWO_M32) | 0;
    this.vHi = hi;
    this.vLo = lo;
    this.num = num + 1;
  }

  /** The first two samples, the 64-bit dod bucket, re-attaching, and the error cases. */
  private appendSlow(t: number, tDelta: number, hi: number, lo: number): void {
    if (!Number.isSafeInteger(t)) throw new RangeError(`timestamp ${t} is not a safe integer`);
    const num = this.num;
    if (num === MAX_SAMPLES) throw new RangeError('chunk capacity exceeded');
    if (num > 0 && !Number.isSafeInteger(tDelta)) throw new RangeError(`timestamp delta ${tDelta} exceeds 2^53 ms`);
    if (!this.attached) {
      this.attached = true;
      this.chunk.attach(this);
    }
    if (num === 0) {
      // Zig-zag varint of t: (|t| << 1) for t >= 0, ((-t - 1) << 1) | 1 otherwise.
      const neg = t < 0;
      const a = neg ? -t - 1 : t;
      const aLo = a >>> 0;
      const aHi = Math.floor(a / TWO_32);
      this.putUvarint64((aHi << 1) | (aLo >>> 31), (aLo << 1) | (neg ? 1 : 0));
      this.putBits(hi, 32);
      this.putBits(lo, 32);
      tDelta = 0;
    } else if (num === 1) {
      // Written as uvarint of the delta's 64-bit two's complement, as Prometheus does.
      this.putUvarint64(Math.floor(tDelta / TWO_32), tDelta >>> 0);
      this.writeValue(hi, lo);
    } else {
      const dod = tDelta - this.tDelta();
      if (dod === 0) this.putBits(0, 1);
      else if (dod >= -8191 && dod <= 8192) this.putBits((0b10 << 14) | (dod & 0x3fff), 16);
      else if (dod >= -65535 && dod <= 65536) this.putBits((0b110 << 17) | (dod & 0x1ffff), 20);
      else if (dod >= -524287 && dod <= 524288) this.putBits((0b1110 << 20) | (dod & 0xfffff), 24);
      else {
        this.putBits(0b1111, 4);
        if (Number.isSafeInteger(dod)) {
          this.putBits(Math.floor(dod / TWO_32), 32);
          this.putBits(dod >>> 0, 32);
        } else {
          // |dod| >= 2^53 cannot be exact in a double; rare enough to afford a BigInt.
          const b = BigInt.asUintN(64, BigInt(tDelta) - BigInt(this.tDelta()));
          this.putBits(Number(b >> 32n), 32);
          this.putBits(Number(b & 0xffffffffn), 32);
        }
      }
      this.writeValue(hi, lo);
    }
    this.setT(t, tDelta);
    this.vHi = hi;
    this.vLo = lo;
    this.num = num + 1;
  }

  /** The value part, for the slow path. */
  private writeValue(hi: number, lo: number): void {
    const dHi = hi ^ this.vHi;
    const dLo = lo ^ this.vLo;
    if (dHi === 0 && dLo === 0) {
      this.putBits(0, 1);
      return;
    }
    let leading = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
    const trailing = dLo !== 0 ? 31 - Math.clz32(dLo & -dLo) : 63 - Math.clz32(dHi & -dHi);
    if (leading >= 32) leading = 31;
    let shift = this.trailing;
    let sigbits = 64 - this.leading - shift;
    if (leading >= this.leading && trailing >= shift) {
      this.putBits(0b10, 2);
    } else {
      this.leading = leading;
      this.trailing = trailing;
      shift = trailing;
      sigbits = 64 - leading - trailing;
      this.putBits((0b11 << 11) | (leading << 6) | (sigbits & 0x3f), 13);
    }
    // Bits [shift, shift + sigbits) of the XOR.
    if (shift >= 32) this.putBits(dHi >>> (shift - 32), sigbits);
    else {
      const wLo = shift > 0 ? (dLo >>> shift) | (dHi << (32 - shift)) : dLo;
      if (sigbits > 32) this.putBits(dHi >>> shift, sigbits - 32);
      this.putBits(wLo, sigbits > 32 ? 32 : sigbits);
    }
  }
}

/**
 * Iterates an XOR chunk. Allocates nothing per sample; corrupt data ends iteration with `err()`
 * set instead of throwing. Sees only the samples counted in the header when it was reset.
 */
export class XORIterator implements SampleIterator {
  private readonly br = new BitReader();
  private numTotal = 0;
  private numRead = 0;
  private done = false;
  private error: Error | undefined = undefined;
  /** @internal Decoder state, also what an appender resumes from. */
  t = 0;
  /** @internal */
  tDelta = 0;
  /** @internal */
  vHi = 0;
  /** @internal */
  vLo = 0;
  /** @internal */
  leading = NO_WINDOW;
  /** @internal */
  trailing = 0;

  /** Restarts on the given chunk bytes. */
  reset(bytes: Uint8Array): void {
    this.resetRange(bytes, bytes.length);
  }

  /** @internal Restarts on `stream[0:len]` without making a view. */
  resetRange(stream: Uint8Array, len: number): void {
    this.br.reset(stream, HEADER_SIZE, len);
    this.numRead = 0;
    this.done = false;
    this.error = undefined;
    this.t = 0;
    this.tDelta = 0;
    this.vHi = 0;
    this.vLo = 0;
    this.leading = NO_WINDOW;
    this.trailing = 0;
    if (len < HEADER_SIZE) {
      this.numTotal = 0;
      this.error = new ChunkCorruptError('XOR chunk shorter than its header');
    } else {
      this.numTotal = (stream[0]! << 8) | stream[1]!;
    }
  }

  /** @internal Bit position after the last sample read. */
  bitPos(): number {
    return this.br.pos;
  }

  /** @internal Samples read so far. */
  numSamplesRead(): number {
    return this.numRead;
  }

  next(): ValueType {
    if (this.done) return ValueType.None;
    if (this.error !== undefined || this.numRead >= this.numTotal) {
      this.done = true;
      return ValueType.None;
    }
    const br = this.br;
    if (this.numRead >= 2) {
      let dod = 0;
      if (br.readBit() !== 0) {
        if (br.readBit() === 0) dod = signExtend(br.readBits(14), 14);
        else if (br.readBit() === 0) dod = signExtend(br.readBits(17), 17);
        else if (br.readBit() === 0) dod = signExtend(br.readBits(20), 20);
        else {
          const hi = br.readBits(32);
          const lo = br.readBits(32);
          dod = (hi | 0) * TWO_32 + lo;
          if (!Number.isSafeInteger(dod)) {
            // Not exact as a double: apply it to the delta in 64-bit arithmetic instead.
            const d = (BigInt(hi) << 32n) | BigInt(lo);
            this.tDelta = Number(BigInt.asIntN(64, BigInt(this.tDelta) + d));
            dod = 0;
          }
        }
      }
      this.tDelta += dod;
      this.t += this.tDelta;
      this.readValue();
    } else if (this.numRead === 0) {
      if (!br.readUvarint64()) return this.fail('bad first timestamp');
      // Undo zig-zag on the 64-bit halves.
      let hi = br.hi;
      let lo = br.lo;
      const neg = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = hi >>> 1;
      if (neg !== 0) {
        lo = ~lo;
        hi = ~hi;
      }
      this.t = (hi | 0) * TWO_32 + (lo >>> 0);
      this.vHi = br.readBits(32);
      this.vLo = br.readBits(32);
    } else {
      if (!br.readUvarint64()) return this.fail('bad second timestamp delta');
      this.tDelta = (br.hi | 0) * TWO_32 + br.lo;
      this.t += this.tDelta;
      this.readValue();
    }
    if (br.overflow) return this.fail('unexpected end of chunk data');
    if (this.error !== undefined) {
      this.done = true;
      return ValueType.None;
    }
    this.numRead++;
    return ValueType.Float;
  }

  private readValue(): void {
    const br = this.br;
    if (br.readBit() === 0) return; // value unchanged
    let mbits: number;
    let trailing: number;
    if (br.readBit() === 0) {
      // Reuse the window. Prometheus' reader starts with a 0/0 window, so do the same here.
      if (this.leading === NO_WINDOW) {
        this.leading = 0;
        this.trailing = 0;
      }
      trailing = this.trailing;
      mbits = 64 - this.leading - trailing;
    } else {
      const x = br.readBits(11);
      const leading = x >>> 6;
      mbits = x & 0x3f;
      if (mbits === 0) mbits = 64;
      trailing = 64 - leading - mbits;
      if (trailing < 0) {
        this.error = new ChunkCorruptError(`invalid XOR window: ${leading} leading zeros, ${mbits} significant bits`);
        return;
      }
      this.leading = leading;
      this.trailing = trailing;
    }
    let hi = 0;
    let lo: number;
    if (mbits > 32) {
      hi = br.readBits(mbits - 32);
      lo = br.readBits(32);
    } else {
      lo = br.readBits(mbits);
    }
    if (trailing >= 32) {
      hi = lo << (trailing - 32);
      lo = 0;
    } else if (trailing > 0) {
      hi = (hi << trailing) | (lo >>> (32 - trailing));
      lo = lo << trailing;
    }
    this.vHi ^= hi;
    this.vLo ^= lo;
  }

  private fail(msg: string): ValueType {
    this.error = new ChunkCorruptError(`XOR chunk: ${msg} (sample ${this.numRead} of ${this.numTotal})`);
    this.done = true;
    return ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.done) return ValueType.None;
    while (this.numRead === 0 || t > this.t) {
      if (this.next() === ValueType.None) return ValueType.None;
    }
    return ValueType.Float;
  }

  atT(): number {
    return this.t;
  }

  atF(): number {
    u32[HI] = this.vHi;
    u32[LO] = this.vLo;
    return f64[0]!;
  }

  /** XOR chunks hold floats only. */
  atH(): never {
    throw new Error('atH() on a float sample');
  }

  atFH(): never {
    throw new Error('atFH() on a float sample');
  }

  err(): Error | undefined {
    return this.error;
  }
}

function signExtend(bits: number, n: number): number {
  // Values above 2^(n-1) are negative; 2^(n-1) itself is positive (Prometheus' bitRange).
  return bits > 1 << (n - 1) ? bits - (1 << n) : bits;
}
