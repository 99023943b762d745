// Aggregation operators over a whole evaluated range (Prometheus' rangeEvalAgg): sum, avg, count,
// min, max, group, stddev, stdvar, quantile (one result per group), topk, bottomk, limitk and
// limit_ratio (a subset of the input per group), and count_values (per step).

import { Labels, LabelsBuilder, METRIC_NAME } from '../../model/index.ts';
import type { AggregateExpr, PositionRange } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';
import { posRangeOf } from './ast_util.ts';
import { PromQLError } from './errors.ts';
import { formatFloatF, formatFloatG } from './format.ts';
import { mixedExponentialCustomWarning } from './functions_range.ts';
import { histogramString } from './functions_native.ts';
import { HistogramSum } from './histogram_sum.ts';
import { keyWith, keyWithout, labelsKey } from './labels_util.ts';
import type { EvalNodeHelper, FloatHistogram, Matrix, Sample, Series, Vector } from './value.ts';
import { prometheusLabelsHash } from './xxhash.ts';

// The largest float that converts to an int64 without overflow, and the smallest.
const MAX_INT64 = 9223372036854774784;
const MIN_INT64 = -9223372036854775808;
const MAX_UINT64_F = 18446744073709551616; // float64(math.MaxUint64)

/** The parameter of topk/bottomk/quantile/limitk/limit_ratio, per step (Prometheus' fParams). */
export class FParams {
  private i = 0;

  constructor(
    private readonly values: readonly number[] | undefined,
    private readonly constValue: number | undefined,
    readonly min: number,
    readonly max: number,
    readonly hasAnyNaN: boolean,
  ) {}

  static none(): FParams {
    return new FParams(undefined, undefined, 0, 0, false);
  }

  static constant(v: number): FParams {
    return new FParams(undefined, v, v, v, Number.isNaN(v));
  }

  static series(values: readonly number[]): FParams {
    let min = Number.MAX_VALUE;
    let max = -Number.MAX_VALUE;
    let nan = false;
    for (const v of values) {
      max = goMax(max, v);
      min = goMin(min, v);
      if (Number.isNaN(v)) nan = true;
    }
    return new FParams(values, undefined, min, max, nan);
  }

  next(): number {
    if (this.constValue !== undefined) return this.constValue;
    if (this.values && this.i < this.values.length) return this.values[this.i++]!;
    return 0;
  }
}

function goMax(a: number, b: number): number {
  if (a === Infinity || b === Infinity) return Infinity;
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.max(a, b);
}

function goMin(a: number, b: number): number {
  if (a === -Infinity || b === -Infinity) return -Infinity;
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.min(a, b);
}

/** Sort order of vectorByValueHeap: NaN sorts first. */
function lessByValue(a: Sample, b: Sample): boolean {
  return Number.isNaN(a.f) || a.f < b.f;
}

/** Sort order of vectorByReverseValueHeap: NaN sorts first, then descending. */
function lessByReverseValue(a: Sample, b: Sample): boolean {
  return Number.isNaN(a.f) || a.f > b.f;
}

type Less = (a: Sample, b: Sample) => boolean;

// Go's container/heap, so that ties come out in the same order as in Prometheus.
function heapUp(h: Sample[], j: number, less: Less): void {
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j]!, h[i]!)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    j = i;
  }
}

function heapDown(h: Sample[], i0: number, n: number, less: Less): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2]!, h[j1]!)) j = j2;
    if (!less(h[j]!, h[i]!)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    i = j;
  }
  return i > i0;
}

function heapPush(h: Sample[], s: Sample, less: Less): void {
  h.push(s);
  heapUp(h, h.length - 1, less);
}

function heapFix(h: Sample[], i: number, less: Less): void {
  if (!heapDown(h, i, h.length, less)) heapUp(h, i, less);
}

/**
 * sort.Sort(sort.Reverse(h)) as Go does it for small inputs (insertion sort, which Go's pdqsort
 * uses up to 12 elements); larger inputs use a stable sort with the same order.
 */
function sortReverse(h: Sample[], less: Less): void {
  const rless = (a: Sample, b: Sample): boolean => less(b, a);
  if (h.length <= 12) {
    for (let i = 1; i < h.length; i++) {
      for (let j = i; j > 0 && rless(h[j]!, h[j - 1]!); j--) [h[j], h[j - 1]] = [h[j - 1]!, h[j]!];
    }
    return;
  }
  h.sort((a, b) => (rless(a, b) ? -1 : rless(b, a) ? 1 : 0));
}

/** The quantile of values (Prometheus' quantile in quantile.go). */
export function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return values[lowerIndex]! * (1 - weight) + values[upperIndex]! * weight;
}

interface Group {
  seen: boolean;
  floatValue: number;
  floatMean: number;
  floatKahanC: number;
  groupCount: number;
  floatIncrementalMean: boolean;
  values: number[];
  heap: Sample[];
  groupAggrComplete: boolean;
  dropName: boolean;
}

function newGroup(): Group {
  return {
    seen: false,
    floatValue: 0,
    floatMean: 0,
    floatKahanC: 0,
    groupCount: 0,
    floatIncrementalMean: false,
    values: [],
    heap: [],
    groupAggrComplete: false,
    dropName: false,
  };
}

/** Kahan–Neumaier step (util/kahansum.Inc); returns the sum, leaves the compensation in `kahanC`. */
let kahanC = 0;
function kahanInc(inc: number, sum: number, c: number): number {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) c = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  kahanC = c;
  return t;
}

/**
 * kahanInc on cell c of `sum` and its compensation `comp`, in place. Sums run once per input
 * point, and a double stored in the module variable kahanC is boxed (allocated) by V8 each time.
 */
function kahanIncAt(sum: Float64Array, comp: Float64Array, c: number, inc: number): void {
  const s = sum[c]!;
  const t = s + inc;
  if (t === Infinity || t === -Infinity) comp[c] = 0;
  else if (Math.abs(s) >= Math.abs(inc)) comp[c] = comp[c]! + (s - t + inc);
  else comp[c] = comp[c]! + (inc - t + s);
  sum[c] = t;
}

/** The key of a series' group. `grouping` is sorted. */
export function groupingKey(metric: Labels, grouping: readonly string[], without: boolean): string {
  if (without) return keyWithout(metric, grouping.includes(METRIC_NAME) ? grouping : [METRIC_NAME, ...grouping]);
  if (grouping.length === 0) return '';
  return keyWith(metric, grouping);
}

/** The labels of a group's result series. */
export function groupingLabels(metric: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) return metric.without(...grouping, METRIC_NAME);
  if (grouping.length > 0) return metric.keep(...grouping);
  return Labels.EMPTY;
}

/** What an aggregation needs from its evaluator. */
export interface AggregationEnv {
  readonly startTimestamp: number;
  readonly endTimestamp: number;
  readonly interval: number;
  readonly annos: Annotations;
  /** Checks for cancellation and timeout. */
  check(): void;
}

const K_OPS = new Set(['topk', 'bottomk', 'limitk', 'limit_ratio']);
/** The aggregations SeriesAggregation computes (no parameter, one value per group and step). */
export const SERIES_MAJOR_OPS: ReadonlySet<string> = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar']);

/** Evaluates an aggregation over every step of its already evaluated input. */
export function rangeEvalAgg(
  ev: AggregationEnv,
  e: AggregateExpr,
  grouping: readonly string[],
  input: Matrix,
  params: FParams,
  /** Walk step by step even where series by series gives the same result (for tests). */
  byStep = false,
): Matrix {
  const op = e.op;
  if (!byStep && SERIES_MAJOR_OPS.has(op)) {
    const agg = new SeriesAggregation(ev, op, grouping, e.without, posRangeOf(e.expr));
    for (const s of input) agg.add(s);
    return agg.result();
  }
  const isK = K_OPS.has(op);
  const groupIndex = new Map<string, number>();
  const seriesToResult = new Int32Array(input.length);
  let result: Matrix = [];
  for (let si = 0; si < input.length; si++) {
    const metric = input[si]!.metric;
    const key = groupingKey(metric, grouping, e.without);
    let idx = groupIndex.get(key);
    if (idx === undefined) {
      if (!isK) result.push({ metric: groupingLabels(metric, grouping, e.without), floats: [] });
      idx = groupIndex.size;
      groupIndex.set(key, idx);
    }
    seriesToResult[si] = idx;
  }
  const groups: Group[] = [];
  for (let i = 0; i < groupIndex.size; i++) groups.push(newGroup());
  const paramPos = e.param ? posRangeOf(e.param) : posRangeOf(e.expr);

  let seriess: Map<string, Series> | undefined;
  switch (op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
      if (params.max < 1) return [];
      if (params.hasAnyNaN) throw new PromQLError('execution', 'Parameter value is NaN');
      if (params.min <= MIN_INT64) throw new PromQLError('execution', `Scalar value ${formatFloatG(params.min)} underflows int64`);
      if (params.max >= MAX_INT64) throw new PromQLError('execution', `Scalar value ${formatFloatG(params.max)} overflows int64`);
      seriess = new Map();
      break;
    case 'limit_ratio':
      if (params.max === 0 && params.min === 0) return [];
      if (params.hasAnyNaN) throw new PromQLError('execution', 'Ratio value is NaN');
      if (params.max > 1) ev.annos.warn(`ratio value should be between -1 and 1, got ${formatFloatG(params.max)}, capping to 1`, paramPos);
      if (params.min < -1) ev.annos.warn(`ratio value should be between -1 and 1, got ${formatFloatG(params.min)}, capping to -1`, paramPos);
      seriess = new Map();
      break;
    case 'quantile':
      if (params.hasAnyNaN) ev.annos.warn('quantile value should be between 0 and 1, got NaN', paramPos);
      if (params.max > 1) ev.annos.warn(`quantile value should be between 0 and 1, got ${formatFloatG(params.max)}`, paramPos);
      if (params.min < 0) ev.annos.warn(`quantile value should be between 0 and 1, got ${formatFloatG(params.min)}`, paramPos);
      break;
  }

  const cursors = new Int32Array(input.length);
  const agg = new StepAggregator(ev, e, input, cursors, seriesToResult, groups);
  for (let ts = ev.startTimestamp; ts <= ev.endTimestamp; ts += ev.interval) {
    const fParam = params.next();
    ev.check();
    if (isK) {
      const mat = agg.aggregationK(ts, fParam, seriess!);
      // An instant query keeps the order topk/bottomk produce.
      if (ev.startTimestamp === ev.endTimestamp) return mat;
    } else {
      agg.aggregation(ts, fParam, result);
    }
  }
  if (isK) return [...seriess!.values()];
  result = result.filter((s) => s.floats.length > 0 || (s.histograms?.length ?? 0) > 0);
  return result;
}

/**
 * sum, avg, count, min, max, group, stddev and stdvar over every step, series by series into one
 * accumulator per group and step. Walking all series at every step misses the cache at every
 * point; here each series' points are read in order, and series can be added as they are
 * evaluated, so the input never needs to exist as a whole matrix. A cell still receives its
 * values in input order, so the results are those of the step-by-step walk, bit for bit.
 */
export class SeriesAggregation {
  private readonly start: number;
  private readonly interval: number;
  private readonly steps: number;
  private readonly needsMean: boolean;
  private readonly needsCount: boolean;
  private readonly groupIndex = new Map<string, number>();
  private readonly output: Matrix = [];
  private added = 0;
  // Per group and step: seen (1) and dropName (2) bits; the running value, its Kahan
  // compensation, the mean and the count (avg, stddev, stdvar), and avg's incremental-mean flag (4).
  private flags = new Uint8Array(0);
  private value = new Float64Array(0);
  private comp = new Float64Array(0);
  private mean = new Float64Array(0);
  private count = new Float64Array(0);
  // sum and avg of histograms, by cell.
  private readonly hsums = new Map<number, HistogramSum>();
  private readonly annoPos: PositionRange | undefined;

  constructor(
    private readonly ev: AggregationEnv,
    private readonly op: string,
    /** Sorted. */
    private readonly grouping: readonly string[],
    private readonly without: boolean,
    /** Position of the aggregated expression, for annotations. */
    exprPos?: PositionRange,
  ) {
    this.annoPos = exprPos;
    this.start = ev.startTimestamp;
    this.interval = ev.interval > 0 ? ev.interval : 1;
    this.steps = ev.endTimestamp > this.start ? Math.floor((ev.endTimestamp - this.start) / this.interval) + 1 : 1;
    this.needsMean = op === 'avg' || op === 'stddev' || op === 'stdvar';
    this.needsCount = op === 'count' || this.needsMean;
  }

  /** The cell index of a group's first step, growing the accumulators for a new group. */
  private groupBase(metric: Labels): number {
    const key = groupingKey(metric, this.grouping, this.without);
    let idx = this.groupIndex.get(key);
    if (idx === undefined) {
      idx = this.output.length;
      this.groupIndex.set(key, idx);
      this.output.push({ metric: groupingLabels(metric, this.grouping, this.without), floats: [] });
      const need = this.output.length * this.steps;
      if (need > this.flags.length) this.grow(Math.max(need, this.flags.length * 2));
    }
    return idx * this.steps;
  }

  private grow(cells: number): void {
    const grown = <T extends Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cells);
      b.set(a);
      return b;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.flags = grown(this.flags, (n) => new Uint8Array(n));
    this.value = grown(this.value, f64);
    this.comp = grown(this.comp, f64);
    if (this.needsMean) this.mean = grown(this.mean, f64);
    if (this.needsCount) this.count = grown(this.count, f64);
  }

  /** Adds one input series; it is not kept (its points may be reused once this returns). */
  add(s: Series): void {
    if ((this.added++ & 255) === 0) this.ev.check();
    const base = this.groupBase(s.metric);
    if (s.histograms && s.histograms.length > 0) this.addHistograms(s, base);
    this.addFloats(s, base);
  }

  private addHistograms(s: Series, base: number): void {
    const { op, start, interval, steps, flags } = this;
    const dropName = s.dropName ?? false;
    for (const p of s.histograms!) {
      const k = (p.t - start) / interval;
      if (!(k >= 0 && k < steps && Number.isInteger(k))) continue;
      const c = base + k;
      switch (op) {
        case 'sum':
        case 'avg': {
          let acc = this.hsums.get(c);
          if (acc === undefined) this.hsums.set(c, (acc = new HistogramSum(op === 'avg')));
          const wasIncompatible = acc.incompatible;
          acc.add(p.h);
          if (acc.incompatible && !wasIncompatible) mixedExponentialCustomWarning(this.ev.annos, s.metric.get(METRIC_NAME), this.annoPos);
          if (dropName) flags[c]! |= 2;
          break;
        }
        case 'count':
        case 'group':
          // Histograms count like floats.
          if ((flags[c]! & 1) === 0) {
            flags[c] = dropName ? 3 : 1;
            this.value[c] = 1;
            this.count[c] = 1;
          } else {
            if (dropName) flags[c]! |= 2;
            if (op === 'count') this.count[c]!++;
          }
          break;
        default:
          this.ev.annos.info(`ignored histogram in ${op} aggregation`, this.annoPos);
      }
    }
  }

  private addFloats(s: Series, base: number): void {
    const { op, start, interval, steps, needsMean, needsCount } = this;
    const { flags, value, comp, mean, count } = this;
    const dropName = s.dropName ?? false;
    for (const p of s.floats) {
      const k = (p.t - start) / interval;
      // Points off the step grid are skipped, as the step walk skips them.
      if (!(k >= 0 && k < steps && Number.isInteger(k))) continue;
      const c = base + k;
      const f = p.f;
      if ((flags[c]! & 1) === 0) {
        flags[c] = dropName ? 3 : 1;
        value[c] = op === 'stdvar' || op === 'stddev' ? (Number.isNaN(f) || f === Infinity || f === -Infinity ? NaN : 0) : op === 'group' ? 1 : f;
        if (needsMean) mean[c] = f;
        if (needsCount) count[c] = 1;
        continue;
      }
      if (dropName) flags[c]! |= 2;
      switch (op) {
        case 'sum':
          kahanIncAt(value, comp, c, f);
          break;
        case 'avg': {
          const n = ++count[c]!;
          if ((flags[c]! & 4) === 0) {
            const newV = kahanInc(f, value[c]!, comp[c]!);
            if (newV !== Infinity && newV !== -Infinity) {
              value[c] = newV;
              comp[c] = kahanC;
              break;
            }
            flags[c]! |= 4;
            mean[c] = value[c]! / (n - 1);
            comp[c]! /= n - 1;
          }
          const qq = (n - 1) / n;
          mean[c] = kahanInc(f / n, qq * mean[c]!, qq * comp[c]!);
          comp[c] = kahanC;
          break;
        }
        case 'max':
          if (value[c]! < f || Number.isNaN(value[c]!)) value[c] = f;
          break;
        case 'min':
          if (value[c]! > f || Number.isNaN(value[c]!)) value[c] = f;
          break;
        case 'count':
          count[c]!++;
          break;
        case 'stdvar':
        case 'stddev': {
          const n = ++count[c]!;
          const delta = f - mean[c]!;
          mean[c]! += delta / n;
          value[c]! += delta * (f - mean[c]!);
          break;
        }
      }
    }
  }

  /** The groups with at least one value, in the order their first series arrived. */
  result(): Matrix {
    const { op, start, interval, steps, flags, value, comp, mean, count } = this;
    for (let ri = 0; ri < this.output.length; ri++) {
      const out = this.output[ri]!;
      const base = ri * steps;
      for (let k = 0; k < steps; k++) {
        const c = base + k;
        const fl = flags[c]!;
        if (this.hsums.size > 0 && this.hsums.has(c)) {
          this.histogramResult(out, c, fl, start + k * interval);
          continue;
        }
        if ((fl & 1) === 0) continue;
        let v: number;
        switch (op) {
          case 'avg':
            v = (fl & 4) !== 0 ? mean[c]! + comp[c]! : value[c]! / count[c]! + comp[c]! / count[c]!;
            break;
          case 'count':
            v = count[c]!;
            break;
          case 'stdvar':
            v = value[c]! / count[c]!;
            break;
          case 'stddev':
            v = Math.sqrt(value[c]! / count[c]!);
            break;
          case 'sum':
            v = value[c]! + comp[c]!;
            break;
          default:
            v = value[c]!;
        }
        out.floats.push({ t: start + k * interval, f: v });
        // As in the step walk, the last step the group has a value at decides.
        out.dropName = (fl & 2) !== 0;
      }
    }
    return this.output.filter((s) => s.floats.length > 0 || (s.histograms !== undefined && s.histograms.length > 0));
  }

  /** A sum or avg cell that received histograms. */
  private histogramResult(out: Series, c: number, fl: number, t: number): void {
    const acc = this.hsums.get(c)!;
    const annos = this.ev.annos;
    if (acc.conflictingResets) annos.warn('conflicting counter resets during histogram aggregation', this.annoPos);
    if ((fl & 1) !== 0) {
      annos.warn('encountered a mix of histograms and floats for aggregation', this.annoPos);
      return;
    }
    if (acc.incompatible) return;
    if (acc.notes.nhcbBoundsReconciled) annos.info('mismatched custom buckets were reconciled during aggregation', this.annoPos);
    const h = acc.result();
    if (h === undefined) return;
    (out.histograms ??= []).push({ t, h });
    out.dropName = (fl & 2) !== 0;
  }
}

class StepAggregator {
  private f = 0;
  /** Set when the value nextValue took is a histogram. */
  private h: FloatHistogram | undefined;
  private readonly hcursors: Int32Array;

  constructor(
    private readonly ev: AggregationEnv,
    private readonly e: AggregateExpr,
    private readonly input: Matrix,
    private readonly cursors: Int32Array,
    private readonly seriesToResult: Int32Array,
    private readonly groups: Group[],
  ) {
    this.hcursors = new Int32Array(input.length);
  }

  /** Takes series si's point at ts, if it has one (Prometheus' nextValues): a float, or a histogram in `h`. */
  private nextValue(si: number, ts: number): boolean {
    const s = this.input[si]!;
    const fl = s.floats;
    let c = this.cursors[si]!;
    while (c < fl.length && fl[c]!.t < ts) c++;
    this.h = undefined;
    if (c < fl.length && fl[c]!.t === ts) {
      this.f = fl[c]!.f;
      this.cursors[si] = c + 1;
      return true;
    }
    this.cursors[si] = c;
    const hs = s.histograms;
    if (hs === undefined || hs.length === 0) return false;
    let hc = this.hcursors[si]!;
    while (hc < hs.length && hs[hc]!.t < ts) hc++;
    this.hcursors[si] = hc;
    if (hc < hs.length && hs[hc]!.t === ts) {
      this.h = hs[hc]!.h;
      this.f = 0;
      this.hcursors[si] = hc + 1;
      return true;
    }
    return false;
  }

  private ignoredHistogram(): void {
    this.ev.annos.info(`ignored histogram in ${this.e.op} aggregation`, posRangeOf(this.e.expr));
  }

  /** sum, avg, count, min, max, group, stddev, stdvar, quantile at one step. */
  aggregation(ts: number, q: number, output: Matrix): void {
    const op = this.e.op;
    const groups = this.groups;
    for (const g of groups) g.seen = false;
    for (let si = 0; si < this.input.length; si++) {
      if (!this.nextValue(si, ts)) continue;
      if (this.h !== undefined) {
        // The step walk serves quantile; SeriesAggregation handles the others' histograms.
        this.ignoredHistogram();
        continue;
      }
      const f = this.f;
      const g = groups[this.seriesToResult[si]!]!;
      const dropName = this.input[si]!.dropName ?? false;
      if (!g.seen) {
        g.seen = true;
        g.floatValue = f;
        g.floatMean = f;
        g.floatKahanC = 0;
        g.groupCount = 1;
        g.floatIncrementalMean = false;
        g.dropName = dropName;
        switch (op) {
          case 'stdvar':
          case 'stddev':
            g.floatValue = Number.isNaN(f) || f === Infinity || f === -Infinity ? NaN : 0;
            break;
          case 'quantile':
            g.values = [f];
            break;
          case 'group':
            g.floatValue = 1;
            break;
        }
        continue;
      }
      if (dropName) g.dropName = true;
      switch (op) {
        case 'sum':
          g.floatValue = kahanInc(f, g.floatValue, g.floatKahanC);
          g.floatKahanC = kahanC;
          break;
        case 'avg': {
          // Direct mean (Kahan-compensated sum / count) while the sum stays finite; incremental
          // mean from the point it would overflow on.
          g.groupCount++;
          if (!g.floatIncrementalMean) {
            const newV = kahanInc(f, g.floatValue, g.floatKahanC);
            if (newV !== Infinity && newV !== -Infinity) {
              g.floatValue = newV;
              g.floatKahanC = kahanC;
              break;
            }
            g.floatIncrementalMean = true;
            g.floatMean = g.floatValue / (g.groupCount - 1);
            g.floatKahanC /= g.groupCount - 1;
          }
          const qq = (g.groupCount - 1) / g.groupCount;
          g.floatMean = kahanInc(f / g.groupCount, qq * g.floatMean, qq * g.floatKahanC);
          g.floatKahanC = kahanC;
          break;
        }
        case 'group':
          break;
        case 'max':
          if (g.floatValue < f || Number.isNaN(g.floatValue)) g.floatValue = f;
          break;
        case 'min':
          if (g.floatValue > f || Number.isNaN(g.floatValue)) g.floatValue = f;
          break;
        case 'count':
          g.groupCount++;
          break;
        case 'stdvar':
        case 'stddev': {
          g.groupCount++;
          const delta = f - g.floatMean;
          g.floatMean += delta / g.groupCount;
          g.floatValue += delta * (f - g.floatMean);
          break;
        }
        case 'quantile':
          g.values.push(f);
          break;
        default:
          throw new PromQLError('internal', `expected aggregation operator but got "${op}"`);
      }
    }

    for (let ri = 0; ri < groups.length; ri++) {
      const g = groups[ri]!;
      if (!g.seen) continue;
      let v: number;
      switch (op) {
        case 'avg':
          v = g.floatIncrementalMean ? g.floatMean + g.floatKahanC : g.floatValue / g.groupCount + g.floatKahanC / g.groupCount;
          break;
        case 'count':
          v = g.groupCount;
          break;
        case 'stdvar':
          v = g.floatValue / g.groupCount;
          break;
        case 'stddev':
          v = Math.sqrt(g.floatValue / g.groupCount);
          break;
        case 'quantile':
          v = quantile(q, g.values);
          break;
        case 'sum':
          v = g.floatValue + g.floatKahanC;
          break;
        default:
          v = g.floatValue;
      }
      const out = output[ri]!;
      out.floats.push({ t: ts, f: v });
      out.dropName = g.dropName;
    }
  }

  /**
   * topk, bottomk, limitk, limit_ratio at one step. For an instant query returns the result in
   * Prometheus' order; for a range query adds to `seriess`.
   */
  aggregationK(ts: number, fParam: number, seriess: Map<string, Series>): Matrix {
    const op = this.e.op;
    const groups = this.groups;
    const input = this.input;
    let groupsRemaining = groups.length;
    for (const g of groups) g.seen = false;
    let k = 0;
    let r = 0;
    for (let si = 0; si < input.length; si++) {
      if (!this.nextValue(si, ts)) continue;
      if (this.h !== undefined && (op === 'topk' || op === 'bottomk')) {
        this.ignoredHistogram();
        continue;
      }
      const s: Sample = { metric: input[si]!.metric, t: ts, f: this.f, dropName: input[si]!.dropName ?? false };
      if (this.h !== undefined) s.h = this.h;
      switch (op) {
        case 'topk':
        case 'bottomk':
        case 'limitk':
          k = Math.min(Math.trunc(fParam), input.length);
          if (k < 1) return [];
          break;
        case 'limit_ratio':
          if (fParam === 0) return [];
          r = fParam < -1 ? -1 : fParam > 1 ? 1 : fParam;
          break;
      }
      const g = groups[this.seriesToResult[si]!]!;
      if (!g.seen) {
        g.seen = true;
        g.groupAggrComplete = false;
        g.heap = [];
        switch (op) {
          case 'limit_ratio':
            if (addRatioSample(r, s)) heapPush(g.heap, s, lessByValue);
            break;
          case 'limitk':
            g.heap.push(s);
            break;
          case 'topk':
            heapPush(g.heap, s, lessByValue);
            break;
          case 'bottomk':
            heapPush(g.heap, s, lessByReverseValue);
            break;
        }
        continue;
      }
      switch (op) {
        case 'topk':
          // A heap of up to k elements with the smallest on top.
          if (g.heap.length < k) heapPush(g.heap, s, lessByValue);
          else if (g.heap[0]!.f < s.f || (Number.isNaN(g.heap[0]!.f) && !Number.isNaN(s.f))) {
            g.heap[0] = s;
            if (k > 1) heapFix(g.heap, 0, lessByValue);
          }
          break;
        case 'bottomk':
          if (g.heap.length < k) heapPush(g.heap, s, lessByReverseValue);
          else if (g.heap[0]!.f > s.f || (Number.isNaN(g.heap[0]!.f) && !Number.isNaN(s.f))) {
            g.heap[0] = s;
            if (k > 1) heapFix(g.heap, 0, lessByReverseValue);
          }
          break;
        case 'limitk':
          if (g.heap.length < k) heapPush(g.heap, s, lessByValue);
          break;
        case 'limit_ratio':
          if (addRatioSample(r, s)) heapPush(g.heap, s, lessByValue);
          break;
      }
      if (op === 'limitk' && !g.groupAggrComplete && g.heap.length === k) {
        // Every group has its k elements: the other series can't change the result.
        g.groupAggrComplete = true;
        groupsRemaining--;
        if (groupsRemaining === 0) break;
      }
    }
    const instant = this.ev.startTimestamp === this.ev.endTimestamp;
    const mat: Matrix = [];
    const add = (s: Sample): void => {
      if (instant) {
        if (s.h) mat.push({ metric: s.metric, floats: [], histograms: [{ t: ts, h: s.h }], dropName: s.dropName ?? false });
        else mat.push({ metric: s.metric, floats: [{ t: ts, f: s.f }], dropName: s.dropName ?? false });
        return;
      }
      const key = labelsKey(s.metric);
      let ss = seriess.get(key);
      if (!ss) {
        ss = { metric: s.metric, floats: [], dropName: s.dropName ?? false };
        seriess.set(key, ss);
      }
      if (s.h) (ss.histograms ??= []).push({ t: ts, h: s.h });
      else ss.floats.push({ t: ts, f: s.f });
    };
    for (const g of groups) {
      if (!g.seen) continue;
      if (op === 'topk' && g.heap.length > 1) sortReverse(g.heap, lessByValue);
      if (op === 'bottomk' && g.heap.length > 1) sortReverse(g.heap, lessByReverseValue);
      for (const s of g.heap) add(s);
    }
    return mat;
  }
}

/** limit_ratio's deterministic choice: the series' label hash as a fraction of 2^64 (HashRatioSampler). */
function addRatioSample(ratioLimit: number, s: Sample): boolean {
  const offset = Number(prometheusLabelsHash(s.metric)) / MAX_UINT64_F;
  return (ratioLimit >= 0 && offset < ratioLimit) || (ratioLimit < 0 && offset >= 1 + ratioLimit);
}

/** count_values at one step: one series per distinct value (formatted as Go's 'f' -1) per group. */
export function countValues(vec: Vector, grouping: readonly string[], without: boolean, valueLabel: string, enh: EvalNodeHelper): Vector {
  const result = new Map<string, { labels: Labels; count: number }>();
  for (const s of vec) {
    const metric = new LabelsBuilder(s.metric).set(valueLabel, s.h ? histogramString(s.h) : formatFloatF(s.f)).labels();
    const key = groupingKey(metric, grouping, without);
    const g = result.get(key);
    if (g) g.count++;
    else result.set(key, { labels: groupingLabels(metric, grouping, without), count: 1 });
  }
  for (const g of result.values()) enh.out.push({ metric: g.labels, t: enh.ts, f: g.count });
  return enh.out;
}
