// Tails the segments of a live WAL (libs/tsdb/wal format) from a (segment, offset) position: the
// remote-write watcher reads records as the agent's storage writes them, in the same process.
// WALReader reads a fixed list of segments to their end; this one resumes where it stopped.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { crc32c } from '../../../libs/tsdb/encoding/index.ts';
import { PAGE_SIZE, listSegments, segmentName } from '../../../libs/tsdb/wal/index.ts';

const HEADER = 7;
const CHUNK = 8 * PAGE_SIZE; // page aligned reads: a fragment never straddles two reads

/** A place in the WAL: just past a complete record (or a segment's start). */
export interface WALPosition {
  readonly segment: number;
  readonly offset: number;
}

/**
 * Reads records from `position` on. `next()` returns a record, or undefined when no complete record
 * is available yet (the writer has not written it). Moves to the next segment when the current one
 * ends and a later one exists (the writer rotated). Damage in a finished segment skips the rest
 * of that segment (`skipped` counts it). Single-threaded use only: writer and tailer share the
 * event loop, so a write is never seen half done.
 */
export class WALTail {
  private fd = -1;
  private seg: number;
  private off: number; // file offset of the next unread byte, always past a complete record
  private buf = new Uint8Array(CHUNK);
  private bufStart = 0;
  private bufLen = 0;
  private asm = new Uint8Array(PAGE_SIZE);
  /** Segments whose damaged tail was skipped. */
  skipped = 0;

  constructor(
    readonly dir: string,
    from: WALPosition,
  ) {
    this.seg = from.segment;
    this.off = from.offset;
  }

  position(): WALPosition {
    return { segment: this.seg, offset: this.off };
  }

  /** The next complete record (a view valid until the next call), or undefined for "not yet". */
  next(): Uint8Array | undefined {
    for (;;) {
      const rec = this.readRecord();
      if (rec !== undefined) return rec;
      // End of what is written in this segment: move on only if the writer has moved on.
      if (!this.advanceSegment()) return undefined;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private advanceSegment(): boolean {
    let segs: number[];
    try {
      segs = listSegments(this.dir);
    } catch {
      return false;
    }
    const later = segs.find((i) => i > this.seg);
    if (later === undefined) return false;
    // Re-read once more: bytes may have landed after our read and before the rotation.
    if (this.readRecordPeek()) return true;
    this.close();
    this.seg = later;
    this.off = 0;
    this.bufLen = 0;
    return true;
  }

  // True if a complete record is now readable at the current position (next() will return it).
  private readRecordPeek(): boolean {
    const save = this.off;
    const rec = this.readRecord();
    this.off = save;
    return rec !== undefined;
  }

  private openFd(): boolean {
    if (this.fd >= 0) return true;
    try {
      this.fd = openSync(segmentName(this.dir, this.seg), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    this.bufLen = 0;
    return true;
  }

  /** Byte at file offset `o`, or -1 past the end of what is written. */
  private byteAt(o: number): number {
    if (o < this.bufStart || o >= this.bufStart + this.bufLen) {
      if (!this.fill(o)) return -1;
    }
    return this.buf[o - this.bufStart]!;
  }

  private fill(o: number): boolean {
    const start = o - (o % PAGE_SIZE);
    let n = 0;
    while (n < CHUNK) {
      const r = readSync(this.fd, this.buf, n, CHUNK - n, start + n);
      if (r === 0) break;
      n += r;
    }
    this.bufStart = start;
    this.bufLen = n;
    return o < start + n;
  }

  private readRecord(): Uint8Array | undefined {
    if (!this.openFd()) return undefined;
    let o = this.off;
    let asmLen = 0;
    let assembling = false;
    for (;;) {
      const pageRem = PAGE_SIZE - (o % PAGE_SIZE);
      const h = this.byteAt(o);
      if (h < 0) return this.endOfData(assembling);
      if (pageRem < HEADER || h === 0) {
        // Padding to the end of the page; a record never starts in it.
        o += pageRem;
        if (!assembling) this.off = o;
        continue;
      }
      if (this.byteAt(o + HEADER - 1) < 0) return this.endOfData(true);
      const b = this.buf;
      const p = o - this.bufStart;
      const typ = h & 0x7;
      const len = (b[p + 1]! << 8) | b[p + 2]!;
      const want = ((b[p + 3]! << 24) | (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!) >>> 0;
      if ((h & 0xf8) !== 0 || typ > 4 || HEADER + len > pageRem || (assembling !== (typ === 3 || typ === 4))) return this.damaged();
      if (this.byteAt(o + HEADER + len - 1) < 0 && len > 0) return this.endOfData(true);
      const ds = o + HEADER - this.bufStart;
      if (crc32c(this.buf, ds, ds + len) !== want) return this.damaged();
      o += HEADER + len;
      if (typ === 1) {
        this.off = o;
        return this.buf.subarray(ds, ds + len);
      }
      if (asmLen + len > this.asm.length) {
        const n = new Uint8Array(Math.max(this.asm.length * 2, asmLen + len));
        n.set(this.asm.subarray(0, asmLen));
        this.asm = n;
      }
      this.asm.set(this.buf.subarray(ds, ds + len), asmLen);
      asmLen += len;
      assembling = true;
      if (typ === 4) {
        this.off = o;
        return this.asm.subarray(0, asmLen);
      }
    }
  }

  // Nothing complete after `off` yet. A torn record at the end is the writer's business unless
  // the segment is finished; advanceSegment() then moves past it.
  private endOfData(_torn: boolean): undefined {
    return undefined;
  }

  private damaged(): undefined {
    // Treat the rest of the segment as unreadable: jump to its end (a later segment, if any, goes on).
    this.skipped++;
    try {
      this.off = Math.max(this.off, statSync(segmentName(this.dir, this.seg)).size);
    } catch {
      // deleted meanwhile: advanceSegment() handles it
    }
    return undefined;
  }
}
