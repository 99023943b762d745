// Float equality as the test scripts define it (Prometheus' util/almost): a relative tolerance,
// NaN equal to NaN, and stale markers equal only to stale markers.

import { isStaleNaN } from '../../model/index.ts';

/** Relative error allowed between an expected and a returned value. */
export const DEFAULT_EPSILON = 0.000001;

const MIN_NORMAL = 2.2250738585072014e-308; // smallest positive normal float64

export function almostEqual(a: number, b: number, epsilon = DEFAULT_EPSILON): boolean {
  if (isStaleNaN(a) || isStaleNaN(b)) return isStaleNaN(a) && isStaleNaN(b);
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}
