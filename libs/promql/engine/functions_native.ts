// Read-only helpers over native histograms for the functions: bucket bounds and iteration,
// quantile, fraction, variance, equality and counter-reset detection (Prometheus'
// model/histogram and promql/quantile.go semantics). Arithmetic on histograms lives elsewhere.

import { bucketBound, goQuote } from '../../model/index.ts';
import type { PositionRange } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';
import { formatFloatG } from './format.ts';
import { KahanSum } from './kahan.ts';
import type { FloatHistogram } from './value.ts';

export const CUSTOM_BUCKETS_SCHEMA = -53;

export function usesCustomBuckets(h: FloatHistogram): boolean {
  return h.schema === CUSTOM_BUCKETS_SCHEMA;
}

/**
 * Upper bound of bucket `idx` (lower bound of idx+1): the model's bucketBound, which uses
 * Prometheus' table of exponential bounds, so that `le` labels and quantiles match bit for bit.
 */
export const getBound: (idx: number, schema: number, customValues: readonly number[] | undefined) => number = bucketBound;

/** A populated or empty bucket as the iterators return it. */
export interface HBucket {
  lower: number;
  upper: number;
  count: number;
  index: number;
}

/** The bucket indices and counts of one side, in ascending index order. */
function indexedBuckets(spans: readonly { offset: number; length: number }[], buckets: readonly number[]): { index: number; count: number }[] {
  const out: { index: number; count: number }[] = [];
  let idx = 0;
  let b = 0;
  for (let s = 0; s < spans.length; s++) {
    const span = spans[s]!;
    idx += span.offset;
    for (let j = 0; j < span.length && b < buckets.length; j++) {
      out.push({ index: idx, count: buckets[b++]! });
      idx++;
    }
  }
  return out;
}

/** Go's targetIdx: the index of bucket idx when the schema is reduced to targetSchema. */
function targetIdx(idx: number, originSchema: number, targetSchema: number): number {
  return Math.floor((idx - 1) / 2 ** (originSchema - targetSchema)) + 1;
}

/**
 * Buckets of one side merged into targetSchema (<= h.schema), skipping leading exponential
 * buckets whose upper bound is <= absoluteStartValue (floatBucketIterator).
 */
function sideBuckets(h: FloatHistogram, positive: boolean, absoluteStartValue: number, targetSchema: number): { index: number; count: number }[] {
  const raw = indexedBuckets(positive ? h.positiveSpans : h.negativeSpans, positive ? h.positiveBuckets : h.negativeBuckets);
  let merged = raw;
  if (targetSchema !== h.schema) {
    merged = [];
    for (const b of raw) {
      const t = targetIdx(b.index, h.schema, targetSchema);
      const last = merged[merged.length - 1];
      if (last && last.index === t) last.count += b.count;
      else merged.push({ index: t, count: b.count });
    }
  }
  if (absoluteStartValue === 0 || targetSchema === CUSTOM_BUCKETS_SCHEMA) return merged;
  let k = 0;
  while (k < merged.length && getBound(merged[k]!.index, targetSchema, undefined) <= absoluteStartValue) k++;
  return k === 0 ? merged : merged.slice(k);
}

/**
 * All buckets in ascending order of value: negative ones, the zero bucket (when populated),
 * positive ones; buckets overlapping the zero bucket are clipped at the threshold
 * (AllBucketIterator). Reverse it for AllReverseBucketIterator.
 */
export function allBuckets(h: FloatHistogram): HBucket[] {
  const out: HBucket[] = [];
  const zt = h.zeroThreshold;
  const clip = (b: HBucket): HBucket => {
    if (b.upper < 0 && b.upper > -zt) b.upper = -zt;
    else if (b.lower > 0 && b.lower < zt) b.lower = zt;
    return b;
  };
  const neg = indexedBuckets(h.negativeSpans, h.negativeBuckets);
  for (let i = neg.length - 1; i >= 0; i--) {
    const b = neg[i]!;
    out.push(clip({ lower: -getBound(b.index, h.schema, undefined), upper: -getBound(b.index - 1, h.schema, undefined), count: b.count, index: b.index }));
  }
  if (h.zeroCount > 0) out.push({ lower: -zt, upper: zt, count: h.zeroCount, index: 0 });
  for (const b of indexedBuckets(h.positiveSpans, h.positiveBuckets)) {
    out.push(clip({ lower: getBound(b.index - 1, h.schema, h.customValues), upper: getBound(b.index, h.schema, h.customValues), count: b.count, index: b.index }));
  }
  return out;
}

function withMetricName(msg: string, name: string): string {
  return name === '' ? msg : `${msg} for metric name ${goQuote(name)}`;
}

/**
 * histogram_quantile of a native histogram: exponential interpolation inside exponential
 * buckets, linear in the zero bucket and for custom buckets; NaN observations noted.
 */
export function histogramQuantile(q: number, h: FloatHistogram, metricName: string, pos: PositionRange | undefined, annos: Annotations): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (h.count === 0 || q !== q) return NaN;
  const forward = h.sum !== h.sum || q < 0.5;
  const all = allBuckets(h);
  if (!forward) all.reverse();
  let rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let i = 0;
  let bucket: HBucket = { lower: 0, upper: 0, count: 0, index: 0 };
  for (; i < all.length; i++) {
    bucket = { ...all[i]! };
    if (bucket.count === 0) continue;
    count += bucket.count;
    if (count >= rank) break;
  }
  const custom = usesCustomBuckets(h);
  if (!custom && bucket.lower < 0 && bucket.upper > 0) {
    if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) bucket.lower = 0;
    else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) bucket.upper = 0;
  } else if (custom) {
    if (bucket.lower === -Infinity) {
      if (bucket.upper <= 0) return bucket.upper;
      bucket.lower = 0;
    } else if (bucket.upper === Infinity) {
      return bucket.lower;
    }
  }
  if (count > h.count) count = h.count;
  if (count < rank) {
    if (h.sum !== h.sum) {
      annos.info(withMetricName('input to histogram_quantile has NaN observations, result is NaN', metricName), pos);
      return NaN;
    }
    return bucket.upper;
  }
  if (forward) rank -= count - bucket.count;
  else rank = count - rank;
  if (h.sum !== h.sum) {
    for (let k = i + 1; k < all.length; k++) count += all[k]!.count;
    if (count < h.count) annos.info(withMetricName('input to histogram_quantile has NaN observations, result is skewed higher', metricName), pos);
  }
  const fraction = rank / bucket.count;
  if (custom || (bucket.lower <= 0 && bucket.upper >= 0)) return bucket.lower + (bucket.upper - bucket.lower) * fraction;
  // Exponential buckets are linear on a log scale: interpolate there.
  const logLower = Math.log2(Math.abs(bucket.lower));
  const logUpper = Math.log2(Math.abs(bucket.upper));
  if (bucket.lower > 0) return 2 ** (logLower + (logUpper - logLower) * fraction);
  return -(2 ** (logUpper + (logLower - logUpper) * (1 - fraction)));
}

function fractionBelow(b: HBucket, v: number, linear: boolean): number {
  if (linear) return (v - b.lower) / (b.upper - b.lower);
  const logLower = Math.log2(Math.abs(b.lower));
  const logUpper = Math.log2(Math.abs(b.upper));
  const logV = Math.log2(Math.abs(v));
  if (v > 0) return (logV - logLower) / (logUpper - logLower);
  return 1 - (logV - logUpper) / (logLower - logUpper);
}

/** histogram_fraction of a native histogram (observations between lower and upper). */
export function histogramFraction(lower: number, upper: number, h: FloatHistogram, metricName: string, pos: PositionRange | undefined, annos: Annotations): number {
  if (h.count === 0 || lower !== lower || upper !== upper) return NaN;
  if (lower >= upper) return 0;
  const all = allBuckets(h);
  const custom = usesCustomBuckets(h);
  let count = 0;
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let i = 0;
  for (; i < all.length; i++) {
    const b = { ...all[i]! };
    count += b.count;
    let zeroBucket = false;
    const linear = (v: number): number => (b.lower === -Infinity ? b.count : rank + b.count * fractionBelow(b, v, true));
    const exponential = (v: number): number => rank + b.count * fractionBelow(b, v, false);
    if (b.lower <= 0 && b.upper >= 0) {
      zeroBucket = true;
      if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) b.lower = 0;
      else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) b.upper = 0;
    }
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = custom || zeroBucket ? linear(lower) : exponential(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = custom || zeroBucket ? linear(upper) : exponential(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  if (h.sum !== h.sum) {
    for (let k = i + 1; k < all.length; k++) count += all[k]!.count;
    if (count < h.count) annos.info(withMetricName('input to histogram_fraction has NaN observations, which are excluded from all fractions', metricName), pos);
  } else {
    count = h.count;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / h.count;
}

/**
 * Variance of the observations, each bucket represented by its midpoint: arithmetic for custom
 * buckets and the zero bucket, geometric for exponential ones.
 */
export function histogramVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  const k = new KahanSum();
  const custom = usesCustomBuckets(h);
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let val: number;
    if (custom) val = (b.upper + b.lower) / 2;
    else if (b.lower <= 0 && b.upper >= 0) val = 0;
    else {
      val = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) val = -val;
    }
    const delta = val - mean;
    k.add(b.count * delta * delta);
  }
  return (k.sum + k.c) / h.count;
}

// ---------------------------------------------------------------------------------------------
// Equality and counter resets

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (a !== a && b !== b && sameNaNBits(a, b));
}

const f64 = new Float64Array(2);
const u32 = new Uint32Array(f64.buffer);

function sameNaNBits(a: number, b: number): boolean {
  f64[0] = a;
  f64[1] = b;
  return u32[0] === u32[2] && u32[1] === u32[3];
}

/** Same bucket layout: the absolute indices of non-empty spans agree (empty spans are skipped). */
function spansMatch(a: readonly { offset: number; length: number }[], b: readonly { offset: number; length: number }[]): boolean {
  const norm = (s: readonly { offset: number; length: number }[]): { offset: number; length: number }[] => {
    const out: { offset: number; length: number }[] = [];
    let carry = 0;
    for (const sp of s) {
      if (sp.length === 0) {
        carry += sp.offset;
        continue;
      }
      out.push({ offset: sp.offset + carry, length: sp.length });
      carry = 0;
    }
    return out;
  };
  const x = norm(a);
  const y = norm(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i]!.offset !== y[i]!.offset || x[i]!.length !== y[i]!.length) return false;
  return true;
}

function bucketsMatch(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameBits(a[i]!, b[i]!)) return false;
  return true;
}

function customBoundsMatch(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** FloatHistogram.Equals: data equality (bit patterns), same layout up to empty spans. */
export function histogramsEqual(a: FloatHistogram, b: FloatHistogram): boolean {
  if (a.schema !== b.schema || !sameBits(a.count, b.count) || !sameBits(a.sum, b.sum)) return false;
  if (usesCustomBuckets(a) && !customBoundsMatch(a.customValues, b.customValues)) return false;
  if (a.zeroThreshold !== b.zeroThreshold || !sameBits(a.zeroCount, b.zeroCount)) return false;
  return (
    spansMatch(a.negativeSpans, b.negativeSpans) &&
    bucketsMatch(a.negativeBuckets, b.negativeBuckets) &&
    spansMatch(a.positiveSpans, b.positiveSpans) &&
    bucketsMatch(a.positiveBuckets, b.positiveBuckets)
  );
}

/** The zero count `prev` would have with a larger threshold, and the threshold actually reached. */
function zeroCountForLargerThreshold(prev: FloatHistogram, largerThreshold: number): { zeroCount: number; threshold: number } {
  if (largerThreshold === prev.zeroThreshold) return { zeroCount: prev.zeroCount, threshold: largerThreshold };
  for (;;) {
    const k = new KahanSum(prev.zeroCount);
    let restart = false;
    for (const b of sideBuckets(prev, true, 0, prev.schema)) {
      const lower = getBound(b.index - 1, prev.schema, prev.customValues);
      const upper = getBound(b.index, prev.schema, prev.customValues);
      if (lower >= largerThreshold) break;
      k.add(b.count);
      if (upper > largerThreshold) {
        if (b.count !== 0) largerThreshold = upper;
        break;
      }
    }
    for (const b of sideBuckets(prev, false, 0, prev.schema)) {
      const lower = -getBound(b.index, prev.schema, undefined);
      const upper = -getBound(b.index - 1, prev.schema, undefined);
      if (upper <= -largerThreshold) break;
      k.add(b.count);
      if (lower < -largerThreshold) {
        if (b.count !== 0) {
          largerThreshold = -lower;
          restart = true;
        }
        break;
      }
    }
    if (!restart) return { zeroCount: k.sum + k.c, threshold: largerThreshold };
  }
}

function detectBucketReset(curr: { index: number; count: number }[], prev: { index: number; count: number }[]): boolean {
  let c = 0;
  for (const p of prev) {
    while (c < curr.length && curr[c]!.index < p.index) c++;
    if (c >= curr.length || curr[c]!.index > p.index) {
      if (p.count !== 0) return true;
    } else if (curr[c]!.count < p.count) {
      return true;
    }
  }
  return false;
}

/** Rolled-up bucket sums of two custom-bucket histograms at their common bounds; a decrease is a reset. */
function detectResetWithMismatchedCustomBounds(curr: FloatHistogram, prev: FloatHistogram): boolean {
  const bounds = (h: FloatHistogram): Map<number, number> => {
    // Cumulative count up to each of h's upper bounds.
    const m = new Map<number, number>();
    let sum = 0;
    for (const b of sideBuckets(h, true, 0, CUSTOM_BUCKETS_SCHEMA)) {
      sum += b.count;
      m.set(getBound(b.index, CUSTOM_BUCKETS_SCHEMA, h.customValues), sum);
    }
    return m;
  };
  const cb = [...(curr.customValues ?? []), Infinity];
  const pb = new Set([...(prev.customValues ?? []), Infinity]);
  const cc = bounds(curr);
  const pc = bounds(prev);
  let lastC = 0;
  let lastP = 0;
  let cumC = 0;
  let cumP = 0;
  for (const bound of cb) {
    if (!pb.has(bound)) continue;
    cumC = maxCumulative(cc, bound, cumC);
    cumP = maxCumulative(pc, bound, cumP);
    if (cumC - lastC < cumP - lastP) return true;
    lastC = cumC;
    lastP = cumP;
  }
  return false;
}

function maxCumulative(m: Map<number, number>, bound: number, prev: number): number {
  let best = prev;
  for (const [ub, sum] of m) if (ub <= bound && sum > best) best = sum;
  return best;
}

/**
 * FloatHistogram.DetectReset: whether `curr` (following `prev`) starts a new counter. Explicit
 * hints decide; otherwise any drop of the count, the zero bucket or a bucket (compared in the
 * current, not finer, schema) is a reset, and so is an increase of the schema or a smaller zero
 * threshold.
 */
export function detectReset(curr: FloatHistogram, prev: FloatHistogram): boolean {
  if (curr.counterResetHint === 'reset') return true;
  if (curr.counterResetHint === 'not_reset') return false;
  if (curr.count < prev.count) return true;
  if (usesCustomBuckets(curr)) {
    if (!usesCustomBuckets(prev)) return true;
    if (!customBoundsMatch(curr.customValues, prev.customValues)) return detectResetWithMismatchedCustomBounds(curr, prev);
  }
  if (curr.schema > prev.schema) return true;
  if (curr.zeroThreshold < prev.zeroThreshold) return true;
  const { zeroCount: prevZero, threshold } = zeroCountForLargerThreshold(prev, curr.zeroThreshold);
  if (threshold !== curr.zeroThreshold) return true;
  if (curr.zeroCount < prevZero) return true;
  if (detectBucketReset(sideBuckets(curr, true, curr.zeroThreshold, curr.schema), sideBuckets(prev, true, curr.zeroThreshold, curr.schema))) return true;
  return detectBucketReset(sideBuckets(curr, false, curr.zeroThreshold, curr.schema), sideBuckets(prev, false, curr.zeroThreshold, curr.schema));
}

// ---------------------------------------------------------------------------------------------
// Arithmetic (FloatHistogram.Copy/Add/Sub/Mul/Div/CopyToSchema), on bucket maps: results are
// compact (no empty buckets), which is what Prometheus' functions return after Compact(0).

/** Adding histograms with exponential and custom buckets. */
export class IncompatibleSchemaError extends Error {}

/** What an addition/subtraction noticed, for the annotations Prometheus gives. */
export interface CombineNotes {
  counterResetCollision: boolean;
  nhcbBoundsReconciled: boolean;
}

export function copyHistogram(h: FloatHistogram): FloatHistogram {
  const c: FloatHistogram = {
    ...h,
    positiveSpans: h.positiveSpans.map((s) => ({ ...s })),
    negativeSpans: h.negativeSpans.map((s) => ({ ...s })),
    positiveBuckets: [...h.positiveBuckets],
    negativeBuckets: [...h.negativeBuckets],
  };
  if (h.customValues) c.customValues = [...h.customValues];
  return c;
}

type BucketMap = Map<number, number>;

function toMap(h: FloatHistogram, positive: boolean, targetSchema: number): BucketMap {
  const m: BucketMap = new Map();
  for (const b of sideBuckets(h, positive, 0, targetSchema)) m.set(b.index, (m.get(b.index) ?? 0) + b.count);
  return m;
}

function setFromMap(h: FloatHistogram, positive: boolean, m: BucketMap): void {
  const idxs = [...m.keys()].filter((i) => m.get(i) !== 0).sort((a, b) => a - b);
  const spans: { offset: number; length: number }[] = [];
  const buckets: number[] = [];
  let last = 0;
  for (const i of idxs) {
    const cur = spans[spans.length - 1];
    if (cur !== undefined && i === last + 1) cur.length++;
    else spans.push({ offset: spans.length === 0 ? i : i - last - 1, length: 1 });
    buckets.push(m.get(i)!);
    last = i;
  }
  if (positive) {
    h.positiveSpans = spans;
    h.positiveBuckets = buckets;
  } else {
    h.negativeSpans = spans;
    h.negativeBuckets = buckets;
  }
}

/** The histogram at a lower resolution (CopyToSchema), compacted. */
export function copyToSchema(h: FloatHistogram, schema: number): FloatHistogram {
  const c = copyHistogram(h);
  if (schema === h.schema || usesCustomBuckets(h)) return c;
  c.schema = schema;
  setFromMap(c, true, toMap(h, true, schema));
  setFromMap(c, false, toMap(h, false, schema));
  return c;
}

/** Removes the empty buckets (Compact(0)). */
export function compactHistogram(h: FloatHistogram): FloatHistogram {
  setFromMap(h, true, toMap(h, true, h.schema));
  setFromMap(h, false, toMap(h, false, h.schema));
  return h;
}

function adjustCounterReset(h: FloatHistogram, other: FloatHistogram): boolean {
  const a = h.counterResetHint;
  const b = other.counterResetHint;
  if (a === b || a === 'gauge') return false;
  if (b === 'gauge') {
    h.counterResetHint = 'gauge';
    return false;
  }
  if (a === 'unknown') return false;
  h.counterResetHint = 'unknown';
  // Otherwise one says reset and the other not: a collision.
  return b !== 'unknown';
}

/** Merges the buckets of h inside a larger zero threshold into its zero bucket (in place). */
function widenZeroBucket(h: FloatHistogram, threshold: number): void {
  const { zeroCount, threshold: t } = zeroCountForLargerThreshold(h, threshold);
  h.zeroCount = zeroCount;
  h.zeroThreshold = t;
  const pos = toMap(h, true, h.schema);
  for (const i of [...pos.keys()].sort((a, b) => a - b)) {
    if (getBound(i - 1, h.schema, undefined) >= t) break;
    pos.delete(i);
  }
  const neg = toMap(h, false, h.schema);
  for (const i of [...neg.keys()].sort((a, b) => a - b)) {
    if (-getBound(i - 1, h.schema, undefined) <= -t) break;
    neg.delete(i);
  }
  setFromMap(h, true, pos);
  setFromMap(h, false, neg);
}

/** Custom bounds both histograms have (their layouts are reconciled to it). */
function intersectBounds(a: readonly number[], b: readonly number[]): number[] {
  const set = new Set(b);
  return a.filter((v) => set.has(v));
}

function customToIntersected(h: FloatHistogram, bounds: readonly number[]): BucketMap {
  const m: BucketMap = new Map();
  const own = h.customValues ?? [];
  for (const b of sideBuckets(h, true, 0, CUSTOM_BUCKETS_SCHEMA)) {
    let target = bounds.length; // +Inf bucket
    if (b.index < own.length) {
      const ub = own[b.index]!;
      const k = bounds.findIndex((x) => x >= ub);
      if (k >= 0) target = k;
    }
    m.set(target, (m.get(target) ?? 0) + b.count);
  }
  return m;
}

/**
 * h + sign·other as a new histogram (FloatHistogram.Add/Sub): the lower schema and the larger
 * zero threshold win; custom bounds that differ are reduced to the common ones. Throws
 * IncompatibleSchemaError for exponential with custom buckets.
 */
export function combineHistograms(h: FloatHistogram, other: FloatHistogram, sign: 1 | -1, notes?: CombineNotes): FloatHistogram {
  if (usesCustomBuckets(h) !== usesCustomBuckets(other)) throw new IncompatibleSchemaError('vector contains a mix of histograms with exponential and custom buckets schemas');
  const res = copyHistogram(h);
  const collision = adjustCounterReset(res, other);
  if (notes && collision) notes.counterResetCollision = true;
  if (usesCustomBuckets(res)) {
    res.count += sign * other.count;
    res.sum += sign * other.sum;
    let a: BucketMap;
    let b: BucketMap;
    if (customBoundsMatch(res.customValues, other.customValues)) {
      a = toMap(res, true, CUSTOM_BUCKETS_SCHEMA);
      b = toMap(other, true, CUSTOM_BUCKETS_SCHEMA);
    } else {
      if (notes) notes.nhcbBoundsReconciled = true;
      const bounds = intersectBounds(res.customValues ?? [], other.customValues ?? []);
      a = customToIntersected(res, bounds);
      b = customToIntersected(other, bounds);
      res.customValues = bounds;
    }
    for (const [i, v] of b) a.set(i, (a.get(i) ?? 0) + sign * v);
    setFromMap(res, true, a);
    return res;
  }
  // Reconcile the zero buckets: both end up with the same, large enough threshold.
  let otherZeroCount = other.zeroCount;
  let otherThreshold = other.zeroThreshold;
  while (otherThreshold !== res.zeroThreshold) {
    if (res.zeroThreshold > otherThreshold) {
      const r = zeroCountForLargerThreshold(other, res.zeroThreshold);
      otherZeroCount = r.zeroCount;
      otherThreshold = r.threshold;
    }
    if (otherThreshold > res.zeroThreshold) widenZeroBucket(res, otherThreshold);
  }
  res.zeroCount += sign * otherZeroCount;
  res.count += sign * other.count;
  res.sum += sign * other.sum;
  const schema = Math.min(res.schema, other.schema);
  for (const positive of [true, false]) {
    const a = toMap(res, positive, schema);
    for (const [i, v] of toMap(other, positive, schema)) {
      // Buckets of the other histogram inside the zero bucket are already in its zero count.
      if (getBound(i, schema, undefined) <= res.zeroThreshold) continue;
      a.set(i, (a.get(i) ?? 0) + sign * v);
    }
    setFromMap(res, positive, a);
  }
  res.schema = schema;
  return res;
}

/** h·factor as a new histogram; a negative factor makes it a gauge. */
export function scaleHistogram(h: FloatHistogram, factor: number): FloatHistogram {
  const c = copyHistogram(h);
  c.zeroCount *= factor;
  c.count *= factor;
  c.sum *= factor;
  c.positiveBuckets = c.positiveBuckets.map((v) => v * factor);
  c.negativeBuckets = c.negativeBuckets.map((v) => v * factor);
  if (factor < 0) c.counterResetHint = 'gauge';
  return c;
}

/** h/divisor as a new histogram; dividing by zero drops the buckets, as Prometheus does. */
export function divideHistogram(h: FloatHistogram, divisor: number): FloatHistogram {
  const c = copyHistogram(h);
  c.zeroCount /= divisor;
  c.count /= divisor;
  c.sum /= divisor;
  if (divisor === 0) {
    c.positiveSpans = [];
    c.negativeSpans = [];
    c.positiveBuckets = [];
    c.negativeBuckets = [];
    return c;
  }
  c.positiveBuckets = c.positiveBuckets.map((v) => v / divisor);
  c.negativeBuckets = c.negativeBuckets.map((v) => v / divisor);
  if (divisor < 0) c.counterResetHint = 'gauge';
  return c;
}

/** Any infinite count, sum or bucket (FloatHistogram.HasOverflow). */
export function histogramHasOverflow(h: FloatHistogram): boolean {
  const inf = (v: number): boolean => v === Infinity || v === -Infinity;
  return inf(h.zeroCount) || inf(h.count) || inf(h.sum) || h.positiveBuckets.some(inf) || h.negativeBuckets.some(inf) || (h.customValues ?? []).some(inf);
}

/**
 * FloatHistogram.String(): `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (1,2]:2}`, the
 * non-empty buckets in ascending order (count_values' label value for a histogram).
 */
export function histogramString(h: FloatHistogram): string {
  const parts = [`{count:${formatFloatG(h.count)}, sum:${formatFloatG(h.sum)}`];
  const neg = indexedBuckets(h.negativeSpans, h.negativeBuckets);
  for (let i = neg.length - 1; i >= 0; i--) {
    const b = neg[i]!;
    if (b.count === 0) continue;
    parts.push(`[${formatFloatG(-getBound(b.index, h.schema, undefined))},${formatFloatG(-getBound(b.index - 1, h.schema, undefined))}):${formatFloatG(b.count)}`);
  }
  if (h.zeroCount !== 0) parts.push(`[${formatFloatG(-h.zeroThreshold)},${formatFloatG(h.zeroThreshold)}]:${formatFloatG(h.zeroCount)}`);
  for (const b of indexedBuckets(h.positiveSpans, h.positiveBuckets)) {
    if (b.count === 0) continue;
    parts.push(`(${formatFloatG(getBound(b.index - 1, h.schema, h.customValues))},${formatFloatG(getBound(b.index, h.schema, h.customValues))}]:${formatFloatG(b.count)}`);
  }
  return parts.join(', ') + '}';
}

/**
 * The trim operators on an exponential histogram: `h </ x` (keepBelow) keeps the observations
 * below x, `h >/ x` those above. A bucket the cutoff falls into keeps the interpolated share of
 * its count (log-linear in exponential buckets, linear in the zero bucket, which spans only one
 * side of zero when only that side has buckets). When anything is cut, the sum is estimated
 * from the kept buckets (each at its geometric, or in the zero bucket arithmetic, midpoint); an
 * uncut histogram is returned as it is (custom buckets: see trimCustomBucket). Undefined for a NaN
 * cutoff (not implemented).
 */
export function trimHistogram(h: FloatHistogram, x: number, keepBelow: boolean): FloatHistogram | undefined {
  if (x !== x) return undefined;
  if (usesCustomBuckets(h)) return trimCustomBuckets(h, x, keepBelow);
  const out = copyHistogram(h);
  let cut = false;
  let count = 0;
  let sum = 0;
  // The kept share of [lower, upper] (count c), adding it to count and sum; `zero` for the zero bucket.
  const keep = (lower: number, upper: number, c: number, zero: boolean): number => {
    if (c === 0) return 0;
    let lo = lower;
    let hi = upper;
    let share = 1;
    if (keepBelow ? upper <= x : lower >= x) share = 1;
    else if (keepBelow ? lower >= x : upper <= x) share = 0;
    else {
      const below = fractionBelow({ lower, upper, count: c, index: 0 }, x, zero);
      share = keepBelow ? below : 1 - below;
      if (keepBelow) hi = x;
      else lo = x;
    }
    if (share !== 1) cut = true;
    const kept = c * share;
    if (kept === 0) return 0;
    const mid = zero ? (lo + hi) / 2 : lo > 0 ? Math.sqrt(lo * hi) : -Math.sqrt(lo * hi);
    count += kept;
    sum += kept * mid;
    return kept;
  };
  const nb = out.negativeBuckets;
  let k = 0;
  for (const b of indexedBuckets(h.negativeSpans, h.negativeBuckets)) {
    nb[k] = keep(-getBound(b.index, h.schema, undefined), -getBound(b.index - 1, h.schema, undefined), b.count, false);
    k++;
  }
  let zLower = -h.zeroThreshold;
  let zUpper = h.zeroThreshold;
  if (h.negativeBuckets.length === 0 && h.positiveBuckets.length > 0) zLower = 0;
  else if (h.positiveBuckets.length === 0 && h.negativeBuckets.length > 0) zUpper = 0;
  out.zeroCount = keep(zLower, zUpper, h.zeroCount, true);
  const pb = out.positiveBuckets;
  k = 0;
  for (const b of indexedBuckets(h.positiveSpans, h.positiveBuckets)) {
    pb[k] = keep(getBound(b.index - 1, h.schema, undefined), getBound(b.index, h.schema, undefined), b.count, false);
    k++;
  }
  if (!cut) return copyHistogram(h);
  out.count = count;
  out.sum = sum;
  return compactHistogram(out);
}

/**
 * What a trim keeps of custom bucket (lower, upper] at cutoff x, as Prometheus' test scripts
 * specify it: the share of the count and the value standing for the kept observations. Finite
 * buckets interpolate linearly and stand at their midpoint. The first bucket (-Inf, upper]
 * counts as [0, upper] when 0 < upper < +Inf (for a cutoff below zero it is dropped either way), and
 * otherwise holds its observations at -Inf; the last bucket (lower, +Inf] holds them at +Inf. A
 * kept part of those stands at its finite end (or at the cutoff, when cut).
 */
function trimCustomBucket(lower: number, upper: number, x: number, keepBelow: boolean): { share: number; mid: number } {
  const drop = { share: 0, mid: 0 };
  if (lower === -Infinity && upper > 0 && upper !== Infinity) {
    if (x < 0 && x !== -Infinity) return drop;
    if (x >= 0) lower = 0;
  }
  const full = { share: 1, mid: lower === -Infinity ? upper : upper === Infinity ? lower : (lower + upper) / 2 };
  if (keepBelow ? upper <= x : lower >= x) return full;
  if (keepBelow ? lower >= x : upper <= x) return drop;
  // The cutoff is inside the bucket.
  if (lower === -Infinity && upper === Infinity) return drop;
  if (lower === -Infinity) return keepBelow ? { share: 1, mid: x } : drop;
  if (upper === Infinity) return keepBelow ? drop : { share: 1, mid: x };
  const below = (x - lower) / (upper - lower);
  return keepBelow ? { share: below, mid: (lower + x) / 2 } : { share: 1 - below, mid: (x + upper) / 2 };
}

function trimCustomBuckets(h: FloatHistogram, x: number, keepBelow: boolean): FloatHistogram {
  const bounds = h.customValues ?? [];
  const out = copyHistogram(h);
  let cut = false;
  let count = 0;
  let sum = 0;
  let k = 0;
  for (const b of indexedBuckets(h.positiveSpans, h.positiveBuckets)) {
    const lower = b.index === 0 ? -Infinity : bounds[b.index - 1]!;
    const upper = b.index < bounds.length ? bounds[b.index]! : Infinity;
    const { share, mid } = b.count === 0 ? { share: 1, mid: 0 } : trimCustomBucket(lower, upper, x, keepBelow);
    if (share !== 1) cut = true;
    const kept = b.count * share;
    out.positiveBuckets[k++] = kept;
    if (kept === 0) continue;
    count += kept;
    sum += kept * mid;
  }
  if (!cut) return out;
  out.count = count;
  out.sum = sum;
  return compactHistogram(out);
}
