// What the evaluator asks of syntax tree nodes: their value type, position, children, and a
// walk that knows each node's ancestors (Prometheus' parser.Inspect).

import type { Expr, PositionRange, ValueType } from '../parser/ast.ts';

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

/** The name Prometheus' error messages use for a value type (parser.DocumentedType). */
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

/** Position of an expression in the query text (Prometheus' Node.PositionRange()). */
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

/** Child nodes in Prometheus' order (parser.Children). */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'AggregateExpr':
      return e.param ? [e.expr, e.param] : [e.expr];
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
    default:
      return [];
  }
}

/** Visits every node depth-first, with the path of its ancestors (outermost first). */
export function inspect(e: Expr, visit: (node: Expr, path: readonly Expr[]) => void, path: Expr[] = []): void {
  visit(e, path);
  const kids = children(e);
  if (kids.length === 0) return;
  path.push(e);
  for (const k of kids) inspect(k, visit, path);
  path.pop();
}

/** Strips parentheses around an expression. */
export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'ParenExpr') e = e.expr;
  return e;
}
