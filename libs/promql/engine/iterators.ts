// Sample access for selectors: the look-back iterator behind instant selection (Prometheus'
// MemoizedSeriesIterator), the forward-only window reader behind range selection (its
// BufferedSeriesIterator + matrixIterSlice), and series made of already evaluated points.

import { Labels, isStaleNaN } from '../../model/index.ts';
import { ValueType, type SampleIterator, type Series as StorageSeries } from '../../storage/index.ts';
import { PromQLError } from './errors.ts';
import type { FPoint } from './value.ts';

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
 * Reads one series forward, keeping the points of a window (mint, maxt] whose bounds only move
 * forward. Points leaving the window are recycled, so a step allocates nothing in steady state.
 */
export class WindowReader {
  private it: SampleIterator | undefined;
  private vt: ValueType = ValueType.None;
  private readonly spare: FPoint[] = [];
  /** The window's points, oldest first. Valid until the next call to `fill` or `reset`. */
  readonly floats: FPoint[] = [];

  private started = false;

  /** Starts on a series, reusing the previous series' iterator where storage can. */
  reset(s: StorageSeries): void {
    this.it = s.iterator(this.it);
    this.vt = ValueType.None;
    this.started = false;
    this.clear();
  }

  clear(): void {
    // pop, not `length = 0`, which drops the backing store and reallocates it at the next push.
    const floats = this.floats;
    while (floats.length > 0) this.spare.push(floats.pop()!);
  }

  /**
   * Moves the window to (mint, maxt]; returns the change in the number of points held
   * (for the sample limit). Stale markers are skipped.
   */
  fill(mint: number, maxt: number): number {
    const floats = this.floats;
    const before = floats.length;
    // Drop points that left the window.
    let drop = 0;
    while (drop < floats.length && floats[drop]!.t <= mint) drop++;
    if (drop > 0) {
      // Shift in place: splice would allocate an array of the removed points at every step.
      for (let i = 0; i < drop; i++) this.spare.push(floats[i]!);
      const n = floats.length - drop;
      for (let i = 0; i < n; i++) floats[i] = floats[i + drop]!;
      for (let i = 0; i < drop; i++) floats.pop();
    }
    if (mint === maxt) return floats.length - before;
    const it = this.it!;
    if (!this.started) {
      this.started = true;
      this.vt = it.seek(mint + 1);
    } else if (this.vt !== ValueType.None && floats.length === 0 && it.atT() <= mint) {
      this.vt = it.seek(mint + 1);
    }
    while (this.vt !== ValueType.None) {
      checkFloat(this.vt);
      const t = it.atT();
      if (t > maxt) break;
      const f = it.atF();
      if (t > mint && !isStaleNaN(f)) {
        const p = this.spare.pop();
        if (p) {
          p.t = t;
          p.f = f;
          floats.push(p);
        } else {
          floats.push({ t, f });
        }
      }
      this.vt = it.next();
    }
    if (this.vt === ValueType.None) {
      const err = it.err();
      if (err) throw err;
    }
    return floats.length - before;
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
