import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError, readOpenMetricsSamples } from './index.ts';

describe('readOpenMetricsSamples', () => {
  it('passes every sample with labels, ms timestamp and value, and sums up', () => {
    const got: [string, number, number][] = [];
    const doc = [
      '# HELP http_requests_total Requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{code="200"} 1027 1520879607.789',
      'http_requests_total{code="400"} 3 1520879607.789 # {trace_id="x"} 1 1520879607.0',
      'http_requests_total{code="200"} 1030 1520879667.789',
      '{"utf8.name"} NaN 1520879000',
      '# EOF',
      '',
    ].join('\n');
    const sum = readOpenMetricsSamples(doc, (l, t, v) => got.push([l.toString(), t, v]));
    assert.deepEqual(got, [
      ['{__name__="http_requests_total", code="200"}', 1520879607789, 1027],
      ['{__name__="http_requests_total", code="400"}', 1520879607789, 3],
      ['{__name__="http_requests_total", code="200"}', 1520879667789, 1030],
      ['{__name__="utf8.name"}', 1520879000000, NaN],
    ]);
    assert.deepEqual(sum, { samples: 4, minTime: 1520879000000, maxTime: 1520879667789 });
  });

  it('reports 0/0 for a document without samples, as promtool', () => {
    assert.deepEqual(
      readOpenMetricsSamples('# EOF\n', () => assert.fail('no samples')),
      { samples: 0, minTime: 0, maxTime: 0 },
    );
  });

  it('requires a timestamp on every sample and names the line', () => {
    const doc = 'a 1 1\nb{x="y"} 2\n# EOF\n';
    assert.throws(
      () => readOpenMetricsSamples(doc, () => {}),
      (e: unknown) => e instanceof ParseError && e.line === 2 && e.message === 'line 2: expected timestamp for series {__name__="b", x="y"}, got none',
    );
  });

  it('requires # EOF', () => {
    assert.throws(
      () => readOpenMetricsSamples('a 1 1\n', () => {}),
      (e: unknown) => e instanceof ParseError && e.message === 'line 2: data does not end with # EOF',
    );
  });

  it('converts timestamps as promtool does, or exactly on request', () => {
    const doc = 'x 1 2170349933.555\n# EOF\n';
    const ts: number[] = [];
    readOpenMetricsSamples(doc, (_l, t) => ts.push(t));
    readOpenMetricsSamples(doc, (_l, t) => ts.push(t), { exactTimestamps: true });
    assert.deepEqual(ts, [2170349933554, 2170349933555]);
  });
});
