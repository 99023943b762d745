// Synchronous reader of WAL segments: reassembles records from page-framed fragments, checking
// CRCs and fragment order, and reports exactly where a damaged segment stops being valid.

import { closeSync, openSync, readSync } from 'node:fs';
import { crc32c } from '../encoding/index.ts';
import {
  CorruptionError,
  FRAGMENT_HEADER_SIZE,
  FragmentType,
  PAGE_SIZE,
  RESERVED_MASK,
  SNAPPY_MASK,
  UnsupportedRecordError,
  ZSTD_MASK,
  lastCheckpoint,
  listSegments,
  segmentName,
} from './segments.ts';
import type { SegmentRef } from './segments.ts';

const CHUNK_SIZE = 32 * PAGE_SIZE; // page aligned, so a fragment never straddles two reads

/**
 * Reads the records of a sequence of segments, in order. `next()` throws CorruptionError on a
 * damaged segment (including a record torn at the end of a segment) and UnsupportedRecordError
 * on a compressed record. A segment may end mid-page (the writer writes partial pages at once).
 */
export class WALReader {
  private readonly buf = new Uint8Array(CHUNK_SIZE);
  private chunkStart = 0; // file offset of buf[0]
  private chunkLen = 0;
  private pos = 0;
  private fd = -1;
  private cur = -1; // index into segs
  private goodEnd = 0; // end of the last complete record in the current segment
  private asm = new Uint8Array(PAGE_SIZE);
  private rec: Uint8Array = this.asm.subarray(0, 0);
  private recSegment = -1;
  private recEnd = 0;
  private done = false;

  constructor(private readonly segs: readonly SegmentRef[]) {}

  /** Advances to the next record; false at the end of the last segment. */
  next(): boolean {
    if (this.done) return false;
    const buf = this.buf;
    let assembling = false;
    let asmLen = 0;
    for (;;) {
      if (this.pos >= this.chunkLen && !this.fill()) {
        if (assembling) throw this.corrupt('record torn at the end of the segment');
        if (!this.openNext()) {
          this.done = true;
          this.closeFd();
          return false;
        }
        continue;
      }
      const pos = this.pos;
      const filePos = this.chunkStart + pos;
      const pageRem = PAGE_SIZE - (filePos % PAGE_SIZE);
      const avail = this.chunkLen - pos;

      // Page padding: too little room for a header, or an explicit zero "rest of page is empty".
      if (pageRem < FRAGMENT_HEADER_SIZE || buf[pos] === FragmentType.PageTerm) {
        const k = Math.min(pageRem, avail);
        for (let j = pos; j < pos + k; j++) {
          if (buf[j] !== 0) throw this.corrupt('unexpected non-zero byte in padded page', this.chunkStart + j);
        }
        this.pos += k;
        continue;
      }
      if (avail < FRAGMENT_HEADER_SIZE) throw this.corrupt('torn fragment header');
      const h = buf[pos]!;
      if ((h & RESERVED_MASK) !== 0) throw this.corrupt(`reserved bits set in fragment type 0x${h.toString(16)}`);
      const typ = h & 0x7;
      if (typ > FragmentType.Last) throw this.corrupt(`invalid fragment type ${typ}`);
      const len = (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (FRAGMENT_HEADER_SIZE + len > pageRem) throw this.corrupt(`fragment of ${len} bytes crosses a page boundary`);
      if (FRAGMENT_HEADER_SIZE + len > avail) throw this.corrupt('torn fragment');
      const want = ((buf[pos + 3]! << 24) | (buf[pos + 4]! << 16) | (buf[pos + 5]! << 8) | buf[pos + 6]!) >>> 0;
      const dataStart = pos + FRAGMENT_HEADER_SIZE;
      const got = crc32c(buf, dataStart, dataStart + len);
      if (got !== want) {
        throw this.corrupt(`checksum mismatch: computed ${got.toString(16)}, header says ${want.toString(16)}`);
      }
      // Only a valid fragment can tell us that it is compressed; garbage is corruption.
      if ((h & SNAPPY_MASK) !== 0 || (h & ZSTD_MASK) !== 0) {
        throw new UnsupportedRecordError(
          this.segs[this.cur]!.dir,
          this.segs[this.cur]!.index,
          filePos,
          (h & SNAPPY_MASK) !== 0 ? 'snappy' : 'zstd',
        );
      }
      if (assembling !== (typ === FragmentType.Middle || typ === FragmentType.Last)) {
        throw this.corrupt(assembling ? `fragment type ${typ} inside a record` : `fragment type ${typ} without a first fragment`);
      }
      this.pos = dataStart + len;

      if (typ === FragmentType.Full) {
        this.rec = buf.subarray(dataStart, dataStart + len); // zero copy
        return this.complete();
      }
      if (asmLen + len > this.asm.length) {
        let cap = this.asm.length * 2;
        while (cap < asmLen + len) cap *= 2;
        const n = new Uint8Array(cap);
        n.set(this.asm.subarray(0, asmLen));
        this.asm = n;
      }
      this.asm.set(buf.subarray(dataStart, dataStart + len), asmLen);
      asmLen += len;
      assembling = true;
      if (typ === FragmentType.Last) {
        this.rec = this.asm.subarray(0, asmLen);
        return this.complete();
      }
    }
  }

  /** The current record; valid only until the next call to `next()`. */
  record(): Uint8Array {
    return this.rec;
  }

  /** Index of the segment holding the current record. */
  segment(): number {
    return this.recSegment;
  }

  /** Offset in its segment just past the current record. */
  offset(): number {
    return this.recEnd;
  }

  close(): void {
    this.done = true;
    this.closeFd();
  }

  private complete(): true {
    this.goodEnd = this.chunkStart + this.pos;
    this.recSegment = this.segs[this.cur]!.index;
    this.recEnd = this.goodEnd;
    return true;
  }

  private corrupt(detail: string, at = this.chunkStart + this.pos): CorruptionError {
    const s = this.segs[this.cur]!;
    this.close();
    return new CorruptionError(s.dir, s.index, this.goodEnd, at, detail);
  }

  private fill(): boolean {
    if (this.fd < 0) return false;
    this.chunkStart += this.chunkLen;
    let n = 0;
    while (n < CHUNK_SIZE) {
      const r = readSync(this.fd, this.buf, n, CHUNK_SIZE - n, this.chunkStart + n);
      if (r === 0) break;
      n += r;
    }
    this.chunkLen = n;
    this.pos = 0;
    return n > 0;
  }

  private openNext(): boolean {
    this.closeFd();
    if (this.cur + 1 >= this.segs.length) return false;
    this.cur++;
    const s = this.segs[this.cur]!;
    this.fd = openSync(segmentName(s.dir, s.index), 'r');
    this.chunkStart = 0;
    this.chunkLen = 0;
    this.pos = 0;
    this.goodEnd = 0;
    return true;
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** The segments of `dir` with index in [from, to] (both optional), ascending. */
export function segmentRange(dir: string, opts: { from?: number; to?: number } = {}): SegmentRef[] {
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  return listSegments(dir)
    .filter((i) => i >= from && i <= to)
    .map((index) => ({ dir, index }));
}

/**
 * The records of the segments of `dir` with index in [from, to], in order. A synchronous
 * generator: the yielded bytes are reused by the next iteration (copy what you keep).
 */
export function* readRecords(dir: string, opts: { from?: number; to?: number } = {}): Generator<Uint8Array, void, undefined> {
  const r = new WALReader(segmentRange(dir, opts));
  try {
    while (r.next()) yield r.record();
  } finally {
    r.close();
  }
}

/**
 * Everything the head must replay from the WAL in `dir`: the last checkpoint's records, then
 * the segments after the checkpoint's index. Same reuse rule as `readRecords`.
 */
export function* replayRecords(dir: string): Generator<Uint8Array, void, undefined> {
  const cp = lastCheckpoint(dir);
  const segs = cp === undefined ? segmentRange(dir) : [...segmentRange(cp.dir), ...segmentRange(dir, { from: cp.index + 1 })];
  const r = new WALReader(segs);
  try {
    while (r.next()) yield r.record();
  } finally {
    r.close();
  }
}
