import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STALE_NAN, bucketBound, copyHistogram, histogramsEqual, isStaleHistogram, newHistogram, reduceResolution, spansFromIndexes,
  spansMatch, staleHistogram, validateFloatHistogram, validateHistogram, type FloatHistogram,
} from './index.ts';

function h(fields: Partial<FloatHistogram>): FloatHistogram {
  return { ...newHistogram(), ...fields };
}

test('validateHistogram applies Prometheus rules to integer histograms', () => {
  const ok = h({ count: 6, zeroCount: 1, sum: 3, positiveSpans: [{ offset: -2, length: 2 }], positiveBuckets: [2, 3] });
  assert.equal(validateHistogram(ok), undefined);
  assert.match(validateHistogram({ ...ok, count: 7 })!, /Count field is 7/);
  // NaN observations count but land in no bucket.
  assert.equal(validateHistogram({ ...ok, count: 7, sum: NaN }), undefined);
  assert.match(validateHistogram({ ...ok, count: 5, sum: NaN })!, /at least/);
  assert.match(validateHistogram({ ...ok, positiveBuckets: [2] })!, /spans need 2 buckets, have 1/);
  assert.match(validateHistogram({ ...ok, positiveBuckets: [2.5, 2.5] })!, /not an integer/);
  assert.match(validateHistogram({ ...ok, schema: 9 })!, /invalid schema/);
  assert.match(validateHistogram({ ...ok, positiveSpans: [{ offset: 0, length: 1 }, { offset: -1, length: 1 }] })!, /negative/);
  assert.equal(validateHistogram(staleHistogram()), undefined);
});

test('validateHistogram checks custom bounds', () => {
  const nhcb = h({ schema: -53, count: 3, sum: 1, customValues: [1, 2], positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [1, 1, 1] });
  assert.equal(validateHistogram(nhcb), undefined);
  assert.match(validateHistogram({ ...nhcb, customValues: [2, 1] })!, /strictly increasing/);
  assert.match(validateHistogram({ ...nhcb, customValues: [1] })!, /too few/);
  assert.match(validateHistogram({ ...nhcb, customValues: [1, Infinity] })!, /finite/);
  assert.match(validateHistogram({ ...nhcb, zeroThreshold: 0.1 })!, /zero threshold/);
  assert.match(validateHistogram({ ...nhcb, schema: 0 })!, /must not have custom bounds/);
});

test('validateFloatHistogram rejects negative counts only', () => {
  const ok = h({ count: 1.5, sum: 3, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [10] });
  assert.equal(validateFloatHistogram(ok), undefined);
  assert.match(validateFloatHistogram({ ...ok, positiveBuckets: [-1] })!, /negative/);
  assert.match(validateFloatHistogram({ ...ok, count: -1 })!, /negative/);
});

test('spansMatch folds zero-length spans', () => {
  assert.ok(spansMatch([{ offset: 1, length: 2 }], [{ offset: 1, length: 0 }, { offset: 0, length: 2 }]));
  assert.ok(spansMatch([{ offset: 1, length: 2 }, { offset: 3, length: 0 }], [{ offset: 1, length: 2 }]));
  assert.ok(!spansMatch([{ offset: 1, length: 2 }], [{ offset: 2, length: 2 }]));
  assert.ok(!spansMatch([{ offset: 1, length: 2 }], [{ offset: 1, length: 2 }, { offset: 0, length: 1 }]));
});

test('histogramsEqual compares sums by bits and ignores the hint', () => {
  const a = h({ count: 2, sum: STALE_NAN, counterResetHint: 'reset' });
  assert.ok(histogramsEqual(a, copyHistogram(a)));
  assert.ok(histogramsEqual(a, { ...a, counterResetHint: 'gauge' }));
  assert.ok(!histogramsEqual(a, { ...a, sum: NaN }));
  assert.ok(isStaleHistogram(copyHistogram(a)));
});

test('copyHistogram shares no arrays and reuses the target', () => {
  const a = h({ schema: -53, customValues: [1, 2], positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [4] });
  const b = copyHistogram(a);
  b.positiveSpans[0]!.length = 9;
  b.customValues![0] = 7;
  assert.equal(a.positiveSpans[0]!.length, 1);
  assert.equal(a.customValues![0], 1);
  const target = h({ positiveBuckets: [1, 2, 3], negativeSpans: [{ offset: 1, length: 1 }], negativeBuckets: [5] });
  const buckets = target.positiveBuckets;
  assert.equal(copyHistogram(a, target), target);
  assert.equal(target.positiveBuckets, buckets);
  assert.deepEqual(target, a);
});

test('bucketBound follows Prometheus getBound', () => {
  assert.equal(bucketBound(0, 0, undefined), 1);
  assert.equal(bucketBound(-1, 0, undefined), 0.5);
  assert.equal(bucketBound(1, 1, undefined), 1.414213562373095);
  // Prometheus' table, where Math.pow(2, 0.75) / 2 would give 0.8408964152537146.
  assert.equal(bucketBound(-1, 2, undefined), 0.8408964152537144);
  assert.equal(bucketBound(255, 8, undefined), 2 * 0.9972960560854698);
  assert.equal(bucketBound(1, -2, undefined), 16);
  assert.equal(bucketBound(1024, 0, undefined), Number.MAX_VALUE);
  assert.equal(bucketBound(3, -53, [1, 2, 5]), Infinity);
  assert.equal(bucketBound(-1, -53, [1, 2, 5]), -Infinity);
});

test('reduceResolution merges neighbouring buckets', () => {
  // Schema 1 indexes 1,2 | 3,4 map to schema 0 indexes 1 | 2; index 0 stays 0.
  const x = h({ schema: 1, positiveSpans: [{ offset: 0, length: 5 }], positiveBuckets: [1, 2, 3, 4, 5], negativeSpans: [{ offset: -1, length: 2 }], negativeBuckets: [7, 8] });
  reduceResolution(x, 0);
  assert.equal(x.schema, 0);
  assert.deepEqual(x.positiveSpans, [{ offset: 0, length: 3 }]);
  assert.deepEqual(x.positiveBuckets, [1, 5, 9]);
  assert.deepEqual(x.negativeSpans, [{ offset: 0, length: 1 }]);
  assert.deepEqual(x.negativeBuckets, [15]);
});

test('spansFromIndexes merges runs', () => {
  assert.deepEqual(spansFromIndexes([-3, -2, 0, 5, 6]), [{ offset: -3, length: 2 }, { offset: 1, length: 1 }, { offset: 4, length: 2 }]);
  assert.deepEqual(spansFromIndexes([]), []);
});
