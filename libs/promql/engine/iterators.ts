// Sample access for selectors: the look-back iterator behind instant selection (Prometheus'
// MemoizedSeriesIterator), the forward-only window reader behind range selection (its
// BufferedSeriesIterator + matrixIterSlice), and series made of already evaluated points.

import { Labels, isStaleHistogram, isStaleNaN, type FloatHistogram } from '../../model/index.ts';
import { ValueType, type SampleIterator, type Series as StorageSeries } from '../../storage/index.ts';
import { PromQLError } from './errors.ts';
import { detectReset } from './functions_native.ts';
import type { FloatWindow, FPoint, HPoint } from './value.ts';

const MIN_TIME = Number.MIN_SAFE_INTEGER;

export function nativeHistogramsUnsupported(): PromQLError {
  return new PromQLError('execution', 'native histograms are not supported by this engine yet');
}

function isHistogram(vt: ValueType): boolean {
  return vt === ValueType.Histogram || vt === ValueType.FloatHistogram;
}

/**
 * Counter-reset hints as Prometheus' HistogramStatsIterator sets them: an unknown hint becomes
 * reset or not_reset by comparison with the histogram read before it (none after a seek).
 */
class ResetInference {
  private last: FloatHistogram | undefined;

  constructor(readonly enabled: boolean) {}

  /** `h` is the caller's own copy. */
  apply(h: FloatHistogram): void {
    if (isStaleHistogram(h)) {
      this.last = undefined;
      return;
    }
    if (h.counterResetHint === 'unknown' && this.last !== undefined) h.counterResetHint = detectReset(h, this.last) ? 'reset' : 'not_reset';
    this.last = h;
  }

  forget(): void {
    this.last = undefined;
  }
}

const NO_INFERENCE = new ResetInference(false);

/**
 * Remembers the sample before the current one, so that a seek to t can answer "the latest sample
 * at or before t" within the look-back delta without moving backwards.
 */
export class LookbackIterator {
  private it: SampleIterator | undefined;
  private vt: ValueType = ValueType.None;
  private lastT = MIN_TIME;
  private prevT = MIN_TIME;
  private prevF = 0;
  private prevH: FloatHistogram | undefined;
  /** The sample `select` found: a float in `f`, or a histogram in `h` (then set, else undefined). */
  t = 0;
  f = 0;
  h: FloatHistogram | undefined;
  private infer = NO_INFERENCE;
  private curH: FloatHistogram | undefined;

  constructor(private readonly delta: number) {}

  /**
   * Starts on a series, reusing the previous series' iterator where storage can. With
   * `inferResets`, histograms get the hints a statistics-only read gives them (ResetInference).
   */
  reset(s: StorageSeries, inferResets = false): void {
    this.infer = inferResets ? new ResetInference(true) : NO_INFERENCE;
    this.prevH = undefined;
    this.curH = undefined;
    const it = s.iterator(this.it);
    this.it = it;
    this.lastT = MIN_TIME;
    this.prevT = MIN_TIME;
    this.vt = it.next();
    if (this.vt !== ValueType.None) this.lastT = it.atT();
  }

  private advance(): ValueType {
    if (this.vt === ValueType.None) return ValueType.None;
    const it = this.it!;
    this.prevT = it.atT();
    if (isHistogram(this.vt)) {
      // atFH copies: only histogram series pay for it.
      this.prevH = this.histogram();
      this.curH = undefined;
    } else {
      this.prevF = it.atF();
      this.prevH = undefined;
    }
    this.vt = it.next();
    if (this.vt !== ValueType.None) this.lastT = it.atT();
    return this.vt;
  }

  /** The current sample's histogram, read (and its hint inferred) once per sample. */
  private histogram(): FloatHistogram {
    if (this.curH === undefined) {
      this.curH = this.it!.atFH();
      if (this.infer.enabled) this.infer.apply(this.curH);
    }
    return this.curH;
  }

  /** Positions on the first sample at or after t. */
  private seek(t: number): ValueType {
    const it = this.it!;
    const t0 = t - this.delta;
    if (this.vt !== ValueType.None && t0 > this.lastT) {
      // Jumping further than the delta: the remembered sample is useless, let storage skip ahead.
      this.prevT = MIN_TIME;
      this.infer.forget();
      this.curH = undefined;
      this.vt = it.seek(t0);
      if (this.vt === ValueType.None) return this.vt;
      this.lastT = it.atT();
    }
    if (this.lastT >= t) return this.vt;
    while (this.advance() !== ValueType.None) {
      if (this.lastT >= t) return this.vt;
    }
    return ValueType.None;
  }

  /**
   * The sample an instant selector sees at refTime: the latest at or before it, newer than
   * refTime - lookback, and not a stale marker. Returns false when there is none.
   * On success the sample is in `t` / `f`.
   */
  select(refTime: number, lookback: number): boolean {
    const vt = this.seek(refTime);
    let t: number;
    let f = 0;
    let h: FloatHistogram | undefined;
    if (vt === ValueType.None) {
      const err = this.it!.err();
      if (err) throw err;
    }
    if (vt !== ValueType.None && this.it!.atT() <= refTime) {
      t = this.it!.atT();
      if (isHistogram(vt)) h = this.histogram();
      else f = this.it!.atF();
    } else {
      if (this.prevT === MIN_TIME || this.prevT <= refTime - lookback) return false;
      t = this.prevT;
      h = this.prevH;
      f = this.prevF;
    }
    if (h !== undefined ? isStaleHistogram(h) : isStaleNaN(f)) return false;
    this.t = t;
    this.f = f;
    this.h = h;
    return true;
  }
}

/**
 * Reads one series forward, keeping the samples of a window (mint, maxt] whose bounds only move
 * forward, in typed arrays: a step stores two numbers per new sample and allocates nothing.
 * Functions that take point objects get them from `points()`.
 */
export class WindowReader implements FloatWindow {
  private it: SampleIterator | undefined;
  private vt: ValueType = ValueType.None;
  private started = false;
  ts = new Float64Array(64);
  fs = new Float64Array(64);
  lo = 0;
  hi = 0;
  /** Histogram samples in the window, oldest first: `hist[hlo..]` (floats stay in ts/fs). */
  hist: HPoint[] = [];
  hlo = 0;
  private mint = 0;
  private maxt = 0;
  // points() as of the last fill: `pts` is a prefix of `pool`, whose objects are reused.
  private readonly pts: FPoint[] = [];
  private readonly pool: FPoint[] = [];
  private ptsStale = false;

  /** Samples in the window. */
  get length(): number {
    return this.hi - this.lo + this.hist.length - this.hlo;
  }

  /** Histogram samples in the window. */
  get histCount(): number {
    return this.hist.length - this.hlo;
  }

  /** The window's histogram points, oldest first (a new array). */
  histPoints(): HPoint[] {
    return this.hist.slice(this.hlo);
  }

  private infer = NO_INFERENCE;

  /** Starts on a series, reusing the previous series' iterator where storage can (`inferResets`: see LookbackIterator). */
  reset(s: StorageSeries, inferResets = false): void {
    this.infer = inferResets ? new ResetInference(true) : NO_INFERENCE;
    this.it = s.iterator(this.it);
    this.vt = ValueType.None;
    this.started = false;
    this.clear();
  }

  clear(): void {
    this.lo = 0;
    this.hi = 0;
    if (this.hist.length > 0) this.hist = [];
    this.hlo = 0;
    this.ptsStale = true;
  }

  /** The window as point objects, oldest first; valid (and reused) until the next fill or reset. */
  points(): FPoint[] {
    if (!this.ptsStale) return this.pts;
    this.ptsStale = false;
    const { pts, pool, ts, fs, lo } = this;
    const n = this.hi - lo;
    while (pool.length < n) pool.push({ t: 0, f: 0 });
    while (pts.length > n) pts.pop();
    while (pts.length < n) pts.push(pool[pts.length]!);
    for (let i = 0; i < n; i++) {
      const p = pts[i]!;
      p.t = ts[lo + i]!;
      p.f = fs[lo + i]!;
    }
    return pts;
  }

  /**
   * Moves the window to (mint, maxt]; returns the change in the number of samples held
   * (for the sample limit). Stale markers are skipped.
   */
  fill(mint: number, maxt: number): number {
    // The bounds travel in fields: V8 does not inline the loop below into the per-step caller,
    // and boxes each double passed to a call it does not inline (two allocations per step).
    this.mint = mint;
    this.maxt = maxt;
    return this.fillWindow();
  }

  private fillWindow(): number {
    const mint = this.mint;
    const maxt = this.maxt;
    const before = this.length;
    while (this.lo < this.hi && this.ts[this.lo]! <= mint) this.lo++;
    if (this.hist.length > 0) this.trimHist(mint);
    this.ptsStale = true;
    if (mint === maxt) return this.length - before;
    const it = this.it!;
    if (!this.started) {
      this.started = true;
      this.vt = it.seek(mint + 1);
    } else if (this.vt !== ValueType.None && this.lo === this.hi && this.hlo === this.hist.length && it.atT() <= mint) {
      this.infer.forget();
      this.vt = it.seek(mint + 1);
    }
    while (this.vt !== ValueType.None) {
      const t = it.atT();
      if (t > maxt) break;
      if (isHistogram(this.vt)) {
        if (t > mint || this.infer.enabled) {
          const h = it.atFH();
          if (this.infer.enabled) this.infer.apply(h);
          if (t > mint && !isStaleHistogram(h)) this.hist.push({ t, h });
        }
        this.vt = it.next();
        continue;
      }
      const f = it.atF();
      if (t > mint && !isStaleNaN(f)) {
        if (this.hi === this.ts.length) this.makeRoom();
        this.ts[this.hi] = t;
        this.fs[this.hi] = f;
        this.hi++;
      }
      this.vt = it.next();
    }
    if (this.vt === ValueType.None) {
      const err = it.err();
      if (err) throw err;
    }
    return this.length - before;
  }

  private trimHist(mint: number): void {
    const hist = this.hist;
    while (this.hlo < hist.length && hist[this.hlo]!.t <= mint) this.hlo++;
    if (this.hlo > 32 && this.hlo * 2 > hist.length) {
      hist.splice(0, this.hlo);
      this.hlo = 0;
    }
  }

  /** Moves the window to the front of the arrays, or into larger ones when it fills half. */
  private makeRoom(): void {
    const n = this.hi - this.lo;
    if (n <= this.ts.length >> 1) {
      this.ts.copyWithin(0, this.lo, this.hi);
      this.fs.copyWithin(0, this.lo, this.hi);
    } else {
      const ts = new Float64Array(this.ts.length * 2);
      const fs = new Float64Array(this.fs.length * 2);
      ts.set(this.ts.subarray(this.lo, this.hi));
      fs.set(this.fs.subarray(this.lo, this.hi));
      this.ts = ts;
      this.fs = fs;
    }
    this.lo = 0;
    this.hi = n;
  }
}

/**
 * The points of the series being evaluated. With `recycle`, each reset() takes back the previous
 * series' points for reuse (their consumer must be done with them); otherwise every series gets
 * new points, which it keeps.
 */
export class PointBuffer {
  points: FPoint[] = [];
  private readonly spare: FPoint[] = [];

  constructor(private readonly recycle: boolean) {}

  reset(): FPoint[] {
    if (!this.recycle) this.points = [];
    else while (this.points.length > 0) this.spare.push(this.points.pop()!);
    return this.points;
  }

  push(t: number, f: number): void {
    const p = this.spare.pop();
    if (p) {
      p.t = t;
      p.f = f;
      this.points.push(p);
    } else {
      this.points.push({ t, f });
    }
  }
}

/**
 * Iterates points already in memory (subquery results fed to range-vector functions): floats and,
 * when given, histograms, merged by time.
 */
export class FPointIterator implements SampleIterator {
  private i = -1;
  private j = 0;
  private cur: ValueType = ValueType.None;

  constructor(
    private points: readonly FPoint[],
    private hpoints: readonly HPoint[] = [],
  ) {}

  reset(points: readonly FPoint[], hpoints: readonly HPoint[] = []): void {
    this.points = points;
    this.hpoints = hpoints;
    this.i = -1;
    this.j = 0;
    this.cur = ValueType.None;
  }

  next(): ValueType {
    if (this.hpoints.length === 0) {
      if (this.i < this.points.length) this.i++;
      return this.i < this.points.length ? ValueType.Float : ValueType.None;
    }
    // i is the next float, j the next histogram; cur says which one was taken last.
    if (this.i < 0) this.i = 0;
    else if (this.cur === ValueType.Float) this.i++;
    else if (this.cur === ValueType.FloatHistogram) this.j++;
    return this.pick();
  }

  private pick(): ValueType {
    const ft = this.i < this.points.length ? this.points[this.i]!.t : Infinity;
    const ht = this.j < this.hpoints.length ? this.hpoints[this.j]!.t : Infinity;
    if (ft === Infinity && ht === Infinity) this.cur = ValueType.None;
    else this.cur = ft <= ht ? ValueType.Float : ValueType.FloatHistogram;
    return this.cur;
  }

  seek(t: number): ValueType {
    if (this.i < 0) this.i = 0;
    while (this.i < this.points.length && this.points[this.i]!.t < t) this.i++;
    if (this.hpoints.length === 0) return this.i < this.points.length ? ValueType.Float : ValueType.None;
    while (this.j < this.hpoints.length && this.hpoints[this.j]!.t < t) this.j++;
    return this.pick();
  }

  atT(): number {
    return this.cur === ValueType.FloatHistogram ? this.hpoints[this.j]!.t : this.points[this.i]!.t;
  }

  atF(): number {
    return this.points[this.i]!.f;
  }

  atH(): FloatHistogram {
    return this.hpoints[this.j]!.h;
  }

  atFH(): FloatHistogram {
    return this.hpoints[this.j]!.h;
  }

  err(): Error | undefined {
    return undefined;
  }
}

/** A storage series over evaluated points; `dropName` carries delayed name removal through subqueries. */
export class PointsSeries implements StorageSeries {
  constructor(
    readonly labels: Labels,
    private readonly points: readonly FPoint[],
    readonly dropName: boolean,
    private readonly hpoints: readonly HPoint[] = [],
  ) {}

  iterator(reuse?: SampleIterator): SampleIterator {
    if (!(reuse instanceof FPointIterator)) return new FPointIterator(this.points, this.hpoints);
    reuse.reset(this.points, this.hpoints);
    return reuse;
  }
}
