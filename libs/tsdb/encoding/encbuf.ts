// Growable byte buffer and a cursor reader with the primitives of the Prometheus formats:
// big-endian fixed ints, unsigned/signed (zig-zag) varints, length-prefixed strings.
// Integers are JS numbers: exact up to 2^53, which covers millisecond timestamps and refs.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

export class Encbuf {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
  }

  reset(): void {
    this.len = 0;
  }

  /** The written bytes (a view, valid until the next write). */
  get(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  putByte(b: number): void {
    this.grow(1);
    this.buf[this.len++] = b;
  }

  putBytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  putBE32(v: number): void {
    this.grow(4);
    const b = this.buf;
    b[this.len++] = v >>> 24;
    b[this.len++] = v >>> 16;
    b[this.len++] = v >>> 8;
    b[this.len++] = v;
  }

  /** 64-bit big-endian from a non-negative integer number (< 2^53). */
  putBE64(v: number): void {
    this.putBE32(Math.floor(v / 0x100000000));
    this.putBE32(v >>> 0);
  }

  putBE64Float(v: number): void {
    this.grow(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.len, v, false);
    this.len += 8;
  }

  /** Unsigned LEB128 varint of a non-negative integer (< 2^53). */
  putUvarint(v: number): void {
    this.grow(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.len++] = v;
  }

  /** Signed zig-zag varint (|v| < 2^52). */
  putVarint(v: number): void {
    this.putUvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Uvarint length followed by the UTF-8 bytes. */
  putUvarintStr(s: string): void {
    // Label names and values are short and mostly ASCII: written in place, that skips a
    // TextEncoder call and an allocation per string (a tenth of the agent's CPU on new series).
    const n = s.length;
    if (n < 0x80) {
      this.grow(n + 1);
      const b = this.buf;
      let p = this.len + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[p++] = c;
      }
      if (i === n) {
        b[this.len] = n;
        this.len = p;
        return;
      }
    }
    const bytes = textEncoder.encode(s);
    this.putUvarint(bytes.length);
    this.putBytes(bytes);
  }

  /** Overwrites 4 bytes at `off` (for back-patched lengths). */
  setBE32(off: number, v: number): void {
    const b = this.buf;
    b[off] = v >>> 24;
    b[off + 1] = v >>> 16;
    b[off + 2] = v >>> 8;
    b[off + 3] = v;
  }
}

/** Error raised on reading past the end or an invalid encoding. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export class Decbuf {
  off: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.off = start;
  }

  remaining(): number {
    return this.end - this.off;
  }

  private need(n: number): void {
    if (this.off + n > this.end) throw new DecodeError(`unexpected end of data at offset ${this.off} (need ${n} bytes)`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  be32(): number {
    this.need(4);
    const b = this.buf;
    const o = this.off;
    this.off += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  be64(): number {
    const hi = this.be32();
    const lo = this.be32();
    return hi * 0x100000000 + lo;
  }

  be64Float(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.off, false);
    this.off += 8;
    return v;
  }

  uvarint(): number {
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.off >= this.end) throw new DecodeError(`unexpected end of data in varint at offset ${this.off}`);
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

  uvarintStr(): string {
    const n = this.uvarint();
    this.need(n);
    const s = textDecoder.decode(this.buf.subarray(this.off, this.off + n));
    this.off += n;
    return s;
  }
}
