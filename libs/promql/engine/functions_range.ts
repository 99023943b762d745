// Range-vector functions (rate, increase, delta, irate, idelta, deriv, predict_linear, resets,
// changes, the *_over_time family, double_exponential_smoothing), with Prometheus' float
// arithmetic. Each gets the one series of the current window in matrixVals[0] and returns at
// most one sample; the engine labels it.

import { Labels, goQuote as goQ } from '../../model/index.ts';
import type { Expr, MatrixSelector, PositionRange, SubqueryExpr } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';
import { KahanSum, kahanSumInc } from './kahan.ts';
import { HistogramSum } from './histogram_sum.ts';
import { quantile } from './quantile.ts';
import {
  type CombineNotes,
  IncompatibleSchemaError,
  combineHistograms,
  compactHistogram,
  copyHistogram,
  copyToSchema,
  detectReset,
  divideHistogram,
  histogramsEqual,
  scaleHistogram,
  usesCustomBuckets,
} from './functions_native.ts';
import { FunctionError } from './functions_label.ts';
import { argPos, argsPos, matrixArgPos, durationSeconds, formatF, formatG, metricName } from './functions_util.ts';
import type { EvalNodeHelper, FloatHistogram, FloatWindow, FPoint, FunctionCall, HPoint, Matrix, Series, Vector } from './value.ts';

// ---------------------------------------------------------------------------------------------
// Annotation texts (util/annotations)

export function mixedFloatsHistogramsWarning(annos: Annotations, name: string, pos: PositionRange | undefined): void {
  annos.warn(`encountered a mix of histograms and floats for metric name ${goQ(name)}`, pos);
}

export function histogramIgnoredInMixedRangeInfo(annos: Annotations, name: string, pos: PositionRange | undefined): void {
  annos.info(`ignored histograms in a range containing both floats and histograms for metric name ${goQ(name)}`, pos);
}

export function invalidQuantileWarning(annos: Annotations, q: number, pos: PositionRange | undefined): void {
  annos.warn(`quantile value should be between 0 and 1, got ${formatG(q)}`, pos);
}

export function nativeHistogramNotCounterWarning(annos: Annotations, name: string, pos: PositionRange | undefined): void {
  annos.warn(`this native histogram metric is not a counter: ${goQ(name)}`, pos);
}

export function nativeHistogramNotGaugeWarning(annos: Annotations, name: string, pos: PositionRange | undefined): void {
  annos.warn(`this native histogram metric is not a gauge: ${goQ(name)}`, pos);
}


export function mixedExponentialCustomWarning(annos: Annotations, name: string, pos: PositionRange | undefined): void {
  annos.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${goQ(name)}`, pos);
}

export function mismatchedCustomBucketsInfo(annos: Annotations, op: 'addition' | 'subtraction' | 'aggregation', pos: PositionRange | undefined): void {
  annos.info(`mismatched custom buckets were reconciled during ${op}`, pos);
}

// ---------------------------------------------------------------------------------------------
// Window helpers

/** The matrix selector or subquery of a range-vector argument. */
function rangeArg(arg: Expr | undefined): MatrixSelector | SubqueryExpr {
  while (arg && (arg.kind === 'ParenExpr' || arg.kind === 'StepInvariantExpr')) arg = arg.expr;
  if (arg?.kind === 'MatrixSelector' || arg?.kind === 'SubqueryExpr') return arg;
  throw new FunctionError('expected a range vector argument');
}

/** Offset (ms) of a range-vector argument. Separate from the range so that nothing is allocated per call. */
function offsetOf(a: MatrixSelector | SubqueryExpr): number {
  return a.kind === 'MatrixSelector' ? a.vectorSelector.offset : a.offset;
}

function floatsOf(s: Series | undefined): FPoint[] {
  return s?.floats ?? [];
}

function histogramsOf(s: Series | undefined): HPoint[] {
  return s?.histograms ?? [];
}

function push(enh: EvalNodeHelper, f: number, h?: FloatHistogram): Vector {
  enh.out.push(h ? { metric: EMPTY_METRIC, t: enh.ts, f: 0, h } : { metric: EMPTY_METRIC, t: enh.ts, f });
  return enh.out;
}

const EMPTY_METRIC = Labels.EMPTY;

// ---------------------------------------------------------------------------------------------
// rate, increase, delta

/** The factor extrapolatedRate multiplies the window's increase `result` by. */
function extrapolationFactor(
  result: number,
  resultHistogram: FloatHistogram | undefined,
  firstT: number,
  lastT: number,
  firstValue: number,
  numSamplesMinusOne: number,
  rangeStart: number,
  rangeEnd: number,
  range: number,
  isCounter: boolean,
  isRate: boolean,
): number {
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / numSamplesMinusOne;
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;

  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    // A counter can't go below zero: don't extrapolate further back than where it would be 0.
    let durationToZero = durationToStart;
    if (resultHistogram === undefined) {
      if (result > 0 && firstValue >= 0) durationToZero = sampledInterval * (firstValue / result);
    } else if (resultHistogram.count > 0 && firstValue >= 0) {
      durationToZero = sampledInterval * (firstValue / resultHistogram.count);
    }
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;

  let factor = 1;
  if (sampledInterval !== 0) factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= durationSeconds(range);
  return factor;
}

/**
 * Prometheus' extrapolatedRate for float samples: the increase between the first and last
 * sample (plus counter resets), extrapolated towards the window's edges when the samples come
 * close enough to them (within 110% of the average interval), otherwise by half an interval,
 * and for counters never below zero.
 */
function extrapolatedRate(matrixVals: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations, isCounter: boolean, isRate: boolean): Vector {
  const series = matrixVals[0];
  const floats = floatsOf(series);
  const hists = histogramsOf(series);
  const arg = rangeArg(args[0]);
  const range = arg.range;
  const offset = offsetOf(arg);
  const rangeStart = enh.ts - (range + offset);
  const rangeEnd = enh.ts - offset;

  if (hists.length > 0 && floats.length > 0) {
    mixedFloatsHistogramsWarning(annos, metricName(series!.metric), matrixArgPos(args, 0));
    return enh.out;
  }
  let result = 0;
  let resultHistogram: FloatHistogram | undefined;
  let firstT: number;
  let lastT: number;
  let numSamplesMinusOne: number;
  let firstValue: number;
  if (hists.length > 0) {
    if (hists.length < 2) return enh.out;
    numSamplesMinusOne = hists.length - 1;
    firstT = hists[0]!.t;
    lastT = hists[numSamplesMinusOne]!.t;
    resultHistogram = histogramRate(hists, isCounter, metricName(series!.metric), matrixArgPos(args, 0), annos);
    if (!resultHistogram) return enh.out;
    firstValue = hists[0]!.h.count;
  } else {
    if (floats.length < 2) return enh.out;
    numSamplesMinusOne = floats.length - 1;
    firstT = floats[0]!.t;
    lastT = floats[numSamplesMinusOne]!.t;
    firstValue = floats[0]!.f;
    result = floats[numSamplesMinusOne]!.f - firstValue;
    if (isCounter) {
      // Each value is loaded once: this loop runs for every series at every step.
      let prev = firstValue;
      for (let i = 1; i < floats.length; i++) {
        const cur = floats[i]!.f;
        if (cur < prev) result += prev;
        prev = cur;
      }
    }
  }

  const factor = extrapolationFactor(result, resultHistogram, firstT, lastT, firstValue, numSamplesMinusOne, rangeStart, rangeEnd, range, isCounter, isRate);
  if (resultHistogram !== undefined) return push(enh, 0, scaleHistogram(resultHistogram, factor));
  return push(enh, result * factor);
}

/**
 * The increase between the first and last histogram (Prometheus' histogramRate): counter resets
 * add the histogram before them back, the lowest schema of the range wins, and a reset between
 * the first two samples lets the first one's layout be ignored.
 */
function histogramRate(points: HPoint[], isCounter: boolean, name: string, pos: PositionRange | undefined, annos: Annotations): FloatHistogram | undefined {
  let prev = points[0]!.h;
  let usingCustomBuckets = usesCustomBuckets(prev);
  const last = points[points.length - 1]!.h;
  if (isCounter && (prev.counterResetHint === 'gauge' || last.counterResetHint === 'gauge')) nativeHistogramNotCounterWarning(annos, name, pos);
  if (isCounter) {
    const second = points[1]!.h;
    if (detectReset(second, prev)) {
      prev = emptyLike(second);
      usingCustomBuckets = usesCustomBuckets(second);
    }
  }
  if (usesCustomBuckets(last) !== usingCustomBuckets) {
    mixedExponentialCustomWarning(annos, name, pos);
    return undefined;
  }
  let minSchema = Math.min(last.schema, prev.schema);
  for (let i = 1; i < points.length - 1; i++) {
    const curr = points[i]!.h;
    if (!isCounter) continue;
    if (curr.counterResetHint === 'gauge') nativeHistogramNotCounterWarning(annos, name, pos);
    if (curr.schema < minSchema) minSchema = curr.schema;
    if (usesCustomBuckets(curr) !== usingCustomBuckets) {
      mixedExponentialCustomWarning(annos, name, pos);
      return undefined;
    }
  }
  let h: FloatHistogram;
  const notes: CombineNotes = { counterResetCollision: false, nhcbBoundsReconciled: false };
  try {
    h = combineHistograms(copyToSchema(last, minSchema), prev, -1, notes);
  } catch (err) {
    if (!(err instanceof IncompatibleSchemaError)) throw err;
    mixedExponentialCustomWarning(annos, name, pos);
    return undefined;
  }
  if (notes.nhcbBoundsReconciled) mismatchedCustomBucketsInfo(annos, 'subtraction', pos);
  if (isCounter) {
    for (let i = 1; i < points.length; i++) {
      const curr = points[i]!.h;
      if (detectReset(curr, prev)) {
        const addNotes: CombineNotes = { counterResetCollision: false, nhcbBoundsReconciled: false };
        try {
          h = combineHistograms(h, prev, 1, addNotes);
        } catch (err) {
          if (!(err instanceof IncompatibleSchemaError)) throw err;
          mixedExponentialCustomWarning(annos, name, pos);
          return undefined;
        }
        if (addNotes.nhcbBoundsReconciled) mismatchedCustomBucketsInfo(annos, 'addition', pos);
      }
      prev = curr;
    }
  } else if (points[0]!.h.counterResetHint !== 'gauge' || last.counterResetHint !== 'gauge') {
    nativeHistogramNotGaugeWarning(annos, name, pos);
  }
  h.counterResetHint = 'gauge';
  return compactHistogram(h);
}

/** An empty histogram with h's schema and custom bounds. */
function emptyLike(h: FloatHistogram): FloatHistogram {
  const e: FloatHistogram = {
    counterResetHint: 'unknown',
    schema: h.schema,
    zeroThreshold: 0,
    zeroCount: 0,
    count: 0,
    sum: 0,
    positiveSpans: [],
    negativeSpans: [],
    positiveBuckets: [],
    negativeBuckets: [],
  };
  if (h.customValues) e.customValues = h.customValues;
  return e;
}

export function funcRate(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return extrapolatedRate(m, args, enh, annos, true, true);
}

export function funcIncrease(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return extrapolatedRate(m, args, enh, annos, true, false);
}

export function funcDelta(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return extrapolatedRate(m, args, enh, annos, false, false);
}

/**
 * extrapolatedRate over a window of floats held in typed arrays: the same arithmetic, without
 * building a point object per sample. Undefined when there is no result (under two samples).
 */
function extrapolatedRateWindow(w: FloatWindow, args: readonly Expr[], enh: EvalNodeHelper, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, fs, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const arg = rangeArg(args[0]);
  const range = arg.range;
  const offset = offsetOf(arg);
  const firstValue = fs[lo]!;
  let result = fs[hi - 1]! - firstValue;
  if (isCounter) {
    let prev = firstValue;
    for (let i = lo + 1; i < hi; i++) {
      const cur = fs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  const rangeStart = enh.ts - (range + offset);
  const rangeEnd = enh.ts - offset;
  return result * extrapolationFactor(result, undefined, ts[lo]!, ts[hi - 1]!, firstValue, hi - lo - 1, rangeStart, rangeEnd, range, isCounter, isRate);
}

/**
 * A range function over a window of float samples (no histograms), returning its value or
 * undefined for no result. The evaluator uses one in place of the FunctionCall it is keyed by.
 */
export type WindowFunction = (w: FloatWindow, args: readonly Expr[], enh: EvalNodeHelper) => number | undefined;

/** Window forms of the range functions that dashboards run over many series. */
export const WINDOW_FUNCTIONS: ReadonlyMap<FunctionCall, WindowFunction> = new Map<FunctionCall, WindowFunction>([
  [funcRate, (w, args, enh) => extrapolatedRateWindow(w, args, enh, true, true)],
  [funcIncrease, (w, args, enh) => extrapolatedRateWindow(w, args, enh, true, false)],
  [funcDelta, (w, args, enh) => extrapolatedRateWindow(w, args, enh, false, false)],
]);

// ---------------------------------------------------------------------------------------------
// irate, idelta

/** The last two samples of the window (floats and histograms merged by time), as Prometheus picks them. */
function lastTwo(floats: FPoint[], hists: HPoint[]): { t: number; f: number; h?: FloatHistogram }[] {
  const ss: { t: number; f: number; h?: FloatHistogram }[] = [];
  for (let i = Math.max(0, floats.length - 2); i < floats.length; i++) ss.push({ t: floats[i]!.t, f: floats[i]!.f });
  for (let i = Math.max(0, hists.length - 2); i < hists.length; i++) {
    const s = { t: hists[i]!.t, f: 0, h: hists[i]!.h };
    if (ss.length === 0) ss.push(s);
    else if (ss.length === 1) {
      if (s.t < ss[0]!.t) ss.unshift(s);
      else ss.push(s);
    } else if (s.t < ss[0]!.t) {
      // Older than both: dropped.
    } else if (s.t > ss[1]!.t) {
      ss[0] = ss[1]!;
      ss[1] = s;
    } else {
      ss[0] = s;
    }
  }
  return ss;
}

function instantValue(matrixVals: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations, isRate: boolean): Vector {
  const series = matrixVals[0];
  const floats = floatsOf(series);
  const hists = histogramsOf(series);
  if (floats.length + hists.length < 2) return enh.out;
  const ss = lastTwo(floats, hists);
  const a = ss[0]!;
  const b = ss[1]!;
  const sampledInterval = b.t - a.t;
  if (sampledInterval === 0) return enh.out;
  if (a.h === undefined && b.h === undefined) {
    let result = b.f;
    // A decrease of a counter is a reset: the rate is then the last value over the interval.
    if (!isRate || !(b.f < a.f)) result = b.f - a.f;
    if (isRate) result /= sampledInterval / 1000;
    return push(enh, result);
  }
  if (a.h !== undefined && b.h !== undefined) {
    const name = metricName(series!.metric);
    if (isRate && (a.h.counterResetHint === 'gauge' || b.h.counterResetHint === 'gauge')) {
      nativeHistogramNotCounterWarning(annos, name, argsPos(args));
    }
    if (!isRate && (a.h.counterResetHint !== 'gauge' || b.h.counterResetHint !== 'gauge')) {
      nativeHistogramNotGaugeWarning(annos, name, argsPos(args));
    }
    let h = copyHistogram(b.h);
    if (!isRate || !detectReset(b.h, a.h)) {
      const notes: CombineNotes = { counterResetCollision: false, nhcbBoundsReconciled: false };
      try {
        h = combineHistograms(h, a.h, -1, notes);
      } catch (err) {
        if (!(err instanceof IncompatibleSchemaError)) throw err;
        mixedExponentialCustomWarning(annos, name, argsPos(args));
        return enh.out;
      }
      if (notes.nhcbBoundsReconciled) mismatchedCustomBucketsInfo(annos, 'subtraction', argsPos(args));
    }
    h.counterResetHint = 'gauge';
    compactHistogram(h);
    if (isRate) h = divideHistogram(h, sampledInterval / 1000);
    return push(enh, 0, h);
  }
  mixedFloatsHistogramsWarning(annos, metricName(series!.metric), argsPos(args));
  return enh.out;
}

export function funcIrate(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return instantValue(m, args, enh, annos, true);
}

export function funcIdelta(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return instantValue(m, args, enh, annos, false);
}

// ---------------------------------------------------------------------------------------------
// deriv, predict_linear

/**
 * Least-squares regression of value over time (seconds relative to interceptTime), with
 * compensated sums. A constant series has slope 0 (NaN when the constant is infinite).
 */
export function linearRegression(samples: FPoint[], interceptTime: number): { slope: number; intercept: number } {
  const initY = samples[0]!.f;
  let constY = true;
  let n = 0;
  const sumX = new KahanSum();
  const sumY = new KahanSum();
  const sumXY = new KahanSum();
  const sumX2 = new KahanSum();
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (constY && i > 0 && s.f !== initY) constY = false;
    n += 1;
    const x = (s.t - interceptTime) / 1e3;
    sumX.add(x);
    sumY.add(s.f);
    sumXY.add(x * s.f);
    sumX2.add(x * x);
  }
  if (constY) {
    if (initY === Infinity || initY === -Infinity) return { slope: NaN, intercept: NaN };
    return { slope: 0, intercept: initY };
  }
  const sx = sumX.sum + sumX.c;
  const sy = sumY.sum + sumY.c;
  const sxy = sumXY.sum + sumXY.c;
  const sx2 = sumX2.sum + sumX2.c;
  const covXY = sxy - (sx * sy) / n;
  const varX = sx2 - (sx * sx) / n;
  const slope = covXY / varX;
  const intercept = sy / n - (slope * sx) / n;
  return { slope, intercept };
}

export function funcDeriv(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const floats = series.floats;
  const mixed = histogramsOf(series).length > 0;
  if (floats.length < 2) {
    if (floats.length === 1 && mixed) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
    return enh.out;
  }
  // Regress relative to the first sample's time, to keep the x values small.
  const { slope } = linearRegression(floats, floats[0]!.t);
  if (mixed) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
  return push(enh, slope);
}

export function funcPredictLinear(v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  const dur = v[0]?.[0];
  if (!series || !dur) return enh.out;
  const floats = series.floats;
  const mixed = histogramsOf(series).length > 0;
  if (floats.length < 2) {
    if (floats.length === 1 && mixed) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
    return enh.out;
  }
  const { slope, intercept } = linearRegression(floats, enh.ts);
  if (mixed) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
  return push(enh, slope * dur.f + intercept);
}

// ---------------------------------------------------------------------------------------------
// resets, changes

/** Walks floats and histograms in time order, calling fn(prev, cur) for each consecutive pair. */
function forEachPair(
  floats: FPoint[],
  hists: HPoint[],
  fn: (pf: number, ph: FloatHistogram | undefined, cf: number, ch: FloatHistogram | undefined) => void,
): void {
  let i = 0;
  let j = 0;
  let first = true;
  let pf = 0;
  let ph: FloatHistogram | undefined;
  while (i < floats.length || j < hists.length) {
    let cf = 0;
    let ch: FloatHistogram | undefined;
    if (j >= hists.length || (i < floats.length && floats[i]!.t < hists[j]!.t)) {
      cf = floats[i]!.f;
      i++;
    } else if (i >= floats.length || (j < hists.length && floats[i]!.t > hists[j]!.t)) {
      ch = hists[j]!.h;
      j++;
    } else {
      // A float and a histogram at the same time can't happen in one series; skip both.
      i++;
      j++;
      continue;
    }
    if (!first) fn(pf, ph, cf, ch);
    first = false;
    pf = cf;
    ph = ch;
  }
}

export function funcResets(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  const floats = floatsOf(series);
  const hists = histogramsOf(series);
  if (floats.length === 0 && hists.length === 0) return enh.out;
  let resets = 0;
  forEachPair(floats, hists, (pf, ph, cf, ch) => {
    if (ph === undefined && ch === undefined) {
      if (cf < pf) resets++;
    } else if (ph === undefined || ch === undefined) {
      resets++;
    } else if (detectReset(ch, ph)) {
      resets++;
    }
  });
  return push(enh, resets);
}

export function funcChanges(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  const floats = floatsOf(series);
  const hists = histogramsOf(series);
  if (floats.length === 0 && hists.length === 0) return enh.out;
  let changes = 0;
  forEachPair(floats, hists, (pf, ph, cf, ch) => {
    if (ph === undefined && ch === undefined) {
      if (cf !== pf && !(cf !== cf && pf !== pf)) changes++;
    } else if (ph === undefined || ch === undefined) {
      changes++;
    } else if (!histogramsEqual(ch, ph)) {
      changes++;
    }
  });
  return push(enh, changes);
}

// ---------------------------------------------------------------------------------------------
// *_over_time

export function funcAvgOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const floats = series.floats;
  const hists = histogramsOf(series);
  if (floats.length > 0 && hists.length > 0) {
    mixedFloatsHistogramsWarning(annos, metricName(series.metric), matrixArgPos(args, 0));
    return enh.out;
  }
  if (floats.length === 0) {
    const avg = averageHistograms(hists, metricName(series.metric), matrixArgPos(args, 0), annos);
    return avg ? push(enh, 0, avg) : enh.out;
  }
  // Direct mean with compensated summation while the sum stays finite; incremental mean after.
  let sum = floats[0]!.f;
  let count = 1;
  let mean = 0;
  let kahanC = 0;
  let incrementalMean = false;
  for (let i = 1; i < floats.length; i++) {
    const f = floats[i]!.f;
    count = i + 1;
    if (!incrementalMean) {
      const [newSum, newC] = kahanSumInc(f, sum, kahanC);
      if (newSum !== Infinity && newSum !== -Infinity) {
        sum = newSum;
        kahanC = newC;
        continue;
      }
      incrementalMean = true;
      mean = sum / (count - 1);
      kahanC /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, kahanC] = kahanSumInc(f / count, q * mean, q * kahanC);
  }
  return push(enh, incrementalMean ? mean + kahanC : sum / count + kahanC / count);
}

/**
 * Adds up the histograms of a window, noting conflicting counter reset hints and reconciled
 * custom bounds; undefined (with a warning) when exponential and custom buckets mix.
 */
function sumHistograms(hists: HPoint[], name: string, pos: PositionRange | undefined, annos: Annotations): FloatHistogram | undefined {
  return aggregateHistograms(hists, name, pos, annos, false);
}

/** The mean of the window's histograms: a direct sum divided by the count unless it overflows. */
function averageHistograms(hists: HPoint[], name: string, pos: PositionRange | undefined, annos: Annotations): FloatHistogram | undefined {
  return aggregateHistograms(hists, name, pos, annos, true);
}

function aggregateHistograms(hists: HPoint[], name: string, pos: PositionRange | undefined, annos: Annotations, average: boolean): FloatHistogram | undefined {
  const acc = new HistogramSum(average);
  for (let i = 0; i < hists.length; i++) acc.add(hists[i]!.h);
  if (acc.incompatible) {
    mixedExponentialCustomWarning(annos, name, pos);
    return undefined;
  }
  if (acc.conflictingResets) annos.warn('conflicting counter resets during histogram aggregation', pos);
  if (acc.notes.nhcbBoundsReconciled) mismatchedCustomBucketsInfo(annos, 'aggregation', pos);
  return acc.result();
}

export function funcCountOverTime(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  if (!series) return enh.out;
  return push(enh, series.floats.length + histogramsOf(series).length);
}

export function funcFirstOverTime(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const f = series.floats[0];
  const h = histogramsOf(series)[0];
  if (h === undefined || (f !== undefined && f.t < h.t)) return push(enh, f?.f ?? 0);
  return push(enh, 0, copyHistogram(h.h));
}

export function funcLastOverTime(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const f = series.floats[series.floats.length - 1];
  const hs = histogramsOf(series);
  const h = hs[hs.length - 1];
  if (h === undefined || (f !== undefined && h.t < f.t)) return push(enh, f?.f ?? 0);
  return push(enh, 0, copyHistogram(h.h));
}

export function funcTsOfFirstOverTime(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const tf = series.floats[0]?.t ?? Infinity;
  const th = histogramsOf(series)[0]?.t ?? Infinity;
  return push(enh, Math.min(tf, th) / 1000);
}

export function funcTsOfLastOverTime(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const hs = histogramsOf(series);
  const tf = series.floats[series.floats.length - 1]?.t ?? 0;
  const th = hs[hs.length - 1]?.t ?? 0;
  return push(enh, Math.max(tf, th) / 1000);
}

/** Shared by min/max_over_time and their ts_of_ variants: floats only, histograms noted. */
function compareOverTime(m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations, better: (cur: number, best: number) => boolean, returnTimestamp: boolean): Vector {
  const series = m[0];
  if (!series || series.floats.length === 0) return enh.out;
  if (histogramsOf(series).length > 0) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
  const floats = series.floats;
  let best = floats[0]!.f;
  let tsOfBest = floats[0]!.t;
  for (let i = 0; i < floats.length; i++) {
    const p = floats[i]!;
    if (better(p.f, best)) {
      best = p.f;
      tsOfBest = p.t;
    }
  }
  return push(enh, returnTimestamp ? tsOfBest / 1000 : best);
}

export function funcMaxOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return compareOverTime(m, args, enh, annos, (cur, max) => cur > max || max !== max, false);
}

export function funcMinOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return compareOverTime(m, args, enh, annos, (cur, min) => cur < min || min !== min, false);
}

export function funcTsOfMaxOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return compareOverTime(m, args, enh, annos, (cur, max) => cur >= max || max !== max, true);
}

export function funcTsOfMinOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return compareOverTime(m, args, enh, annos, (cur, min) => cur <= min || min !== min, true);
}

export function funcSumOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  if (!series) return enh.out;
  const floats = series.floats;
  const hists = histogramsOf(series);
  if (floats.length > 0 && hists.length > 0) {
    mixedFloatsHistogramsWarning(annos, metricName(series.metric), matrixArgPos(args, 0));
    return enh.out;
  }
  if (floats.length === 0) {
    const sum = sumHistograms(hists, metricName(series.metric), matrixArgPos(args, 0), annos);
    return sum ? push(enh, 0, sum) : enh.out;
  }
  const k = new KahanSum();
  for (let i = 0; i < floats.length; i++) k.add(floats[i]!.f);
  return push(enh, k.value());
}

export function funcQuantileOverTime(v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  const qs = v[0]?.[0];
  if (!series || !qs || series.floats.length === 0) return enh.out;
  const q = qs.f;
  if (q !== q || q < 0 || q > 1) invalidQuantileWarning(annos, q, argPos(args, 0));
  if (histogramsOf(series).length > 0) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), argPos(args, 0));
  const values = new Float64Array(series.floats.length);
  for (let i = 0; i < values.length; i++) values[i] = series.floats[i]!.f;
  return push(enh, quantile(q, values));
}

function varianceOverTime(m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations, sqrt: boolean): Vector {
  const series = m[0];
  if (!series || series.floats.length === 0) return enh.out;
  if (histogramsOf(series).length > 0) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  // Welford's online algorithm, with compensated sums for the mean and the squared deviations.
  for (const p of series.floats) {
    count++;
    const delta = p.f - (mean + cMean);
    [mean, cMean] = kahanSumInc(delta / count, mean, cMean);
    [aux, cAux] = kahanSumInc(delta * (p.f - (mean + cMean)), aux, cAux);
  }
  const variance = (aux + cAux) / count;
  return push(enh, sqrt ? Math.sqrt(variance) : variance);
}

export function funcStddevOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return varianceOverTime(m, args, enh, annos, true);
}

export function funcStdvarOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  return varianceOverTime(m, args, enh, annos, false);
}

export function funcMadOverTime(_v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  if (!series || series.floats.length === 0) return enh.out;
  if (histogramsOf(series).length > 0) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
  const values = new Float64Array(series.floats.length);
  for (let i = 0; i < values.length; i++) {
    const f = series.floats[i]!.f;
    // A NaN makes the median, and so the deviation, undefined.
    if (f !== f) return push(enh, NaN);
    values[i] = f;
  }
  const median = quantile(0.5, values);
  for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]! - median);
  return push(enh, quantile(0.5, values));
}

export function funcPresentOverTime(_v: Vector[], m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  if (m.length === 0) return enh.out;
  return push(enh, 1);
}

/**
 * absent_over_time: 1 for a window with samples. The engine turns that into the steps where no
 * series had any (and labels it with createLabelsForAbsentFunction), as Prometheus does.
 */
export function funcAbsentOverTime(_v: Vector[], _m: Matrix, _args: readonly Expr[], enh: EvalNodeHelper): Vector {
  return push(enh, 1);
}

// ---------------------------------------------------------------------------------------------
// double_exponential_smoothing (Holt's linear method; holt_winters before Prometheus 3)

export function funcDoubleExponentialSmoothing(v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations): Vector {
  const series = m[0];
  const sfv = v[0]?.[0];
  const tfv = v[1]?.[0];
  if (!series || !sfv || !tfv) return enh.out;
  const sf = sfv.f;
  const tf = tfv.f;
  // As in Prometheus, NaN passes these checks.
  if (sf <= 0 || sf >= 1) throw new FunctionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${formatF(sf)}`);
  if (tf <= 0 || tf >= 1) throw new FunctionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${formatF(tf)}`);
  const floats = series.floats;
  const l = floats.length;
  const mixed = histogramsOf(series).length > 0;
  if (l < 2) {
    if (l === 1 && mixed) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
    return enh.out;
  }
  let s0 = 0;
  let s1 = floats[0]!.f;
  let b = floats[1]!.f - floats[0]!.f;
  for (let i = 1; i < l; i++) {
    const x = sf * floats[i]!.f;
    // Trend: for the first step the initial difference, then a blend of the last smoothed step and the old trend.
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  if (mixed) histogramIgnoredInMixedRangeInfo(annos, metricName(series.metric), matrixArgPos(args, 0));
  return push(enh, s1);
}
