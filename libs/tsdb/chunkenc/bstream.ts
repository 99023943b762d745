// Bit streams for the chunk encodings: an MSB-first writer over a growable Uint8Array and a
// position-based reader. 64-bit quantities travel as two uint32 halves (hi, lo), so nothing
// here allocates per sample and NaN payloads never pass through a JS double.

/**
 * Storage of a bit stream being written. Chunks hold these fields themselves (one object per
 * chunk matters with 100k+ series), and the write functions below operate on any holder.
 * `count` is how many low bits of the last byte are still free, like Prometheus' bstream.
 */
export interface BitSink {
  stream: Uint8Array;
  /** Bytes in use; `stream.length` is the capacity. */
  len: number;
  /** Free (still zero) low bits in `stream[len - 1]`, 0..7. */
  count: number;
}

/**
 * Smallest capacity we allocate: a head chunk starts here and grows by doubling. 64 bytes is
 * also V8's limit for typed arrays stored on the JS heap, which are much cheaper to allocate.
 */
export const MIN_STREAM_CAPACITY = 64;

function grow(s: BitSink, extra: number): void {
  let cap = s.stream.length < MIN_STREAM_CAPACITY ? MIN_STREAM_CAPACITY : s.stream.length * 2;
  while (cap < s.len + extra) cap *= 2;
  const nb = new Uint8Array(cap);
  // Growth happens when full: copy without allocating a subarray view.
  if (s.len === s.stream.length) nb.set(s.stream);
  else for (let i = 0; i < s.len; i++) nb[i] = s.stream[i]!;
  s.stream = nb;
}

/** Makes room for `n` more whole bytes. */
export function ensureBytes(s: BitSink, n: number): void {
  if (s.len + n > s.stream.length) grow(s, n);
}

export function writeBit(s: BitSink, bit: number): void {
  if (s.count === 0) {
    if (s.len === s.stream.length) grow(s, 1);
    s.stream[s.len++] = 0;
    s.count = 8;
  }
  s.count--;
  if (bit !== 0) s.stream[s.len - 1]! |= 1 << s.count;
}

/** Writes the low `n` bits of `u` (0 <= n <= 32), most significant first. */
export function writeBits(s: BitSink, u: number, n: number): void {
  if (n < s.count) {
    // Fits in the partial last byte (the common case for control bits).
    s.count -= n;
    s.stream[s.len - 1]! |= (u & ((1 << n) - 1)) << s.count;
    return;
  }
  while (n > 0) {
    if (s.count === 0) {
      if (s.len === s.stream.length) grow(s, 1);
      s.stream[s.len++] = 0;
      s.count = 8;
    }
    const k = n < s.count ? n : s.count;
    n -= k;
    s.count -= k;
    s.stream[s.len - 1]! |= ((u >>> n) & ((1 << k) - 1)) << s.count;
  }
}

export function writeByte(s: BitSink, b: number): void {
  writeBits(s, b, 8);
}

/** Writes the low `n` bits (0 <= n <= 64) of the 64-bit value hi:lo. */
export function writeBits64(s: BitSink, hi: number, lo: number, n: number): void {
  if (n > 32) {
    writeBits(s, hi, n - 32);
    writeBits(s, lo, 32);
  } else {
    writeBits(s, lo, n);
  }
}

/** Go's binary.PutUvarint of the 64-bit value hi:lo (uint32 halves), one byte at a time. */
export function writeUvarint64(s: BitSink, hi: number, lo: number): void {
  hi >>>= 0;
  lo >>>= 0;
  while (hi !== 0 || lo >= 0x80) {
    writeBits(s, (lo & 0x7f) | 0x80, 8);
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  writeBits(s, lo, 8);
}

/** A standalone bit stream writer (for tests and encodings that do not embed the fields). */
export class BitStream implements BitSink {
  stream: Uint8Array;
  len = 0;
  count = 0;

  constructor(capacity = MIN_STREAM_CAPACITY) {
    this.stream = new Uint8Array(capacity);
  }

  /** The bytes written so far (a view; the last byte may be partial, zero padded). */
  bytes(): Uint8Array {
    return this.stream.subarray(0, this.len);
  }
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
