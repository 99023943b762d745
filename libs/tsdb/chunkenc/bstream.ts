// Bit streams for the chunk encodings: an MSB-first writer over a growable Uint8Array and a
// position-based reader. 64-bit quantities travel as two uint32 halves (hi, lo), so nothing
// here allocates per sample and NaN payloads never pass through a JS double.

/**
 * Smallest capacity we allocate: a head chunk starts here and grows by doubling. 64 bytes is
 * also V8's limit for typed arrays stored on the JS heap, which are much cheaper to allocate.
 */
export const MIN_STREAM_CAPACITY = 64;

/** Words a BitWriter queues in its fields q0..q10 before storing them (with the next) to its buffer. */
const QUEUE_WORDS = 11;
const QUEUE_BYTES = (QUEUE_WORDS + 1) * 4;

/**
 * An MSB-first bit writer over a growable buffer.
 *
 * Built for appending to many cold buffers in turn (the head appends one sample to each
 * series' chunk, so every append starts with cache misses): bits gather in a 32-bit word `acc`,
 * complete words queue in the fields q0..q10, and they reach the buffer 48 bytes at a time. Most
 * appends then touch only the writer object, not the buffer (a second object, and a second
 * dependent cache miss). `flush()` stores what is pending so that readers see everything; the
 * queued words stay queued, and are stored again, identically, later.
 *
 * Every field is an int32, which V8 keeps inline in the object (in builds without pointer
 * compression, like Node's, int32s are small integers; a double would be a separate box).
 */
export class BitWriter {
  /** Backing buffer; its length is the capacity. */
  stream: Uint8Array;
  /** Bytes stored for good; the queued words and `acc` follow them. */
  done: number;
  /** Number of queued words. */
  nq = 0;
  /** The word being filled from the top, and how many of its bits are used (0..31). */
  acc = 0;
  nacc = 0;
  /** Queued complete words, q0 first. */
  q0 = 0;
  q1 = 0;
  q2 = 0;
  q3 = 0;
  q4 = 0;
  q5 = 0;
  q6 = 0;
  q7 = 0;
  q8 = 0;
  q9 = 0;
  q10 = 0;

  constructor(stream: Uint8Array, len: number) {
    this.stream = stream;
    this.done = len;
  }

  /** Bytes written, the last one possibly partial (zero padded): `stream[0:len]` after `flush()`. */
  get len(): number {
    return this.done + this.nq * 4 + ((this.nacc + 7) >>> 3);
  }

  /** Free (still zero) low bits in the last byte, 0..7, like Prometheus' bstream.count. */
  get count(): number {
    return (8 - (this.nacc & 7)) & 7;
  }

  /** Continues writing after the first `pos` bits of `stream` (bits after them are dropped). */
  resumeAt(pos: number): void {
    const used = pos & 7;
    this.done = pos >>> 3;
    this.nq = 0;
    this.nacc = used;
    this.acc = used === 0 ? 0 : (this.stream[this.done]! >>> (8 - used)) << (32 - used);
  }

  /** Reallocates with room for `extra` more bytes after `done` (at least doubling the capacity). */
  grow(extra: number): void {
    const old = this.stream;
    let cap = old.length < MIN_STREAM_CAPACITY ? MIN_STREAM_CAPACITY : old.length * 2;
    while (cap < this.done + extra) cap *= 2;
    const nb = new Uint8Array(cap);
    // Bytes after `done` are rewritten before anyone reads them: copy all, no view needed.
    nb.set(old);
    this.stream = nb;
  }

  /** Writes the low `n` bits of `u`, MSB first. 1 <= n <= 32, and u < 2^n: no higher bits set. */
  put(u: number, n: number): void {
    const free = 32 - this.nacc;
    if (n < free) {
      this.acc |= u << (free - n);
      this.nacc += n;
      return;
    }
    const rem = n - free;
    const w = this.acc | (u >>> rem);
    this.acc = rem === 0 ? 0 : u << (32 - rem);
    this.nacc = rem;
    this.queue(w);
  }

  /** Queues a complete word; when the queue is full, stores it and the word. */
  queue(w: number): void {
    switch (this.nq) {
      case 0: this.q0 = w; break;
      case 1: this.q1 = w; break;
      case 2: this.q2 = w; break;
      case 3: this.q3 = w; break;
      case 4: this.q4 = w; break;
      case 5: this.q5 = w; break;
      case 6: this.q6 = w; break;
      case 7: this.q7 = w; break;
      case 8: this.q8 = w; break;
      case 9: this.q9 = w; break;
      case 10: this.q10 = w; break;
      default:
        this.storeQueue(w);
        this.nq = 0;
        return;
    }
    this.nq++;
  }

  /** Queued word `i`. */
  private queued(i: number): number {
    switch (i) {
      case 0: return this.q0;
      case 1: return this.q1;
      case 2: return this.q2;
      case 3: return this.q3;
      case 4: return this.q4;
      case 5: return this.q5;
      case 6: return this.q6;
      case 7: return this.q7;
      case 8: return this.q8;
      case 9: return this.q9;
      default: return this.q10;
    }
  }

  /** Stores the full queue and `w` (the caller resets `nq`). */
  private storeQueue(w: number): void {
    let p = this.done;
    if (p + QUEUE_BYTES > this.stream.length) this.grow(QUEUE_BYTES);
    const s = this.stream;
    for (let i = 0; i < QUEUE_WORDS; i++) p = storeWord(s, p, this.queued(i));
    this.done = storeWord(s, p, w);
  }

  /** Writes the low `n` bits of `u` (0 <= n <= 32), MSB first; higher bits may be set. */
  putBits(u: number, n: number): void {
    if (n !== 0) this.put(n === 32 ? u | 0 : u & ((1 << n) - 1), n);
  }

  /** Go's binary.PutUvarint of the 64-bit value hi:lo (uint32 halves), one byte at a time. */
  putUvarint64(hi: number, lo: number): void {
    hi >>>= 0;
    lo >>>= 0;
    while (hi !== 0 || lo >= 0x80) {
      this.put((lo & 0x7f) | 0x80, 8);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.put(lo, 8);
  }

  /** Stores everything pending, so that `stream[0:len]` is the complete data. */
  flush(): void {
    const end = this.len;
    if (end > this.stream.length) this.grow(end - this.done);
    const s = this.stream;
    let p = this.done;
    for (let i = 0; i < this.nq; i++) p = storeWord(s, p, this.queued(i));
    for (let shift = 24; p < end; shift -= 8) s[p++] = this.acc >>> shift;
  }

  /** The bytes written so far (a view; the last byte may be partial, zero padded). */
  bytes(): Uint8Array {
    this.flush();
    const len = this.len;
    return len === this.stream.length ? this.stream : this.stream.subarray(0, len);
  }
}

/** Stores `w` big-endian at `s[p]`; returns p + 4. */
function storeWord(s: Uint8Array, p: number, w: number): number {
  s[p] = w >>> 24;
  s[p + 1] = w >>> 16;
  s[p + 2] = w >>> 8;
  s[p + 3] = w;
  return p + 4;
}

/** A standalone bit stream writer (for tests and encodings that do not embed the fields). */
export class BitStream extends BitWriter {
  constructor(capacity = MIN_STREAM_CAPACITY) {
    super(new Uint8Array(capacity), 0);
  }
}

// Writes that leave the buffer complete (`flush()` after each), for tests and one-off use.

export function writeBit(s: BitWriter, bit: number): void {
  writeBits(s, bit & 1, 1);
}

/** Writes the low `n` bits of `u` (0 <= n <= 32), most significant first. */
export function writeBits(s: BitWriter, u: number, n: number): void {
  s.putBits(u, n);
  s.flush();
}

export function writeByte(s: BitWriter, b: number): void {
  writeBits(s, b, 8);
}

/** Writes the low `n` bits (0 <= n <= 64) of the 64-bit value hi:lo. */
export function writeBits64(s: BitWriter, hi: number, lo: number, n: number): void {
  if (n > 32) {
    s.putBits(hi, n - 32);
    s.putBits(lo, 32);
  } else {
    s.putBits(lo, n);
  }
  s.flush();
}

/** Go's binary.PutUvarint of the 64-bit value hi:lo (uint32 halves). */
export function writeUvarint64(s: BitWriter, hi: number, lo: number): void {
  s.putUvarint64(hi, lo);
  s.flush();
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
