// Quantiles: over a set of values (quantile aggregation, quantile_over_time) and over classic
// histogram buckets (histogram_quantile, histogram_fraction), as Prometheus' promql/quantile.go.

/** One bucket of a classic histogram: the `le` upper bound and its cumulative count. */
export interface Bucket {
  upperBound: number;
  count: number;
}

/**
 * Relative deltas between neighbouring buckets below this are treated as floating point noise
 * (query sharding in Mimir produces them) and silently evened out.
 */
const SMALL_DELTA_TOLERANCE = 1e-12;

/** What BucketQuantile reports besides the value (for the monotonicity info annotation). */
export interface BucketQuantileResult {
  quantile: number;
  forcedMonotonicity: boolean;
  fixedPrecision: boolean;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
}

function sortBuckets(buckets: Bucket[]): void {
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
}

/** Merges buckets with the same upper bound (input sorted); returns the shortened array. */
function coalesceBuckets(buckets: Bucket[]): Bucket[] {
  let last = { ...buckets[0]! };
  let i = 0;
  for (let k = 1; k < buckets.length; k++) {
    const b = buckets[k]!;
    if (b.upperBound === last.upperBound) {
      last.count += b.count;
    } else {
      buckets[i] = last;
      last = { ...b };
      i++;
    }
  }
  buckets[i] = last;
  buckets.length = i + 1;
  return buckets;
}

/** Prometheus' util/almost.Equal (stale markers never reach here). */
function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (a !== a && b !== b) return true;
  if (a === b) return true;
  const minNormal = 2.2250738585072014e-308;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < minNormal) return diff < epsilon * minNormal;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/**
 * Evens out tiny (relative < tolerance) differences between neighbouring buckets, then removes
 * any decrease of the cumulative count ("forced monotonicity"), remembering where.
 */
function ensureMonotonicAndIgnoreSmallDeltas(buckets: Bucket[], tolerance: number, r: BucketQuantileResult): void {
  r.minBucket = Infinity;
  r.maxBucket = -Infinity;
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i]!;
    const curr = b.count;
    if (curr === prev) continue;
    if (almostEqual(prev, curr, tolerance)) {
      b.count = prev;
      r.fixedPrecision = true;
      continue;
    }
    if (curr < prev) {
      b.count = prev;
      r.forcedMonotonicity = true;
      if (b.upperBound < r.minBucket) r.minBucket = b.upperBound;
      if (b.upperBound > r.maxBucket) r.maxBucket = b.upperBound;
      const diff = prev - curr;
      if (diff > r.maxDiff) r.maxDiff = diff;
      continue;
    }
    prev = curr;
  }
}

/**
 * The q-quantile of a classic histogram (sorts and may modify `buckets`): linear interpolation
 * inside the bucket, the second-highest bound when it falls in the +Inf bucket, a lower bound of
 * 0 for the first bucket unless its upper bound is <= 0. NaN without a +Inf bucket, with fewer
 * than two buckets or no observations; -Inf/+Inf for q < 0 / q > 1.
 */
export function bucketQuantile(q: number, buckets: Bucket[]): BucketQuantileResult {
  const r: BucketQuantileResult = {
    quantile: NaN,
    forcedMonotonicity: false,
    fixedPrecision: false,
    minBucket: 0,
    maxBucket: 0,
    maxDiff: 0,
  };
  if (q !== q) return r;
  if (q < 0) {
    r.quantile = -Infinity;
    return r;
  }
  if (q > 1) {
    r.quantile = Infinity;
    return r;
  }
  sortBuckets(buckets);
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return r;
  buckets = coalesceBuckets(buckets);
  ensureMonotonicAndIgnoreSmallDeltas(buckets, SMALL_DELTA_TOLERANCE, r);
  if (buckets.length < 2) return r;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return r;
  let rank = q * observations;
  // First bucket (among all but the last) whose count reaches the rank.
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buckets[mid]!.count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === buckets.length - 1) {
    r.quantile = buckets[buckets.length - 2]!.upperBound;
  } else if (b === 0 && buckets[0]!.upperBound <= 0) {
    r.quantile = buckets[0]!.upperBound;
  } else {
    let bucketStart = 0;
    const bucketEnd = buckets[b]!.upperBound;
    let count = buckets[b]!.count;
    if (b > 0) {
      bucketStart = buckets[b - 1]!.upperBound;
      count -= buckets[b - 1]!.count;
      rank -= buckets[b - 1]!.count;
    }
    r.quantile = bucketStart + (bucketEnd - bucketStart) * (rank / count);
  }
  return r;
}

/**
 * The fraction of observations between lower and upper in a classic histogram (sorts and may
 * modify `buckets`), interpolating linearly inside buckets; infinite-width buckets contribute
 * nothing from inside.
 */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  sortBuckets(buckets);
  if (buckets[buckets.length - 1]!.upperBound !== Infinity) return NaN;
  buckets = coalesceBuckets(buckets);
  const count = buckets[buckets.length - 1]!.count;
  if (count === 0 || lower !== lower || upper !== upper) return NaN;
  if (lower >= upper) return 0;

  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = buckets[0]!.upperBound <= 0 ? -Infinity : 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (i > 0) lowerBound = buckets[i - 1]!.upperBound;
    const upperBound = b.upperBound;
    const interpolate = (v: number): number =>
      lowerBound === -Infinity ? b.count : rank + ((b.count - rank) * (v - lowerBound)) / (upperBound - lowerBound);

    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank = b.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}

/**
 * The q-quantile of `values` (sorted in place, NaN first): weighted average of the two nearest
 * ranks. NaN for no values or q = NaN, -Inf for q < 0, +Inf for q > 1.
 */
export function quantile(q: number, values: number[] | Float64Array): number {
  const n = values.length;
  if (n === 0 || q !== q) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  sortNaNFirst(values);
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

function sortNaNFirst(values: number[] | Float64Array): void {
  if (values instanceof Float64Array) {
    // The typed array sort is numeric with NaNs last; Prometheus orders NaNs first.
    values.sort();
    let n = values.length;
    while (n > 0 && values[n - 1] !== values[n - 1]) n--;
    if (n < values.length) {
      values.copyWithin(values.length - n, 0, n);
      values.fill(NaN, 0, values.length - n);
    }
    return;
  }
  values.sort((a, b) => {
    if (a !== a) return b !== b ? 0 : -1;
    if (b !== b) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
