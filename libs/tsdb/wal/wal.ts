// The write-ahead log writer: appends records to numbered segment files in Prometheus' page and
// fragment format, one write syscall per log() call, with optional group-committed fdatasync.

import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
  constants as fsConstants,
} from 'node:fs';
import { crc32c } from '../encoding/index.ts';
import { nopLogger } from '../../log/index.ts';
import type { Logger } from '../../log/index.ts';
import { WALReader } from './reader.ts';
import {
  CorruptionError,
  DEFAULT_SEGMENT_SIZE,
  FRAGMENT_HEADER_SIZE,
  FragmentType,
  PAGE_SIZE,
  lastCheckpoint,
  listSegments,
  segmentName,
} from './segments.ts';

/**
 * 'always': log() resolves only after fdatasync; concurrent callers share one fdatasync (group
 * commit). 'never': data reaches the OS with each log() (it survives a crash of this process, not
 * of the machine); segments are fdatasync'd when they are rotated away from and on close().
 */
export type FsyncPolicy = 'always' | 'never';

export interface WALOptions {
  /** Bytes per segment, a multiple of 32 KiB (default 128 MiB). A larger record gets a segment of its own. */
  segmentSize?: number;
  fsync?: FsyncPolicy;
  logger?: Logger;
}

const HEADER = FRAGMENT_HEADER_SIZE;

function roundUpToPage(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, fsConstants.O_RDONLY);
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A write-ahead log in `dir`. Not safe for several processes; within a process, calls may overlap:
 * each log() call's bytes are written before it returns its promise, so records land in call order.
 */
export class WAL {
  private fd = -1;
  private segIndex = 0;
  private segOff = 0; // bytes written to the active segment
  private firstSeg = 0;
  private frame = new Uint8Array(4 * PAGE_SIZE);
  private writeSeq = 0; // log() calls written
  private syncedSeq = 0; // log() calls known to be on stable storage
  private syncing: Promise<void> | undefined;
  private pendingClose: number[] = []; // retired fds waiting for an in-flight fdatasync
  private readonly background = new Set<Promise<void>>();
  private failed: Error | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly segmentSize: number,
    private readonly fsyncPolicy: FsyncPolicy,
    private readonly logger: Logger,
  ) {}

  /**
   * Opens (creating) the WAL in `dir`. The tail of the last non-empty segment is checked and, if a
   * crash tore it or it is corrupt, truncated to its last complete record (with a warning). Writing
   * always starts in a new segment. Throws UnsupportedRecordError on a compressed record.
   */
  static async open(dir: string, opts: WALOptions = {}): Promise<WAL> {
    const segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (!Number.isInteger(segmentSize) || segmentSize <= 0 || segmentSize % PAGE_SIZE !== 0) {
      throw new Error(`invalid WAL segment size ${segmentSize}: must be a positive multiple of ${PAGE_SIZE}`);
    }
    const w = new WAL(dir, segmentSize, opts.fsync ?? 'never', opts.logger ?? nopLogger);
    mkdirSync(dir, { recursive: true });
    let segs = listSegments(dir);
    if (segs.length > 0) {
      // Empty trailing segments come from restarts without writes; the one before them holds the tail.
      let k = segs.length - 1;
      while (k > 0 && statSync(segmentName(dir, segs[k]!)).size === 0) k--;
      if (w.checkTail(segs[k]!)) {
        for (const i of segs.slice(k + 1)) unlinkSync(segmentName(dir, i));
        segs = segs.slice(0, k + 1);
      }
    }
    let next: number;
    if (segs.length > 0) {
      w.firstSeg = segs[0]!;
      next = segs[segs.length - 1]! + 1;
    } else {
      // Never go below a checkpoint: replay reads only segments after it.
      const cp = lastCheckpoint(dir);
      next = cp === undefined ? 0 : cp.index + 1;
      w.firstSeg = next;
    }
    w.openSegment(next);
    return w;
  }

  /** Reads segment `i` to its end; repairs it if damaged. Returns whether it was repaired. */
  private checkTail(i: number): boolean {
    const r = new WALReader([{ dir: this.dir, index: i }]);
    try {
      while (r.next());
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      this.logger.warn(
        { segment: i, offset: err.offset, at: err.at, err: err.detail },
        'WAL tail is torn or corrupt; truncating the segment to its last complete record',
      );
      this.truncateSegmentFile(i, err.offset);
      return true;
    } finally {
      r.close();
    }
    // A crash leaves the last page partial; pad it so only the active segment ends mid-page.
    this.truncateSegmentFile(i, undefined);
    return false;
  }

  /** Cuts segment `i` at `offset` (if given) and zero-pads it to a whole page. */
  private truncateSegmentFile(i: number, offset: number | undefined): void {
    const fd = openSync(segmentName(this.dir, i), 'r+');
    try {
      const size = offset ?? fstatSync(fd).size;
      if (offset !== undefined) ftruncateSync(fd, offset); // drop the damaged bytes before padding with zeros
      if (size % PAGE_SIZE !== 0) ftruncateSync(fd, roundUpToPage(size));
      if (offset !== undefined || size % PAGE_SIZE !== 0) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Appends the records. The returned promise resolves after their bytes were written to the
   * segment file (and, with fsync 'always', fdatasync'd). The write itself happens synchronously,
   * before log() returns. On error, records before a segment rotation may already be written.
   */
  async log(...recs: Uint8Array[]): Promise<void> {
    this.checkUsable();
    if (recs.length === 0) return;
    this.append(recs);
    if (this.fsyncPolicy === 'always') await this.syncTo(this.writeSeq);
  }

  /** Closes the active segment and starts a new one; returns the new segment's index. */
  async nextSegment(): Promise<number> {
    this.checkUsable();
    this.rotate();
    return this.segIndex;
  }

  /** The range of segment indexes on disk; `last` is the active segment. */
  segments(): { first: number; last: number } {
    return { first: this.firstSeg, last: this.segIndex };
  }

  /** Deletes the segments with index < `before` (never the active one). */
  async truncate(before: number): Promise<void> {
    this.checkUsable();
    const end = Math.min(before, this.segIndex);
    for (const i of listSegments(this.dir)) {
      if (i >= end) break;
      rmSync(segmentName(this.dir, i), { force: true });
    }
    if (end > this.firstSeg) this.firstSeg = end;
  }

  /**
   * Repairs a corruption found while replaying (`err` from readRecords/replayRecords): the damaged
   * segment is cut at its last complete record, every later segment is deleted, and writing goes
   * on in a new segment after it. Records after the damage are lost, as in Prometheus.
   */
  async repair(err: CorruptionError): Promise<void> {
    this.checkUsable();
    if (err.dir !== this.dir) throw new Error(`cannot repair ${err.dir}: not a segment of the WAL in ${this.dir}`, { cause: err });
    if (err.segment < this.firstSeg || err.segment > this.segIndex) {
      throw new Error(`cannot repair segment ${err.segment}: not in the WAL's range`, { cause: err });
    }
    this.logger.warn({ segment: err.segment, offset: err.offset, err: err.detail }, 'repairing WAL: deleting segments after the corrupt one');
    await this.waitSyncs();
    closeSync(this.fd);
    this.fd = -1;
    for (const i of listSegments(this.dir)) if (i > err.segment) unlinkSync(segmentName(this.dir, i));
    this.truncateSegmentFile(err.segment, err.offset);
    this.syncedSeq = this.writeSeq;
    this.openSegment(err.segment + 1);
  }

  /** Pads and fdatasyncs the active segment and closes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.waitSyncs();
    if (this.fd >= 0) {
      try {
        this.padActive();
        await fdatasyncAsync(this.fd);
        this.syncedSeq = this.writeSeq;
      } finally {
        closeSync(this.fd);
        this.fd = -1;
      }
    }
    await Promise.all([...this.background]);
  }

  private checkUsable(): void {
    if (this.closed) throw new Error('WAL is closed');
    if (this.failed) throw new Error(`WAL is unusable after an earlier error: ${this.failed.message}`, { cause: this.failed });
  }

  private async waitSyncs(): Promise<void> {
    while (this.syncing) await this.syncing.catch(() => undefined);
  }

  /** Frames the records into pages and writes them with one syscall per segment touched. */
  private append(recs: Uint8Array[]): void {
    const pagesPerSeg = this.segmentSize / PAGE_SIZE;
    let n = 0; // bytes framed, to be written at segOff
    for (const rec of recs) {
      n = this.padIfFull(n);
      // Records never cross segments: rotate if it does not fit (unless the segment is empty).
      const cur = this.segOff + n;
      if (cur > 0) {
        const page = Math.floor(cur / PAGE_SIZE);
        const left = page >= pagesPerSeg ? 0 : (PAGE_SIZE - HEADER) * (pagesPerSeg - page) - (cur % PAGE_SIZE);
        if (rec.length > left) {
          this.writeFrame(n);
          n = 0;
          this.rotate();
        }
      }
      let off = 0;
      do {
        n = this.padIfFull(n);
        const rem = PAGE_SIZE - ((this.segOff + n) % PAGE_SIZE);
        const l = Math.min(rec.length - off, rem - HEADER);
        const first = off === 0;
        const last = off + l === rec.length;
        const typ = first ? (last ? FragmentType.Full : FragmentType.First) : last ? FragmentType.Last : FragmentType.Middle;
        this.reserve(n + HEADER + l);
        const f = this.frame;
        const crc = crc32c(rec, off, off + l);
        f[n] = typ;
        f[n + 1] = l >>> 8;
        f[n + 2] = l;
        f[n + 3] = crc >>> 24;
        f[n + 4] = crc >>> 16;
        f[n + 5] = crc >>> 8;
        f[n + 6] = crc;
        f.set(rec.subarray(off, off + l), n + HEADER);
        n += HEADER + l;
        off += l;
      } while (off < rec.length);
    }
    this.writeFrame(n);
    this.writeSeq++;
  }

  /** Zero-fills the rest of the page when it cannot hold a header and at least one byte. */
  private padIfFull(n: number): number {
    const rem = PAGE_SIZE - ((this.segOff + n) % PAGE_SIZE);
    if (rem > HEADER) return n;
    this.reserve(n + rem);
    this.frame.fill(0, n, n + rem);
    return n + rem;
  }

  private reserve(size: number): void {
    if (size <= this.frame.length) return;
    let cap = this.frame.length * 2;
    while (cap < size) cap *= 2;
    const f = new Uint8Array(cap);
    f.set(this.frame);
    this.frame = f;
  }

  private writeFrame(n: number): void {
    let done = 0;
    try {
      while (done < n) done += writeSync(this.fd, this.frame, done, n - done, this.segOff + done);
    } catch (err) {
      // Take back a partial write so the segment stays valid for the next log().
      try {
        if (done > 0) ftruncateSync(this.fd, this.segOff);
      } catch (err2) {
        this.failed = err2 as Error;
      }
      throw new Error(`write WAL segment ${segmentName(this.dir, this.segIndex)}: ${(err as Error).message}`, { cause: err });
    }
    this.segOff += n;
  }

  /** Zero-pads the active segment's last page (extending the file writes no data). */
  private padActive(): void {
    if (this.segOff % PAGE_SIZE === 0) return;
    const size = roundUpToPage(this.segOff);
    ftruncateSync(this.fd, size);
    this.segOff = size;
  }

  private openSegment(i: number): void {
    const fd = openSync(segmentName(this.dir, i), 'wx');
    this.fd = fd;
    this.segIndex = i;
    this.segOff = 0;
    if (this.fsyncPolicy === 'always') syncDir(this.dir);
  }

  private rotate(): void {
    const old = this.fd;
    try {
      this.padActive();
      this.openSegment(this.segIndex + 1);
    } catch (err) {
      this.failed = err as Error;
      throw err;
    }
    if (this.fsyncPolicy === 'always') {
      // Callers waiting for writes in the old segment are covered by this fdatasync.
      try {
        fdatasyncSync(old);
      } catch (err) {
        this.failed = err as Error;
        throw err;
      }
      this.syncedSeq = this.writeSeq;
      if (this.syncing) this.pendingClose.push(old);
      else closeSync(old);
      return;
    }
    const p = fdatasyncAsync(old)
      .catch((err: unknown) => this.logger.error({ err }, 'fdatasync of previous WAL segment failed'))
      .finally(() => {
        closeSync(old);
        this.background.delete(p);
      });
    this.background.add(p);
  }

  /** Group commit: one fdatasync covers every log() call written before it started. */
  private async syncTo(seq: number): Promise<void> {
    while (this.syncedSeq < seq) {
      if (this.failed) throw new Error(`WAL is unusable after an earlier error: ${this.failed.message}`, { cause: this.failed });
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const target = this.writeSeq;
      const run = fdatasyncAsync(this.fd).then(
        () => {
          if (target > this.syncedSeq) this.syncedSeq = target;
        },
        (err: unknown) => {
          // After a failed fsync the kernel may have dropped the dirty pages: never trust the file again.
          this.failed = err as Error;
          throw err;
        },
      );
      this.syncing = run.finally(() => {
        this.syncing = undefined;
        for (const fd of this.pendingClose.splice(0)) closeSync(fd);
      });
      await this.syncing;
    }
  }
}
