// One in-memory series of the head: its labels, closed (compacted) chunks and the open head
// chunk being appended to. Float chunks are cut at ~120 samples, histogram chunks at ~1 KiB (as in
// Prometheus), and none crosses a chunk-range boundary, so a block cut at those boundaries reuses
// chunks as they are. A series switching between floats and histograms starts a new chunk.

import { copyHistogram, isCustomBucketsSchema, type Histogram, type Labels } from '../../model/index.ts';
import {
  FloatHistogramChunk, HistogramChunk, XORChunk, type Chunk, type ChunkAppender, type HistogramAppenderBase, type HistogramChunkBase,
} from '../chunkenc/index.ts';

// Typical node_exporter-like series need 150–400 bytes per 120-sample chunk.
const FIRST_CHUNK_CAPACITY = 256;
/** Prometheus' size target for histogram chunks, and the samples a chunk gets before size counts. */
const TARGET_BYTES_PER_HISTOGRAM_CHUNK = 1024;
const MIN_SAMPLES_PER_HISTOGRAM_CHUNK = 10;

/** Kinds of samples; a series' samples of one kind share chunks (and WAL record types). */
export const SampleKind = {
  Float: 1,
  Histogram: 2,
  FloatHistogram: 3,
  CustomHistogram: 4,
  CustomFloatHistogram: 5,
} as const;
export type SampleKind = (typeof SampleKind)[keyof typeof SampleKind];

type AnyHistogramChunk = HistogramChunkBase<HistogramAppenderBase>;

/** A series' histogram state, allocated on its first histogram: float-only series do not pay for it. */
class HistogramState {
  /** The open histogram chunk (when the open chunk is one) and its appender. */
  chunk: AnyHistogramChunk | undefined = undefined;
  app: HistogramAppenderBase | undefined = undefined;
  /** The chunk's end time has been estimated (Prometheus' histogramChunkHasComputedEndTime). */
  endComputed = false;
  lastKind: SampleKind = SampleKind.Float;
  /** A copy of the last histogram (for duplicate checks), owned by the series. */
  last: Histogram | undefined = undefined;
  /** The pending (uncommitted) histogram, the appender's caller's. */
  pending: Histogram | undefined = undefined;
}

export interface HeadChunk {
  readonly chunk: Chunk;
  readonly minTime: number;
  readonly maxTime: number;
}

export class MemSeries {
  /** Closed chunks, oldest first; immutable once here. */
  closed: HeadChunk[] = [];
  // The open chunk: floats in `open`, or histograms in `hs.chunk` (at most one of them is set).
  private open: XORChunk | undefined;
  private app: ChunkAppender | undefined;
  private hs: HistogramState | undefined;
  private openMinT = 0;
  private openMaxT = 0;
  private openSamples = 0;
  private nextAt = Infinity;
  // The open chunk as of the last read, reused by reads until the next append (dashboards read
  // far more often than a series is scraped); dropped by the append that makes it stale.
  private openSnapshot: HeadChunk | undefined;

  /** Newest committed sample; -Infinity when none. `lastV` for floats, `lastH` for histograms. */
  lastT = -Infinity;
  lastV = 0;

  // The newest sample appended by the transaction `pendingTxn`, not yet committed.
  pendingTxn = 0;
  /** 8 × the transaction batch holding the pending sample + its SampleKind. */
  pendingTag = 0;
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

  /** The kind of the newest committed sample. */
  get lastKind(): SampleKind {
    return this.hs === undefined ? SampleKind.Float : this.hs.lastKind;
  }

  /** The newest committed histogram (a copy), if the newest sample is one. */
  get lastH(): Histogram | undefined {
    return this.hs?.last;
  }

  /** The histogram of the pending sample, if it is one (set by the appender). */
  get pendingH(): Histogram | undefined {
    return this.hs?.pending;
  }

  set pendingH(h: Histogram | undefined) {
    (this.hs ??= new HistogramState()).pending = h;
  }

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
    } else if (this.hs?.chunk !== undefined) {
      this.closeHistogramChunk(this.hs);
    }
    if (this.hs !== undefined) {
      this.hs.lastKind = SampleKind.Float;
      this.hs.last = undefined;
    }
    this.open = new XORChunk(undefined, capacity);
    this.app = this.open.appender();
    this.openMinT = t;
    this.openMaxT = t;
    this.openSamples = 0;
    this.nextAt = (Math.floor(t / this.chunkRange) + 1) * this.chunkRange;
  }

  /**
   * Appends a committed (float, with `float`) histogram; the caller has checked t > lastT. Cuts
   * chunks as Prometheus does: on a change of sample kind, at the chunk range, and by size
   * (~1 KiB, at least 10 samples); the chunk appender cuts or recodes on its own when the
   * histogram cannot join the chunk.
   */
  appendHistogram(t: number, h: Histogram, float: boolean): void {
    const hs = (this.hs ??= new HistogramState());
    let prev: HistogramAppenderBase | undefined;
    if (hs.chunk === undefined || hs.chunk instanceof FloatHistogramChunk !== float) {
      this.cutHistogram(hs, t, float);
    } else {
      const bytes = hs.app!.len;
      if (!hs.endComputed && bytes >= TARGET_BYTES_PER_HISTOGRAM_CHUNK / 4) {
        // A quarter of the target size: spread the rest of the range into equally sized chunks.
        this.nextAt = histogramChunkEndTime(this.openMinT, this.openMaxT, this.nextAt, TARGET_BYTES_PER_HISTOGRAM_CHUNK / bytes);
        hs.endComputed = true;
      }
      const rangeEnd = (Math.floor(this.openMinT / this.chunkRange) + 1) * this.chunkRange;
      if ((t >= this.nextAt || bytes >= 2 * TARGET_BYTES_PER_HISTOGRAM_CHUNK) && (this.openSamples >= MIN_SAMPLES_PER_HISTOGRAM_CHUNK || t >= rangeEnd)) {
        prev = hs.app;
        this.cutHistogram(hs, t, float);
      }
    }
    const app = hs.app!;
    const chunk = app.appendHistogram(t, h, prev);
    if (chunk !== hs.chunk) {
      if (!app.recoded) {
        this.closeHistogramChunk(hs);
        this.openMinT = t;
        this.openSamples = 0;
        this.nextAt = (Math.floor(t / this.chunkRange) + 1) * this.chunkRange;
        hs.endComputed = false;
      }
      // (A recoded chunk holds the same samples with more buckets: it replaces the open one.)
      hs.chunk = chunk;
      hs.app = chunk.appender();
    }
    this.openMaxT = t;
    this.openSamples++;
    this.lastT = t;
    hs.lastKind = isCustomBucketsSchema(h.schema) ? (float ? SampleKind.CustomFloatHistogram : SampleKind.CustomHistogram) : float ? SampleKind.FloatHistogram : SampleKind.Histogram;
    hs.last = copyHistogram(h, hs.last);
  }

  /** Closes the open chunk (of either kind) and opens an empty histogram chunk at t. */
  private cutHistogram(hs: HistogramState, t: number, float: boolean): void {
    if (this.open !== undefined) {
      this.open.compact();
      this.closed.push({ chunk: this.open, minTime: this.openMinT, maxTime: this.openMaxT });
      this.open = undefined;
      this.app = undefined;
    } else if (hs.chunk !== undefined) {
      this.closeHistogramChunk(hs);
    }
    const chunk: AnyHistogramChunk = float ? new FloatHistogramChunk(undefined, FIRST_CHUNK_CAPACITY) : new HistogramChunk(undefined, FIRST_CHUNK_CAPACITY);
    hs.chunk = chunk;
    hs.app = chunk.appender();
    hs.endComputed = false;
    this.openMinT = t;
    this.openMaxT = t;
    this.openSamples = 0;
    this.nextAt = (Math.floor(t / this.chunkRange) + 1) * this.chunkRange;
  }

  private closeHistogramChunk(hs: HistogramState): void {
    const c = hs.chunk!;
    c.compact();
    this.closed.push({ chunk: c, minTime: this.openMinT, maxTime: this.openMaxT });
    hs.chunk = undefined;
    hs.app = undefined;
  }

  /** Earliest sample time held, or Infinity when empty. */
  minTime(): number {
    if (this.closed.length > 0) return this.closed[0]!.minTime;
    return this.open !== undefined || this.hs?.chunk !== undefined ? this.openMinT : Infinity;
  }

  /** Whether the series holds no samples. */
  isEmpty(): boolean {
    return this.closed.length === 0 && this.open === undefined && this.hs?.chunk === undefined;
  }

  /**
   * Chunks overlapping [mint, maxt], oldest first. The open chunk is copied so that readers
   * see a consistent snapshot while appends continue; reads between two appends share one copy.
   */
  chunks(mint: number, maxt: number): HeadChunk[] {
    // Closed chunks are in time order and queries mostly read the newest: walk back from the end
    // so that older chunks' objects (cold memory) are not touched.
    const closed = this.closed;
    let first = closed.length;
    while (first > 0 && closed[first - 1]!.maxTime >= mint) first--;
    let end = first;
    while (end < closed.length && closed[end]!.minTime <= maxt) end++;
    const openOverlaps = this.openMaxT >= mint && this.openMinT <= maxt;
    let open: HeadChunk | undefined;
    if (this.open !== undefined && openOverlaps) {
      open = this.openSnapshot ??= { chunk: new XORChunk(this.open.bytes().slice()), minTime: this.openMinT, maxTime: this.openMaxT };
    }
    const hc = this.hs?.chunk;
    if (hc !== undefined && openOverlaps) {
      const bytes = hc.bytes().slice();
      const copy = hc instanceof FloatHistogramChunk ? new FloatHistogramChunk(bytes) : new HistogramChunk(bytes);
      open = { chunk: copy, minTime: this.openMinT, maxTime: this.openMaxT };
    }
    // Sized exactly: a query builds one per series, and pushing would allocate spare room.
    const out = new Array<HeadChunk>(end - first + (open !== undefined ? 1 : 0));
    for (let i = first; i < end; i++) out[i - first] = closed[i]!;
    if (open !== undefined) out[end - first] = open;
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
    if (this.hs?.chunk !== undefined && this.openMaxT < mint) {
      this.hs.chunk = undefined;
      this.hs.app = undefined;
      this.nextAt = Infinity;
      n++;
    }
    return n;
  }
}

/**
 * Prometheus' computeChunkEndTime: the end time that makes the rest of the range [start, max)
 * equally sized chunks, when the chunk is 1/ratioToFull full at cur.
 */
function histogramChunkEndTime(start: number, cur: number, max: number, ratioToFull: number): number {
  const n = (max - start) / ((cur - start + 1) * ratioToFull);
  if (n <= 1) return max;
  return Math.floor(start + (max - start) / Math.floor(n));
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
