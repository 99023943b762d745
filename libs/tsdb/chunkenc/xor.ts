// Prometheus' XOR ("Gorilla") float chunk, byte for byte: 2-byte big-endian sample count, then
// t0 varint + raw 64-bit v0, t1 delta uvarint + XOR value, then delta-of-delta timestamps in
// 1/16/20/24/68-bit buckets and XOR values with a reusable leading/trailing-zero window.
// Values are handled as their 64-bit patterns (two uint32 halves), so NaN payloads such as the
// stale marker survive; timestamps are integer milliseconds in JS numbers.

import { ValueType } from '../../storage/index.ts';
import type { SampleIterator } from '../../storage/index.ts';
import { BitReader, MIN_STREAM_CAPACITY, writeBit, writeBits, writeBits64, writeUvarint64 } from './bstream.ts';
import type { BitSink } from './bstream.ts';
import { ChunkCorruptError, Encoding } from './chunk.ts';
import type { Chunk, ChunkAppender } from './chunk.ts';

const HEADER_SIZE = 2;
const MAX_SAMPLES = 0xffff;
const TWO_32 = 4294967296;
/** "No leading/trailing window yet": forces the first non-zero XOR to write its window. */
const NO_WINDOW = 0xff;

// Float <-> bits scratch. Index of the high half depends on the platform's endianness.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/**
 * An XOR chunk. Created empty (a head chunk being appended to) or around encoded bytes read from
 * disk, which are wrapped without copying and copied only if `appender()` is called.
 */
export class XORChunk implements Chunk, BitSink {
  /** @internal Backing buffer; capacity grows by doubling from a small start. */
  stream: Uint8Array;
  /** @internal Bytes in use. */
  len: number;
  /** @internal Free low bits in the last byte. */
  count = 0;
  /** The stream belongs to someone else (e.g. a segment file buffer): copy before writing. */
  private borrowed: boolean;

  /**
   * `capacity` sizes a new chunk's buffer up front: the head passes its estimate of the final
   * size, because regrowing many small buffers costs more than the encoding itself.
   */
  constructor(bytes?: Uint8Array, capacity = MIN_STREAM_CAPACITY) {
    if (bytes === undefined) {
      this.stream = new Uint8Array(Math.max(capacity, HEADER_SIZE));
      this.len = HEADER_SIZE;
      this.borrowed = false;
    } else {
      this.stream = bytes;
      this.len = bytes.length;
      this.borrowed = true;
    }
  }

  get encoding(): Encoding {
    return Encoding.XOR;
  }

  bytes(): Uint8Array {
    return this.len === this.stream.length ? this.stream : this.stream.subarray(0, this.len);
  }

  numSamples(): number {
    return this.len < HEADER_SIZE ? 0 : (this.stream[0]! << 8) | this.stream[1]!;
  }

  /** Drops spare capacity (a chunk that is complete). Appending afterwards still works. */
  compact(): void {
    if (this.stream.length > this.len) this.stream = this.stream.slice(0, this.len);
  }

  /**
   * An appender continuing after the last sample. On a chunk with samples it decodes them all
   * once to recover the encoder state, and resumes at the exact bit where they end, so the
   * result is identical to having appended everything through one appender. (Prometheus'
   * Reset-then-Appender would instead start at the next whole byte.) Throws on corrupt data.
   */
  appender(): ChunkAppender {
    if (this.borrowed) {
      const cap = Math.max(MIN_STREAM_CAPACITY, this.len * 2);
      const own = new Uint8Array(cap);
      own.set(this.stream.subarray(0, this.len));
      this.stream = own;
      this.borrowed = false;
    }
    if (this.len < HEADER_SIZE) throw new ChunkCorruptError('XOR chunk shorter than its header');
    if (this.numSamples() === 0) {
      this.len = HEADER_SIZE;
      this.count = 0;
      return new XORAppender(this, 0, 0, 0, 0, NO_WINDOW, 0);
    }
    const it = new XORIterator();
    it.resetRange(this.stream, this.len);
    while (it.next() !== ValueType.None);
    const err = it.err();
    if (err !== undefined) throw err;
    const pos = it.bitPos();
    this.len = (pos + 7) >>> 3;
    this.count = (8 - (pos & 7)) & 7;
    if (this.count !== 0) this.stream[this.len - 1]! &= ~((1 << this.count) - 1) & 0xff;
    return new XORAppender(this, it.t, it.tDelta, it.vHi, it.vLo, it.leading, it.trailing);
  }

  /** Iterates the samples present now; reuses `reuse` if it is an XOR iterator. */
  iterator(reuse?: SampleIterator): XORIterator {
    const it = reuse instanceof XORIterator ? reuse : new XORIterator();
    it.resetRange(this.stream, this.len);
    return it;
  }
}

class XORAppender implements ChunkAppender {
  constructor(
    private readonly c: XORChunk,
    private t: number,
    private tDelta: number,
    private vHi: number,
    private vLo: number,
    private leading: number,
    private trailing: number,
  ) {}

  append(t: number, v: number): void {
    if (!Number.isSafeInteger(t)) throw new RangeError(`timestamp ${t} is not a safe integer`);
    f64[0] = v;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    const c = this.c;
    const num = (c.stream[0]! << 8) | c.stream[1]!;
    let tDelta = 0;
    if (num === 0) {
      // Zig-zag varint of t: (|t| << 1) for t >= 0, ((-t - 1) << 1) | 1 otherwise.
      const neg = t < 0;
      const a = neg ? -t - 1 : t;
      const aLo = a >>> 0;
      const aHi = Math.floor(a / TWO_32);
      writeUvarint64(c, (aHi << 1) | (aLo >>> 31), (aLo << 1) | (neg ? 1 : 0));
      writeBits(c, hi, 32);
      writeBits(c, lo, 32);
    } else if (num === 1) {
      tDelta = t - this.t;
      checkDelta(tDelta);
      // Written as uvarint of the delta's 64-bit two's complement, as Prometheus does.
      writeUvarint64(c, Math.floor(tDelta / TWO_32), tDelta >>> 0);
      this.writeVDelta(hi, lo);
    } else if (num === MAX_SAMPLES) {
      throw new RangeError('chunk capacity exceeded');
    } else {
      tDelta = t - this.t;
      checkDelta(tDelta);
      const dod = tDelta - this.tDelta;
      // Bucket bounds are Prometheus' bitRange: -(2^(n-1)-1) <= dod <= 2^(n-1).
      if (dod === 0) {
        writeBit(c, 0);
      } else if (dod >= -8191 && dod <= 8192) {
        writeBits(c, (0b10 << 14) | (dod & 0x3fff), 16);
      } else if (dod >= -65535 && dod <= 65536) {
        writeBits(c, (0b110 << 17) | (dod & 0x1ffff), 20);
      } else if (dod >= -524287 && dod <= 524288) {
        writeBits(c, (0b1110 << 20) | (dod & 0xfffff), 24);
      } else {
        writeBits(c, 0b1111, 4);
        if (Number.isSafeInteger(dod)) {
          writeBits(c, Math.floor(dod / TWO_32), 32);
          writeBits(c, dod >>> 0, 32);
        } else {
          // |dod| >= 2^53 cannot be exact in a double; rare enough to afford a BigInt.
          const b = BigInt.asUintN(64, BigInt(tDelta) - BigInt(this.tDelta));
          writeBits(c, Number(b >> 32n), 32);
          writeBits(c, Number(b & 0xffffffffn), 32);
        }
      }
      this.writeVDelta(hi, lo);
    }
    this.t = t;
    this.tDelta = tDelta;
    this.vHi = hi;
    this.vLo = lo;
    const n = num + 1;
    c.stream[0] = n >>> 8;
    c.stream[1] = n;
  }

  private writeVDelta(hi: number, lo: number): void {
    const c = this.c;
    const dHi = (hi ^ this.vHi) >>> 0;
    const dLo = (lo ^ this.vLo) >>> 0;
    if (dHi === 0 && dLo === 0) {
      writeBit(c, 0);
      return;
    }
    let leading = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
    const trailing = dLo !== 0 ? ctz32(dLo) : 32 + ctz32(dHi);
    // Only 5 bits for the leading count.
    if (leading >= 32) leading = 31;
    if (this.leading !== NO_WINDOW && leading >= this.leading && trailing >= this.trailing) {
      // The previous window still covers every set bit: '10' and the window's bits.
      writeBits(c, 0b10, 2);
      writeShifted(c, dHi, dLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    this.leading = leading;
    this.trailing = trailing;
    const sigbits = 64 - leading - trailing;
    // '11', 5-bit leading, 6-bit significant-bit count (64 wraps to 0: 0 never occurs otherwise).
    writeBits(c, (0b11 << 11) | (leading << 6) | (sigbits & 0x3f), 13);
    writeShifted(c, dHi, dLo, trailing, sigbits);
  }
}

function checkDelta(tDelta: number): void {
  if (!Number.isSafeInteger(tDelta)) throw new RangeError(`timestamp delta ${tDelta} exceeds 2^53 ms`);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Writes bits [shift, shift + n) of hi:lo. */
function writeShifted(s: BitSink, hi: number, lo: number, shift: number, n: number): void {
  if (shift >= 32) {
    lo = hi >>> (shift - 32);
    hi = 0;
  } else if (shift > 0) {
    lo = (lo >>> shift) | (hi << (32 - shift));
    hi = hi >>> shift;
  }
  writeBits64(s, hi, lo, n);
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

  err(): Error | undefined {
    return this.error;
  }
}

function signExtend(bits: number, n: number): number {
  // Values above 2^(n-1) are negative; 2^(n-1) itself is positive (Prometheus' bitRange).
  return bits > 1 << (n - 1) ? bits - (1 << n) : bits;
}
