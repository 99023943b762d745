// PromQL's functions, called by the engine with Prometheus' convention (see FunctionCall in
// value.ts). This file has the table and the instant-vector functions; range-vector functions
// are in functions_range.ts, histograms in functions_histogram.ts, labels in functions_label.ts.

import { Labels, LabelsBuilder, METRIC_NAME, MatchType, compareLabels, type Matcher } from '../../model/index.ts';
import type { Expr } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';
import {
  compileLabelJoin,
  compileLabelReplace,
  dropNameAfterRelabel,
  type Relabel,
} from './functions_label.ts';
import {
  funcHistogramAvg,
  funcHistogramCount,
  funcHistogramFraction,
  funcHistogramQuantile,
  funcHistogramQuantiles,
  funcHistogramStddev,
  funcHistogramStdvar,
  funcHistogramSum,
} from './functions_histogram.ts';
import {
  funcAbsentOverTime,
  funcAvgOverTime,
  funcChanges,
  funcCountOverTime,
  funcDelta,
  funcDeriv,
  funcDoubleExponentialSmoothing,
  funcFirstOverTime,
  funcIdelta,
  funcIncrease,
  funcIrate,
  funcLastOverTime,
  funcMadOverTime,
  funcMaxOverTime,
  funcMinOverTime,
  funcPredictLinear,
  funcPresentOverTime,
  funcQuantileOverTime,
  funcRate,
  funcResets,
  funcStddevOverTime,
  funcStdvarOverTime,
  funcSumOverTime,
  funcTsOfFirstOverTime,
  funcTsOfLastOverTime,
  funcTsOfMaxOverTime,
  funcTsOfMinOverTime,
} from './functions_range.ts';
import { outputMetric } from './functions_util.ts';
import type { EvalNodeHelper, FunctionCall, Matrix, Sample, Vector } from './value.ts';

export { FunctionError, compileLabelJoin, compileLabelReplace, dropNameAfterRelabel } from './functions_label.ts';
export type { Relabel } from './functions_label.ts';
export { linearRegression } from './functions_range.ts';
export { positionRange } from './functions_util.ts';

// ---------------------------------------------------------------------------------------------
// Element-wise float functions

/** Applies f to every float sample (histograms are dropped), marking the name for removal. */
function simpleFloatFunc(v: Vector[], enh: EvalNodeHelper, f: (x: number) => number): Vector {
  const out = enh.out;
  for (const s of v[0] ?? []) {
    if (s.h) continue;
    out.push({ metric: outputMetric(enh, s.metric), t: enh.ts, f: f(s.f), dropName: true });
  }
  return out;
}

function floatFunc(f: (x: number) => number): FunctionCall {
  return (v, _m, _a, enh) => simpleFloatFunc(v, enh, f);
}

/** Go's math.Log10: natural log times 1/ln(10) (not JavaScript's correctly rounded log10). */
function goLog10(x: number): number {
  return Math.log(x) * (1 / Math.LN10);
}

/** Go's math.Log2: exact for powers of two, else log(frac)/ln(2) + exp. */
function goLog2(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log2(x);
  let exp = Math.floor(Math.log2(x));
  // frexp: x = frac * 2^e with frac in [0.5, 1).
  let frac = x / 2 ** (exp + 1);
  if (frac >= 1) {
    frac /= 2;
    exp++;
  } else if (frac < 0.5) {
    frac *= 2;
    exp--;
  }
  if (!Number.isFinite(frac) || frac === 0) return Math.log2(x);
  if (frac === 0.5) return exp;
  return Math.log(frac) * (1 / Math.LN2) + (exp + 1);
}

function sgn(v: number): number {
  return v < 0 ? -1 : v > 0 ? 1 : v;
}

const funcClamp: FunctionCall = (v, _m, _a, enh) => clamp(v[0] ?? [], v[1]![0]!.f, v[2]![0]!.f, enh);
const funcClampMax: FunctionCall = (v, _m, _a, enh) => clamp(v[0] ?? [], -Infinity, v[1]![0]!.f, enh);
const funcClampMin: FunctionCall = (v, _m, _a, enh) => clamp(v[0] ?? [], v[1]![0]!.f, Infinity, enh);

function clamp(vec: Vector, min: number, max: number, enh: EvalNodeHelper): Vector {
  if (max < min) return enh.out;
  for (const s of vec) {
    if (s.h) continue;
    enh.out.push({ metric: outputMetric(enh, s.metric), t: enh.ts, f: Math.max(min, Math.min(max, s.f)), dropName: true });
  }
  return enh.out;
}

/** round(v, to_nearest=1): ties round up; the inverse is used as Prometheus does (fewer float errors). */
const funcRound: FunctionCall = (v, _m, args, enh) => {
  const toNearest = args.length >= 2 ? v[1]![0]!.f : 1;
  const inv = 1 / toNearest;
  return simpleFloatFunc(v, enh, (f) => Math.floor(f * inv + 0.5) / inv);
};

// ---------------------------------------------------------------------------------------------
// Scalars, vectors, time

const funcTime: FunctionCall = (_v, _m, _a, enh) => {
  enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: enh.ts / 1000 });
  return enh.out;
};

const funcPi: FunctionCall = (_v, _m, _a, enh) => {
  enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: Math.PI });
  return enh.out;
};

const funcVector: FunctionCall = (v, _m, _a, enh) => {
  enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: v[0]![0]!.f });
  return enh.out;
};

/** scalar(v): the value of the only float sample, NaN when there are none or several. */
const funcScalar: FunctionCall = (v, _m, _a, enh) => {
  let value = NaN;
  let found = false;
  for (const s of v[0] ?? []) {
    if (s.h) continue;
    if (found) {
      value = NaN;
      break;
    }
    found = true;
    value = s.f;
  }
  enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: value });
  return enh.out;
};

/** timestamp(v): each sample's own timestamp in seconds (histogram samples too). */
const funcTimestamp: FunctionCall = (v, _m, _a, enh) => {
  for (const s of v[0] ?? []) enh.out.push({ metric: outputMetric(enh, s.metric), t: enh.ts, f: s.t / 1000, dropName: true });
  return enh.out;
};

// Date functions: UTC calendar fields of the argument's values (seconds), or of the evaluation time.

export interface Civil {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  weekday: number; // 0 = Sunday
  yearDay: number; // 1..366
}

/** Go's int64(f) on amd64: truncation, and the minimum int64 for NaN or out-of-range values. */
function goInt64(f: number): bigint | number {
  if (f !== f || f >= 9223372036854775807 || f < -9223372036854775808) return -9223372036854775808n;
  return Math.trunc(f);
}

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// Beyond ±2^53 s, Go's own arithmetic decides (uint64 absolute seconds that wrap around).
const SAFE_SECONDS = 2 ** 53;

/** UTC calendar fields of Unix seconds, as Go's time.Unix(sec, 0).UTC() reports them. */
export function civilFromUnix(secIn: number | bigint): Civil {
  if (typeof secIn === 'bigint' || Math.abs(secIn) >= SAFE_SECONDS) return goCivil(BigInt(secIn));
  const sec = secIn;
  const sod = ((sec % 86400) + 86400) % 86400;
  const days = (sec - sod) / 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doyMar = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doyMar + 2) / 153);
  const day = doyMar - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    month,
    day,
    hour: Math.floor(sod / 3600),
    minute: Math.floor((sod % 3600) / 60),
    weekday: (((days + 4) % 7) + 7) % 7,
    yearDay: days - daysFromCivil(year, 1, 1) + 1,
  };
}

// Go's time package (1.23+): absolute seconds count from March 1 of year -292277022399, in uint64.
const ABSOLUTE_YEARS = 292277022400n;
const MARCH_THRU_DECEMBER = 306n;
const UNIX_TO_INTERNAL = (1969n * 365n + 1969n / 4n - 1969n / 100n + 1969n / 400n) * 86400n;
const INTERNAL_TO_ABSOLUTE = ((ABSOLUTE_YEARS / 400n) * 146097n + MARCH_THRU_DECEMBER) * 86400n;
const UNIX_TO_ABSOLUTE = UNIX_TO_INTERNAL + INTERNAL_TO_ABSOLUTE;

/** Go's calendar computation (Neri–Schneider on March-based absolute days), wrapping like Go. */
function goCivil(sec: bigint): Civil {
  const abs = BigInt.asUintN(64, sec + UNIX_TO_ABSOLUTE);
  const days = abs / 86400n;
  const sod = Number(abs % 86400n);
  const d = 4n * days + 3n;
  const century = d / 146097n;
  const cdays = (d % 146097n) / 4n;
  const cyear = (4n * cdays + 3n) / 1461n;
  const ayday = Number(((4n * cdays + 3n) % 1461n) / 4n);
  const amonth = Math.floor((5 * ayday + 461) / 153);
  const mday = Math.floor(((5 * ayday + 461) % 153) / 5);
  const janFeb = ayday >= 306 ? 1 : 0;
  const year = Number(BigInt.asIntN(64, BigInt.asUintN(64, century * 100n - ABSOLUTE_YEARS))) + Number(cyear) + janFeb;
  const leap = cyear % 4n === 0n && (cyear !== 0n || century % 4n === 0n) ? 1 : 0;
  return {
    year,
    month: amonth - janFeb * 12,
    day: mday + 1,
    hour: Math.floor(sod / 3600),
    minute: Math.floor((sod % 3600) / 60),
    // March 1 of the absolute year was a Wednesday.
    weekday: Number((days + 3n) % 7n),
    yearDay: ayday + (1 + 31 + 28) + (leap & ~janFeb) - 365 * janFeb,
  };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function dateFunc(f: (c: Civil) => number): FunctionCall {
  return (v, _m, _a, enh) => {
    if (v.length === 0) {
      enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: f(civilFromUnix(Math.trunc(enh.ts / 1000))) });
      return enh.out;
    }
    for (const s of v[0]!) {
      if (s.h) continue;
      enh.out.push({ metric: outputMetric(enh, s.metric), t: enh.ts, f: f(civilFromUnix(goInt64(s.f))), dropName: true });
    }
    return enh.out;
  };
}

// ---------------------------------------------------------------------------------------------
// Sorting

/**
 * Go's sort.Sort for small inputs (insertion sort, n <= 12), with the same comparison, so that
 * ties and NaNs end up where Prometheus puts them; larger inputs use a stable sort.
 */
function sortByValue(vec: Sample[], desc: boolean): Sample[] {
  // `before(a, b)`: a must move in front of b (NaN is passed by everything, as in Go's Less).
  const before = desc
    ? (a: number, b: number): boolean => b !== b || b < a
    : (a: number, b: number): boolean => b !== b || b > a;
  if (vec.length <= 12) {
    for (let i = 1; i < vec.length; i++) {
      for (let j = i; j > 0 && before(vec[j]!.f, vec[j - 1]!.f); j--) {
        const t = vec[j]!;
        vec[j] = vec[j - 1]!;
        vec[j - 1] = t;
      }
    }
    return vec;
  }
  return vec.sort((x, y) => {
    const a = x.f;
    const b = y.f;
    if (a !== a) return b !== b ? 0 : 1;
    if (b !== b) return -1;
    return desc ? (a > b ? -1 : a < b ? 1 : 0) : a < b ? -1 : a > b ? 1 : 0;
  });
}

const funcSort: FunctionCall = (v, _m, _a, enh) => {
  for (const s of v[0] ?? []) if (!s.h) enh.out.push(s);
  return sortByValue(enh.out, false);
};

const funcSortDesc: FunctionCall = (v, _m, _a, enh) => {
  for (const s of v[0] ?? []) if (!s.h) enh.out.push(s);
  return sortByValue(enh.out, true);
};

const utf8 = new TextEncoder();

/** facette/natsort's Compare (as Prometheus uses it): digit runs compare as numbers, on UTF-8 bytes. */
export function natsortLess(as: string, bs: string): boolean {
  const a = utf8.encode(as);
  const b = utf8.encode(bs);
  let pa = 0;
  let pb = 0;
  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  for (;;) {
    if (a.length <= pa) return b.length > pb;
    if (b.length <= pb) return false;
    let av = a[pa]!;
    let bv = b[pb]!;
    if (isDigit(av) && isDigit(bv)) {
      let la = 1;
      let lb = 1;
      while (pa + la < a.length) {
        const x = a[pa + la]!;
        if (av === 0x30) {
          // Leading zeros are skipped.
          pa++;
          av = x;
          continue;
        }
        if (isDigit(x)) la++;
        else break;
      }
      while (pb + lb < b.length) {
        const x = b[pb + lb]!;
        if (bv === 0x30) {
          pb++;
          bv = x;
          continue;
        }
        if (isDigit(x)) lb++;
        else break;
      }
      if (lb > la) return true;
      if (la > lb) return false;
      for (let k = 0; k < la; k++) {
        const ca = a[pa + k]!;
        const cb = b[pb + k]!;
        if (ca !== cb) return ca < cb;
      }
      pa += la;
      pb += lb;
      continue;
    }
    if (av === bv) {
      pa++;
      pb++;
      continue;
    }
    return av < bv;
  }
}

function stringArgs(args: readonly Expr[], from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < args.length; i++) {
    let e: Expr = args[i]!;
    while (e.kind === 'ParenExpr' || e.kind === 'StepInvariantExpr') e = e.expr;
    if (e.kind === 'StringLiteral') out.push(e.val);
  }
  return out;
}

function sortByLabel(v: Vector[], args: readonly Expr[], enh: EvalNodeHelper, desc: boolean): Vector {
  const names = stringArgs(args, 1);
  const sign = desc ? -1 : 1;
  for (const s of v[0] ?? []) enh.out.push(s);
  return enh.out.sort((a, b) => {
    for (const n of names) {
      const x = a.metric.get(n);
      const y = b.metric.get(n);
      if (x === y) continue;
      return natsortLess(x, y) ? -sign : sign;
    }
    return sign * compareLabels(a.metric, b.metric);
  });
}

const funcSortByLabel: FunctionCall = (v, _m, args, enh) => sortByLabel(v, args, enh, false);
const funcSortByLabelDesc: FunctionCall = (v, _m, args, enh) => sortByLabel(v, args, enh, true);

// ---------------------------------------------------------------------------------------------
// absent, labels

/**
 * The labels of absent()/absent_over_time()'s output: those set by an equality matcher of the
 * selector argument (not `__name__`); a name matched more than once, or by another matcher
 * type, is left out. Any other argument gives no labels.
 */
export function createLabelsForAbsentFunction(expr: Expr | undefined): Labels {
  let matchers: readonly Matcher[];
  if (expr?.kind === 'VectorSelector') matchers = expr.matchers;
  else if (expr?.kind === 'MatrixSelector') matchers = expr.vectorSelector.matchers;
  else return Labels.EMPTY;
  const b = new LabelsBuilder();
  const has = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === MatchType.Equal && !has.has(m.name)) {
      b.set(m.name, m.value);
      has.add(m.name);
    } else {
      b.del(m.name);
    }
  }
  return b.labels();
}

const funcAbsent: FunctionCall = (v, _m, args, enh) => {
  if ((v[0]?.length ?? 0) > 0) return enh.out;
  enh.out.push({ metric: createLabelsForAbsentFunction(args[0]), t: enh.ts, f: 1 });
  return enh.out;
};

/**
 * label_replace / label_join per step. Prometheus evaluates them on whole series
 * (evalLabelReplace/evalLabelJoin) — the engine may do the same with compileLabelReplace /
 * compileLabelJoin; per step the result is the same.
 */
function relabelFunc(kind: 'label_replace' | 'label_join'): FunctionCall {
  return (v, _m, args, enh) => {
    let c = enh.cache.get(kind) as { dst: string; relabel: Relabel } | undefined;
    if (!c) {
      c = kind === 'label_replace' ? compileLabelReplace(args) : compileLabelJoin(args);
      enh.cache.set(kind, c);
    }
    for (const s of v[0] ?? []) {
      const metric = c.relabel(s.metric);
      if (metric === undefined) enh.out.push(s);
      else enh.out.push({ ...s, metric, dropName: dropNameAfterRelabel(c.dst, s.dropName) });
    }
    return enh.out;
  };
}

// ---------------------------------------------------------------------------------------------
// The table

type AnyCall = (v: Vector[], m: Matrix, args: readonly Expr[], enh: EvalNodeHelper, annos: Annotations) => Vector;

/** Every PromQL function by name, as Prometheus' FunctionCalls (experimental ones included). */
export const FUNCTION_CALLS: Record<string, FunctionCall> = {
  abs: floatFunc(Math.abs),
  absent: funcAbsent,
  absent_over_time: funcAbsentOverTime,
  acos: floatFunc(Math.acos),
  acosh: floatFunc(Math.acosh),
  asin: floatFunc(Math.asin),
  asinh: floatFunc(Math.asinh),
  atan: floatFunc(Math.atan),
  atanh: floatFunc(Math.atanh),
  avg_over_time: funcAvgOverTime,
  ceil: floatFunc(Math.ceil),
  changes: funcChanges,
  clamp: funcClamp,
  clamp_max: funcClampMax,
  clamp_min: funcClampMin,
  cos: floatFunc(Math.cos),
  cosh: floatFunc(Math.cosh),
  count_over_time: funcCountOverTime,
  days_in_month: dateFunc((c) => (c.month === 2 && isLeap(c.year) ? 29 : MONTH_DAYS[c.month - 1]!)),
  day_of_month: dateFunc((c) => c.day),
  day_of_week: dateFunc((c) => c.weekday),
  day_of_year: dateFunc((c) => c.yearDay),
  deg: floatFunc((x) => (x * 180) / Math.PI),
  delta: funcDelta,
  deriv: funcDeriv,
  double_exponential_smoothing: funcDoubleExponentialSmoothing,
  exp: floatFunc(Math.exp),
  first_over_time: funcFirstOverTime,
  floor: floatFunc(Math.floor),
  histogram_avg: funcHistogramAvg as AnyCall,
  histogram_count: funcHistogramCount as AnyCall,
  histogram_fraction: funcHistogramFraction as AnyCall,
  histogram_quantile: funcHistogramQuantile as AnyCall,
  histogram_quantiles: funcHistogramQuantiles as AnyCall,
  histogram_stddev: funcHistogramStddev as AnyCall,
  histogram_stdvar: funcHistogramStdvar as AnyCall,
  histogram_sum: funcHistogramSum as AnyCall,
  hour: dateFunc((c) => c.hour),
  idelta: funcIdelta,
  increase: funcIncrease,
  irate: funcIrate,
  label_join: relabelFunc('label_join'),
  label_replace: relabelFunc('label_replace'),
  last_over_time: funcLastOverTime,
  ln: floatFunc(Math.log),
  log10: floatFunc(goLog10),
  log2: floatFunc(goLog2),
  mad_over_time: funcMadOverTime,
  max_of: (v, _m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: Math.max(v[0]![0]!.f, v[1]![0]!.f) });
    return enh.out;
  },
  max_over_time: funcMaxOverTime,
  min_of: (v, _m, _a, enh) => {
    enh.out.push({ metric: Labels.EMPTY, t: enh.ts, f: Math.min(v[0]![0]!.f, v[1]![0]!.f) });
    return enh.out;
  },
  min_over_time: funcMinOverTime,
  minute: dateFunc((c) => c.minute),
  month: dateFunc((c) => c.month),
  pi: funcPi,
  predict_linear: funcPredictLinear,
  present_over_time: funcPresentOverTime,
  quantile_over_time: funcQuantileOverTime,
  rad: floatFunc((x) => (x * Math.PI) / 180),
  rate: funcRate,
  resets: funcResets,
  round: funcRound,
  scalar: funcScalar,
  sgn: floatFunc(sgn),
  sin: floatFunc(Math.sin),
  sinh: floatFunc(Math.sinh),
  sort: funcSort,
  sort_by_label: funcSortByLabel,
  sort_by_label_desc: funcSortByLabelDesc,
  sort_desc: funcSortDesc,
  sqrt: floatFunc(Math.sqrt),
  stddev_over_time: funcStddevOverTime,
  stdvar_over_time: funcStdvarOverTime,
  sum_over_time: funcSumOverTime,
  tan: floatFunc(Math.tan),
  tanh: floatFunc(Math.tanh),
  time: funcTime,
  timestamp: funcTimestamp,
  ts_of_first_over_time: funcTsOfFirstOverTime,
  ts_of_last_over_time: funcTsOfLastOverTime,
  ts_of_max_over_time: funcTsOfMaxOverTime,
  ts_of_min_over_time: funcTsOfMinOverTime,
  vector: funcVector,
  year: dateFunc((c) => c.year),
};

/**
 * Functions whose result changes with the evaluation time even when their arguments don't, so
 * the engine must not treat them as step invariant (Prometheus' AtModifierUnsafeFunctions).
 */
export const AT_MODIFIER_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'range', 'start', 'step', 'time', 'timestamp',
]);
