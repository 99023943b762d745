// histogram_quantile, histogram_fraction (and the experimental histogram_quantiles) over classic
// histograms (`le` bucket series), plus the native-histogram accessors histogram_count/sum/avg.

import { LabelsBuilder, METRIC_NAME, goQuote, type Labels } from '../../model/index.ts';
import { formatOpenMetricsFloat } from '../../exposition/index.ts';
import type { Expr, PositionRange } from '../parser/ast.ts';
import type { Annotation, Annotations } from './annotations.ts';
import { bucketFraction, bucketQuantile, type Bucket } from './quantile.ts';
import { histogramFraction, histogramQuantile, histogramVariance } from './functions_native.ts';
import { invalidQuantileWarning } from './functions_range.ts';
import { argPos, formatG, formatRFC3339, metricName, outputMetric, parseGoFloat } from './functions_util.ts';
import type { EvalNodeHelper, FloatHistogram, Sample, Vector } from './value.ts';

const BUCKET_LABEL = 'le';

interface MetricWithBuckets {
  metric: Labels;
  buckets: Bucket[];
}

/**
 * Splits a vector into classic histograms (grouped by their labels without `le`) and native
 * histogram samples, as Prometheus' EvalNodeHelper.resetHistograms: malformed `le` values and
 * native histograms that collide with a classic one are reported and left out.
 */
function splitHistograms(
  inVec: Vector,
  pos: PositionRange | undefined,
  enh: EvalNodeHelper,
  annos: Annotations,
): { classic: Map<string, MetricWithBuckets>; native: Sample[] } {
  const classic = new Map<string, MetricWithBuckets>();
  const native: Sample[] = [];
  const delayed = enh.enableDelayedNameRemoval === true;
  for (const s of inVec) {
    if (s.h) {
      native.push(s);
      continue;
    }
    const le = s.metric.get(BUCKET_LABEL);
    const upperBound = parseGoFloat(le);
    if (upperBound === undefined) {
      annos.warn(withMetricName(`bucket label "le" is missing or has a malformed value of ${goQuote(le)}`, delayed ? metricName(s.metric) : ''), pos);
      continue;
    }
    const metric = s.metric.without(BUCKET_LABEL);
    const key = metric.toString();
    let mb = classic.get(key);
    if (!mb) {
      mb = { metric, buckets: [] };
      classic.set(key, mb);
    }
    mb.buckets.push({ upperBound, count: s.f });
  }
  const nativeOut: Sample[] = [];
  for (const s of native) {
    const mb = classic.get(s.metric.toString());
    if (mb && mb.buckets.length > 0) {
      annos.warn(withMetricName('vector contains a mix of classic and native histograms', delayed ? metricName(s.metric) : ''), pos);
      classic.delete(s.metric.toString());
      continue;
    }
    nativeOut.push(s);
  }
  return { classic, native: nativeOut };
}

function withMetricName(msg: string, name: string): string {
  return name === '' ? msg : `${msg} for metric name ${goQuote(name)}`;
}

interface MonotonicityState {
  anno: Annotation;
  minTs: number;
  maxTs: number;
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
  count: number;
}

// Prometheus merges these infos per message (metric name) across the whole query: one line with
// the bucket range, largest fix and time span. Our Annotations keeps the first of identical
// messages, so the merged state lives here and the stored annotation is re-rendered in place.
const monotonicityStates = new WeakMap<Annotations, Map<string, MonotonicityState>>();

function forcedMonotonicityInfo(annos: Annotations, name: string, pos: PositionRange | undefined, ts: number, minBucket: number, maxBucket: number, maxDiff: number): void {
  const base = withMetricName(
    'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)',
    name,
  );
  let states = monotonicityStates.get(annos);
  if (!states) {
    states = new Map();
    monotonicityStates.set(annos, states);
  }
  const st = states.get(base);
  if (st && annos.all().includes(st.anno)) {
    st.minTs = Math.min(st.minTs, ts);
    st.maxTs = Math.max(st.maxTs, ts);
    st.minBucket = Math.min(st.minBucket, minBucket);
    st.maxBucket = Math.max(st.maxBucket, maxBucket);
    st.maxDiff = Math.max(st.maxDiff, maxDiff);
    st.count++;
    st.anno.message = renderMonotonicity(base, st);
    if (pos) st.anno.pos = pos;
    return;
  }
  const fresh = { minTs: ts, maxTs: ts, minBucket, maxBucket, maxDiff, count: 1 };
  const message = renderMonotonicity(base, fresh);
  annos.info(message, pos);
  const anno = annos.all().find((a) => a.level === 'info' && a.message === message);
  if (anno) states.set(base, { anno, ...fresh });
}

function renderMonotonicity(base: string, st: Omit<MonotonicityState, 'anno'>): string {
  return `${base}, from buckets ${formatG(st.minBucket)} to ${formatG(st.maxBucket)}, with a max diff of ${formatG(st.maxDiff, 2)}, over ${st.count} samples from ${formatRFC3339(st.minTs)} to ${formatRFC3339(st.maxTs)}`;
}

/** histogram_quantile(φ scalar, b instant-vector). */
export function funcHistogramQuantile(v: Vector[], _m: unknown, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const qs = v[0]?.[0];
  const inVec = v[1];
  if (!qs || !inVec) return enh.out;
  const q = qs.f;
  if (q !== q || q < 0 || q > 1) invalidQuantileWarning(annos, q, argPos(args, 0));
  const pos = argPos(args, 1);
  const { classic, native } = splitHistograms(inVec, pos, enh, annos);
  for (const s of native) {
    const f = histogramQuantile(q, s.h!, metricName(s.metric), pos, annos);
    enh.out.push({ metric: outputMetric(enh, s.metric), t: enh.ts, f, dropName: true });
  }
  for (const mb of classic.values()) {
    if (mb.buckets.length === 0) continue;
    const r = bucketQuantile(q, mb.buckets);
    if (r.forcedMonotonicity) {
      const name = enh.enableDelayedNameRemoval ? metricName(mb.metric) : '';
      forcedMonotonicityInfo(annos, name, pos, enh.ts, r.minBucket, r.maxBucket, r.maxDiff);
    }
    enh.out.push({ metric: outputMetric(enh, mb.metric), t: enh.ts, f: r.quantile, dropName: true });
  }
  return enh.out;
}

/** histogram_quantiles(b instant-vector, label string, φ scalar...) — experimental in Prometheus. */
export function funcHistogramQuantiles(v: Vector[], _m: unknown, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const inVec = v[0];
  if (!inVec) return enh.out;
  let labelArg = args[1];
  while (labelArg && (labelArg.kind === 'ParenExpr' || labelArg.kind === 'StepInvariantExpr')) labelArg = labelArg.expr;
  const quantileLabel = labelArg?.kind === 'StringLiteral' ? labelArg.val : '';
  const qs: number[] = [];
  for (let i = 2; i < v.length; i++) {
    const q = v[i]![0]!.f;
    if (q !== q || q < 0 || q > 1) invalidQuantileWarning(annos, q, argPos(args, i));
    qs.push(q);
  }
  const pos = argPos(args, 0);
  const { classic, native } = splitHistograms(inVec, pos, enh, annos);
  for (const q of qs) {
    for (const s of native) {
      const f = histogramQuantile(q, s.h!, metricName(s.metric), pos, annos);
      const metric = new LabelsBuilder(outputMetric(enh, s.metric)).set(quantileLabel, formatOpenMetricsFloat(q)).labels();
      enh.out.push({ metric, t: enh.ts, f, dropName: true });
    }
    for (const mb of classic.values()) {
      if (mb.buckets.length === 0) continue;
      const r = bucketQuantile(q, mb.buckets.map((b) => ({ ...b })));
      if (r.forcedMonotonicity) {
        const name = enh.enableDelayedNameRemoval ? metricName(mb.metric) : '';
        forcedMonotonicityInfo(annos, name, pos, enh.ts, r.minBucket, r.maxBucket, r.maxDiff);
      }
      const metric = new LabelsBuilder(outputMetric(enh, mb.metric)).set(quantileLabel, formatOpenMetricsFloat(q)).labels();
      enh.out.push({ metric, t: enh.ts, f: r.quantile, dropName: true });
    }
  }
  return enh.out;
}

/** histogram_fraction(lower scalar, upper scalar, b instant-vector). */
export function funcHistogramFraction(v: Vector[], _m: unknown, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const lo = v[0]?.[0];
  const hi = v[1]?.[0];
  const inVec = v[2];
  if (!lo || !hi || !inVec) return enh.out;
  const pos = argPos(args, 2);
  const { classic, native } = splitHistograms(inVec, pos, enh, annos);
  for (const s of native) {
    const f = histogramFraction(lo.f, hi.f, s.h!, metricName(s.metric), pos, annos);
    enh.out.push({ metric: outputMetric(enh, s.metric), t: enh.ts, f, dropName: true });
  }
  for (const mb of classic.values()) {
    if (mb.buckets.length === 0) continue;
    enh.out.push({ metric: outputMetric(enh, mb.metric), t: enh.ts, f: bucketFraction(lo.f, hi.f, mb.buckets), dropName: true });
  }
  return enh.out;
}

/** Applies f to each native histogram sample; float samples are ignored. Drops only `__name__`. */
function simpleHistogramFunc(v: Vector[], enh: EvalNodeHelper, f: (h: FloatHistogram) => number): Vector {
  for (const s of v[0] ?? []) {
    if (!s.h) continue;
    const metric = enh.enableDelayedNameRemoval ? s.metric : s.metric.without(METRIC_NAME);
    enh.out.push({ metric, t: enh.ts, f: f(s.h), dropName: true });
  }
  return enh.out;
}

export function funcHistogramCount(v: Vector[], _m: unknown, _a: readonly Expr[], enh: EvalNodeHelper): Vector {
  return simpleHistogramFunc(v, enh, (h) => h.count);
}

export function funcHistogramSum(v: Vector[], _m: unknown, _a: readonly Expr[], enh: EvalNodeHelper): Vector {
  return simpleHistogramFunc(v, enh, (h) => h.sum);
}

export function funcHistogramAvg(v: Vector[], _m: unknown, _a: readonly Expr[], enh: EvalNodeHelper): Vector {
  return simpleHistogramFunc(v, enh, (h) => h.sum / h.count);
}

export function funcHistogramStddev(v: Vector[], _m: unknown, _a: readonly Expr[], enh: EvalNodeHelper): Vector {
  return simpleHistogramFunc(v, enh, (h) => Math.sqrt(histogramVariance(h)));
}

export function funcHistogramStdvar(v: Vector[], _m: unknown, _a: readonly Expr[], enh: EvalNodeHelper): Vector {
  return simpleHistogramFunc(v, enh, histogramVariance);
}
