import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promqlTestDataDir } from './testdata.ts';
import { expectMatches, parseDuration, parseScript, type ClearCmd, type EvalCmd, type LoadCmd } from './script.ts';

function only<T>(text: string): T {
  const s = parseScript(text);
  assert.deepEqual(s.errors, []);
  assert.equal(s.commands.length, 1);
  return s.commands[0] as T;
}

describe('parseDuration', () => {
  it('reads Prometheus durations and plain seconds', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('20s500ms'), 20_500);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1y'), 365 * 86_400_000);
    assert.equal(parseDuration('100'), 100_000);
    assert.equal(parseDuration('1.5'), 1_500);
    for (const bad of ['', '1x', 'm', '1m1h', '-1m', '1.5m']) assert.equal(parseDuration(bad), undefined, bad);
  });
});

describe('parseScript', () => {
  it('parses load, load_with_nhcb and clear', () => {
    const s = parseScript(`
# comment
load 5m
  foo{a="1"} 1+1x2
  bar _ 2

load_with_nhcb 1m
  h_bucket{le="1"} 1

clear
`);
    assert.deepEqual(s.errors, []);
    const [l1, l2, c] = s.commands as [LoadCmd, LoadCmd, ClearCmd];
    assert.equal(l1.kind, 'load');
    assert.equal(l1.line, 3);
    assert.equal(l1.interval, 300_000);
    assert.equal(l1.withNHCB, false);
    assert.deepEqual(l1.series.map((x) => x.labels.toString()), ['{__name__="foo", a="1"}', '{__name__="bar"}']);
    assert.equal(l1.series[0]!.values.length, 3);
    assert.equal(l2.withNHCB, true);
    assert.equal(c.kind, 'clear');
    assert.equal(c.line, 10);
  });

  it('lets a later definition of a series replace an earlier one', () => {
    const l = only<LoadCmd>('load 1m\n  foo 1 2\n  foo 3\n');
    assert.equal(l.series.length, 1);
    assert.equal(l.series[0]!.values[0]!.value, 3);
  });

  it('parses @st lines as start-timestamp series', () => {
    const l = only<LoadCmd>('load 1m\n  foo@st _ -1mx2\n  foo _ 1 2 3\n  bar 1\n');
    assert.equal(l.error, undefined);
    assert.deepEqual(l.series.map((x) => x.hasStartTimestamps), [true, false]);
    assert.match(only<LoadCmd>('load 1m\n  foo@st _ -1mx2\n  foo 1\n').error!, /@st line has 4 values but sample line has 1/);
    assert.match(only<LoadCmd>('load 1m\n  foo@st 1m\n  bar 1\n').error!, /does not match/);
  });

  it('parses instant evals with expected series', () => {
    const e = only<EvalCmd>('eval instant at 1m30s sum by (a) (foo)\n  {a="1"} 3\n  {a="2"} 4\n');
    assert.equal(e.kind, 'eval');
    assert.equal(e.isRange, false);
    assert.equal(e.expr, 'sum by (a) (foo)');
    assert.equal(e.evalTime, 90_000);
    assert.equal(e.line, 1);
    assert.deepEqual([...e.expected.keys()], ['{a="1"}', '{a="2"}']);
    assert.deepEqual([...e.expected.values()].map((x) => x.pos), [1, 2]);
    assert.equal(e.expectScalar, false);
  });

  it('parses range evals', () => {
    const e = only<EvalCmd>('eval range from 0 to 10m step 5m rate(foo[5m])\n  {} 1 2 _\n');
    assert.equal(e.isRange, true);
    assert.deepEqual([e.start, e.end, e.step], [0, 600_000, 300_000]);
    assert.equal(e.expr, 'rate(foo[5m])');
    assert.equal(only<EvalCmd>('eval range from 10m to 0 step 5m foo').error?.includes('end timestamp (0) is before start timestamp (10m)'), true);
  });

  it('parses scalar expectations and ends the block there', () => {
    const s = parseScript('eval instant at 0 1 + 1\n  2\n');
    const e = s.commands[0] as EvalCmd;
    assert.equal(e.expectScalar, true);
    assert.equal(e.expected.get('')!.values[0]!.value, 2);
    assert.ok(Number.isNaN((only<EvalCmd>('eval instant at 0 NaN\n  NaN\n')).expected.get('')!.values[0]!.value));
  });

  it('parses every expect form', () => {
    const e = only<EvalCmd>(`eval instant at 1m foo
  expect ordered
  expect warn msg: PromQL warning: something (1:1)
  expect warn regex: something (went|gone) wrong
  expect no_info
  foo 1`);
    assert.equal(e.expects.ordered.length, 1);
    assert.equal(e.expects.warn.length, 2);
    assert.equal(e.expects.warn[0]!.message, 'PromQL warning: something (1:1)');
    assert.ok(expectMatches(e.expects.warn[1]!, 'PromQL warning: something gone wrong (1:5)'));
    assert.ok(!expectMatches(e.expects.warn[1]!, 'PromQL warning: something fine'));
    assert.equal(e.expects.no_info.length, 1);
    // Expect lines do not advance positions.
    assert.equal(e.expected.get('{__name__="foo"}')!.pos, 1);

    const f = only<EvalCmd>('eval instant at 1m foo\n  expect fail msg:vector cannot contain metrics with the same labelset\n');
    assert.equal(f.expects.fail[0]!.message, 'vector cannot contain metrics with the same labelset');
    const g = only<EvalCmd>('eval instant at 1m foo\n  expect fail\n');
    assert.ok(expectMatches(g.expects.fail[0]!, 'anything'));
    assert.ok(expectMatches(only<EvalCmd>('eval instant at 1m foo\n  expect info\n').expects.info[0]!, ''));
  });

  it('rejects conflicting or malformed expect lines', () => {
    assert.match(only<EvalCmd>('eval instant at 1m foo\n  expect warn\n  expect no_warn\n').error!, /warn and no_warn cannot be used together/);
    assert.match(only<EvalCmd>('eval instant at 1m foo\n  expect info\n  expect no_info\n').error!, /info and no_info/);
    assert.match(only<EvalCmd>('eval instant at 1m foo\n  expect fail\n  expect fail\n').error!, /multiple expect fail/);
    assert.match(only<EvalCmd>('eval instant at 1m foo\n  expect bogus\n').error!, /invalid expect statement/);
    assert.match(only<EvalCmd>('eval instant at 1m foo\n  expect warn regex: (unclosed\n').error!, /invalid regex/);
  });

  it('parses the older eval_* spellings and expected_fail_*', () => {
    const s = parseScript(`eval_fail instant at 0 foo
  expected_fail_message vector cannot contain metrics with the same labelset

eval_fail range from 0 to 1m step 1m foo
  expected_fail_regexp (vector|matrix) cannot

eval_warn instant at 0 foo

eval_info range from 0 to 1m step 1m foo

eval_ordered instant at 0 foo
  foo 1
`);
    assert.deepEqual(s.errors, []);
    const [a, b, c, d, e] = s.commands as EvalCmd[];
    assert.equal(a!.fail, true);
    assert.equal(a!.expectedFailMessage, 'vector cannot contain metrics with the same labelset');
    assert.equal(b!.fail, true);
    assert.ok(b!.expectedFailRegexp!.test('error: matrix cannot be'));
    assert.equal(c!.warn, true);
    assert.equal(d!.info, true);
    assert.equal(d!.isRange, true);
    assert.equal(e!.ordered, true);
  });

  it('parses expect range vector and expect string', () => {
    const e = only<EvalCmd>('eval instant at 1m foo[1m]\n  expect range vector from 10s to 1m step 10s\n  foo 1 2 3 4 5 6\n');
    assert.equal(e.error, undefined);
    assert.deepEqual([e.start, e.end, e.step, e.evalTime], [10_000, 60_000, 10_000, 60_000]);
    assert.equal(e.expectRangeVector, true);
    assert.equal(e.excludeFromRangeQuery, true);
    const s = only<EvalCmd>('eval instant at 50m "Foo"\n  expect string " Foo "\n');
    assert.equal(s.expectedString, ' Foo ');
    assert.equal(only<EvalCmd>('eval instant at 50m "Foo"\n  expect string `a"b`\n').expectedString, 'a"b');
    assert.match(only<EvalCmd>('eval instant at 50m "Foo"\n  expect string Foo\n').error!, /correctly quoted/);
    assert.match(only<EvalCmd>('eval instant at 50m "Foo"\n  expect string\n').error!, /quoted string literal is required/);
  });

  it('refuses several values for an instant query without expect range vector', () => {
    assert.match(only<EvalCmd>('eval instant at 1m foo\n  foo 1 2\n').error!, /expecting multiple values in instant evaluation not allowed/);
  });

  it('turns a bad block into one error and continues', () => {
    const s = parseScript(`bogus command
  more

eval instant at xyz foo
  foo 1

load 1m
  foo 1+
  bar 1

eval instant at 0 foo
  foo 1
`);
    assert.deepEqual(s.errors, [{ line: 1, message: 'invalid command "bogus command"' }]);
    const [bad, load, good] = s.commands as [EvalCmd, LoadCmd, EvalCmd];
    assert.match(bad.error!, /invalid timestamp definition "xyz"/);
    assert.match(load.error!, /^line 8:/);
    assert.equal(good.error, undefined);
    assert.equal(good.line, 11);
  });

  it('parses every shared test file without errors', async () => {
    const { readdirSync, readFileSync, existsSync } = await import('node:fs');
    const dir = pathToFileURL(promqlTestDataDir() + '/');
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.test'))) {
      const s = parseScript(readFileSync(new URL(f, dir), 'utf8'));
      assert.deepEqual(s.errors, [], f);
      for (const c of s.commands) if (c.kind !== 'clear') assert.equal(c.error, undefined, `${f}:${c.line}`);
      assert.ok(s.commands.some((c) => c.kind === 'eval'), f);
    }
  });
});
