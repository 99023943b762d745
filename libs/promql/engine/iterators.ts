// Sample access for selectors: the look-back iterator behind instant selection (Prometheus'
// MemoizedSeriesIterator), the forward-only window reader behind range selection (its
// BufferedSeriesIterator + matrixIterSlice), and series made of already evaluated points.

import { Labels, isStaleNaN } from '../../model/index.ts';
import { ValueType, type SampleIterator, type Series as StorageSeries } from '../../storage/index.ts';
import { PromQLError } from './errors.ts';
import type { FloatWindow, FPoint } from './value.ts';

const MIN_TIME = Number.MIN_SAFE_INTEGER;

export function nativeHistogramsUnsupported(): PromQLError {
  return new PromQLError('execution', 'native histograms are not supported by this engine yet');
}

function checkFloat(vt: ValueType): void {
  if (vt === ValueType.Histogram || vt === ValueType.FloatHistogram) throw nativeHistogramsUnsupported();
}

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
  /** The sample `select` found. */
  t = 0;
  f = 0;

  constructor(private readonly delta: number) {}

  /** Starts on a series, reusing the previous series' iterator where storage can. */
  reset(s: StorageSeries): void {
    const it = s.iterator(this.it);
    this.it = it;
    this.lastT = MIN_TIME;
    this.prevT = MIN_TIME;
    this.vt = it.next();
    checkFloat(this.vt);
    if (this.vt !== ValueType.None) this.lastT = it.atT();
  }

  private advance(): ValueType {
    if (this.vt === ValueType.None) return ValueType.None;
    const it = this.it!;
    this.prevT = it.atT();
    this.prevF = it.atF();
    this.vt = it.next();
    checkFloat(this.vt);
    if (this.vt !== ValueType.None) this.lastT = it.atT();
    return this.vt;
  }

  /** Positions on the first sample at or after t. */
  private seek(t: number): ValueType {
    const it = this.it!;
    const t0 = t - this.delta;
    if (this.vt !== ValueType.None && t0 > this.lastT) {
      // Jumping further than the delta: the remembered sample is useless, let storage skip ahead.
      this.prevT = MIN_TIME;
      this.vt = it.seek(t0);
      checkFloat(this.vt);
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
    let f: number;
    if (vt === ValueType.None) {
      const err = this.it!.err();
      if (err) throw err;
    }
    if (vt !== ValueType.None && this.it!.atT() <= refTime) {
      t = this.it!.atT();
      f = this.it!.atF();
    } else {
      if (this.prevT === MIN_TIME || this.prevT <= refTime - lookback) return false;
      t = this.prevT;
      f = this.prevF;
    }
    if (isStaleNaN(f)) return false;
    this.t = t;
    this.f = f;
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
  private mint = 0;
  private maxt = 0;
  // points() as of the last fill: `pts` is a prefix of `pool`, whose objects are reused.
  private readonly pts: FPoint[] = [];
  private readonly pool: FPoint[] = [];
  private ptsStale = false;

  /** Samples in the window. */
  get length(): number {
    return this.hi - this.lo;
  }

  /** Starts on a series, reusing the previous series' iterator where storage can. */
  reset(s: StorageSeries): void {
    this.it = s.iterator(this.it);
    this.vt = ValueType.None;
    this.started = false;
    this.clear();
  }

  clear(): void {
    this.lo = 0;
    this.hi = 0;
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
    const before = this.hi - this.lo;
    while (this.lo < this.hi && this.ts[this.lo]! <= mint) this.lo++;
    this.ptsStale = true;
    if (mint === maxt) return this.hi - this.lo - before;
    const it = this.it!;
    if (!this.started) {
      this.started = true;
      this.vt = it.seek(mint + 1);
    } else if (this.vt !== ValueType.None && this.lo === this.hi && it.atT() <= mint) {
      this.vt = it.seek(mint + 1);
    }
    while (this.vt !== ValueType.None) {
      checkFloat(this.vt);
      const t = it.atT();
      if (t > maxt) break;
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
    return this.hi - this.lo - before;
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

/** Iterates points already in memory (subquery results fed to range-vector functions). */
export class FPointIterator implements SampleIterator {
  private i = -1;

  constructor(private points: readonly FPoint[]) {}

  reset(points: readonly FPoint[]): void {
    this.points = points;
    this.i = -1;
  }

  next(): ValueType {
    if (this.i < this.points.length) this.i++;
    return this.i < this.points.length ? ValueType.Float : ValueType.None;
  }

  seek(t: number): ValueType {
    if (this.i < 0) this.i = 0;
    while (this.i < this.points.length && this.points[this.i]!.t < t) this.i++;
    return this.i < this.points.length ? ValueType.Float : ValueType.None;
  }

  atT(): number {
    return this.points[this.i]!.t;
  }

  atF(): number {
    return this.points[this.i]!.f;
  }

  /** Float points only. */
  atH(): never {
    throw nativeHistogramsUnsupported();
  }

  atFH(): never {
    throw nativeHistogramsUnsupported();
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
  ) {}

  iterator(reuse?: SampleIterator): SampleIterator {
    if (!(reuse instanceof FPointIterator)) return new FPointIterator(this.points);
    reuse.reset(this.points);
    return reuse;
  }
}
