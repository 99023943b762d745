// Unit tests of the PromQL functions, called directly as the engine calls them. Expected values
// come from Prometheus' promqltest scripts (functions.test, histograms.test) and functions_test.go.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Labels, Matcher, MatchType } from '../../model/index.ts';
import type { Expr, MatrixSelector, NumberLiteral, StringLiteral, VectorSelector } from '../parser/ast.ts';
import { Annotations, renderAnnotation } from './annotations.ts';
import { FUNCTION_CALLS, FunctionError, civilFromUnix, createLabelsForAbsentFunction, natsortLess } from './functions.ts';
import { compileCapturingRegex, expandTemplate } from './functions_label.ts';
import { bucketQuantile, bucketFraction, quantile } from './quantile.ts';
import type { EvalNodeHelper, FPoint, Matrix, Sample, Vector } from './value.ts';

const MIN = 60_000;

function enhAt(ts: number, delayed = false): EvalNodeHelper {
  return { ts, out: [], cache: new Map(), enableDelayedNameRemoval: delayed };
}

function vs(name: string, matchers: [string, string][] = [], start = 0, offset = 0): VectorSelector {
  const ms = [new Matcher(MatchType.Equal, '__name__', name), ...matchers.map(([n, v]) => new Matcher(MatchType.Equal, n, v))];
  return { kind: 'VectorSelector', name, matchers: ms, originalOffset: offset, offset, posRange: { start, end: start + name.length } };
}

function msel(name: string, range: number, offset = 0, start = 0): MatrixSelector {
  return { kind: 'MatrixSelector', vectorSelector: vs(name, [], start, offset), range, endPos: start + name.length + 5 };
}

function num(v: number, start = 0): NumberLiteral {
  return { kind: 'NumberLiteral', val: v, posRange: { start, end: start + 1 } };
}

function str(v: string): StringLiteral {
  return { kind: 'StringLiteral', val: v, posRange: { start: 0, end: v.length + 2 } };
}

/** "0+10x10" style series, one point per `step` ms from t=0. */
function series(desc: string, step: number): FPoint[] {
  const out: FPoint[] = [];
  let t = 0;
  for (const part of desc.trim().split(/\s+/)) {
    const m = /^(-?[\d.]+)([+-][\d.]+)x(\d+)$/.exec(part);
    if (m) {
      const start = Number(m[1]);
      const inc = Number(m[2]);
      for (let i = 0; i <= Number(m[3]); i++) {
        out.push({ t, f: start + inc * i });
        t += step;
      }
    } else {
      out.push({ t, f: Number(part) });
      t += step;
    }
  }
  return out;
}

/** The points of a range selector at ts: (ts - offset - range, ts - offset]. */
function windowAt(points: FPoint[], ts: number, range: number, offset = 0): FPoint[] {
  const end = ts - offset;
  return points.filter((p) => p.t > end - range && p.t <= end);
}

function callRange(fn: string, points: FPoint[], arg: MatrixSelector, ts: number, extra: Vector[] = [], extraArgs: Expr[] = []): { v: number | undefined; annos: Annotations } {
  const annos = new Annotations();
  const win = windowAt(points, ts, arg.range, arg.vectorSelector.offset);
  const m: Matrix = win.length ? [{ metric: Labels.fromStrings('__name__', arg.vectorSelector.name), floats: win }] : [];
  const args = fn === 'quantile_over_time' ? [...extraArgs, arg] : [arg, ...extraArgs];
  const out = m.length ? FUNCTION_CALLS[fn]!(extra, m, args, enhAt(ts), annos) : [];
  return { v: out[0]?.f, annos };
}

function scalarVec(f: number): Vector {
  return [{ metric: Labels.EMPTY, t: 0, f }];
}

function sample(labels: Record<string, string>, f: number, t = 0): Sample {
  return { metric: Labels.fromRecord(labels), t, f };
}

function close(actual: number | undefined, expected: number, eps = 1e-9): void {
  assert.ok(actual !== undefined, `expected ${expected}, got nothing`);
  if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `expected NaN, got ${actual}`);
  if (!Number.isFinite(expected)) return assert.equal(actual, expected);
  assert.ok(Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `expected ${expected}, got ${actual}`);
}

describe('rate, increase, delta', () => {
  const step5m = 5 * MIN;
  it('extrapolates increase as Prometheus (functions.test)', () => {
    const at = 50 * MIN;
    close(callRange('increase', series('0+10x10', step5m), msel('http_requests_total', 50 * MIN), at).v, 100);
    close(callRange('increase', series('0+18x5 0+18x5', step5m), msel('http_requests_total', 50 * MIN), at).v, 160);
    close(callRange('increase', series('10+10x10', step5m), msel('http_requests_total', 50 * MIN), at).v, 100);
    close(callRange('increase', series('0+18x5 0+18x5', step5m), msel('http_requests_total', 100 * MIN), at).v, 162);
    close(callRange('increase', series('10+10x10', step5m), msel('http_requests_total', 100 * MIN), at).v, 105);
    close(callRange('increase', series('1+10x10', step5m), msel('http_requests_total', 100 * MIN), at).v, 101);
  });

  it('handles counter resets', () => {
    close(callRange('increase', series('0 1 2 3 2 3 4', step5m), msel('x_total', 30 * MIN), 30 * MIN).v, 7);
    close(callRange('rate', series('0+27x4 0+27x5', step5m), msel('x_total', 50 * MIN), 50 * MIN).v, 0.08);
    assert.equal(callRange('rate', series('0+10x9 0 10', step5m), msel('x_total', 5 * MIN), 50 * MIN).v, undefined);
    close(callRange('rate', series('0+10x9 0 10', step5m), msel('x_total', 6 * MIN), 50 * MIN).v, 0);
  });

  it('computes per-second rates with offsets', () => {
    close(callRange('rate', series('0+80x10', step5m), msel('x_total', 50 * MIN), 50 * MIN).v, 0.26666666666666666, 1e-15);
    assert.equal(callRange('rate', series('0+10x10', step5m), msel('x_total', 10 * MIN, 5 * MIN), 50 * MIN).v, 0.03333333333333333);
    assert.equal(callRange('rate', series('0+20x10', step5m), msel('x_total', 10 * MIN, 5 * MIN), 50 * MIN).v, 0.06666666666666667);
  });

  it('cuts extrapolation at the zero point of a counter', () => {
    const expect10m = [0.5, 0.55, 0.6, 0.6, 0.6, 0.6];
    for (let i = 0; i < 6; i++) {
      const pts = series(`${i * 60}+240x10`, 4 * MIN);
      close(callRange('rate', pts, msel('x_total', 20 * MIN), 10 * MIN).v, expect10m[i]!);
      close(callRange('rate', pts, msel('x_total', 20 * MIN), 50 * MIN).v, 0.6);
    }
  });

  it('delta does not treat decreases as resets', () => {
    // 0+10x10 then drops: delta over the last 10m window of 90 100 -> 10, extrapolated.
    close(callRange('delta', series('0 10 20 5', step5m), msel('g', 20 * MIN), 15 * MIN).v, 5 * (20 / 15));
  });

  it('warns about mixed floats and histograms at the argument position', () => {
    const annos = new Annotations();
    const arg = msel('m', 10 * MIN, 0, 5);
    const m: Matrix = [{ metric: Labels.fromStrings('__name__', 'm'), floats: [{ t: MIN, f: 1 }], histograms: [{ t: 2 * MIN, h: hist(1) }] }];
    const out = FUNCTION_CALLS.rate!([], m, [arg], enhAt(5 * MIN), annos);
    assert.equal(out.length, 0);
    assert.deepEqual(annos.all().map((a) => renderAnnotation(a, 'rate(     m[10m])')), ['PromQL warning: encountered a mix of histograms and floats for metric name "m" (1:6)']);
    // A subquery argument has no position in Prometheus (a synthesized selector): 1:1.
    const sq: Expr = { kind: 'SubqueryExpr', expr: vs('m', [], 5), range: 10 * MIN, originalOffset: 0, offset: 0, step: MIN, endPos: 14 };
    const annos2 = new Annotations();
    FUNCTION_CALLS.rate!([], m, [sq], enhAt(5 * MIN), annos2);
    assert.deepEqual(annos2.all().map((a) => a.pos), [{ start: 0, end: 0 }]);
  });
});

function hist(count: number): NonNullable<Sample['h']> {
  return { counterResetHint: 'unknown', schema: 0, zeroThreshold: 0, zeroCount: 0, count, sum: count, positiveSpans: [], negativeSpans: [], positiveBuckets: [], negativeBuckets: [] };
}

describe('irate, idelta, resets, changes', () => {
  const step5m = 5 * MIN;
  it('irate uses the last two samples, and the last value after a reset', () => {
    close(callRange('irate', series('0+10x10', step5m), msel('x', 50 * MIN), 50 * MIN).v, 0.03333333333333333);
    close(callRange('irate', series('0+10x5 0+10x5', step5m), msel('x', 50 * MIN), 30 * MIN).v, 0);
    close(callRange('idelta', series('0 10 20 5', step5m), msel('x', 20 * MIN), 15 * MIN).v, -15);
  });

  it('counts resets and changes (functions.test)', () => {
    const foo = series('1 2 3 0 1 0 0 1 2 0', step5m);
    const bar = series('1 2 3 4 5 1 2 3 4 5', step5m);
    const at = 50 * MIN;
    // resets() within [50m] at 50m sees samples 5m..45m.
    close(callRange('resets', foo, msel('x', 50 * MIN), at).v, 3);
    close(callRange('resets', bar, msel('x', 32 * MIN), at).v, 1);
    close(callRange('changes', foo, msel('x', 50 * MIN), at).v, 7);
    close(callRange('changes', bar, msel('x', 50 * MIN), at).v, 8);
    close(callRange('changes', series('0 NaN 0', step5m), msel('x', 20 * MIN), 15 * MIN).v, 2);
    close(callRange('changes', series('NaN NaN NaN', step5m), msel('x', 20 * MIN), 15 * MIN).v, 0);
  });
});

describe('deriv, predict_linear', () => {
  it('matches functions.test', () => {
    const pts = series('0+27x4 0+27x5', 5 * MIN);
    close(callRange('deriv', pts, msel('x', 15 * MIN), 50 * MIN).v, 0.09);
    close(callRange('deriv', pts, msel('x', 30 * MIN), 50 * MIN).v, 0.09);
    const rm = series('0+10x10', 5 * MIN);
    close(callRange('predict_linear', rm, msel('x', 50 * MIN), 50 * MIN, [scalarVec(3600)], [num(3600)]).v, 220);
    close(callRange('predict_linear', rm, msel('x', 50 * MIN), 50 * MIN, [scalarVec(0)], [num(0)]).v, 100);
  });

  it('gives slope 0 for a constant series and NaN for an infinite one', () => {
    close(callRange('deriv', series('5 5 5', MIN), msel('x', 5 * MIN), 2 * MIN).v, 0);
    close(callRange('deriv', series('Inf Inf Inf', MIN), msel('x', 5 * MIN), 2 * MIN).v, NaN);
  });
});

describe('*_over_time', () => {
  const data = series('0 1 2 3 4 5 6 7 8 9 10', 10_000);
  const at = 100_000;
  const r = msel('data', 110_000);
  it('aggregates the window', () => {
    close(callRange('avg_over_time', data, r, at).v, 5);
    close(callRange('sum_over_time', data, r, at).v, 55);
    close(callRange('count_over_time', data, r, at).v, 11);
    close(callRange('min_over_time', data, r, at).v, 0);
    close(callRange('max_over_time', data, r, at).v, 10);
    close(callRange('last_over_time', data, r, at).v, 10);
    close(callRange('first_over_time', data, r, at).v, 0);
    close(callRange('present_over_time', data, r, at).v, 1);
    close(callRange('stdvar_over_time', data, r, at).v, 10);
    close(callRange('stddev_over_time', data, r, at).v, Math.sqrt(10));
    close(callRange('mad_over_time', data, r, at).v, 3);
    close(callRange('ts_of_max_over_time', data, r, at).v, 100);
    close(callRange('ts_of_min_over_time', data, r, at).v, 0);
  });

  it('quantile_over_time interpolates and warns on bad quantiles', () => {
    const d = series('0 1 2 3 4 5 6 7 8 9 10', 10_000);
    close(callRange('quantile_over_time', d, r, at, [scalarVec(0.5)], [num(0.5)]).v, 5);
    close(callRange('quantile_over_time', d, r, at, [scalarVec(0.95)], [num(0.95)]).v, 9.5);
    const res = callRange('quantile_over_time', d, r, at, [scalarVec(-1)], [num(-1, 19)]);
    assert.equal(res.v, -Infinity);
    assert.deepEqual(res.annos.all().map((a) => a.message), ['quantile value should be between 0 and 1, got -1']);
    assert.deepEqual(res.annos.all()[0]!.pos, { start: 19, end: 20 });
  });

  it('avg_over_time switches to an incremental mean instead of overflowing', () => {
    const big = [{ t: 1, f: 1.7e308 }, { t: 2, f: 1.7e308 }, { t: 3, f: 1.7e308 }];
    close(callRange('avg_over_time', big, msel('x', 10), 5).v, 1.7e308, 1e-15);
    const mixed = [{ t: 1, f: 1e100 }, { t: 2, f: 1 }, { t: 3, f: -1e100 }];
    close(callRange('sum_over_time', mixed, msel('x', 10), 5).v, 1);
  });

  it('max/min_over_time skip a leading NaN', () => {
    const d = [{ t: 1, f: NaN }, { t: 2, f: 3 }, { t: 3, f: 1 }];
    close(callRange('max_over_time', d, msel('x', 10), 5).v, 3);
    close(callRange('min_over_time', d, msel('x', 10), 5).v, 1);
  });

  it('double_exponential_smoothing validates its factors', () => {
    const d = series('0+10x10', MIN);
    close(callRange('double_exponential_smoothing', d, msel('x', 11 * MIN), 10 * MIN, [scalarVec(0.5), scalarVec(0.5)], [num(0.5), num(0.5)]).v, 100);
    assert.throws(
      () => callRange('double_exponential_smoothing', d, msel('x', 11 * MIN), 10 * MIN, [scalarVec(1), scalarVec(0.5)], [num(1), num(0.5)]),
      (e: unknown) => e instanceof FunctionError && e.message === 'invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000' && e.type === 'execution',
    );
  });
});

describe('instant-vector math', () => {
  const call = (fn: string, vec: Vector, extra: Vector[] = [], args: Expr[] = [], delayed = false): Vector =>
    FUNCTION_CALLS[fn]!([vec, ...extra], [], [vs('x'), ...args], enhAt(0, delayed), new Annotations());
  const v = [sample({ __name__: 'x', a: '1' }, 1.5), sample({ __name__: 'x', a: '2' }, -2.5)];

  it('drops the metric name unless removal is delayed', () => {
    assert.equal(call('abs', v)[0]!.metric.toString(), '{a="1"}');
    const d = call('abs', v, [], [], true);
    assert.equal(d[0]!.metric.toString(), '{__name__="x", a="1"}');
    assert.equal(d[0]!.dropName, true);
  });

  it('round follows Go: floor(v*inv+0.5)/inv', () => {
    assert.deepEqual(call('round', v).map((s) => s.f), [2, -2]);
    assert.deepEqual(call('round', [sample({}, 5.5)], [scalarVec(2)], [num(2)]).map((s) => s.f), [6]);
    assert.deepEqual(call('round', [sample({}, 0.1234)], [scalarVec(0.01)], [num(0.01)]).map((s) => s.f), [0.12]);
  });

  it('round is idempotent and lands on a multiple (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 100 }), (x, n) => {
        const r1 = call('round', [sample({}, x)], [scalarVec(n)], [num(n)])[0]!.f;
        const r2 = call('round', [sample({}, r1)], [scalarVec(n)], [num(n)])[0]!.f;
        return r1 === r2 && Math.abs(r1 - x) <= n / 2 + 1e-6 * Math.abs(x);
      }),
    );
  });

  it('clamp bounds values and is empty when max < min (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), fc.double({ noNaN: true }), (x, a, b) => {
        const out = call('clamp', [sample({}, x)], [scalarVec(a), scalarVec(b)]);
        if (b < a) return out.length === 0;
        return out.length === 1 && out[0]!.f >= a && out[0]!.f <= b && (x < a || x > b || out[0]!.f === x);
      }),
    );
    assert.deepEqual(call('clamp_min', v, [scalarVec(0)]).map((s) => s.f), [1.5, 0]);
    assert.deepEqual(call('clamp_max', v, [scalarVec(0)]).map((s) => s.f), [0, -2.5]);
  });

  it('sgn, deg, rad, log functions', () => {
    assert.deepEqual(call('sgn', [sample({}, -3), sample({ a: 'b' }, 0), sample({ a: 'c' }, 7)]).map((s) => s.f), [-1, 0, 1]);
    assert.equal(call('deg', [sample({}, Math.PI)])[0]!.f, 180);
    assert.equal(call('rad', [sample({}, 180)])[0]!.f, Math.PI);
    assert.equal(call('log2', [sample({}, 8)])[0]!.f, 3);
    assert.equal(call('log2', [sample({}, 0.125)])[0]!.f, -3);
    close(call('log10', [sample({}, 1000)])[0]!.f, 3, 1e-15);
    assert.ok(Number.isNaN(call('ln', [sample({}, -1)])[0]!.f));
  });

  it('scalar, vector, time, timestamp', () => {
    assert.equal(call('scalar', [sample({}, 3)])[0]!.f, 3);
    assert.ok(Number.isNaN(call('scalar', v)[0]!.f));
    assert.ok(Number.isNaN(call('scalar', [])[0]!.f));
    assert.equal(FUNCTION_CALLS.vector!([scalarVec(4)], [], [num(4)], enhAt(0), new Annotations())[0]!.metric.isEmpty(), true);
    assert.equal(FUNCTION_CALLS.time!([], [], [], enhAt(90_500), new Annotations())[0]!.f, 90.5);
    assert.deepEqual(call('timestamp', [sample({ __name__: 'x' }, 1, 10_000)]).map((s) => [s.metric.toString(), s.f]), [['{}', 10]]);
  });

  it('date functions (functions.test)', () => {
    const at = (fn: string, secs: number): number => call(fn, [sample({}, secs)])[0]!.f;
    assert.equal(at('year', 1136239445), 2006);
    assert.equal(at('month', 1136239445), 1);
    assert.equal(at('day_of_month', 1136239445), 2);
    assert.equal(at('day_of_year', 1136239445), 2);
    assert.equal(at('day_of_week', 1136239445), 1);
    assert.equal(at('hour', 1136239445), 22);
    assert.equal(at('minute', 1136239445), 4);
    assert.equal(at('year', 1230767999), 2008);
    assert.equal(at('year', 1230768000), 2009);
    assert.equal(at('month', 1456790399) + at('day_of_month', 1456790399) / 100, 2.29);
    assert.equal(at('month', 1456790400) + at('day_of_month', 1456790400) / 100, 3.01);
    assert.equal(at('day_of_year', 1483191420), 366);
    assert.equal(at('day_of_year', 1672493820), 365);
    assert.equal(at('days_in_month', 1454284800), 29);
    assert.equal(at('days_in_month', 1485907200), 28);
    assert.equal(at('year', -1), 1969);
    const noArg = FUNCTION_CALLS.year!([], [], [], enhAt(0), new Annotations());
    assert.deepEqual(noArg.map((s) => s.f), [1970]);
  });

  it("Go's wrapping calendar arithmetic agrees with the direct one where both apply (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (secs) => {
        assert.deepEqual(civilFromUnix(BigInt(secs)), civilFromUnix(secs));
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(civilFromUnix(0n), civilFromUnix(0));
    assert.equal(civilFromUnix(0n).weekday, 4);
  });

  it('date functions agree with Date for any second (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8e12, max: 8e12 }), (secs) => {
        const d = new Date(secs * 1000);
        const at = (fn: string): number => call(fn, [sample({}, secs)])[0]!.f;
        const jan1 = Date.UTC(d.getUTCFullYear(), 0, 1);
        const startOfDay = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
        return (
          at('year') === d.getUTCFullYear() &&
          at('month') === d.getUTCMonth() + 1 &&
          at('day_of_month') === d.getUTCDate() &&
          at('day_of_week') === d.getUTCDay() &&
          at('hour') === d.getUTCHours() &&
          at('minute') === d.getUTCMinutes() &&
          at('day_of_year') === Math.round((startOfDay - jan1) / 86_400_000) + 1 &&
          at('days_in_month') === new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
        );
      }),
    );
  });
});

describe('sort', () => {
  const run = (fn: string, vals: number[]): number[] =>
    FUNCTION_CALLS[fn]!([vals.map((f, i) => sample({ i: String(i) }, f))], [], [vs('x')], enhAt(0), new Annotations()).map((s) => s.f);

  it('puts NaN last', () => {
    assert.deepEqual(run('sort', [3, NaN, 1, 2]).slice(0, 3), [1, 2, 3]);
    assert.ok(Number.isNaN(run('sort', [3, NaN, 1, 2])[3]!));
    assert.deepEqual(run('sort_desc', [3, NaN, 1, 2]).slice(0, 3), [3, 2, 1]);
    assert.ok(Number.isNaN(run('sort_desc', [3, NaN, 1, 2])[3]!));
  });

  it('is ordered and a permutation (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 40 }), (vals) => {
        const asc = run('sort', vals);
        const desc = run('sort_desc', vals);
        const same = (a: number[]): boolean => [...a].sort((x, y) => x - y).every((x, i) => Object.is(x, [...vals].sort((p, q) => p - q)[i]) || x === [...vals].sort((p, q) => p - q)[i]);
        for (let i = 1; i < asc.length; i++) if (!(asc[i - 1]! <= asc[i]!)) return false;
        for (let i = 1; i < desc.length; i++) if (!(desc[i - 1]! >= desc[i]!)) return false;
        return asc.length === vals.length && same(asc) && same(desc);
      }),
    );
  });

  it('sort_by_label uses natural order', () => {
    assert.equal(natsortLess('a2', 'a10'), true);
    assert.equal(natsortLess('a10', 'a2'), false);
    assert.equal(natsortLess('abc', 'abd'), true);
    assert.equal(natsortLess('a', 'a'), false);
    const vec = ['10.0.0.2:9100', '10.0.0.10:9100', '10.0.0.1:9100'].map((inst) => sample({ instance: inst }, 1));
    const out = FUNCTION_CALLS.sort_by_label!([vec], [], [vs('x'), str('instance')], enhAt(0), new Annotations());
    assert.deepEqual(out.map((s) => s.metric.get('instance')), ['10.0.0.1:9100', '10.0.0.2:9100', '10.0.0.10:9100']);
    const desc = FUNCTION_CALLS.sort_by_label_desc!([vec], [], [vs('x'), str('instance')], enhAt(0), new Annotations());
    assert.deepEqual(desc.map((s) => s.metric.get('instance')), ['10.0.0.10:9100', '10.0.0.2:9100', '10.0.0.1:9100']);
  });
});

describe('absent', () => {
  it('takes labels from equality matchers only', () => {
    const sel: VectorSelector = {
      ...vs('nonexistent'),
      matchers: [
        new Matcher(MatchType.Equal, '__name__', 'nonexistent'),
        new Matcher(MatchType.Equal, 'job', 'a'),
        new Matcher(MatchType.Equal, 'job', 'b'),
        new Matcher(MatchType.Equal, 'foo', 'bar'),
        new Matcher(MatchType.Regexp, 'x', 'y'),
      ],
    };
    assert.equal(createLabelsForAbsentFunction(sel).toString(), '{foo="bar"}');
    const out = FUNCTION_CALLS.absent!([[]], [], [sel], enhAt(0), new Annotations());
    assert.deepEqual(out.map((s) => [s.metric.toString(), s.f]), [['{foo="bar"}', 1]]);
    assert.equal(FUNCTION_CALLS.absent!([[sample({}, 1)]], [], [sel], enhAt(0), new Annotations()).length, 0);
  });
});

describe('label_replace, label_join', () => {
  const vec = [sample({ __name__: 'testmetric', src: 'source-value-10', dst: 'original-destination-value' }, 0)];
  const replace = (dst: string, repl: string, src: string, re: string): Vector =>
    FUNCTION_CALLS.label_replace!([vec], [], [vs('testmetric'), str(dst), str(repl), str(src), str(re)], enhAt(0), new Annotations());

  it('replaces with capture groups (functions.test)', () => {
    assert.equal(replace('dst', 'destination-value-$1', 'src', 'source-value-(.*)')[0]!.metric.get('dst'), 'destination-value-10');
    assert.equal(replace('dst', 'destination-value-$1', 'src', 'value-(.*)')[0]!.metric.get('dst'), 'original-destination-value');
    assert.equal(replace('dst', 'destination-value-$1', 'src', '.*value-(.*)')[0]!.metric.get('dst'), 'destination-value-10');
    assert.equal(replace('dst', 'value-$2', 'src', '(.*)-value-(.*)')[0]!.metric.get('dst'), 'value-10');
    assert.equal(replace('dst', 'value-${name}', 'src', '(?P<name>.*)-value-(.*)')[0]!.metric.get('dst'), 'value-source');
    assert.equal(replace('dst', 'value-$1x', 'src', '(.*)')[0]!.metric.get('dst'), 'value-');
    assert.equal(replace('dst', '', 'dst', '.*')[0]!.metric.has('dst'), false);
    assert.equal(replace('dst', '$$1', 'src', '(.*)')[0]!.metric.get('dst'), '$1');
  });

  it('rejects an invalid regex with Prometheus message', () => {
    assert.throws(() => replace('dst', 'x', 'src', '(.*'), /^FunctionError: invalid regular expression in label_replace\(\): \(\.\*$/);
  });

  it('keeps group numbering with classes, escapes and non-capturing groups', () => {
    const rx = compileCapturingRegex('(?i:a)([)(]+)\\((?P<n>b|c)\\)[[:alpha:]]((?:x)(y))');
    const m = rx.re.exec('A)((c)zxy')!;
    assert.ok(m);
    assert.equal(m[1], ')(');
    assert.equal(m[2], 'c');
    assert.equal(m[3], 'xy');
    assert.equal(m[4], 'y');
    assert.deepEqual(rx.names, ['', '', 'n', '', '']);
    assert.equal(expandTemplate('${n}-$n-${4}', m, rx.names), 'c-c-y');
    // A pattern that contains the first marker code point still works.
    const rx2 = compileCapturingRegex('\u{f0000}(a)');
    assert.equal(rx2.re.exec('\u{f0000}a')![1], 'a');
  });

  it('label_join joins in order, missing labels as empty', () => {
    const src = [sample({ __name__: 't', src: 'a', src1: 'b', src2: 'c' }, 0)];
    const out = FUNCTION_CALLS.label_join!([src], [], [vs('t'), str('dst'), str('-'), str('src'), str('src3'), str('src1')], enhAt(0), new Annotations());
    assert.equal(out[0]!.metric.get('dst'), 'a--b');
  });
});

describe('histogram_quantile, histogram_fraction (classic)', () => {
  // histograms.test: testhistogram_bucket at 50m (0+Nx10 → 10N).
  const pos = [
    ['0.1', 50],
    ['.2', 70],
    ['1e0', 110],
    ['+Inf', 120],
  ] as const;
  const neg = [
    ['-.2', 10],
    ['-0.1', 20],
    ['0.3', 20],
    ['+Inf', 30],
  ] as const;
  const vec: Vector = [
    ...pos.map(([le, f]) => sample({ __name__: 'testhistogram_bucket', le, start: 'positive' }, f)),
    ...neg.map(([le, f]) => sample({ __name__: 'testhistogram_bucket', le, start: 'negative' }, f)),
  ];
  const hq = (q: number, delayed = false, input = vec): { out: Vector; annos: Annotations } => {
    const annos = new Annotations();
    const out = FUNCTION_CALLS.histogram_quantile!([scalarVec(q), input], [], [num(q), vs('testhistogram_bucket', [], 20)], enhAt(50 * MIN, delayed), annos);
    return { out, annos };
  };
  const byStart = (out: Vector): Record<string, number> => Object.fromEntries(out.map((s) => [s.metric.get('start'), s.f]));

  it('matches histograms.test', () => {
    assert.deepEqual(byStart(hq(0).out), { positive: 0, negative: -0.2 });
    const q25 = byStart(hq(0.25).out);
    close(q25.positive, 0.06);
    close(q25.negative, -0.2);
    const q5 = byStart(hq(0.5).out);
    close(q5.positive, 0.15);
    close(q5.negative, -0.15);
    const q8 = byStart(hq(0.8).out);
    close(q8.positive, 0.72);
    close(q8.negative, 0.3);
    assert.deepEqual(byStart(hq(1).out), { positive: 1, negative: 0.3 });
    assert.equal(hq(0.5).out[0]!.metric.toString(), '{start="positive"}');
  });

  it('warns on invalid quantiles at the quantile argument', () => {
    const { out, annos } = hq(-0.1);
    assert.deepEqual(byStart(out), { positive: -Infinity, negative: -Infinity });
    assert.deepEqual(annos.all().map((a) => [a.level, a.message, a.pos]), [['warning', 'quantile value should be between 0 and 1, got -0.1', { start: 0, end: 1 }]]);
    assert.ok(Number.isNaN(hq(NaN).out[0]!.f));
  });

  it('warns about malformed le labels', () => {
    const bad = [sample({ __name__: 'series', le: 'Hello World' }, 1)];
    const { out, annos } = hq(0.5, true, bad);
    assert.equal(out.length, 0);
    assert.deepEqual(
      annos.all().map((a) => renderAnnotation(a, 'histogram_quantile(0.8, series)')),
      ['PromQL warning: bucket label "le" is missing or has a malformed value of "Hello World" for metric name "series" (1:21)'],
    );
  });

  it('fixes non-monotonic buckets and says so', () => {
    const nm = [
      ['0.1', 20], ['1', 10], ['10', 50], ['100', 40], ['1000', 90], ['+Inf', 80],
    ].map(([le, f]) => sample({ __name__: 'nonmonotonic_bucket', le: String(le) }, Number(f)));
    const r1 = hq(0.01, false, nm);
    close(r1.out[0]!.f, 0.0045);
    assert.equal(r1.annos.all()[0]!.level, 'info');
    assert.match(r1.annos.all()[0]!.message, /^input to histogram_quantile needed to be fixed for monotonicity \(see https:\/\/prometheus.io\/docs\/prometheus\/latest\/querying\/functions\/#histogram_quantile\), from buckets 1 to \+Inf, with a max diff of 10, over 1 samples from 1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z$/);
    // Prometheus merges them into one annotation per metric name across the query.
    const annos = new Annotations();
    const out = FUNCTION_CALLS.histogram_quantiles!(
      [nm, [], scalarVec(0.01), scalarVec(0.5), scalarVec(0.99)],
      [],
      [vs('nonmonotonic_bucket', [], 20), str('q'), num(0.01), num(0.5), num(0.99)],
      enhAt(50 * MIN, true),
      annos,
    );
    assert.deepEqual(out.map((s) => s.metric.toString()), ['{__name__="nonmonotonic_bucket", q="0.01"}', '{__name__="nonmonotonic_bucket", q="0.5"}', '{__name__="nonmonotonic_bucket", q="0.99"}']);
    assert.deepEqual(
      annos.all().map((a) => renderAnnotation(a, 'histogram_quantiles(nonmonotonic_bucket, "q", 0.01, 0.5, 0.99)')),
      [
        'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "nonmonotonic_bucket", from buckets 1 to +Inf, with a max diff of 10, over 3 samples from 1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z (1:21)',
      ],
    );
    close(hq(0.5, false, nm).out[0]!.f, 8.5);
    close(hq(0.99, false, nm).out[0]!.f, 979.75);
  });

  it('bucketQuantile edge cases', () => {
    assert.ok(Number.isNaN(bucketQuantile(0.5, [{ upperBound: 1, count: 1 }]).quantile)); // no +Inf
    assert.ok(Number.isNaN(bucketQuantile(0.5, [{ upperBound: Infinity, count: 1 }]).quantile)); // one bucket
    assert.ok(Number.isNaN(bucketQuantile(0.5, [{ upperBound: 1, count: 0 }, { upperBound: Infinity, count: 0 }]).quantile));
    assert.equal(bucketQuantile(0.9, [{ upperBound: 1, count: 1 }, { upperBound: Infinity, count: 10 }]).quantile, 1);
    assert.equal(bucketQuantile(0.05, [{ upperBound: -1, count: 1 }, { upperBound: Infinity, count: 10 }]).quantile, -1);
    // Same upper bound written twice is merged.
    assert.equal(bucketQuantile(0.5, [{ upperBound: 1, count: 1 }, { upperBound: 1, count: 1 }, { upperBound: 2, count: 4 }, { upperBound: Infinity, count: 4 }]).quantile, 1);
  });

  it('histogram_fraction', () => {
    const b = (): { upperBound: number; count: number }[] => pos.map(([le, f]) => ({ upperBound: Number(le === '+Inf' ? Infinity : le), count: f }));
    close(bucketFraction(0, 0.2, b()), 70 / 120);
    close(bucketFraction(0, 0.15, b()), (50 + 10) / 120);
    close(bucketFraction(-Infinity, Infinity, b()), 1);
    assert.equal(bucketFraction(1, 0.5, b()), 0);
    const out = FUNCTION_CALLS.histogram_fraction!([scalarVec(0), scalarVec(0.2), vec], [], [num(0), num(0.2), vs('testhistogram_bucket')], enhAt(0), new Annotations());
    close(byStart(out).positive, 70 / 120);
  });

  it('quantile over values', () => {
    assert.equal(quantile(0.5, [3, 1, 2]), 2);
    assert.equal(quantile(0.25, [1, 2, 3, 4, 5]), 2);
    assert.ok(Number.isNaN(quantile(0.5, [])));
    assert.equal(quantile(2, [1]), Infinity);
    // NaNs sort first, as in Prometheus.
    assert.ok(Number.isNaN(quantile(0, new Float64Array([1, NaN, 0]))));
    assert.equal(quantile(1, new Float64Array([NaN, 2, 1])), 2);
    assert.equal(quantile(0.5, new Float64Array([3, NaN, 1, NaN, 2])), 1);
  });
});

describe('capturing regex compilation (property)', () => {
  // Patterns from a grammar whose meaning is the same in RE2 and JavaScript, so a plain JS
  // RegExp of the same text is a reference for the capture groups.
  const atom: fc.Arbitrary<string> = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', 'x');
  const pattern: fc.Arbitrary<string> = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a}${b}`),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a}|${b}`),
      tie('node').map((a) => `(${a})`),
      tie('node').map((a) => `(?:${a})`),
      tie('node').map((a) => `(?P<n>${a})`),
      fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{1,2}')).map(([a, q]) => `(?:${a})${q}`),
    ),
  })).node as fc.Arbitrary<string>;

  it('finds the same groups as an equivalent JavaScript regex', () => {
    fc.assert(
      fc.property(pattern, fc.stringMatching(/^[abx1]{0,6}$/), (p, s) => {
        const ours = compileCapturingRegex(p);
        const ref = new RegExp(`^(?:${p.replace(/\(\?P</g, '(?<').replace(/\(\?<n>/g, '(')})$`, 's');
        const a = ours.re.exec(s);
        const b = ref.exec(s);
        if (a === null || b === null) return a === b;
        return a.length === b.length && a.every((x, i) => x === b[i]);
      }),
      { numRuns: 500 },
    );
  });
});
