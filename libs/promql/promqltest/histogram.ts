// The little native-histogram arithmetic the scripts need: `{{…}}+{{…}}xN` series in the point
// syntax, comparison with tolerance after compaction, and Prometheus' TestExpression text form.

import type { FloatHistogram } from '../engine/index.ts';
import { almostEqual } from './almost.ts';
import { formatFloat } from './numbers.ts';

const CUSTOM_BUCKETS_SCHEMA = -53;

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

/** Absolute bucket index → count, in index order. */
type BucketMap = Map<number, number>;

function toMap(spans: FloatHistogram['positiveSpans'], buckets: readonly number[], fromSchema: number, toSchema: number): BucketMap {
  const m: BucketMap = new Map();
  let idx = 0;
  let b = 0;
  for (const sp of spans) {
    idx += sp.offset;
    for (let k = 0; k < sp.length; k++, idx++, b++) {
      // Lowering the resolution of an exponential schema merges 2^(delta) neighbours.
      const target = fromSchema > toSchema && fromSchema !== CUSTOM_BUCKETS_SCHEMA ? ((idx - 1) >> (fromSchema - toSchema)) + 1 : idx;
      m.set(target, (m.get(target) ?? 0) + (buckets[b] ?? 0));
    }
  }
  return m;
}

function fromMap(m: BucketMap): { spans: FloatHistogram['positiveSpans']; buckets: number[] } {
  const idxs = [...m.keys()].sort((a, b) => a - b);
  const spans: FloatHistogram['positiveSpans'] = [];
  const buckets: number[] = [];
  let last = 0;
  for (const i of idxs) {
    const cur = spans[spans.length - 1];
    if (cur !== undefined && i === last + 1) cur.length++;
    else spans.push({ offset: spans.length === 0 ? i : i - last - 1, length: 1 });
    buckets.push(m.get(i)!);
    last = i;
  }
  return { spans, buckets };
}

function combine(a: FloatHistogram, b: FloatHistogram, sign: 1 | -1): FloatHistogram {
  const schema = Math.min(a.schema, b.schema);
  const pos = toMap(a.positiveSpans, a.positiveBuckets, a.schema, schema);
  const neg = toMap(a.negativeSpans, a.negativeBuckets, a.schema, schema);
  for (const [i, v] of toMap(b.positiveSpans, b.positiveBuckets, b.schema, schema)) pos.set(i, (pos.get(i) ?? 0) + sign * v);
  for (const [i, v] of toMap(b.negativeSpans, b.negativeBuckets, b.schema, schema)) neg.set(i, (neg.get(i) ?? 0) + sign * v);
  const p = fromMap(pos);
  const n = fromMap(neg);
  const out: FloatHistogram = {
    counterResetHint: a.counterResetHint,
    schema,
    zeroThreshold: Math.max(a.zeroThreshold, b.zeroThreshold),
    zeroCount: a.zeroCount + sign * b.zeroCount,
    count: a.count + sign * b.count,
    sum: a.sum + sign * b.sum,
    positiveSpans: p.spans,
    positiveBuckets: p.buckets,
    negativeSpans: n.spans,
    negativeBuckets: n.buckets,
  };
  if (a.customValues !== undefined) out.customValues = [...a.customValues];
  return out;
}

export function addHistograms(a: FloatHistogram, b: FloatHistogram): FloatHistogram {
  return combine(a, b, 1);
}

export function subHistograms(a: FloatHistogram, b: FloatHistogram): FloatHistogram {
  return combine(a, b, -1);
}

/** Non-empty buckets by absolute index (what Compact(0) leaves). */
function compactBuckets(spans: FloatHistogram['positiveSpans'], buckets: readonly number[], schema: number): [number, number][] {
  return [...toMap(spans, buckets, schema, schema)].filter(([, v]) => v !== 0).sort((x, y) => x[0] - y[0]);
}

/**
 * Prometheus' compareNativeHistogram: equal schema, zero threshold and custom bounds; counts,
 * sum and buckets equal within the tolerance after dropping empty buckets; the counter reset
 * hint only when the expectation spelled it out.
 */
export function histogramsMatch(exp: FloatHistogram, got: FloatHistogram, counterResetHintSet: boolean): boolean {
  if (exp.schema !== got.schema || !almostEqual(exp.count, got.count) || !almostEqual(exp.sum, got.sum)) return false;
  if (exp.schema === CUSTOM_BUCKETS_SCHEMA) {
    const a = exp.customValues ?? [];
    const b = got.customValues ?? [];
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) return false;
  }
  if (exp.zeroThreshold !== got.zeroThreshold || !almostEqual(exp.zeroCount, got.zeroCount)) return false;
  const sides: [FloatHistogram['positiveSpans'], number[], FloatHistogram['positiveSpans'], number[]][] = [
    [exp.negativeSpans, exp.negativeBuckets, got.negativeSpans, got.negativeBuckets],
    [exp.positiveSpans, exp.positiveBuckets, got.positiveSpans, got.positiveBuckets],
  ];
  for (const [es, eb, gs, gb] of sides) {
    const e = compactBuckets(es, eb, exp.schema);
    const g = compactBuckets(gs, gb, got.schema);
    if (e.length !== g.length) return false;
    for (let i = 0; i < e.length; i++) if (e[i]![0] !== g[i]![0] || !almostEqual(e[i]![1], g[i]![1])) return false;
  }
  return !counterResetHintSet || exp.counterResetHint === got.counterResetHint;
}

/** Prometheus' FloatHistogram.TestExpression: the `{{…}}` text that would load this histogram. */
export function histogramTestExpression(h: FloatHistogram): string {
  const parts: string[] = [];
  if (h.schema !== 0) parts.push(`schema:${h.schema}`);
  if (h.count !== 0) parts.push(`count:${formatFloat(h.count)}`);
  if (h.sum !== 0) parts.push(`sum:${formatFloat(h.sum)}`);
  if (h.zeroCount !== 0) parts.push(`z_bucket:${formatFloat(h.zeroCount)}`);
  if (h.zeroThreshold !== 0) parts.push(`z_bucket_w:${formatFloat(h.zeroThreshold)}`);
  if (h.customValues && h.customValues.length > 0) parts.push(`custom_values:[${h.customValues.map(formatFloat).join(' ')}]`);
  if (h.counterResetHint !== 'unknown') parts.push(`counter_reset_hint:${h.counterResetHint}`);
  const side = (spans: FloatHistogram['positiveSpans'], buckets: number[], off: string, key: string): void => {
    if (buckets.length === 0) return;
    if (spans[0] && spans[0].offset !== 0) parts.push(`${off}:${spans[0].offset}`);
    // Gaps between spans are written as zero buckets, as Prometheus does.
    const flat: number[] = [];
    let b = 0;
    spans.forEach((sp, i) => {
      if (i > 0) for (let k = 0; k < sp.offset; k++) flat.push(0);
      for (let k = 0; k < sp.length; k++) flat.push(buckets[b++] ?? 0);
    });
    parts.push(`${key}:[${flat.map(formatFloat).join(' ')}]`);
  };
  side(h.positiveSpans, h.positiveBuckets, 'offset', 'buckets');
  side(h.negativeSpans, h.negativeBuckets, 'n_offset', 'n_buckets');
  return `{{${parts.join(' ')}}}`;
}
