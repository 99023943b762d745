// One in-memory series of the head: its labels, closed (compacted) chunks and the open head
// chunk being appended to. Chunks are cut at ~120 samples and never cross a chunk-range boundary,
// so a block cut at those boundaries reuses chunks as they are.

import type { Labels } from '../../model/index.ts';
import { XORChunk, type Chunk, type ChunkAppender } from '../chunkenc/index.ts';

// Typical node_exporter-like series need 150–400 bytes per 120-sample chunk.
const FIRST_CHUNK_CAPACITY = 256;

export interface HeadChunk {
  readonly chunk: Chunk;
  readonly minTime: number;
  readonly maxTime: number;
}

export class MemSeries {
  /** Closed chunks, oldest first; immutable once here. */
  closed: HeadChunk[] = [];
  private open: XORChunk | undefined;
  private app: ChunkAppender | undefined;
  private openMinT = 0;
  private openMaxT = 0;
  private openSamples = 0;
  private nextAt = Infinity;
  // The open chunk as of the last read, reused by reads until the next append (dashboards read
  // far more often than a series is scraped); dropped by the append that makes it stale.
  private openSnapshot: HeadChunk | undefined;

  /** Newest committed sample; -Infinity when none. */
  lastT = -Infinity;
  lastV = 0;

  // The newest sample appended by the transaction `pendingTxn`, not yet committed.
  pendingTxn = 0;
  pendingT = 0;
  pendingV = 0;

  /** Whether the series record is in the WAL. */
  logged = false;

  constructor(
    readonly ref: number,
    readonly labels: Labels,
    private readonly chunkRange: number,
    private readonly samplesPerChunk: number,
  ) {}

  /** Appends a committed sample; the caller has checked t > lastT. */
  append(t: number, v: number): void {
    if (this.open === undefined) {
      this.cut(t);
    } else {
      if (this.openSamples === this.samplesPerChunk >> 2) {
        // A quarter full: spread the rest of the range evenly so chunks end up ~samplesPerChunk each.
        this.nextAt = chunkEndTime(this.openMinT, this.openMaxT, this.nextAt);
      }
      if (t >= this.nextAt || this.openSamples >= 2 * this.samplesPerChunk) this.cut(t);
    }
    this.app!.append(t, v);
    this.openSnapshot = undefined;
    this.openMaxT = t;
    this.openSamples++;
    this.lastT = t;
    this.lastV = v;
  }

  private cut(t: number): void {
    let capacity = FIRST_CHUNK_CAPACITY;
    if (this.open !== undefined) {
      this.open.compact();
      this.closed.push({ chunk: this.open, minTime: this.openMinT, maxTime: this.openMaxT });
      // The next chunk will likely be about as large as this one: size it so it never regrows.
      capacity = this.open.bytes().length + (this.open.bytes().length >> 2) + 16;
    }
    this.open = new XORChunk(undefined, capacity);
    this.app = this.open.appender();
    this.openMinT = t;
    this.openMaxT = t;
    this.openSamples = 0;
    this.nextAt = (Math.floor(t / this.chunkRange) + 1) * this.chunkRange;
  }

  /** Earliest sample time held, or Infinity when empty. */
  minTime(): number {
    if (this.closed.length > 0) return this.closed[0]!.minTime;
    return this.open !== undefined ? this.openMinT : Infinity;
  }

  /** Whether the series holds no samples. */
  isEmpty(): boolean {
    return this.closed.length === 0 && this.open === undefined;
  }

  /**
   * Chunks overlapping [mint, maxt], oldest first. The open chunk is copied so that readers
   * see a consistent snapshot while appends continue; reads between two appends share one copy.
   */
  chunks(mint: number, maxt: number, out: HeadChunk[] = []): HeadChunk[] {
    for (const c of this.closed) if (c.maxTime >= mint && c.minTime <= maxt) out.push(c);
    if (this.open !== undefined && this.openMaxT >= mint && this.openMinT <= maxt) {
      this.openSnapshot ??= { chunk: new XORChunk(this.open.bytes().slice()), minTime: this.openMinT, maxTime: this.openMaxT };
      out.push(this.openSnapshot);
    }
    return out;
  }

  /**
   * Drops chunks that end before mint. Returns the number of chunks removed. The open chunk is
   * dropped too when it ends before mint; the next append then starts a new one.
   */
  truncateBefore(mint: number): number {
    let n = 0;
    while (this.closed.length > 0 && this.closed[0]!.maxTime < mint) {
      this.closed.shift();
      n++;
    }
    if (this.open !== undefined && this.openMaxT < mint) {
      this.open = undefined;
      this.openSnapshot = undefined;
      this.app = undefined;
      this.nextAt = Infinity;
      n++;
    }
    return n;
  }
}

/**
 * When a chunk is a quarter full, estimate the end time that gives evenly sized chunks up to
 * the range end `max` (the same idea as Prometheus' computeChunkEndTime).
 */
function chunkEndTime(start: number, cur: number, max: number): number {
  const n = (max - start) / ((cur - start + 1) * 4);
  if (n <= 1) return max;
  return Math.floor(start + (max - start) / Math.floor(n));
}
