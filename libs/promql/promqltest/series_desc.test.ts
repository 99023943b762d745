import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isStaleNaN } from '../../model/index.ts';
import { histogramsMatch } from './histogram.ts';
import { formatFloat, parseGoFloat, parseGoInt, parseNumber, unquote } from './numbers.ts';
import { parseSeriesDesc, SeriesDescError, type SequenceValue } from './series_desc.ts';

const floats = (vals: SequenceValue[]): (number | '_' | 'stale')[] =>
  vals.map((v) => (v.omitted ? '_' : isStaleNaN(v.value) ? 'stale' : v.value));

describe('parseSeriesDesc', () => {
  it('parses metric names and label sets', () => {
    assert.equal(parseSeriesDesc('foo 1').labels.toString(), '{__name__="foo"}');
    assert.equal(parseSeriesDesc('foo{a="b", c=\'d\'} 1').labels.toString(), '{__name__="foo", a="b", c="d"}');
    assert.equal(parseSeriesDesc('{a="b",} 1').labels.toString(), '{a="b"}');
    assert.equal(parseSeriesDesc('{__name__="x:y", "ünï.code"="v\\n"} 1').labels.toString(), '{__name__="x:y", "ünï.code"="v\\n"}');
    assert.equal(parseSeriesDesc('{"utf8.metric", a="b"} 1').labels.toString(), '{__name__="utf8.metric", a="b"}');
    assert.equal(parseSeriesDesc('sum{} 1').labels.toString(), '{__name__="sum"}');
    assert.equal(parseSeriesDesc('foo').values.length, 0);
  });

  it('expands the point syntax', () => {
    assert.deepEqual(floats(parseSeriesDesc('m 1+2x3').values), [1, 3, 5, 7]);
    assert.deepEqual(floats(parseSeriesDesc('m 1-2x3').values), [1, -1, -3, -5]);
    assert.deepEqual(floats(parseSeriesDesc('m -1-1x2').values), [-1, -2, -3]);
    assert.deepEqual(floats(parseSeriesDesc('m 5x2').values), [5, 5, 5]);
    assert.deepEqual(floats(parseSeriesDesc('m 5 _ _x3 stale 1e3 .5 +2 -Inf NaN').values).map(String), [
      '5', '_', '_', '_', '_', 'stale', '1000', '0.5', '2', '-Infinity', 'NaN',
    ]);
    assert.deepEqual(floats(parseSeriesDesc('m 0+1x0').values), [0]);
    assert.deepEqual(floats(parseSeriesDesc('m\t1  2').values), [1, 2]);
    assert.deepEqual(floats(parseSeriesDesc('m 1_000 010').values), [1000, 8]);
  });

  it('adds increments step by step, as Prometheus does', () => {
    const vals = floats(parseSeriesDesc('m 0+0.1x10').values);
    let v = 0;
    const want: number[] = [];
    for (let i = 0; i <= 10; i++, v += 0.1) want.push(v);
    assert.deepEqual(vals, want);
    assert.notEqual(vals[10], 1); // 0.1 summed ten times is not exactly 1
  });

  it('parses native histograms', () => {
    const [v] = parseSeriesDesc('m {{schema:1 sum:3 count:22 buckets:[5 10 7]}}').values;
    assert.ok(v?.histogram);
    assert.equal(v.histogram.schema, 1);
    assert.equal(v.histogram.sum, 3);
    assert.equal(v.histogram.count, 22);
    assert.deepEqual(v.histogram.positiveBuckets, [5, 10, 7]);
    assert.deepEqual(v.histogram.positiveSpans, [{ offset: 0, length: 3 }]);
    assert.equal(v.counterResetHintSet, false);

    const [w] = parseSeriesDesc(
      'm {{schema:-53 sum:-1.5 count:3 z_bucket:1 z_bucket_w:0.001 offset:-2 buckets:[1 2] n_offset:1 n_buckets:[4] custom_values:[1 5] counter_reset_hint:gauge}}',
    ).values;
    const h = w!.histogram!;
    assert.equal(h.schema, -53);
    assert.equal(h.sum, -1.5);
    assert.equal(h.zeroCount, 1);
    assert.equal(h.zeroThreshold, 0.001);
    assert.deepEqual(h.positiveSpans, [{ offset: -2, length: 2 }]);
    assert.deepEqual(h.negativeSpans, [{ offset: 1, length: 1 }]);
    assert.deepEqual(h.negativeBuckets, [4]);
    assert.deepEqual(h.customValues, [1, 5]);
    assert.equal(h.counterResetHint, 'gauge');
    assert.equal(w!.counterResetHintSet, true);

    assert.equal(parseSeriesDesc('m {{}} {{ }}').values.length, 2);
  });

  it('expands histogram series', () => {
    const vals = parseSeriesDesc('m {{sum:1 count:2 buckets:[1 1]}}+{{sum:2 count:1 buckets:[0 1]}}x2 {{count:1}}x1').values;
    assert.equal(vals.length, 5);
    assert.deepEqual(
      vals.map((v) => [v.histogram!.sum, v.histogram!.count]),
      [[1, 2], [3, 3], [5, 4], [0, 1], [0, 1]],
    );
    assert.deepEqual(vals[2]!.histogram!.positiveBuckets, [1, 3]);
    const dec = parseSeriesDesc('m {{count:10 buckets:[5 5]}}-{{count:1 buckets:[1]}}x1').values;
    assert.equal(dec[1]!.histogram!.count, 9);
    assert.deepEqual(dec[1]!.histogram!.positiveBuckets, [4, 5]);
  });

  it('rejects malformed lines', () => {
    for (const bad of ['m 1+2', 'm 1x', 'm foo', 'm 1,2', 'm{a="b" 1', 'm{a=b} 1', 'm _xa', 'm {{bogus:1}}', 'm {{sum:1}', 'm 1+2x3x4']) {
      assert.throws(() => parseSeriesDesc(bad), SeriesDescError, bad);
    }
  });
});

describe('numbers', () => {
  it('follows Go ParseInt(s, 0, 64) then ParseFloat', () => {
    assert.equal(parseNumber('0x1F'), 31);
    assert.equal(parseNumber('-0x10'), -16);
    assert.equal(parseNumber('0o17'), 15);
    assert.equal(parseNumber('0b101'), 5);
    assert.equal(parseNumber('017'), 15);
    assert.equal(parseNumber('09'), 9); // not octal: ParseFloat takes it
    assert.equal(parseNumber('1e3'), 1000);
    assert.equal(parseNumber('9223372036854775808'), 9223372036854775808);
    assert.ok(Number.isNaN(parseNumber('NaN')));
    assert.equal(parseNumber('-Inf'), -Infinity);
    assert.equal(parseNumber('+infinity'), Infinity);
    assert.equal(parseGoFloat('0x1p-2'), 0.25);
    assert.equal(parseGoFloat('1_000.5'), 1000.5);
    assert.equal(parseGoFloat('1__0'), undefined);
    assert.equal(parseGoInt('1.5'), undefined);
    for (const bad of ['', 'abc', '1e', '--1', '{a="b"}', 'foo 1']) assert.equal(parseNumber(bad), undefined, bad);
  });

  it('round-trips every finite float through formatFloat', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const back = parseNumber(formatFloat(v));
        assert.ok(Object.is(back, v) || (v === 0 && back === 0), `${v} → ${formatFloat(v)} → ${back}`);
      }),
    );
  });

  it('formats like Go %v', () => {
    assert.equal(formatFloat(1e6), '1e+06');
    assert.equal(formatFloat(999999.5), '999999.5');
    assert.equal(formatFloat(123456789), '1.23456789e+08');
    assert.equal(formatFloat(0.0001), '0.0001');
    assert.equal(formatFloat(1.5e-7), '1.5e-07');
    assert.equal(formatFloat(NaN), 'NaN');
    assert.equal(formatFloat(-Infinity), '-Inf');
  });

  it('unquotes Go strings', () => {
    assert.equal(unquote('"a\\tb\\"c\\u00e9\\x41\\101"'), 'a\tb"cé' + 'AA');
    assert.equal(unquote('`raw\\n`'), 'raw\\n');
    assert.equal(unquote("'single'"), 'single');
    assert.equal(unquote("'single'", false), undefined);
    assert.equal(unquote('"unterminated'), undefined);
    assert.equal(unquote('"bad \\q"'), undefined);
  });
});

describe('histogramsMatch', () => {
  const h = (s: string) => parseSeriesDesc(`m ${s}`).values[0]!;
  it('ignores empty buckets and span layout, tolerates rounding', () => {
    assert.ok(histogramsMatch(h('{{count:3 buckets:[0 1 2]}}').histogram!, h('{{count:3.0000000001 offset:1 buckets:[1 2 0]}}').histogram!, false));
    assert.ok(!histogramsMatch(h('{{count:3 buckets:[1 2]}}').histogram!, h('{{count:3 offset:1 buckets:[1 2]}}').histogram!, false));
    assert.ok(!histogramsMatch(h('{{schema:1 count:3}}').histogram!, h('{{count:3}}').histogram!, false));
  });
  it('checks the counter reset hint only when the expectation names it', () => {
    const exp = h('{{count:1 counter_reset_hint:reset}}');
    assert.ok(!histogramsMatch(exp.histogram!, h('{{count:1}}').histogram!, exp.counterResetHintSet!));
    assert.ok(histogramsMatch(h('{{count:1}}').histogram!, h('{{count:1 counter_reset_hint:gauge}}').histogram!, false));
  });
});
