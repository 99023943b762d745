// Sums and means of native histograms, shared by sum/avg and sum_over_time/avg_over_time: a
// direct sum, switching to an incremental mean when an average's sum overflows, with
// Kahan-compensated count and sum, and what Prometheus annotates about the inputs.

import {
  IncompatibleSchemaError, combineHistograms, compactHistogram, copyHistogram, divideHistogram, histogramHasOverflow, scaleHistogram,
  type CombineNotes,
} from './functions_native.ts';
import { kahanSumInc } from './kahan.ts';
import type { FloatHistogram } from './value.ts';

/**
 * A Kahan-compensated sum that can turn into an incremental mean (avg's overflow fallback): the
 * float arithmetic of avg for one histogram field.
 */
export class CompensatedMean {
  private c = 0;
  private mean = false;

  constructor(private v: number) {}

  add(x: number): void {
    [this.v, this.c] = kahanSumInc(x, this.v, this.c);
  }

  /** Switches from the sum of n values to their mean. */
  toMean(n: number): void {
    this.mean = true;
    this.v /= n;
    this.c /= n;
  }

  /** Adds the n-th value to the mean. */
  addToMean(x: number, n: number): void {
    const q = (n - 1) / n;
    [this.v, this.c] = kahanSumInc(x / n, q * this.v, q * this.c);
  }

  /** The sum (divided by n for a direct mean) or the mean. */
  result(n: number): number {
    if (this.mean || n === 1) return this.v + this.c;
    return this.v / n + this.c / n;
  }
}

/** Adds histograms one by one; `result()` is their sum, or their mean with `average`. */
export class HistogramSum {
  private n = 0;
  private sum: FloatHistogram | undefined;
  private mean: FloatHistogram | undefined;
  private cnt = new CompensatedMean(0);
  private tot = new CompensatedMean(0);
  private resetSeen = false;
  private notResetSeen = false;
  readonly notes: CombineNotes = { counterResetCollision: false, nhcbBoundsReconciled: false };
  /** Exponential and custom buckets met: there is no result. */
  incompatible = false;

  constructor(private readonly average: boolean) {}

  /** Whether both reset and not-reset hints were seen, or an addition met conflicting hints. */
  get conflictingResets(): boolean {
    return (this.resetSeen && this.notResetSeen) || this.notes.counterResetCollision;
  }

  add(h: FloatHistogram): void {
    if (h.counterResetHint === 'reset') this.resetSeen = true;
    else if (h.counterResetHint === 'not_reset') this.notResetSeen = true;
    if (this.incompatible) return;
    const count = ++this.n;
    try {
      if (count === 1) {
        this.sum = copyHistogram(h);
        this.cnt = new CompensatedMean(h.count);
        this.tot = new CompensatedMean(h.sum);
        return;
      }
      if (this.mean === undefined) {
        const next = combineHistograms(this.sum!, h, 1, this.notes);
        if (!this.average || !histogramHasOverflow(next)) {
          this.sum = next;
          this.cnt.add(h.count);
          this.tot.add(h.sum);
          return;
        }
        // The direct sum overflows: continue with an incremental mean.
        this.mean = divideHistogram(this.sum!, count - 1);
        this.cnt.toMean(count - 1);
        this.tot.toMean(count - 1);
      }
      const q = (count - 1) / count;
      this.mean = combineHistograms(scaleHistogram(this.mean, q), divideHistogram(h, count), 1, this.notes);
      this.cnt.addToMean(h.count, count);
      this.tot.addToMean(h.sum, count);
    } catch (err) {
      if (!(err instanceof IncompatibleSchemaError)) throw err;
      this.incompatible = true;
    }
  }

  /** The sum or mean, compacted; undefined when nothing (compatible) was added. */
  result(): FloatHistogram | undefined {
    if (this.incompatible || this.sum === undefined) return undefined;
    const out = this.mean ?? (this.average ? divideHistogram(this.sum, this.n) : this.sum);
    const n = this.mean === undefined && this.average ? this.n : 1;
    out.count = this.cnt.result(n);
    out.sum = this.tot.result(n);
    return compactHistogram(out);
  }
}
