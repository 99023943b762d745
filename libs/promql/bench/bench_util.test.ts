// Tests of the PromQL bench's own machinery: the dataset's invariants and the result cross-check
// (the bench's verdict depends on both; its remote-write encoding is libs/remotewrite's, tested there).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Labels } from '../../model/index.ts';
import type { Value } from '../engine/index.ts';
import { BUCKETS, Dataset, SCRAPE_INTERVAL } from './dataset.ts';
import { assertSameResult } from './promql.bench.ts';
import type { PromQueryResult } from './prometheus.ts';

test('dataset: cumulative buckets, +Inf equals count, no sample on a 15s boundary', () => {
  const ds = new Dataset({ series: 500, rounds: 30, now: 1_717_000_000_000 });
  assert.equal(ds.end % SCRAPE_INTERVAL, 0);
  assert.equal(ds.end % 60_000, 30_000);
  for (const off of ds.offsets) assert.ok(off > 0 && off < SCRAPE_INTERVAL);
  const hist = ds.labels.findIndex((l) => l.metricName() === 'h_bucket');
  assert.ok(hist > 0 && ds.labels.length - hist === ds.histograms * (BUCKETS.length + 2));
  let prev: Float64Array | undefined;
  for (const [, values] of ds.roundValues()) {
    for (let h = 0; h < ds.histograms; h++) {
      const o = hist + h * (BUCKETS.length + 2);
      for (let k = 1; k < BUCKETS.length; k++) assert.ok(values[o + k]! >= values[o + k - 1]!);
      assert.equal(values[o + BUCKETS.length - 1], values[o + BUCKETS.length + 1]);
    }
    prev = Float64Array.from(values);
  }
  assert.ok(prev !== undefined && prev.some((v) => v > 0));
});

test('assertSameResult accepts equal results and names a difference', () => {
  const m = Labels.fromStrings('job', 'a');
  const ours: Value = { type: 'matrix', value: [{ metric: m, floats: [{ t: 15_000, f: 1.5 }, { t: 30_000, f: NaN }] }] };
  const theirs = (vals: [number, string][], metric = { job: 'a' }): PromQueryResult => ({
    resultType: 'matrix',
    result: [{ metric, values: vals }],
    evalMs: 1,
    roundTripMs: 1,
  });
  assertSameResult('q', ours, theirs([[15, '1.5000000000001'], [30, 'NaN']]));
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.50001'], [30, 'NaN']])), /point 0/);
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.5'], [45, 'NaN']])), /point 1/);
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.5']])), /2 points vs 1/);
  assert.throws(() => assertSameResult('q', ours, theirs([[15, '1.5'], [30, 'NaN']], { job: 'b' })), /missing/);
  const inf: Value = { type: 'vector', value: [{ metric: m, t: 15_000, f: Infinity }] };
  assertSameResult('q', inf, { resultType: 'vector', result: [{ metric: { job: 'a' }, values: [[15, '+Inf']] }], evalMs: 1, roundTripMs: 1 });
  assert.throws(() => assertSameResult('q', { type: 'vector', value: [] }, { resultType: 'vector', result: [], evalMs: 1, roundTripMs: 1 }), /empty/);
});
