// /api/v1/parse_query: the syntax tree as the JSON object Prometheus' UI tree view reads
// (web/api/v1/translate_ast.go). Go encodes these maps with sorted keys, so every object here is
// built with sorted keys. Experimental parts Strata's parser does not produce (duration
// expressions, anchored/smoothed selectors, fill modifiers) are written as their empty values.

import type { Matcher } from '../../libs/model/index.ts';
import { formatFloatF } from './json.ts';
import type { Expr, VectorSelector } from './promql.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function sortedKeys(o: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

function matchersJSON(ms: readonly Matcher[]): Json {
  return ms.map((m) => ({ name: m.name, type: m.type, value: m.value }));
}

function selectorFields(vs: VectorSelector): Record<string, Json> {
  return {
    name: vs.name,
    offset: vs.originalOffset,
    offsetExpr: null,
    matchers: matchersJSON(vs.matchers),
    timestamp: vs.timestamp ?? null,
    startOrEnd: vs.startOrEnd ?? null,
    anchored: false,
    smoothed: false,
  };
}

export function translateAST(node: Expr): Json {
  switch (node.kind) {
    case 'AggregateExpr':
      return sortedKeys({
        type: 'aggregation',
        op: node.op,
        expr: translateAST(node.expr),
        param: node.param ? translateAST(node.param) : null,
        grouping: [...node.grouping],
        without: node.without,
      });
    case 'BinaryExpr': {
      const m = node.vectorMatching;
      const matching: Json = m
        ? sortedKeys({
            card: m.card,
            labels: [...m.matchingLabels],
            on: m.on,
            include: [...m.include],
            fillValues: { lhs: null, rhs: null },
          })
        : null;
      return sortedKeys({
        type: 'binaryExpr',
        op: node.op,
        lhs: translateAST(node.lhs),
        rhs: translateAST(node.rhs),
        matching,
        bool: node.returnBool,
      });
    }
    case 'Call':
      return sortedKeys({
        type: 'call',
        func: sortedKeys({
          name: node.func.name,
          argTypes: [...node.func.argTypes],
          variadic: node.func.variadic,
          returnType: node.func.returnType,
        }),
        args: node.args.map(translateAST),
      });
    case 'MatrixSelector':
      return sortedKeys({
        type: 'matrixSelector',
        ...selectorFields(node.vectorSelector),
        range: node.range,
        rangeExpr: null,
      });
    case 'SubqueryExpr':
      return sortedKeys({
        type: 'subquery',
        expr: translateAST(node.expr),
        range: node.range,
        rangeExpr: null,
        offset: node.originalOffset,
        offsetExpr: null,
        step: node.step,
        stepExpr: null,
        timestamp: node.timestamp ?? null,
        startOrEnd: node.startOrEnd ?? null,
      });
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatFloatF(node.val) };
    case 'ParenExpr':
      return { expr: translateAST(node.expr), type: 'parenExpr' };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: node.val };
    case 'UnaryExpr':
      return { expr: translateAST(node.expr), op: node.op, type: 'unaryExpr' };
    case 'VectorSelector':
      return sortedKeys({ type: 'vectorSelector', ...selectorFields(node) });
    case 'StepInvariantExpr':
      // Only the engine inserts these; the tree a user sees has none.
      return translateAST(node.expr);
  }
}
