import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeEngine, FakeEngineError, fakeParser, type FakeEngineKnobs } from './fake_engine_test_util.ts';
import { NATIVE_HISTOGRAMS_UNSUPPORTED, runScript, SkipReason, type FileReport, type RunOptions, type TestEngine } from './runner.ts';

async function run(text: string, opts: { name?: string; knobs?: FakeEngineKnobs } & Partial<RunOptions> = {}): Promise<FileReport & { engine: FakeEngine }> {
  const engine = new FakeEngine(opts.knobs);
  const r = await runScript(opts.name ?? 'x.test', text, {
    engine,
    parser: fakeParser,
    ...(opts.enableExperimental ? { enableExperimental: true } : {}),
    ...(opts.nativeHistograms ? { nativeHistograms: true } : {}),
  });
  return { ...r, engine };
}

function counts(r: FileReport): [number, number, number] {
  return [r.passed, r.failed, r.skipped];
}

const LOAD = `
load 1m
  foo{a="1"} 1 2 3
  foo{a="2"} 10 20 30
  bar 5
`;

describe('runScript', () => {
  it('passes correct instant and range evals', async () => {
    const r = await run(`${LOAD}
eval instant at 2m foo
  foo{a="1"} 3
  foo{a="2"} 30

eval range from 0 to 2m step 1m foo
  foo{a="1"} 1 2 3
  foo{a="2"} 10 20 30

eval range from 0 to 10m step 5m bar
  bar 5 _ _
`);
    assert.deepEqual(r.cases.filter((c) => c.status !== 'passed'), []);
    assert.deepEqual(counts(r), [3, 0, 0]);
  });

  it('fails a wrong value with file line, message and diff', async () => {
    const r = await run(`${LOAD}
eval instant at 2m foo
  foo{a="1"} 4
  foo{a="2"} 30
`);
    assert.deepEqual(counts(r), [0, 1, 0]);
    const c = r.cases[0]!;
    assert.equal(c.line, 7);
    assert.equal(c.expr, 'foo');
    assert.match(c.message!, /expected 4 for \{__name__="foo", a="1"\} but got 3/);
    assert.deepEqual(c.diff, ['- {__name__="foo", a="1"} 4', '+ {__name__="foo", a="1"} 3', '  {__name__="foo", a="2"} 30']);
  });

  it('fails on missing and unexpected series', async () => {
    const missing = await run(`${LOAD}
eval instant at 2m foo
  foo{a="1"} 3
  foo{a="2"} 30
  foo{a="3"} 1
`);
    assert.match(missing.cases[0]!.message!, /expected metric \{__name__="foo", a="3"\} with \[1\] not found/);
    const extra = await run(`${LOAD}
eval instant at 2m foo
  foo{a="1"} 3
`);
    assert.match(extra.cases[0]!.message!, /unexpected metric \{__name__="foo", a="2"\} in result, has value 30/);
    const extraRange = await run(`${LOAD}
eval range from 0 to 2m step 1m foo
  foo{a="1"} 1 2 3
`);
    assert.match(extraRange.cases[0]!.message!, /unexpected metric \{__name__="foo", a="2"\} in result/);
    const fewer = await run(`${LOAD}
eval range from 0 to 2m step 1m foo
  foo{a="1"} 1 2 _
  foo{a="2"} 10 20 30
`);
    assert.match(fewer.cases[0]!.message!, /expected 2 float points and 0 histogram points/);
  });

  it('compares with a relative tolerance and NaN equal to NaN', async () => {
    const r = await run(`
load 1m
  foo{a="1"} 1
  foo{a="2"} NaN
  foo{a="3"} 1e-300

eval instant at 0 foo
  foo{a="1"} 1.0000001
  foo{a="2"} NaN
  foo{a="3"} 1.0000001e-300

eval instant at 0 foo
  foo{a="1"} 1.001
  foo{a="2"} NaN
  foo{a="3"} 1e-300

eval instant at 0 foo
  foo{a="1"} 1
  foo{a="2"} 1
  foo{a="3"} 1e-300
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['passed', 'failed', 'failed']);
    assert.match(r.cases[1]!.message!, /expected 1.001/);
    assert.match(r.cases[2]!.message!, /expected 1 for \{__name__="foo", a="2"\} but got NaN/);
  });

  it('checks order only when asked to', async () => {
    const r = await run(`${LOAD}
eval instant at 2m reverse(foo)
  expect ordered
  foo{a="2"} 30
  foo{a="1"} 3

eval_ordered instant at 2m reverse(foo)
  foo{a="1"} 3
  foo{a="2"} 30

eval instant at 2m reverse(foo)
  foo{a="1"} 3
  foo{a="2"} 30
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['passed', 'failed', 'passed']);
    assert.match(r.cases[1]!.message!, /expected metric \{__name__="foo", a="2"\} with \[30\] at position 2 but was at 1/);
  });

  it('handles expected failures', async () => {
    const r = await run(`${LOAD}
eval instant at 0 fail(foo)
  expect fail msg: boom

eval range from 0 to 1m step 1m fail(foo)
  expect fail regex: bo+m

eval_fail instant at 0 fail(foo)
  expected_fail_message boom

eval instant at 0 fail(foo)
  expect fail msg: other

eval instant at 0 foo
  expect fail

eval instant at 0 fail(foo)
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['passed', 'passed', 'passed', 'failed', 'failed', 'failed']);
    assert.match(r.cases[3]!.message!, /expected error matching "other" evaluating query "fail\(foo\)" \(line 16\), but got: boom/);
    assert.match(r.cases[4]!.message!, /expected error evaluating query "foo" \(line 19\) but got none/);
    assert.match(r.cases[5]!.message!, /error evaluating query "fail\(foo\)" \(line 22\): boom/);
  });

  it('checks annotations as the API renders them', async () => {
    const r = await run(`${LOAD}
eval instant at 0 warn(bar)
  expect warn msg: PromQL warning: something odd (1:6)
  bar 5

eval instant at 0 warn(bar)
  expect no_warn
  bar 5

eval instant at 0 warn(bar)
  bar 5

eval_warn instant at 0 bar
  bar 5

eval instant at 0 info(bar)
  expect info regex: just \\w+
  expect no_warn
  bar 5

eval range from 0 to 1m step 1m info(bar)
  expect info msg: PromQL info: something else (1:6)
  bar 5 5
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['passed', 'failed', 'passed', 'failed', 'passed', 'failed']);
    assert.match(r.cases[1]!.message!, /unexpected warning annotations/);
    assert.match(r.cases[3]!.message!, /expected warnings evaluating query "bar" \(line 18\) but got none/);
    assert.match(r.cases[5]!.message!, /expected info annotation matching message "PromQL info: something else \(1:6\)"/);
  });

  it('re-runs instant queries with @ at other times, and as range queries', async () => {
    const ok = await run(`${LOAD}
eval instant at 2m bar
  bar 5
`);
    assert.deepEqual(counts(ok), [1, 0, 0]);
    assert.deepEqual(ok.engine.queries, [
      'instant 120000 bar',
      'range 60000 180000 60000 bar',
      'instant -1200000 bar @ 120.000',
      'range -1260000 -1140000 60000 bar @ 120.000',
      'instant 0 bar @ 120.000',
      'range -60000 60000 60000 bar @ 120.000',
      'instant 24000 bar @ 120.000',
      'range -36000 84000 60000 bar @ 120.000',
      'instant 120000 bar @ 120.000',
      'range 60000 180000 60000 bar @ 120.000',
      'instant 1200000 bar @ 120.000',
      'range 1140000 1260000 60000 bar @ 120.000',
    ]);
    const atZero = await run(`${LOAD}
eval instant at 0 bar
  bar 5
`);
    assert.deepEqual(atZero.engine.queries.filter((q) => q.startsWith('instant')), [
      'instant 0 bar', 'instant -1000 bar @ 0.000', 'instant 0 bar @ 0.000', 'instant 1000 bar @ 0.000',
    ]);

    const notInvariant = await run(`${LOAD}
eval instant at 2m bar
  bar 5
`, { knobs: { ignoreAt: true } });
    assert.deepEqual(counts(notInvariant), [0, 1, 0]);
    assert.match(notInvariant.cases[0]!.message!, /re-run at t=-1200000ms with @ modifiers/);

    const skewed = await run(`${LOAD}
eval instant at 2m bar
  bar 5
`, { knobs: { rangeSkew: 1 } });
    assert.match(skewed.cases[0]!.message!, /range mode: expected 5 for \{__name__="bar"\} but got 6/);
  });

  it('does not re-run with @ around time-dependent functions, nor in range mode around start()/end()', async () => {
    const r = await run(`
eval instant at 1m time()
  60
`);
    assert.deepEqual(counts(r), [1, 0, 0]);
    assert.deepEqual(r.engine.queries, ['instant 60000 time()', 'range 0 120000 60000 time()']);
  });

  it('checks scalars and strings', async () => {
    const r = await run(`
eval instant at 1m 3
  3

eval instant at 1m 3
  4

eval instant at 1m "Foo"
  expect string "Foo"

eval instant at 1m "Foo"
  expect string "Bar"

eval range from 0 to 1m step 1m 3
  {} 3 3
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['passed', 'failed', 'passed', 'failed', 'passed']);
    assert.match(r.cases[1]!.message!, /expected scalar 4 but got 3/);
    assert.deepEqual(r.cases[1]!.diff, ['- 4', '+ 3']);
    assert.match(r.cases[3]!.message!, /expected string "Bar" but got "Foo"/);
  });

  it('checks range vectors of instant queries', async () => {
    const r = await run(`
load 10s
  m{env="a"} 1+1x5

eval instant at 1m m[1m]
  expect range vector from 10s to 1m step 10s
  m{env="a"} 2 3 4 5 6

eval instant at 1m m[1m]
  expect range vector from 10s to 1m step 10s
  m{env="a"} 2 3 4 5 7
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['passed', 'failed']);
    assert.match(r.cases[1]!.message!, /expected float value at index 4 \(t=50000\) for \{__name__="m", env="a"\} to be 7, but got 6/);
    assert.deepEqual(r.cases[1]!.diff, ['- {__name__="m", env="a"} 2 3 4 5 7', '+ {__name__="m", env="a"} 2 3 4 5 6']);
  });

  it('fails matrices that are not sorted by labels', async () => {
    const r = await run(`${LOAD}
eval range from 0 to 1m step 1m foo
  foo{a="1"} 1 2
  foo{a="2"} 10 20
`, { knobs: { unsorted: true } });
    assert.match(r.cases[0]!.message!, /matrix results should always be sorted by labels/);
  });

  it('skips cases that need native histograms', async () => {
    const r = await run(`
load 1m
  hist {{schema:0 sum:1 count:1 buckets:[1]}}
  mixed 1 {{count:1}}
  plain 1

eval instant at 0 hist
  hist {{schema:0 sum:1 count:1 buckets:[1]}}

eval instant at 1m mixed
  mixed 1

eval instant at 0 plain
  {} {{count:1}}

eval instant at 0 plain
  plain 1

clear

eval instant at 0 hist
`);
    assert.deepEqual(r.cases.map((c) => [c.status, c.reason]), [
      ['skipped', SkipReason.NativeHistograms],
      ['skipped', SkipReason.NativeHistograms],
      ['skipped', SkipReason.NativeHistograms],
      ['passed', undefined],
      ['passed', undefined],
    ]);
  });

  it('loads histograms into the head; nativeHistograms runs their cases', async () => {
    const text = `
load 1m
  hist {{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:3 count:4 buckets:[2 2]}}
  mixed 1 {{count:1}}

eval instant at 1m hist
  hist {{schema:0 sum:3 count:4 buckets:[2 2]}}

eval instant at 1m mixed
  mixed {{count:1}}

eval instant at 0 mixed
  mixed 1

eval instant at 1m hist
  hist {{schema:0 sum:3 count:5 buckets:[2 2]}}
`;
    const skipped = await run(text);
    assert.deepEqual(counts(skipped), [0, 0, 4]);
    const ran = await run(text, { nativeHistograms: true });
    assert.deepEqual(ran.cases.map((c) => c.status), ['passed', 'passed', 'passed', 'failed']);
    assert.match(ran.cases[3]!.message!, /count:5/);
  });

  it('skips a case the engine declares unsupported for native histograms; other errors fail', async () => {
    const engine: TestEngine = {
      instantQuery: (_q, qs) => ({
        exec: async () => {
          throw new FakeEngineError(qs === 'hist' ? NATIVE_HISTOGRAMS_UNSUPPORTED : 'boom');
        },
      }),
      rangeQuery: () => ({ exec: async () => { throw new FakeEngineError('boom'); } }),
    };
    const r = await runScript('x.test', `
load 1m
  hist {{schema:0 sum:1 count:1 buckets:[1]}}

eval instant at 0 hist
  hist {{schema:0 sum:1 count:1 buckets:[1]}}

eval instant at 0 other
`, { engine, parser: fakeParser, nativeHistograms: true });
    assert.deepEqual(r.cases.map((c) => [c.status, c.reason]), [
      ['skipped', SkipReason.NativeHistograms],
      ['failed', undefined],
    ]);
  });

  it('treats load_with_nhcb classic series as floats and their NHCB as native histograms', async () => {
    const text = `
load_with_nhcb 1m
  h_bucket{le="1"} 1
  h_bucket{le="+Inf"} 2
  h_count 2
  h_sum 3
  single_bucket{le="+Inf"} 1

eval instant at 0 h_count
  h_count 2

eval instant at 0 h
  h {{schema:-53 sum:3 count:2 custom_values:[1] buckets:[1 1]}}

eval instant at 0 single
  single {{schema:-53 count:1 buckets:[1]}}
`;
    const r = await run(text);
    assert.deepEqual(r.cases.map((c) => [c.status, c.reason]), [
      ['passed', undefined],
      ['skipped', SkipReason.NativeHistograms],
      ['skipped', SkipReason.NativeHistograms],
    ]);
    const ran = await run(text, { nativeHistograms: true });
    assert.deepEqual(ran.cases.map((c) => c.status), ['passed', 'passed', 'passed'], ran.cases.map((c) => c.message ?? '').join('\n'));
  });

  it('skips experimental files and features unless enabled', async () => {
    const text = `${LOAD}
eval instant at 0 bar
  bar 5
`;
    const skipped = await run(text, { name: 'testdata/info.test' });
    assert.deepEqual(counts(skipped), [0, 0, 1]);
    assert.equal(skipped.cases[0]!.reason, SkipReason.ExperimentalFeature);
    const enabled = await run(text, { name: 'testdata/info.test', enableExperimental: true });
    assert.deepEqual(counts(enabled), [1, 0, 0]);

    const features = `${LOAD}
eval instant at 0 xp(bar)
  bar 5

eval instant at 0 limitk(bar)
  bar 5

eval instant at 0 bar[experimental_syntax]
`;
    // Experimental functions and aggregations always run, as in Prometheus' test engine;
    // experimental syntax is skipped.
    const r = await run(features);
    assert.deepEqual(r.cases.map((c) => [c.status, c.reason]), [['passed', undefined], ['passed', undefined], ['skipped', SkipReason.ExperimentalFeature]]);
    const e = await run(features, { enableExperimental: true });
    // Syntax the parser rejects as experimental stays skipped: nothing could run it.
    assert.deepEqual(e.cases.map((c) => c.status), ['passed', 'passed', 'skipped']);
  });

  it('skips start-timestamp series', async () => {
    const r = await run(`
load 1m
  c@st _ 1m
  c _ 1
  d 1

eval instant at 1m c
  c 1

eval instant at 1m d
  d 1
`, { enableExperimental: true });
    assert.deepEqual(r.cases.map((c) => [c.status, c.reason]), [['skipped', SkipReason.ExperimentalFeature], ['passed', undefined]]);
  });

  it('reports engine crashes even where a failure is expected', async () => {
    const r = await run(`${LOAD}
eval instant at 0 crash(foo)
  expect fail
`);
    assert.equal(r.cases[0]!.status, 'failed');
    assert.match(r.cases[0]!.message!, /^engine crashed: TypeError: cannot read properties of undefined/);
  });

  it('fails queries the parser rejects, unless a failure is expected', async () => {
    const r = await run(`${LOAD}
eval instant at 0 1 +

eval instant at 0 1 +
  expect fail
`);
    assert.deepEqual(r.cases.map((c) => c.status), ['failed', 'passed']);
    assert.match(r.cases[0]!.message!, /error parsing query "1 \+" \(line 7\): 1:1: parse error/);
  });

  it('counts script and load problems as failures and keeps going', async () => {
    const r = await run(`
load 1m
  foo 1 2

load 1m
  foo 0

nonsense

eval instant at 0 foo
  foo 1

eval instant at 1m foo
  foo 2
`);
    assert.deepEqual(r.cases.map((c) => [c.line, c.status]), [[5, 'failed'], [8, 'failed'], [10, 'passed'], [13, 'passed']]);
    assert.match(r.cases[0]!.message!, /error loading data \(line 5\): out of order sample/);
    assert.match(r.cases[1]!.message!, /invalid command "nonsense"/);
    assert.deepEqual(counts(r), [2, 2, 0]);
  });
});
