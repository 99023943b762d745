// Kahan–Neumaier compensated summation, as Prometheus' util/kahansum: shared by the functions
// (sum/avg/stddev_over_time, deriv, predict_linear) and the engine's aggregations.

/**
 * One step of compensated summation: adds `inc` to `sum` whose running compensation is `c`.
 * Returns the new sum and compensation; the result is `sum + c` (unless the sum is infinite,
 * then the compensation is reset to 0). Prefer `KahanSum` in hot loops (no tuple).
 */
export function kahanSumInc(inc: number, sum: number, c: number): [sum: number, c: number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return [t, 0];
  // Neumaier: compensate with whichever operand is larger in magnitude.
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

/** `kahanSumInc(-dec, sum, c)`. */
export function kahanSumDec(dec: number, sum: number, c: number): [sum: number, c: number] {
  return kahanSumInc(-dec, sum, c);
}

/** Allocation-free accumulator with the same arithmetic as `kahanSumInc`. */
export class KahanSum {
  sum = 0;
  c = 0;

  constructor(sum = 0, c = 0) {
    this.sum = sum;
    this.c = c;
  }

  add(inc: number): void {
    const sum = this.sum;
    const t = sum + inc;
    if (t === Infinity || t === -Infinity) {
      this.c = 0;
    } else if (Math.abs(sum) >= Math.abs(inc)) {
      this.c += sum - t + inc;
    } else {
      this.c += inc - t + sum;
    }
    this.sum = t;
  }

  /** The compensated total, `sum + c` (just `sum` when it is infinite, as Prometheus returns it). */
  value(): number {
    const s = this.sum;
    return s === Infinity || s === -Infinity ? s : s + this.c;
  }

  reset(): void {
    this.sum = 0;
    this.c = 0;
  }
}
