import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Labels } from '../../model/index.ts';
import { exprToString, parseExpr } from '../parser/index.ts';
import { selectsAny, setAtModifier, usesExperimental } from './ast.ts';

function rewrite(q: string, t: number): string | undefined {
  const e = parseExpr(q, { enableExperimentalFunctions: true });
  return setAtModifier(e, t) ? exprToString(e) : undefined;
}

describe('setAtModifier (step-invariance re-runs)', () => {
  it('stamps every selector and outermost subquery without an @ time', () => {
    assert.equal(rewrite('sum(rate(foo[5m])) + bar offset 1m', 60_000), 'sum(rate(foo[5m] @ 60.000)) + bar @ 60.000 offset 1m');
    assert.equal(rewrite('foo @ 10 + bar', 60_000), 'foo @ 10.000 + bar @ 60.000');
    assert.equal(rewrite('max_over_time(rate(foo[1m])[5m:1m])', 60_000), 'max_over_time(rate(foo[1m])[5m:1m] @ 60.000)');
    assert.equal(rewrite('max_over_time(foo[5m:] @ 30)', 60_000), 'max_over_time(foo[5m:] @ 30.000)');
  });

  it('replaces @ start() and @ end() with the evaluation time', () => {
    assert.equal(rewrite('foo @ start()', 60_000), 'foo @ 60.000');
  });

  it('does not apply to time-dependent functions outside subqueries', () => {
    assert.equal(rewrite('time() - foo', 60_000), undefined);
    assert.equal(rewrite('timestamp(foo)', 60_000), undefined);
    assert.equal(rewrite('max_over_time(timestamp(foo)[5m:1m])', 60_000), 'max_over_time(timestamp(foo)[5m:1m] @ 60.000)');
  });
});

describe('query analysis', () => {
  it('does not count experimental functions as experimental syntax (the test engine enables them)', () => {
    assert.ok(!usesExperimental(parseExpr('sort_by_label(foo, "a")', { enableExperimentalFunctions: true })));
    assert.ok(!usesExperimental(parseExpr('limitk(1, foo)', { enableExperimentalFunctions: true })));
    assert.ok(!usesExperimental(parseExpr('topk(1, rate(foo[5m]))')));
  });

  it('counts node kinds outside the core AST as experimental syntax', () => {
    const dur = { kind: 'DurationExpr' } as unknown as ReturnType<typeof parseExpr>;
    assert.ok(usesExperimental({ kind: 'ParenExpr', expr: dur, posRange: { start: 0, end: 1 } }));
  });

  it('tells whether a query selects given series', () => {
    const h = [Labels.fromStrings('__name__', 'hist', 'job', 'a')];
    assert.ok(selectsAny(parseExpr('sum(rate(hist[5m]))'), h));
    assert.ok(selectsAny(parseExpr('{__name__=~"hi.*", job!="b"}'), h));
    assert.ok(!selectsAny(parseExpr('hist{job="b"} + other'), h));
    assert.ok(!selectsAny(parseExpr('hist'), []));
  });
});
