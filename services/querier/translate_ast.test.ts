import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Matcher, MatchType } from '../../libs/model/index.ts';
import { jsonValue } from './json.ts';
import type { Expr } from './promql.ts';
import { translateAST } from './translate_ast.ts';

const pos = { start: 0, end: 0 };

function selector(name: string, extra: Partial<Extract<Expr, { kind: 'VectorSelector' }>> = {}): Extract<Expr, { kind: 'VectorSelector' }> {
  return {
    kind: 'VectorSelector',
    name,
    matchers: [new Matcher(MatchType.Equal, 'a', 'b<'), new Matcher(MatchType.Equal, '__name__', name)],
    originalOffset: 0,
    offset: 0,
    posRange: pos,
    ...extra,
  };
}

describe('translateAST', () => {
  it('writes selectors with sorted keys and the UI\'s fields', () => {
    const vs = selector('foo', { originalOffset: 60_000, offset: 60_000, timestamp: 1500 });
    assert.equal(
      jsonValue(translateAST(vs)),
      '{"anchored":false,"matchers":[{"name":"a","type":"=","value":"b\\u003c"},{"name":"__name__","type":"=","value":"foo"}],' +
        '"name":"foo","offset":60000,"offsetExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":1500,"type":"vectorSelector"}',
    );
    const ms: Expr = { kind: 'MatrixSelector', vectorSelector: selector('foo', { startOrEnd: 'end' }), range: 300_000, endPos: 0 };
    assert.equal(
      jsonValue(translateAST(ms)),
      '{"anchored":false,"matchers":[{"name":"a","type":"=","value":"b\\u003c"},{"name":"__name__","type":"=","value":"foo"}],' +
        '"name":"foo","offset":0,"offsetExpr":null,"range":300000,"rangeExpr":null,"smoothed":false,"startOrEnd":"end","timestamp":null,"type":"matrixSelector"}',
    );
  });

  it('writes calls, aggregations, binary expressions, subqueries and literals', () => {
    const rate: Expr = {
      kind: 'Call',
      func: { name: 'rate', argTypes: ['matrix'], variadic: 0, returnType: 'vector' },
      args: [{ kind: 'MatrixSelector', vectorSelector: { ...selector('x'), matchers: [] }, range: 60_000, endPos: 0 }],
      posRange: pos,
    };
    const agg: Expr = { kind: 'AggregateExpr', op: 'topk', expr: rate, param: { kind: 'NumberLiteral', val: 3, posRange: pos }, grouping: ['job'], without: false, posRange: pos };
    const bin: Expr = {
      kind: 'BinaryExpr',
      op: '>',
      lhs: agg,
      rhs: { kind: 'UnaryExpr', op: '-', expr: { kind: 'ParenExpr', expr: { kind: 'NumberLiteral', val: 1e21, posRange: pos }, posRange: pos }, startPos: 0 },
      returnBool: true,
    };
    const x = '{"anchored":false,"matchers":[],"name":"x","offset":0,"offsetExpr":null,"range":60000,"rangeExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}';
    assert.equal(
      jsonValue(translateAST(bin)),
      '{"bool":true,"lhs":{"expr":{"args":[' + x + '],"func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},' +
        '"grouping":["job"],"op":"topk","param":{"type":"numberLiteral","val":"3"},"type":"aggregation","without":false},' +
        '"matching":null,"op":"\\u003e",' +
        '"rhs":{"expr":{"expr":{"type":"numberLiteral","val":"1000000000000000000000"},"type":"parenExpr"},"op":"-","type":"unaryExpr"},"type":"binaryExpr"}',
    );

    const matched: Expr = {
      kind: 'BinaryExpr',
      op: 'and',
      lhs: selector('a'),
      rhs: selector('b'),
      vectorMatching: { card: 'many-to-many', matchingLabels: ['x'], on: true, include: [] },
      returnBool: false,
    };
    assert.match(
      jsonValue(translateAST(matched)),
      /"matching":\{"card":"many-to-many","fillValues":\{"lhs":null,"rhs":null\},"include":\[\],"labels":\["x"\],"on":true\},"op":"and"/,
    );

    const sq: Expr = { kind: 'SubqueryExpr', expr: { kind: 'StringLiteral', val: 'a', posRange: pos }, range: 600_000, originalOffset: 0, offset: 0, step: 0, endPos: 0, startOrEnd: 'start' };
    assert.equal(
      jsonValue(translateAST(sq)),
      '{"expr":{"type":"stringLiteral","val":"a"},"offset":0,"offsetExpr":null,"range":600000,"rangeExpr":null,"startOrEnd":"start","step":0,"stepExpr":null,"timestamp":null,"type":"subquery"}',
    );
    const agg2: Expr = { kind: 'AggregateExpr', op: 'sum', expr: selector('a'), grouping: [], without: true, posRange: pos };
    assert.match(jsonValue(translateAST(agg2)), /"grouping":\[\],"op":"sum","param":null,"type":"aggregation","without":true\}$/);
  });
});
