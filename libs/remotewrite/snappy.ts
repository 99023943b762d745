// Snappy block format (github.com/google/snappy/format_description.txt), the Content-Encoding of
// remote write: not the framing format. A pure-TypeScript decoder over Uint8Array (measured faster
// than the napi `snappy` package on remote-write bodies, see README.md) and an encoder with the
// reference algorithm (Go's snappy encodeBlock), so bodies we send are as small as Prometheus'.

import { RemoteWriteErrorCode, SnappyError } from './errors.ts';

/** Default bound on a decoded body: Prometheus' and Mimir's receivers cap requests at tens of MiB. */
export const DEFAULT_MAX_DECODED_BYTES = 64 << 20;

// Snappy itself caps the decoded length at 2^32 - 1.
const MAX_DECLARED = 0xffffffff;

function corrupt(reason: string, offset: number): never {
  throw new SnappyError(RemoteWriteErrorCode.SnappyCorrupt, `snappy: corrupt input: ${reason} at offset ${offset}`, offset);
}

// Module state of the last preamble read (avoids an object per call).
let preambleBytes = 0;

function readPreamble(src: Uint8Array): number {
  let x = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) return corrupt(src.length === 0 ? 'empty input' : 'truncated length preamble', i);
    const b = src[i]!;
    x += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (x > MAX_DECLARED) return corrupt(`declared length ${x} exceeds 2^32-1`, 0);
      preambleBytes = i + 1;
      return x;
    }
    mul *= 128;
  }
  return corrupt('length preamble longer than 5 bytes', 0);
}

/** The decoded length a snappy block declares (its uvarint preamble). Throws SnappyError on a bad preamble. */
export function snappyDecodedLength(src: Uint8Array): number {
  return readPreamble(src);
}

export interface SnappyDecodeOptions {
  /** Largest decoded length accepted; checked against the preamble before anything is allocated. */
  maxLength?: number;
  /**
   * Buffer to decode into when it is large enough; the result is then a view of it, valid until
   * the buffer is reused. Lets a receiver decode every request into one scratch buffer.
   */
  into?: Uint8Array;
}

/**
 * Decodes one snappy block. Throws SnappyError: `snappy_too_large` when the declared length
 * exceeds `maxLength` (default 64 MiB), `snappy_corrupt` for any malformed input. Never reads or
 * writes out of bounds and runs in time linear in the output.
 */
export function snappyDecode(src: Uint8Array, opts: SnappyDecodeOptions = {}): Uint8Array {
  const n = readPreamble(src);
  const max = opts.maxLength ?? DEFAULT_MAX_DECODED_BYTES;
  if (n > max) {
    throw new SnappyError(
      RemoteWriteErrorCode.SnappyTooLarge,
      `snappy: decoded length ${n} exceeds the limit of ${max} bytes`,
      0,
    );
  }
  const into = opts.into;
  const dst = into !== undefined && into.length >= n ? into.subarray(0, n) : new Uint8Array(n);
  decodeBlock(src, preambleBytes, dst, n);
  return dst;
}

function decodeBlock(src: Uint8Array, start: number, dst: Uint8Array, dLen: number): void {
  const sEnd = src.length;
  let s = start;
  let d = 0;
  while (s < sEnd) {
    const tag = src[s]!;
    let len: number;
    let off: number;
    switch (tag & 3) {
      case 0: {
        let x = tag >>> 2;
        if (x < 60) {
          s += 1;
        } else {
          const extra = x - 59; // 1..4 little-endian length bytes follow
          if (s + extra >= sEnd) return corrupt('truncated literal length', s);
          x = src[s + 1]!;
          if (extra > 1) x |= src[s + 2]! << 8;
          if (extra > 2) x |= src[s + 3]! << 16;
          if (extra > 3) x = (x | (src[s + 4]! << 24)) >>> 0;
          s += 1 + extra;
        }
        len = x + 1;
        if (len > sEnd - s) return corrupt(`literal of ${len} bytes runs past the end of the input`, s);
        if (len > dLen - d) return corrupt(`literal of ${len} bytes overflows the declared length ${dLen}`, s);
        if (len <= 32) {
          // Short literals dominate remote-write bodies: a loop beats set()'s subarray and call.
          for (let i = 0; i < len; i++) dst[d + i] = src[s + i]!;
        } else {
          dst.set(src.subarray(s, s + len), d);
        }
        d += len;
        s += len;
        continue;
      }
      case 1:
        if (s + 2 > sEnd) return corrupt('truncated copy', s);
        len = 4 + ((tag >>> 2) & 7);
        off = ((tag & 0xe0) << 3) | src[s + 1]!;
        s += 2;
        break;
      case 2:
        if (s + 3 > sEnd) return corrupt('truncated copy', s);
        len = 1 + (tag >>> 2);
        off = src[s + 1]! | (src[s + 2]! << 8);
        s += 3;
        break;
      default:
        if (s + 5 > sEnd) return corrupt('truncated copy', s);
        len = 1 + (tag >>> 2);
        off = (src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16) | (src[s + 4]! << 24)) >>> 0;
        s += 5;
        break;
    }
    if (off === 0) return corrupt('copy with offset 0', s);
    if (off > d) return corrupt(`copy offset ${off} before the start of the output (${d} bytes written)`, s);
    if (len > dLen - d) return corrupt(`copy of ${len} bytes overflows the declared length ${dLen}`, s);
    let from = d - off;
    if (off >= len && len > 32) {
      dst.copyWithin(d, from, from + len);
      d += len;
    } else {
      // Overlapping copies repeat the last `off` bytes: a forward byte loop does exactly that.
      const end = d + len;
      while (d < end) dst[d++] = dst[from++]!;
    }
  }
  if (d !== dLen) corrupt(`decoded ${d} bytes, the preamble declares ${dLen}`, s);
}

// --- encoder ---

const MAX_BLOCK = 65_536;
const INPUT_MARGIN = 15; // Go's inputMargin: the match loop reads up to 8 bytes ahead
const MIN_NON_LITERAL_BLOCK = 1 + 1 + INPUT_MARGIN;
const MAX_TABLE_BITS = 14;
const table = new Uint16Array(1 << MAX_TABLE_BITS);

/** Worst-case encoded size of `n` input bytes (Go's MaxEncodedLen). */
export function snappyMaxEncodedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

/** Encodes `src` as one snappy block (the reference algorithm: 64 KiB blocks, 4-byte hash matching). */
export function snappyEncode(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(snappyMaxEncodedLength(src.length));
  let d = 0;
  for (let n = src.length; ; ) {
    if (n < 0x80) {
      dst[d++] = n;
      break;
    }
    dst[d++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  for (let p = 0; p < src.length; p += MAX_BLOCK) {
    const end = Math.min(p + MAX_BLOCK, src.length);
    d = end - p < MIN_NON_LITERAL_BLOCK ? emitLiteral(dst, d, src, p, end) : encodeBlock(dst, d, src, p, end);
  }
  return dst.subarray(0, d);
}

function load32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function hash32(u: number, shift: number): number {
  return Math.imul(u, 0x1e35a7bd) >>> shift;
}

function emitLiteral(dst: Uint8Array, d: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1;
  if (n < 60) {
    dst[d++] = n << 2;
  } else if (n < 256) {
    dst[d++] = 60 << 2;
    dst[d++] = n;
  } else {
    dst[d++] = 61 << 2;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  }
  dst.set(src.subarray(from, to), d);
  return d + (to - from);
}

function emitCopy(dst: Uint8Array, d: number, offset: number, length: number): number {
  while (length >= 68) {
    dst[d] = (63 << 2) | 2;
    dst[d + 1] = offset & 0xff;
    dst[d + 2] = offset >>> 8;
    d += 3;
    length -= 64;
  }
  if (length > 64) {
    dst[d] = (59 << 2) | 2;
    dst[d + 1] = offset & 0xff;
    dst[d + 2] = offset >>> 8;
    d += 3;
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) {
    dst[d] = ((length - 1) << 2) | 2;
    dst[d + 1] = offset & 0xff;
    dst[d + 2] = offset >>> 8;
    return d + 3;
  }
  dst[d] = ((offset >>> 8) << 5) | ((length - 4) << 2) | 1;
  dst[d + 1] = offset & 0xff;
  return d + 2;
}

/** Go's snappy encodeBlock over src[base:end] (at most 64 KiB); table positions are relative to base. */
function encodeBlock(dst: Uint8Array, d: number, src: Uint8Array, base: number, end: number): number {
  const len = end - base;
  let shift = 32 - 8;
  let tableSize = 1 << 8;
  while (tableSize < 1 << MAX_TABLE_BITS && tableSize < len) {
    tableSize *= 2;
    shift--;
  }
  table.fill(0, 0, tableSize);
  const sLimit = end - INPUT_MARGIN;
  let nextEmit = base;
  let s = base + 1;
  let nextHash = hash32(load32(src, s), shift);
  for (;;) {
    let skip = 32;
    let nextS = s;
    let candidate = 0;
    for (;;) {
      s = nextS;
      const step = skip >>> 5;
      nextS = s + step;
      skip += step;
      if (nextS > sLimit) return nextEmit < end ? emitLiteral(dst, d, src, nextEmit, end) : d;
      candidate = base + table[nextHash]!;
      table[nextHash] = s - base;
      nextHash = hash32(load32(src, nextS), shift);
      if (load32(src, s) === load32(src, candidate)) break;
    }
    d = emitLiteral(dst, d, src, nextEmit, s);
    for (;;) {
      const matchStart = s;
      s += 4;
      for (let i = candidate + 4; s < end && src[i] === src[s]; i++) s++;
      d = emitCopy(dst, d, matchStart - candidate, s - matchStart);
      nextEmit = s;
      if (s >= sLimit) return nextEmit < end ? emitLiteral(dst, d, src, nextEmit, end) : d;
      // Hash the positions just before and at s, as the reference does, to find a match at once.
      const prevHash = hash32(load32(src, s - 1), shift);
      table[prevHash] = s - 1 - base;
      const cur = load32(src, s);
      const currHash = hash32(cur, shift);
      candidate = base + table[currHash]!;
      table[currHash] = s - base;
      if (cur !== load32(src, candidate)) {
        nextHash = hash32(load32(src, s + 1), shift);
        s++;
        break;
      }
    }
  }
}
