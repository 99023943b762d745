// Bit streams for the chunk encodings: an MSB-first writer over a growable Uint8Array and a
// position-based reader. 64-bit quantities travel as two uint32 halves (hi, lo), so nothing
// here allocates per sample and NaN payloads never pass through a JS double.

/**
 * Smallest capacity we allocate: a head chunk starts here and grows by doubling. 64 bytes is
 * also V8's limit for typed arrays stored on the JS heap, which are much cheaper to allocate.
 */
export const MIN_STREAM_CAPACITY = 64;

/**
 * An MSB-first bit writer. `count` is how many low bits of the last byte are still free, like
 * Prometheus' bstream.
 *
 * Built for appending to many cold buffers in turn (the head appends one sample to each
 * series' chunk): it never loads from the buffer, and stores a byte only once it is complete.
 * The partial last byte lives in `cur` until `flush()`, so an append that stays within it (or
 * writes only zeros, which the buffer already holds) touches no buffer memory at all. Bytes
 * from `len` on are always zero.
 *
 * `put`/`putZeros` assume room was made with `ensure`; the `write*` functions below grow as
 * they go and flush.
 */
export class BitWriter {
  /** Backing buffer; its length is `cap`. */
  stream: Uint8Array;
  /** Capacity, kept here so that checking it does not touch the buffer object. */
  cap: number;
  /** Bytes in use, including the partial last byte. */
  len: number;
  /** Free (still zero) low bits in the last byte, 0..7. */
  count = 0;
  /** The partial last byte (when `count > 0`), not yet stored unless flushed. */
  cur = 0;

  constructor(stream: Uint8Array, len: number) {
    this.stream = stream;
    this.cap = stream.length;
    this.len = len;
  }

  /** Makes room for `n` more whole bytes. */
  ensure(n: number): void {
    if (this.len + n > this.cap) this.grow(n);
  }

  /** Reallocates with room for `extra` more bytes (at least doubling the capacity). */
  grow(extra: number): void {
    const old = this.stream;
    let cap = this.cap < MIN_STREAM_CAPACITY ? MIN_STREAM_CAPACITY : this.cap * 2;
    while (cap < this.len + extra) cap *= 2;
    const nb = new Uint8Array(cap);
    // Growth happens when (nearly) full: copy without allocating a subarray view.
    if (this.len === this.cap) nb.set(old);
    else for (let i = 0; i < this.len; i++) nb[i] = old[i]!;
    this.stream = nb;
    this.cap = cap;
  }

  /** Bytes needed to write `n` more bits. */
  bytesFor(n: number): number {
    return n > this.count ? (n - this.count + 7) >>> 3 : 0;
  }

  /** Writes the low `n` bits of `u`, MSB first. 1 <= n <= 32, and u < 2^n: no higher bits set. */
  put(u: number, n: number): void {
    let count = this.count;
    if (n < count) {
      count -= n;
      this.cur |= u << count;
      this.count = count;
      return;
    }
    const s = this.stream;
    let len = this.len;
    n -= count;
    if (count !== 0) s[len - 1] = this.cur | (u >>> n);
    while (n >= 8) {
      n -= 8;
      s[len++] = u >>> n;
    }
    if (n !== 0) {
      this.cur = (u << (8 - n)) & 0xff;
      len++;
    }
    this.count = (8 - n) & 7;
    this.len = len;
  }

  /** Writes `n` zero bits. */
  putZeros(n: number): void {
    const count = this.count;
    if (n < count) {
      this.count = count - n;
      return;
    }
    if (count !== 0) this.stream[this.len - 1] = this.cur;
    n -= count;
    this.len += (n + 7) >>> 3;
    this.cur = 0;
    this.count = (8 - (n & 7)) & 7;
  }

  /** Stores the partial last byte, so that `stream[0:len]` is the complete data. */
  flush(): void {
    if (this.count !== 0) this.stream[this.len - 1] = this.cur;
  }

  /** The bytes written so far (a view; the last byte may be partial, zero padded). */
  bytes(): Uint8Array {
    this.flush();
    return this.len === this.cap ? this.stream : this.stream.subarray(0, this.len);
  }
}

/** A standalone bit stream writer (for tests and encodings that do not embed the fields). */
export class BitStream extends BitWriter {
  constructor(capacity = MIN_STREAM_CAPACITY) {
    super(new Uint8Array(capacity), 0);
  }
}

export function writeBit(s: BitWriter, bit: number): void {
  writeBits(s, bit & 1, 1);
}

/** Writes the low `n` bits of `u` (0 <= n <= 32), most significant first. */
export function writeBits(s: BitWriter, u: number, n: number): void {
  if (n === 0) return;
  s.ensure(s.bytesFor(n));
  s.put(n === 32 ? u : u & ((1 << n) - 1), n);
  s.flush();
}

export function writeByte(s: BitWriter, b: number): void {
  writeBits(s, b, 8);
}

/** Writes the low `n` bits (0 <= n <= 64) of the 64-bit value hi:lo. */
export function writeBits64(s: BitWriter, hi: number, lo: number, n: number): void {
  if (n > 32) {
    writeBits(s, hi, n - 32);
    writeBits(s, lo, 32);
  } else {
    writeBits(s, lo, n);
  }
}

/** Go's binary.PutUvarint of the 64-bit value hi:lo (uint32 halves), one byte at a time. */
export function writeUvarint64(s: BitWriter, hi: number, lo: number): void {
  hi >>>= 0;
  lo >>>= 0;
  while (hi !== 0 || lo >= 0x80) {
    writeBits(s, (lo & 0x7f) | 0x80, 8);
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  writeBits(s, lo, 8);
}

/**
 * Reads bits MSB-first from `stream[startByte:endByte]`. Reading past the end does not throw:
 * it sets `overflow` and returns zeros, so a decoder checks once per sample.
 * `hi`/`lo` receive the result of the 64-bit varint reads.
 */
export class BitReader {
  stream: Uint8Array = EMPTY;
  /** Next bit to read, counted from the start of `stream`. */
  pos = 0;
  /** One past the last readable bit. */
  end = 0;
  overflow = false;
  hi = 0;
  lo = 0;

  reset(stream: Uint8Array, startByte: number, endByte: number): void {
    this.stream = stream;
    this.pos = startByte * 8;
    this.end = endByte * 8;
    this.overflow = false;
    this.hi = 0;
    this.lo = 0;
  }

  readBit(): number {
    const p = this.pos;
    if (p >= this.end) {
      this.overflow = true;
      return 0;
    }
    this.pos = p + 1;
    return (this.stream[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  /** The next bit without consuming it (0 at the end). */
  peekBit(): number {
    const p = this.pos;
    if (p >= this.end) return 0;
    return (this.stream[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  /** Reads `n` bits (1 <= n <= 32) as an unsigned integer. */
  readBits(n: number): number {
    const p = this.pos;
    const np = p + n;
    if (np > this.end) {
      this.overflow = true;
      this.pos = this.end;
      return 0;
    }
    this.pos = np;
    const s = this.stream;
    const i = p >>> 3;
    const off = p & 7;
    let w: number;
    if (i + 5 <= s.length) {
      w = (s[i]! << 24) | (s[i + 1]! << 16) | (s[i + 2]! << 8) | s[i + 3]!;
      w = (w << off) | (s[i + 4]! >>> (8 - off));
    } else {
      // Near the end of the array: gather what exists, zeros after it.
      w = 0;
      for (let k = 0; k < 5; k++) {
        const b = i + k < s.length ? s[i + k]! : 0;
        if (k < 4) w |= b << (24 - 8 * k);
        else w = (w << off) | (b >>> (8 - off));
      }
    }
    return w >>> (32 - n);
  }

  /** Reads Go's binary.ReadUvarint into `hi`/`lo` (uint32 halves). False (and `overflow`) if malformed. */
  readUvarint64(): boolean {
    let lo = 0;
    let hi = 0;
    for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
      const b = this.readBits(8);
      if (this.overflow) return false;
      const v = b & 0x7f;
      if (shift < 32) {
        lo |= v << shift;
        if (shift > 25) hi |= v >>> (32 - shift);
      } else {
        hi |= v << (shift - 32);
      }
      if (b < 0x80) {
        if (i === 9 && b > 1) break; // overflows 64 bits
        this.hi = hi >>> 0;
        this.lo = lo >>> 0;
        return true;
      }
    }
    this.overflow = true;
    return false;
  }
}

const EMPTY = new Uint8Array(0);
