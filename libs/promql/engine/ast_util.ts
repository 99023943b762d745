// What the evaluator asks of syntax tree nodes: their value type, position, children, and a
// walk that knows each node's ancestors (Prometheus' parser.Inspect).

import type { Expr } from '../parser/ast.ts';
import { children } from '../parser/index.ts';

// Types, positions and children of nodes are the parser's (one definition, iterative over deep
// operator chains); the evaluator's own walks follow.
export { children, documentedType, exprType, posRangeOf } from '../parser/index.ts';

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
