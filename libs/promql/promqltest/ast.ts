// What the runner needs to know about a query's syntax tree: the selectors it reads, whether it
// uses experimental functions, and the step-invariance rewrite (an `@` on every selector).

import type { Labels } from '../../model/index.ts';
import type { Expr, SubqueryExpr, VectorSelector } from '../parser/index.ts';

type Node = Expr;

/** Children of a node: every property holding a node (anything with a `kind`) or a list of nodes. */
function children(n: Node): Node[] {
  const out: Node[] = [];
  for (const v of Object.values(n) as unknown[]) {
    if (isNode(v)) out.push(v);
    else if (Array.isArray(v)) for (const x of v as unknown[]) if (isNode(x)) out.push(x);
  }
  return out;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

/** Depth-first, parents before children. Returning false skips a node's children. */
export function walk(n: Node, fn: (node: Node) => boolean | void): void {
  if (fn(n) === false) return;
  for (const c of children(n)) walk(c, fn);
}

export function vectorSelectors(expr: Expr): VectorSelector[] {
  const out: VectorSelector[] = [];
  walk(expr, (n) => {
    if (n.kind === 'VectorSelector') out.push(n);
  });
  return out;
}

/** True when some selector of the query selects a series with these labels. */
export function selectsAny(expr: Expr, series: readonly Labels[]): boolean {
  if (series.length === 0) return false;
  return vectorSelectors(expr).some((vs) => series.some((l) => vs.matchers.every((m) => m.matches(l.get(m.name)))));
}

/**
 * Experimental syntax: node kinds our AST does not know (e.g. duration expressions). Experimental
 * functions and aggregations are not counted: Prometheus' test engine always enables them.
 */
export function usesExperimental(expr: Expr): boolean {
  let found = false;
  walk(expr, (n) => {
    if (!KNOWN_KINDS.has(n.kind)) found = true;
  });
  return found;
}

const KNOWN_KINDS = new Set<string>([
  'AggregateExpr', 'BinaryExpr', 'Call', 'MatrixSelector', 'SubqueryExpr', 'NumberLiteral', 'StringLiteral', 'ParenExpr',
  'UnaryExpr', 'VectorSelector', 'StepInvariantExpr',
] satisfies Expr['kind'][]);

/** Functions whose result depends on the evaluation time even with step-invariant arguments. */
const AT_MODIFIER_UNSAFE_FUNCTIONS = new Set([
  'days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'end', 'hour', 'minute', 'month', 'year',
  'predict_linear', 'range', 'start', 'step', 'time', 'timestamp',
]);

/**
 * Prometheus' step-invariance check: sets `@ t` on every selector and outermost subquery that
 * has no `@ <time>` yet (an `@ start()`/`@ end()` is replaced, as Prometheus' printer does).
 * Mutates `expr`. Returns false when the query calls an at-modifier-unsafe function outside
 * subqueries, in which case the check does not apply.
 */
export function setAtModifier(expr: Expr, t: number): boolean {
  let safe = true;
  walk(expr, (n) => {
    switch (n.kind) {
      case 'VectorSelector':
        stamp(n, t);
        break;
      case 'MatrixSelector':
        stamp(n.vectorSelector, t);
        break;
      case 'SubqueryExpr':
        stamp(n, t);
        // Below a subquery with `@`, nothing changes (and nothing is checked).
        return false;
      case 'Call':
        if (AT_MODIFIER_UNSAFE_FUNCTIONS.has(n.func.name)) safe = false;
        break;
    }
    return true;
  });
  return safe;
}

function stamp(n: VectorSelector | SubqueryExpr, t: number): void {
  if (n.timestamp !== undefined) return;
  n.timestamp = t;
  delete n.startOrEnd;
}

/** Query text that depends on the query's own range (start(), end(), range(), step()). */
export const QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;
