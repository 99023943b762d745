// Sample iteration over a series' chunks, bounded to [mint, maxt]. Used for head and block series.

import type { FloatHistogram, Histogram, Labels } from '../model/index.ts';
import { ValueType, type SampleIterator, type Series } from '../storage/index.ts';
import type { Chunk } from './chunkenc/index.ts';

export interface TimedChunk {
  readonly chunk: Chunk;
  readonly minTime: number;
  readonly maxTime: number;
}

/** Iterates the samples of consecutive, non-overlapping chunks within [mint, maxt]. */
export class ChunksIterator implements SampleIterator {
  private i = -1;
  private cur: SampleIterator | undefined;
  // The current chunk's iterator is used up (or there is none yet).
  private exhausted = true;
  private error: Error | undefined;
  private done = false;

  constructor(
    private chunks: readonly TimedChunk[],
    private mint: number,
    private maxt: number,
  ) {}

  /** Starts over on other chunks, keeping the chunk iterator for reuse. */
  reset(chunks: readonly TimedChunk[], mint: number, maxt: number): void {
    this.chunks = chunks;
    this.mint = mint;
    this.maxt = maxt;
    this.i = -1;
    this.exhausted = true;
    this.error = undefined;
    this.done = false;
  }

  private nextChunk(): boolean {
    for (;;) {
      this.i++;
      if (this.i >= this.chunks.length) return false;
      const c = this.chunks[this.i]!;
      if (c.maxTime < this.mint) continue;
      if (c.minTime > this.maxt) return false;
      this.cur = c.chunk.iterator(this.cur);
      this.exhausted = false;
      return true;
    }
  }

  private finish(): ValueType {
    this.done = true;
    return ValueType.None;
  }

  /** Handles a chunk iterator that returned None: an error ends everything, else move on. */
  private chunkEnded(): boolean {
    const e = this.cur!.err();
    if (e) {
      this.error = e;
      this.done = true;
      return false;
    }
    this.exhausted = true;
    return true;
  }

  next(): ValueType {
    while (!this.done) {
      if (this.exhausted && !this.nextChunk()) return this.finish();
      let vt = this.cur!.next();
      if (vt !== ValueType.None && this.cur!.atT() < this.mint) vt = this.cur!.seek(this.mint);
      if (vt === ValueType.None) {
        if (!this.chunkEnded()) break;
        continue;
      }
      return this.cur!.atT() > this.maxt ? this.finish() : vt;
    }
    return ValueType.None;
  }

  seek(t: number): ValueType {
    if (t < this.mint) t = this.mint;
    while (!this.done) {
      if (this.exhausted && !this.nextChunk()) return this.finish();
      if (this.chunks[this.i]!.maxTime < t) {
        this.exhausted = true;
        continue;
      }
      const vt = this.cur!.seek(t);
      if (vt === ValueType.None) {
        if (!this.chunkEnded()) break;
        continue;
      }
      return this.cur!.atT() > this.maxt ? this.finish() : vt;
    }
    return ValueType.None;
  }

  atT(): number {
    return this.cur!.atT();
  }

  atF(): number {
    return this.cur!.atF();
  }

  atH(h?: Histogram): Histogram {
    return this.cur!.atH(h);
  }

  atFH(fh?: FloatHistogram): FloatHistogram {
    return this.cur!.atFH(fh);
  }

  err(): Error | undefined {
    return this.error;
  }
}

export class ChunkSeries implements Series {
  constructor(
    readonly labels: Labels,
    readonly chunks: readonly TimedChunk[],
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** Reuses `reuse` when it is a ChunksIterator (its caller is done with it). */
  iterator(reuse?: SampleIterator): SampleIterator {
    if (!(reuse instanceof ChunksIterator)) return new ChunksIterator(this.chunks, this.mint, this.maxt);
    reuse.reset(this.chunks, this.mint, this.maxt);
    return reuse;
  }
}
