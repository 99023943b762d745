// Query preparation before evaluation (Prometheus' PreprocessExpr and friends): step-invariant
// wrapping, `@ start()`/`@ end()` resolution, offsets for `@`, and the time range each selector
// reads from storage.

import type { SelectHints } from '../../storage/index.ts';
import type { Call, Expr, NumberLiteral, StepInvariantExpr, SubqueryExpr, VectorSelector } from '../parser/ast.ts';
import { inspect, unwrapParens } from './ast_util.ts';

/**
 * Functions whose result can change with the evaluation time even when their arguments are
 * step invariant (or that use the timestamps of their argument's samples).
 */
export const AT_MODIFIER_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'range', 'start', 'step', 'time', 'timestamp',
]);

function stepInvariant(e: Expr): StepInvariantExpr {
  return { kind: 'StepInvariantExpr', expr: e };
}

/** start(), end(), range() and step() are constants of a query: fold them into numbers. */
function foldQueryContextFunctions(e: Expr, start: number, end: number, step: number): Expr {
  if (e.kind === 'Call') {
    const lit = (val: number): NumberLiteral => ({ kind: 'NumberLiteral', val, posRange: e.posRange });
    switch (e.func.name) {
      case 'start':
        return lit(start / 1000);
      case 'end':
        return lit(end / 1000);
      case 'range':
        return lit((end - start) / 1000);
      case 'step':
        return lit(start !== end ? step / 1000 : 0);
    }
  }
  switch (e.kind) {
    case 'BinaryExpr':
      e.lhs = foldQueryContextFunctions(e.lhs, start, end, step);
      e.rhs = foldQueryContextFunctions(e.rhs, start, end, step);
      break;
    case 'Call':
      for (let i = 0; i < e.args.length; i++) e.args[i] = foldQueryContextFunctions(e.args[i]!, start, end, step);
      break;
    case 'AggregateExpr':
      e.expr = foldQueryContextFunctions(e.expr, start, end, step);
      if (e.param) e.param = foldQueryContextFunctions(e.param, start, end, step);
      break;
    case 'UnaryExpr':
    case 'ParenExpr':
    case 'SubqueryExpr':
      e.expr = foldQueryContextFunctions(e.expr, start, end, step);
      break;
  }
  return e;
}

/**
 * Wraps the largest step-invariant subtrees in StepInvariantExpr, resolves `@ start()` / `@ end()`
 * and strips parentheses around function and aggregation arguments. Mutates and returns `e`.
 */
export function preprocessExpr(e: Expr, start: number, end: number, step: number): Expr {
  e = foldQueryContextFunctions(e, start, end, step);
  const [, wrap] = preprocessHelper(e, start, end);
  return wrap ? stepInvariant(e) : e;
}

function resolveAt(n: VectorSelector | SubqueryExpr, start: number, end: number): void {
  if (n.startOrEnd === 'start') n.timestamp = start;
  else if (n.startOrEnd === 'end') n.timestamp = end;
}

/** Returns [isStepInvariant, shouldWrap]. */
function preprocessHelper(e: Expr, start: number, end: number): [boolean, boolean] {
  switch (e.kind) {
    case 'VectorSelector':
      resolveAt(e, start, end);
      return [e.timestamp !== undefined, e.timestamp !== undefined];
    case 'AggregateExpr':
      e.expr = unwrapParens(e.expr);
      if (e.param) e.param = unwrapParens(e.param);
      return preprocessHelper(e.expr, start, end);
    case 'BinaryExpr': {
      const [invL, wrapL] = preprocessHelper(e.lhs, start, end);
      const [invR, wrapR] = preprocessHelper(e.rhs, start, end);
      if (invL && invR) return [true, true];
      if (wrapL) e.lhs = stepInvariant(e.lhs);
      if (wrapR) e.rhs = stepInvariant(e.rhs);
      return [false, false];
    }
    case 'Call': {
      let invariant = !AT_MODIFIER_UNSAFE_FUNCTIONS.has(e.func.name);
      // timestamp(metric @ t) is step invariant, timestamp(abs(metric @ t)) is not.
      let timestampOfInvariantSelectors = e.func.name === 'timestamp';
      const wrap: boolean[] = [];
      for (let i = 0; i < e.args.length; i++) {
        e.args[i] = unwrapParens(e.args[i]!);
        const [argInv, argWrap] = preprocessHelper(e.args[i]!, start, end);
        wrap.push(argWrap);
        invariant &&= argInv;
        if (!argInv || e.args[i]!.kind !== 'VectorSelector') timestampOfInvariantSelectors = false;
      }
      if (invariant || timestampOfInvariantSelectors) return [true, true];
      for (let i = 0; i < wrap.length; i++) if (wrap[i]) e.args[i] = stepInvariant(e.args[i]!);
      return [false, false];
    }
    case 'MatrixSelector': {
      // Range-vector functions read matrix selectors directly: never wrapped themselves.
      const [inv] = preprocessHelper(e.vectorSelector, start, end);
      return [inv, false];
    }
    case 'SubqueryExpr': {
      // The inside is wrapped whenever it is invariant, so that it is evaluated once relative to
      // the subquery's own start; the subquery itself is never wrapped.
      const [inv] = preprocessHelper(e.expr, start, end);
      if (inv) e.expr = stepInvariant(e.expr);
      resolveAt(e, start, end);
      return [e.timestamp !== undefined, false];
    }
    case 'ParenExpr':
    case 'UnaryExpr':
      return preprocessHelper(e.expr, start, end);
    case 'StringLiteral':
    case 'NumberLiteral':
      return [true, false];
    case 'StepInvariantExpr':
      return [true, false];
  }
}

/**
 * Sum of offsets and ranges of the subqueries on a path; an `@` on a subquery resets the sums
 * (everything below is relative to that time), and the innermost `@` is returned.
 */
export function subqueryTimes(path: readonly Expr[]): { offset: number; range: number; ts: number | undefined } {
  let offset = 0;
  let range = 0;
  let ts: number | undefined;
  for (const n of path) {
    if (n.kind !== 'SubqueryExpr') continue;
    offset += n.originalOffset;
    range += n.range;
    if (n.timestamp !== undefined) {
      offset = n.originalOffset;
      range = n.range;
      ts = n.timestamp;
    }
  }
  return { offset, range, ts };
}

/** Adjusts selector and subquery offsets so that `@ t` evaluated at evalTime reads time t. */
export function setOffsetForAtModifier(evalTime: number, e: Expr): void {
  const offsetFor = (ts: number | undefined, originalOffset: number, path: readonly Expr[]): number => {
    if (ts === undefined) return originalOffset;
    const sq = subqueryTimes(path);
    let subqOffset = sq.offset;
    if (sq.ts !== undefined) subqOffset += evalTime - sq.ts;
    return originalOffset + (evalTime - ts) - subqOffset;
  };
  inspect(e, (n, path) => {
    switch (n.kind) {
      case 'VectorSelector':
        n.offset = offsetFor(n.timestamp, n.originalOffset, path);
        break;
      case 'MatrixSelector':
        n.vectorSelector.offset = offsetFor(n.vectorSelector.timestamp, n.vectorSelector.originalOffset, path);
        break;
      case 'SubqueryExpr':
        n.offset = offsetFor(n.timestamp, n.originalOffset, path);
        break;
    }
  });
}

export interface EvalStatement {
  expr: Expr;
  start: number;
  end: number;
  /** Step in ms; 0 for an instant query. */
  interval: number;
  lookbackDelta: number;
}

function timeRangeForSelector(s: EvalStatement, n: VectorSelector, path: readonly Expr[], evalRange: number): [number, number] {
  let start = s.start;
  let end = s.end;
  const sq = subqueryTimes(path);
  if (sq.ts !== undefined) {
    start = sq.ts;
    end = sq.ts;
  }
  if (n.timestamp !== undefined) {
    start = n.timestamp;
    end = n.timestamp;
  } else {
    start = start - sq.offset - sq.range;
    end -= sq.offset;
  }
  // Instant selection excludes a sample exactly lookbackDelta old; a range excludes its left edge.
  if (evalRange === 0) start -= s.lookbackDelta - 1;
  else start -= evalRange - 1;
  start -= n.originalOffset;
  end -= n.originalOffset;
  return [start, end];
}

/** The earliest and latest time the statement reads (0, 0 when it selects nothing). */
export function findMinMaxTime(s: EvalStatement): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  let evalRange = 0;
  inspect(s.expr, (n, path) => {
    if (n.kind === 'VectorSelector') {
      const [start, end] = timeRangeForSelector(s, n, path, evalRange);
      min = Math.min(min, start);
      max = Math.max(max, end);
      evalRange = 0;
    } else if (n.kind === 'MatrixSelector') {
      evalRange = n.range;
    }
  });
  if (max === -Infinity) return [0, 0];
  return [min, max];
}

/** The step of the innermost subquery on a path (0 when there is none). */
function lastSubqueryInterval(path: readonly Expr[], noStepSubqueryInterval: (rangeMs: number) => number): number {
  let interval = 0;
  for (const n of path) {
    if (n.kind === 'SubqueryExpr') interval = n.step !== 0 ? n.step : noStepSubqueryInterval(n.range);
  }
  return interval;
}

/** The function or aggregation a selector feeds (stopping at binary operators), for select hints. */
function funcOfPath(path: readonly Expr[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i]!;
    if (n.kind === 'AggregateExpr') return n.op;
    if (n.kind === 'Call') return (n as Call).func.name;
    if (n.kind === 'BinaryExpr') return undefined;
  }
  return undefined;
}

/** Every vector selector of the statement with the hints for selecting its series. */
export function selectorsWithHints(
  s: EvalStatement,
  noStepSubqueryInterval: (rangeMs: number) => number,
): { selector: VectorSelector; hints: SelectHints }[] {
  const out: { selector: VectorSelector; hints: SelectHints }[] = [];
  let evalRange = 0;
  inspect(s.expr, (n, path) => {
    if (n.kind === 'VectorSelector') {
      const [start, end] = timeRangeForSelector(s, n, path, evalRange);
      let step = lastSubqueryInterval(path, noStepSubqueryInterval);
      if (step === 0) step = s.interval;
      const hints: SelectHints = { start, end, step };
      const func = funcOfPath(path);
      if (func !== undefined) hints.func = func;
      out.push({ selector: n, hints });
      evalRange = 0;
    } else if (n.kind === 'MatrixSelector') {
      evalRange = n.range;
    }
  });
  return out;
}

/**
 * Selectors whose histograms only feed histogram_count/sum/avg. Prometheus reads those through
 * its HistogramStatsIterator, which infers counter resets between consecutive samples; the
 * engine does the same for them (a subquery or binary operator in between stops it).
 */
export function statsOnlySelectors(e: Expr): Set<VectorSelector> {
  const out = new Set<VectorSelector>();
  inspect(e, (n, path) => {
    if (n.kind !== 'VectorSelector') return;
    for (let i = path.length - 1; i >= 0; i--) {
      const p = path[i]!;
      if (p.kind === 'BinaryExpr' || p.kind === 'SubqueryExpr') return;
      if (p.kind !== 'Call') continue;
      const name = (p as Call).func.name;
      if (name === 'histogram_count' || name === 'histogram_sum' || name === 'histogram_avg') {
        out.add(n);
        return;
      }
      if (name === 'histogram_quantile' || name === 'histogram_fraction') return;
    }
  });
  return out;
}
