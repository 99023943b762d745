// Tree helpers: an expression's value type, position and children, and walks over the tree
// (Prometheus' Expr.Type, Node.PositionRange, parser.Children and parser.Inspect).

import type { Expr, PositionRange, ValueType } from './ast.ts';

/** The value type an expression evaluates to (Prometheus' Expr.Type()). */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'AggregateExpr':
    case 'VectorSelector':
      return 'vector';
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return e.func.returnType;
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return exprType(e.expr);
  }
}

/** The name Prometheus' messages use for a value type (parser.DocumentedType). */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** Position of an expression in the query (Prometheus' Node.PositionRange()). */
export function posRangeOf(e: Expr): PositionRange {
  switch (e.kind) {
    case 'BinaryExpr':
      return { start: posRangeOf(e.lhs).start, end: posRangeOf(e.rhs).end };
    case 'MatrixSelector':
      return { start: e.vectorSelector.posRange.start, end: e.endPos };
    case 'SubqueryExpr':
      return { start: posRangeOf(e.expr).start, end: e.endPos };
    case 'UnaryExpr':
      return { start: e.startPos, end: posRangeOf(e.expr).end };
    case 'StepInvariantExpr':
      return posRangeOf(e.expr);
    default:
      return e.posRange;
  }
}

/** Child expressions in Prometheus' order (parser.Children: an aggregation's expr before its param). */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'AggregateExpr':
      return e.param !== undefined ? [e.expr, e.param] : [e.expr];
    case 'BinaryExpr':
      return [e.lhs, e.rhs];
    case 'Call':
      return e.args;
    case 'MatrixSelector':
      return [e.vectorSelector];
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return [e.expr];
    case 'NumberLiteral':
    case 'StringLiteral':
    case 'VectorSelector':
      return [];
  }
}

/**
 * Visits `expr` and its descendants depth-first (parents before children), passing the ancestors
 * (outermost first). Returning false from `fn` skips the node's children.
 */
export function walkExpr(expr: Expr, fn: (node: Expr, path: readonly Expr[]) => boolean | void): void {
  const path: Expr[] = [];
  const visit = (node: Expr): void => {
    if (fn(node, path) === false) return;
    const kids = children(node);
    if (kids.length === 0) return;
    path.push(node);
    for (const k of kids) visit(k);
    path.pop();
  };
  visit(expr);
}

/** Prometheus' ExtractSelectors: the matchers of every vector selector, in walk order. */
export function extractSelectors(expr: Expr): Expr[] {
  const out: Expr[] = [];
  walkExpr(expr, (n) => {
    if (n.kind === 'VectorSelector') out.push(n);
  });
  return out;
}
