// Tree helpers: an expression's value type, position and children, and walks over the tree
// (Prometheus' Expr.Type, Node.PositionRange, parser.Children and parser.Inspect).

import type { Expr, PositionRange, ValueType } from './ast.ts';

/** The value type an expression evaluates to (Prometheus' Expr.Type()). */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'AggregateExpr':
    case 'VectorSelector':
      return 'vector';
    case 'BinaryExpr': {
      // Left-deep operator chains can be thousands of levels deep: walk them without recursion.
      const chain: Expr[] = [];
      let inner: Expr = e;
      while (inner.kind === 'BinaryExpr') {
        chain.push(inner.rhs);
        inner = inner.lhs;
      }
      let t = exprType(inner);
      for (let i = chain.length - 1; i >= 0; i--) {
        t = t === 'scalar' && exprType(chain[i]!) === 'scalar' ? 'scalar' : 'vector';
      }
      return t;
    }
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
  return { start: startOf(e), end: endOf(e) };
}

function startOf(e: Expr): number {
  for (;;) {
    switch (e.kind) {
      case 'BinaryExpr':
        e = e.lhs;
        continue;
      case 'MatrixSelector':
        return e.vectorSelector.posRange.start;
      case 'SubqueryExpr':
      case 'StepInvariantExpr':
        e = e.expr;
        continue;
      case 'UnaryExpr':
        return e.startPos;
      default:
        return e.posRange.start;
    }
  }
}

function endOf(e: Expr): number {
  for (;;) {
    switch (e.kind) {
      case 'BinaryExpr':
        e = e.rhs;
        continue;
      case 'MatrixSelector':
      case 'SubqueryExpr':
        return e.endPos;
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        e = e.expr;
        continue;
      default:
        return e.posRange.end;
    }
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
