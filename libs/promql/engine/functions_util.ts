// Helpers shared by the PromQL functions: argument positions, metric name handling, Go's
// number formatting (%g, %f) and strconv.ParseFloat for annotation texts and `le` labels.

import { Labels, METRIC_NAME } from '../../model/index.ts';
import type { Expr, PositionRange } from '../parser/ast.ts';
import { PromQLError } from './errors.ts';
import type { EvalNodeHelper } from './value.ts';

/** An error that ends the query, like a panic in Prometheus' evaluator (an `execution` error). */
export class FunctionError extends PromQLError {
  constructor(message: string) {
    super('execution', message);
    this.name = 'FunctionError';
  }
}

/** An expression's position range, as Prometheus' Expr.PositionRange(). */
export function positionRange(e: Expr): PositionRange {
  switch (e.kind) {
    case 'AggregateExpr':
    case 'Call':
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'ParenExpr':
    case 'VectorSelector':
      return e.posRange;
    case 'MatrixSelector':
      return { start: e.vectorSelector.posRange.start, end: e.endPos };
    case 'SubqueryExpr':
      return { start: positionRange(e.expr).start, end: e.endPos };
    case 'UnaryExpr':
      return { start: e.startPos, end: positionRange(e.expr).end };
    case 'BinaryExpr':
      return mergeRanges(positionRange(e.lhs), positionRange(e.rhs));
    case 'StepInvariantExpr':
      return positionRange(e.expr);
  }
}

function mergeRanges(a: PositionRange, b: PositionRange): PositionRange {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Position of argument i (Prometheus: args[i].PositionRange()); undefined when there is none. */
export function argPos(args: readonly Expr[], i: number): PositionRange | undefined {
  const a = args[i];
  return a ? positionRange(a) : undefined;
}

/**
 * Position of a range-vector argument. Prometheus evaluates a subquery argument into a
 * synthesized matrix selector without a position, so annotations about it point at 1:1.
 */
export function matrixArgPos(args: readonly Expr[], i: number): PositionRange | undefined {
  const a = args[i];
  if (!a) return undefined;
  return a.kind === 'SubqueryExpr' ? { start: 0, end: 0 } : positionRange(a);
}

/** Position of all arguments together (Prometheus' Expressions.PositionRange()), subqueries as above. */
export function argsPos(args: readonly Expr[]): PositionRange | undefined {
  if (args.length === 0) return undefined;
  const first = matrixArgPos(args, 0)!;
  const last = matrixArgPos(args, args.length - 1)!;
  return mergeRanges(first, last);
}

export function metricName(m: Labels): string {
  return m.get(METRIC_NAME);
}

/** Prometheus' DropReserved(schema.IsMetadataLabel): without `__name__`, `__type__`, `__unit__`. */
export function dropMetadataLabels(m: Labels): Labels {
  return m.without(METRIC_NAME, '__type__', '__unit__');
}

/** The metric of a function's output sample: the name goes now unless the engine delays it. */
export function outputMetric(enh: EvalNodeHelper, m: Labels): Labels {
  return enh.enableDelayedNameRemoval ? m : dropMetadataLabels(m);
}

/** Go's Duration.Seconds() for a duration in ms (whole seconds plus the fraction, as Go sums them). */
export function durationSeconds(ms: number): number {
  const sec = Math.trunc(ms / 1000);
  const rest = ms - sec * 1000;
  return sec + (rest * 1e6) / 1e9;
}

// ---------------------------------------------------------------------------------------------
// Go formatting

/** Go's `%g` (prec < 0: shortest round-trip digits) and `%.<prec>g`. */
export function formatG(f: number, prec = -1): string {
  if (f !== f) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  let neg = '';
  if (f < 0) {
    neg = '-';
    f = -f;
  }
  let digits: string;
  let exp: number;
  if (prec < 0) {
    const s = f.toExponential();
    const e = s.indexOf('e');
    digits = s.slice(0, e).replace('.', '');
    exp = Number(s.slice(e + 1));
  } else {
    if (prec === 0) prec = 1;
    [digits, exp] = roundDigitsHalfEven(f, prec);
    digits = digits.replace(/0+$/, '') || '0';
  }
  // strconv's 'g': exponent form when exp < -4 || exp >= eprec, eprec being 6 for the shortest
  // form and otherwise the precision (or the digit count when that is smaller and covers the integer part).
  const nd = digits.length;
  let eprec = prec < 0 ? 6 : prec;
  if (prec >= 0 && eprec > nd && nd >= exp + 1) eprec = nd;
  if (exp < -4 || exp >= eprec) {
    const m = nd > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    return `${neg}${m}e${exp < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (exp < 0) return `${neg}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${neg}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${neg}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * The first `prec` significant decimal digits of f > 0, rounded half to even on the exact
 * binary value (as Go's strconv; JavaScript's toPrecision rounds exact ties up), and the
 * decimal exponent of the first digit.
 */
function roundDigitsHalfEven(f: number, prec: number): [string, number] {
  const exact = f.toExponential(99); // enough digits to see an exact tie
  const e = exact.indexOf('e');
  const all = exact.slice(0, e).replace('.', '');
  let exp = Number(exact.slice(e + 1));
  const head = all.slice(0, prec);
  const tail = all.slice(prec);
  let roundUp: boolean;
  if (tail[0]! > '5') roundUp = true;
  else if (tail[0]! < '5') roundUp = false;
  else if (/[1-9]/.test(tail.slice(1))) roundUp = true;
  else roundUp = (Number(head[head.length - 1]) & 1) === 1;
  if (!roundUp) return [head, exp];
  const d = head.split('').map(Number);
  let i = d.length - 1;
  while (i >= 0) {
    if (d[i]! < 9) {
      d[i]!++;
      break;
    }
    d[i] = 0;
    i--;
  }
  if (i < 0) {
    d.unshift(1);
    d.pop();
    exp++;
  }
  return [d.join(''), exp];
}

/** Go's `%f` (6 decimals), as in Prometheus' panic messages. */
export function formatF(f: number): string {
  if (f !== f) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  return f.toFixed(6);
}

/** time.Unix(ms/1000, 0).UTC().Format(time.RFC3339). */
export function formatRFC3339(ms: number): string {
  const s = Math.trunc(ms / 1000);
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// Go's strconv.ParseFloat(s, 64)

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]((?:[0-9a-fA-F]_?)*[0-9a-fA-F]?\.?(?:[0-9a-fA-F]_?)*)[pP]([+-]?\d+)$/;

/**
 * strconv.ParseFloat(s, 64): decimal and hexadecimal (`0x1p-2`) forms, `inf`/`infinity`/`nan`
 * in any case. Returns undefined where Go returns an error (syntax, or overflow to ±Inf).
 */
export function parseGoFloat(s: string): number | undefined {
  if (DECIMAL.test(s)) {
    const v = Number(s);
    return v === Infinity || v === -Infinity ? undefined : v;
  }
  const lower = s.toLowerCase();
  const unsigned = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return lower[0] === '-' ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  const m = HEX.exec(s);
  if (m) {
    const mant = m[2]!.replace(/_/g, '');
    if (!/[0-9a-fA-F]/.test(mant)) return undefined;
    const dot = mant.indexOf('.');
    const intPart = dot < 0 ? mant : mant.slice(0, dot);
    const frac = dot < 0 ? '' : mant.slice(dot + 1);
    let v = 0;
    for (const ch of intPart + frac) v = v * 16 + parseInt(ch, 16);
    const exp = Number(m[3]) - 4 * frac.length;
    const r = v * 2 ** exp;
    if (r === Infinity) return undefined;
    return m[1] === '-' ? -r : r;
  }
  return undefined;
}
