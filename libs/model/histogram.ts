// Native histograms (Prometheus model/histogram): the integer Histogram and the FloatHistogram,
// their schemas, spans, counter-reset hints and custom buckets, with the checks storage needs
// (validation, equality, conversion, bucket bounds).
//
// Buckets are sparse: `spans` say which bucket indices exist (the first span's offset is its
// starting index, later offsets are the gap after the previous span), and `*Buckets` hold one
// count per index covered, in index order. Both kinds hold ABSOLUTE counts in memory. On the wire
// (WAL records, chunks, remote write) integer buckets are deltas to the previous bucket of the
// same side; the codecs convert. Integer histograms hold integers (at most 2^51, so that the
// deltas of deltas chunks store stay exact in a double).
//
// The stale marker of a histogram series is a histogram whose `sum` has the stale NaN bits; its
// other fields do not matter. Object fields keep NaN payloads (plain JS double arrays may not),
// so `sum` carries the marker safely.

import { EXPONENTIAL_BOUNDS } from './histogram_bounds.ts';
import { isStaleNaN, sameFloatBits, STALE_NAN } from './value.ts';

/** What is known about a counter reset at this histogram, or that it is a gauge histogram. */
export const CounterResetHint = {
  Unknown: 'unknown',
  CounterReset: 'reset',
  NotCounterReset: 'not_reset',
  Gauge: 'gauge',
} as const;
export type CounterResetHint = (typeof CounterResetHint)[keyof typeof CounterResetHint];

/** Prometheus' byte values of the hints (WAL records, remote write's ResetHint differs: see there). */
export const COUNTER_RESET_HINT_BYTES: readonly CounterResetHint[] = ['unknown', 'reset', 'not_reset', 'gauge'];

/** The hint's byte in WAL records (Prometheus' histogram.CounterResetHint). */
export function counterResetHintByte(h: CounterResetHint): number {
  switch (h) {
    case 'unknown':
      return 0;
    case 'reset':
      return 1;
    case 'not_reset':
      return 2;
    case 'gauge':
      return 3;
  }
}

/** Schema of histograms with custom bucket bounds (`customValues`, the upper bounds). */
export const CUSTOM_BUCKETS_SCHEMA = -53;
/** Exponential schemas accepted on append: bucket boundaries at 2^(2^-schema * k). */
export const EXPONENTIAL_SCHEMA_MIN = -4;
export const EXPONENTIAL_SCHEMA_MAX = 8;
/** Schemas a reader accepts from newer writers (above the max they are reduced to it). */
export const EXPONENTIAL_SCHEMA_MIN_RESERVED = -9;
export const EXPONENTIAL_SCHEMA_MAX_RESERVED = 52;
/** Bucket counts of integer histograms are at most this (see the file comment). */
export const MAX_HISTOGRAM_COUNT = 2 ** 51;

export interface Span {
  /** Gap to the previous span (>= 0), or the starting bucket index of the first span. */
  offset: number;
  length: number;
}

/**
 * A native histogram with float counts (Prometheus' FloatHistogram); the PromQL engine computes
 * with these. Counts are absolute. `customValues` is set for schema -53 only.
 */
export interface FloatHistogram {
  counterResetHint: CounterResetHint;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  positiveSpans: Span[];
  negativeSpans: Span[];
  positiveBuckets: number[];
  negativeBuckets: number[];
  /** Upper bounds of custom buckets (schema -53 only). */
  customValues?: number[];
}

/**
 * A native histogram with integer counts (Prometheus' Histogram), as instrumented clients send
 * them. Same shape as FloatHistogram; all counts are non-negative integers and, unlike
 * Prometheus' Go type, the buckets are absolute counts (not deltas).
 */
export type Histogram = FloatHistogram;

export function isCustomBucketsSchema(schema: number): boolean {
  return schema === CUSTOM_BUCKETS_SCHEMA;
}

/** Schemas an appender accepts: -4..8 and -53. */
export function isValidSchema(schema: number): boolean {
  return schema === CUSTOM_BUCKETS_SCHEMA || (Number.isInteger(schema) && schema >= EXPONENTIAL_SCHEMA_MIN && schema <= EXPONENTIAL_SCHEMA_MAX);
}

/** Schemas a reader accepts (Prometheus' IsKnownSchema): -9..52 and -53. */
export function isKnownSchema(schema: number): boolean {
  return schema === CUSTOM_BUCKETS_SCHEMA || (schema >= EXPONENTIAL_SCHEMA_MIN_RESERVED && schema <= EXPONENTIAL_SCHEMA_MAX_RESERVED);
}

/** An empty histogram (schema 0, no buckets). */
export function newHistogram(): FloatHistogram {
  return {
    counterResetHint: 'unknown',
    schema: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
  };
}

/** The stale marker of a histogram series: an empty histogram with the stale NaN as sum. */
export function staleHistogram(): FloatHistogram {
  const h = newHistogram();
  h.sum = STALE_NAN;
  return h;
}

export function isStaleHistogram(h: FloatHistogram): boolean {
  return isStaleNaN(h.sum);
}

/**
 * Copies `h` into `out` (reusing its arrays) or into a new object; no array is shared. Integer
 * and float histograms have the same shape, so this also serves as the integer-to-float conversion.
 */
export function copyHistogram(h: FloatHistogram, out?: FloatHistogram): FloatHistogram {
  if (out === undefined) {
    out = {
      counterResetHint: h.counterResetHint,
      schema: h.schema,
      zeroThreshold: h.zeroThreshold,
      zeroCount: h.zeroCount,
      count: h.count,
      sum: h.sum,
      positiveSpans: h.positiveSpans.map((s) => ({ offset: s.offset, length: s.length })),
      negativeSpans: h.negativeSpans.map((s) => ({ offset: s.offset, length: s.length })),
      positiveBuckets: h.positiveBuckets.slice(),
      negativeBuckets: h.negativeBuckets.slice(),
    };
    if (h.customValues !== undefined) out.customValues = h.customValues.slice();
    return out;
  }
  out.counterResetHint = h.counterResetHint;
  out.schema = h.schema;
  out.zeroThreshold = h.zeroThreshold;
  out.zeroCount = h.zeroCount;
  out.count = h.count;
  out.sum = h.sum;
  copySpans(h.positiveSpans, out.positiveSpans);
  copySpans(h.negativeSpans, out.negativeSpans);
  copyNumbers(h.positiveBuckets, out.positiveBuckets);
  copyNumbers(h.negativeBuckets, out.negativeBuckets);
  if (h.customValues === undefined) out.customValues = undefined;
  else copyNumbers(h.customValues, (out.customValues ??= []));
  return out;
}

/** Copies spans into `out`, reusing its span objects. */
export function copySpans(src: readonly Span[], out: Span[]): void {
  for (let i = 0; i < src.length; i++) {
    const s = src[i]!;
    const o = out[i];
    if (o === undefined) out.push({ offset: s.offset, length: s.length });
    else {
      o.offset = s.offset;
      o.length = s.length;
    }
  }
  out.length = src.length;
}

function copyNumbers(src: readonly number[], out: number[]): void {
  for (let i = 0; i < src.length; i++) out[i] = src[i]!;
  out.length = src.length;
}

/** Number of buckets the spans cover. */
export function countSpanBuckets(spans: readonly Span[]): number {
  let n = 0;
  for (let i = 0; i < spans.length; i++) n += spans[i]!.length;
  return n;
}

/** Prometheus' CustomBucketBoundsMatch: same bounds, in order. */
export function customBoundsMatch(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  const la = a?.length ?? 0;
  if (la !== (b?.length ?? 0)) return false;
  for (let i = 0; i < la; i++) if (a![i] !== b![i]) return false;
  return true;
}

/** Whether two span lists describe the same buckets (zero-length spans merged into the next). */
export function spansMatch(a: readonly Span[], b: readonly Span[]): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    // Fold zero-length spans into the next span with buckets.
    let ao = 0;
    while (i < a.length && a[i]!.length === 0) ao += a[i++]!.offset;
    let bo = 0;
    while (j < b.length && b[j]!.length === 0) bo += b[j++]!.offset;
    if (i === a.length || j === b.length) return i === a.length && j === b.length;
    const sa = a[i++]!;
    const sb = b[j++]!;
    if (ao + sa.offset !== bo + sb.offset || sa.length !== sb.length) return false;
  }
}

/**
 * Prometheus' Histogram.Equals / FloatHistogram.Equals: the same data (sum, and for float
 * histograms every count, compared by bits), the same bucket layout, custom bounds only for
 * schema -53. The counter-reset hint is not compared.
 */
export function histogramsEqual(a: FloatHistogram, b: FloatHistogram): boolean {
  if (a.schema !== b.schema || !sameFloatBits(a.count, b.count) || !sameFloatBits(a.sum, b.sum)) return false;
  if (isCustomBucketsSchema(a.schema) && !customBoundsMatch(a.customValues, b.customValues)) return false;
  if (a.zeroThreshold !== b.zeroThreshold || !sameFloatBits(a.zeroCount, b.zeroCount)) return false;
  if (!spansMatch(a.negativeSpans, b.negativeSpans) || !bucketsMatch(a.negativeBuckets, b.negativeBuckets)) return false;
  return spansMatch(a.positiveSpans, b.positiveSpans) && bucketsMatch(a.positiveBuckets, b.positiveBuckets);
}

function bucketsMatch(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameFloatBits(a[i]!, b[i]!)) return false;
  return true;
}

/**
 * Why an integer histogram cannot be stored (Prometheus' Histogram.Validate, in its words), or
 * undefined. Also requires integer counts of at most MAX_HISTOGRAM_COUNT.
 */
export function validateHistogram(h: FloatHistogram): string | undefined {
  const bad = countProblem(h.count, 'observation count') ?? countProblem(h.zeroCount, 'zero bucket count');
  if (bad !== undefined) return bad;
  const p = bucketCountsProblem(h.positiveBuckets, 'positive') ?? bucketCountsProblem(h.negativeBuckets, 'negative');
  if (p !== undefined) return p;
  const common = validateCommon(h);
  if (common !== undefined) return common;
  const inBuckets = sum(h.positiveBuckets) + sum(h.negativeBuckets) + h.zeroCount;
  if (Number.isNaN(h.sum)) {
    if (inBuckets > h.count) {
      return `${inBuckets} observations found in buckets, but the Count field is ${h.count}: histogram's observation count should be at least the number of observations found in the buckets`;
    }
  } else if (inBuckets !== h.count) {
    return `${inBuckets} observations found in buckets, but the Count field is ${h.count}: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)`;
  }
  return undefined;
}

/** Why a float histogram cannot be stored (Prometheus' FloatHistogram.Validate), or undefined. */
export function validateFloatHistogram(h: FloatHistogram): string | undefined {
  const common = validateCommon(h);
  if (common !== undefined) return common;
  const neg = negativeCountProblem(h.negativeBuckets, 'negative') ?? negativeCountProblem(h.positiveBuckets, 'positive');
  if (neg !== undefined) return neg;
  if (h.zeroCount < 0) return `zero bucket has observation count of ${h.zeroCount}: histogram has a bucket whose observation count is negative`;
  if (h.count < 0) return `observation count is ${h.count}: histogram's observation count is negative`;
  return undefined;
}

function negativeCountProblem(buckets: readonly number[], side: string): string | undefined {
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i]! < 0) {
      return `${side} side: bucket number ${i + 1} has observation count of ${buckets[i]}: histogram has a bucket whose observation count is negative`;
    }
  }
  return undefined;
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}

function bucketCountsProblem(buckets: readonly number[], side: string): string | undefined {
  for (let i = 0; i < buckets.length; i++) {
    const p = countProblem(buckets[i]!, `${side} side: bucket number ${i + 1} count`);
    if (p !== undefined) return p;
  }
  return undefined;
}

function countProblem(c: number, what: string): string | undefined {
  if (!Number.isInteger(c) || c < 0 || c > MAX_HISTOGRAM_COUNT) return `${what} ${c} is not an integer in [0, 2^51]`;
  return undefined;
}

/** Schema, spans and custom bounds (shared by both kinds). */
function validateCommon(h: FloatHistogram): string | undefined {
  if (isCustomBucketsSchema(h.schema)) {
    const cv = h.customValues ?? [];
    let prev = -Infinity;
    for (let i = 0; i < cv.length; i++) {
      const c = cv[i]!;
      if (Number.isNaN(c)) return 'custom buckets: histogram custom bounds must not be NaN';
      if (i > 0 && c <= prev) return `custom buckets: previous bound is ${prev} and current is ${c}: histogram custom bounds must be in strictly increasing order`;
      prev = c;
    }
    if (prev === Infinity) return 'custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite';
    let covered = 0;
    for (let n = 0; n < h.positiveSpans.length; n++) {
      const s = h.positiveSpans[n]!;
      if (s.offset < 0) return `custom buckets: span number ${n + 1} with offset ${s.offset}: histogram has a span whose offset is negative`;
      covered += s.offset + s.length;
    }
    const spans = spansProblem(h.positiveSpans, h.positiveBuckets.length);
    if (spans !== undefined) return `custom buckets: ${spans}`;
    if (cv.length + 1 < covered) {
      return `custom buckets: only ${cv.length} custom bounds defined which is insufficient to cover total span length of ${covered}: histogram custom bounds are too few`;
    }
    if (h.zeroCount !== 0) return 'custom buckets: must have zero count of 0';
    if (h.zeroThreshold !== 0) return 'custom buckets: must have zero threshold of 0';
    if (h.negativeSpans.length > 0) return 'custom buckets: must not have negative spans';
    if (h.negativeBuckets.length > 0) return 'custom buckets: must not have negative buckets';
    return undefined;
  }
  if (!isValidSchema(h.schema)) {
    return `histogram has an invalid schema, which must be between ${EXPONENTIAL_SCHEMA_MIN} and ${EXPONENTIAL_SCHEMA_MAX} for exponential buckets, or ${CUSTOM_BUCKETS_SCHEMA} for custom buckets, got schema ${h.schema}`;
  }
  const pos = spansProblem(h.positiveSpans, h.positiveBuckets.length);
  if (pos !== undefined) return `positive side: ${pos}`;
  const neg = spansProblem(h.negativeSpans, h.negativeBuckets.length);
  if (neg !== undefined) return `negative side: ${neg}`;
  if (h.customValues !== undefined && h.customValues.length > 0) return 'histogram with exponential schema must not have custom bounds';
  return undefined;
}

function spansProblem(spans: readonly Span[], buckets: number): string | undefined {
  let n = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (!Number.isInteger(s.offset) || !Number.isInteger(s.length) || s.length < 0 || Math.abs(s.offset) > 0x7fffffff || s.length > 0xffffffff) {
      return `span number ${i + 1} is not an int32 offset with a uint32 length`;
    }
    if (i > 0 && s.offset < 0) return `span number ${i + 1} with offset ${s.offset}: histogram has a span whose offset is negative`;
    n += s.length;
  }
  if (n !== buckets) return `spans need ${n} buckets, have ${buckets} buckets: histogram spans specify different number of buckets than provided`;
  return undefined;
}

/** frac * 2^exp for frac in [0.5, 1) without overflowing the intermediate power (Go's math.Ldexp). */
function ldexp(frac: number, exp: number): number {
  if (exp > 1000) return frac * 2 ** (exp - 1000) * 2 ** 1000;
  if (exp < -1000) return frac * 2 ** (exp + 1000) * 2 ** -1000;
  return frac * 2 ** exp;
}

/** Bucket boundaries in [0.5, 1) of a positive schema: Prometheus' table, or (above 8) computed. */
function fracBounds(schema: number): readonly number[] {
  const t = EXPONENTIAL_BOUNDS[schema];
  if (t !== undefined) return t;
  const n = 2 ** schema;
  return Array.from({ length: n }, (_, i) => 2 ** (i / n - 1));
}

/**
 * Upper bound of bucket `idx` (Prometheus' getBound): 2^(idx * 2^-schema) for exponential
 * schemas, where the bucket just below the ±Inf one ends at MaxFloat64; `customValues[idx]` for
 * schema -53, with -Inf below index 0 and +Inf for the bucket past the last bound.
 */
export function bucketBound(idx: number, schema: number, customValues: readonly number[] | undefined): number {
  if (isCustomBucketsSchema(schema)) {
    const cv = customValues ?? [];
    if (idx === cv.length) return Infinity;
    if (idx === -1) return -Infinity;
    return cv[idx]!;
  }
  if (schema < 0) {
    const exp = idx * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return ldexp(1, exp);
  }
  const n = 1 << schema;
  const fracIdx = ((idx % n) + n) % n;
  const frac = fracBounds(schema)[fracIdx]!;
  const exp = Math.floor(idx / n) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(frac, exp);
}

/**
 * Calls `f` for every bucket of one side in index order, with its absolute index and count.
 * Extra counts beyond what the spans cover are ignored (as Prometheus' iterators do).
 */
export function forEachBucket(spans: readonly Span[], buckets: readonly number[], f: (index: number, count: number) => void): void {
  let idx = 0;
  let b = 0;
  for (let s = 0; s < spans.length; s++) {
    const span = spans[s]!;
    idx += span.offset;
    for (let k = 0; k < span.length; k++, idx++) {
      if (b >= buckets.length) return;
      f(idx, buckets[b++]!);
    }
  }
}

/**
 * Lowers the resolution of an exponential histogram to `target` (< its schema) in place, merging
 * each 2^(schema - target) neighbouring buckets (Prometheus' ReduceResolution). Readers apply it
 * to schemas above 8 written by newer Prometheus versions.
 */
export function reduceResolution(h: FloatHistogram, target: number): void {
  if (isCustomBucketsSchema(h.schema) || target >= h.schema) return;
  const delta = h.schema - target;
  for (const positive of [true, false]) {
    const spans = positive ? h.positiveSpans : h.negativeSpans;
    const buckets = positive ? h.positiveBuckets : h.negativeBuckets;
    const idx: number[] = [];
    const counts: number[] = [];
    forEachBucket(spans, buckets, (i, c) => {
      const j = ((i - 1) >> delta) + 1;
      if (idx.length > 0 && idx[idx.length - 1] === j) counts[counts.length - 1]! += c;
      else {
        idx.push(j);
        counts.push(c);
      }
    });
    const out = spansFromIndexes(idx);
    if (positive) {
      h.positiveSpans = out;
      h.positiveBuckets = counts;
    } else {
      h.negativeSpans = out;
      h.negativeBuckets = counts;
    }
  }
  h.schema = target;
}

/** Spans covering exactly the given strictly increasing bucket indexes (contiguous runs merged). */
export function spansFromIndexes(idx: ArrayLike<number>, n: number = idx.length): Span[] {
  const spans: Span[] = [];
  let last = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    if (spans.length > 0 && i === last + 1) spans[spans.length - 1]!.length++;
    else spans.push({ offset: spans.length === 0 ? i : i - last - 1, length: 1 });
    last = i;
  }
  return spans;
}
