import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels, Matcher, MatchType, STALE_NAN, isStaleNaN, newHistogram, type FloatHistogram } from '../../model/index.ts';
import { AppendError, ValueType, type Querier } from '../../storage/index.ts';
import { Encoding } from '../chunkenc/index.ts';
import { Head } from './head.ts';

const HOUR = 3_600_000;
const name = (v: string) => new Matcher(MatchType.Equal, '__name__', v);

function hist(i: number, fields: Partial<FloatHistogram> = {}): FloatHistogram {
  return {
    ...newHistogram(),
    count: 3 * i,
    sum: i / 2,
    zeroCount: i,
    positiveSpans: [{ offset: 0, length: 2 }],
    positiveBuckets: [i, i],
    ...fields,
  };
}

type Got = { t: number; type: ValueType; v?: number; h?: FloatHistogram };

async function samplesOf(q: Querier, metric: string): Promise<Got[]> {
  const out: Got[] = [];
  for await (const s of q.select(true, undefined, [name(metric)])) {
    const it = s.iterator();
    for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
      if (vt === ValueType.Float) out.push({ t: it.atT(), type: vt, v: it.atF() });
      else out.push({ t: it.atT(), type: vt, h: vt === ValueType.Histogram ? it.atH() : it.atFH() });
    }
    assert.equal(it.err(), undefined);
  }
  return out;
}

test('histograms and float histograms are stored and read back', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  const l = Labels.fromStrings('__name__', 'h');
  let ref = 0;
  // Irregular growth, so that samples take some bytes.
  const buckets = (i: number): [number, number] => [i * i, (i * i * i) % 1_000_003 + 1_000_003 * i];
  for (let i = 1; i <= 200; i++) {
    const [p, q] = buckets(i);
    ref = a.appendHistogram(ref, l, i * 15_000, hist(i, { count: p + q + i, sum: Math.sqrt(i), positiveBuckets: [p, q] }));
  }
  a.appendHistogram(0, Labels.fromStrings('__name__', 'fh'), 1000, undefined, hist(1, { count: 2.5, positiveBuckets: [0.5, 1] }));
  await a.commit();
  const got = await samplesOf(head.querier(0, 10 * HOUR), 'h');
  assert.equal(got.length, 200);
  for (let i = 1; i <= 200; i++) {
    assert.equal(got[i - 1]!.t, i * 15_000);
    assert.equal(got[i - 1]!.type, ValueType.Histogram);
    assert.deepEqual(got[i - 1]!.h!.positiveBuckets, buckets(i));
    assert.equal(got[i - 1]!.h!.sum, Math.sqrt(i));
  }
  const f = await samplesOf(head.querier(0, 10 * HOUR), 'fh');
  assert.equal(f[0]!.type, ValueType.FloatHistogram);
  assert.equal(f[0]!.h!.count, 2.5);
  // Histogram chunks are cut by size, like Prometheus' (about 1 KiB, at least 10 samples).
  const s = head.getByLabels(l)!;
  const chunks = s.chunks(0, Infinity);
  assert.ok(chunks.length > 1, `${chunks.length} chunks`);
  for (const c of chunks) {
    assert.equal(c.chunk.encoding, Encoding.Histogram);
    assert.ok(c.chunk.numSamples() >= 10);
  }
  assert.equal(head.stats.samplesAppended, 201);
});

test('switching between floats and histograms cuts chunks; chunks never cross the chunk range', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const l = Labels.fromStrings('__name__', 'mixed');
  const a = head.appender();
  a.append(0, l, 1000, 1);
  a.append(0, l, 2000, 2);
  a.appendHistogram(0, l, 3000, hist(1));
  a.appendHistogram(0, l, 4000, undefined, hist(2));
  a.append(0, l, 5000, STALE_NAN);
  a.appendHistogram(0, l, 2 * HOUR - 1, hist(3));
  a.appendHistogram(0, l, 2 * HOUR, hist(4));
  await a.commit();
  const got = await samplesOf(head.querier(0, 10 * HOUR), 'mixed');
  assert.deepEqual(got.map((g) => [g.t, g.type]), [
    [1000, ValueType.Float], [2000, ValueType.Float], [3000, ValueType.Histogram], [4000, ValueType.FloatHistogram],
    [5000, ValueType.Float], [2 * HOUR - 1, ValueType.Histogram], [2 * HOUR, ValueType.Histogram],
  ]);
  assert.ok(isStaleNaN(got[4]!.v!));
  const chunks = head.getByLabels(l)!.chunks(0, Infinity);
  assert.deepEqual(chunks.map((c) => [c.chunk.encoding, c.minTime, c.maxTime]), [
    [Encoding.XOR, 1000, 2000], [Encoding.Histogram, 3000, 3000], [Encoding.FloatHistogram, 4000, 4000], [Encoding.XOR, 5000, 5000],
    [Encoding.Histogram, 2 * HOUR - 1, 2 * HOUR - 1], [Encoding.Histogram, 2 * HOUR, 2 * HOUR],
  ]);
});

test('histogram appends follow the out-of-order, duplicate and bounds rules, and are validated', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const l = Labels.fromStrings('__name__', 'h');
  const a = head.appender();
  const ref = a.appendHistogram(0, l, 10 * HOUR, hist(2));
  // Within the transaction: the pending histogram is the one to compare with.
  assert.equal(a.appendHistogram(ref, l, 10 * HOUR, hist(2)), ref);
  assert.throws(() => a.appendHistogram(ref, l, 10 * HOUR, hist(3)), /duplicate sample for timestamp/);
  await a.commit();
  const b = head.appender();
  const code = (c: string) => (e: unknown) => e instanceof AppendError && e.code === c;
  assert.equal(b.appendHistogram(ref, l, 10 * HOUR, hist(2)), ref, 'an exact duplicate is a no-op');
  assert.throws(() => b.appendHistogram(ref, l, 10 * HOUR, undefined, hist(2)), code('duplicate_sample_for_timestamp'), 'a float histogram is not the same');
  assert.throws(() => b.append(ref, l, 10 * HOUR, 1), code('duplicate_sample_for_timestamp'));
  assert.throws(() => b.appendHistogram(ref, l, 10 * HOUR - 1, hist(2)), code('out_of_order_sample'));
  assert.throws(() => b.appendHistogram(0, Labels.fromStrings('__name__', 'x'), 8 * HOUR, hist(2)), code('out_of_bounds'));
  assert.throws(() => b.appendHistogram(ref, l, 11 * HOUR, hist(2, { count: 1 })), (e: unknown) => code('invalid_histogram')(e) && /Count field is 1/.test(String(e)));
  assert.throws(() => b.appendHistogram(ref, l, 11 * HOUR, undefined, hist(2, { positiveBuckets: [-1, 1] })), code('invalid_histogram'));
  assert.throws(() => b.appendHistogram(ref, l, 11 * HOUR, undefined, undefined), TypeError);
  b.appendHistogram(ref, l, 11 * HOUR, hist(5));
  await b.commit();
  assert.deepEqual(head.stats.rejected, { duplicate_sample_for_timestamp: 3, out_of_order_sample: 1, out_of_bounds: 1, invalid_histogram: 2 });
  // After a float at a later time, a float duplicate is a no-op again.
  const c = head.appender();
  c.append(ref, l, 12 * HOUR, 7);
  await c.commit();
  const d = head.appender();
  assert.equal(d.append(ref, l, 12 * HOUR, 7), ref);
  assert.throws(() => d.appendHistogram(ref, l, 12 * HOUR, hist(5)), code('duplicate_sample_for_timestamp'));
  d.rollback();
});

test('a series switching kind within one transaction keeps its order (batches)', async () => {
  const logged: string[] = [];
  const head = new Head({ chunkRange: 2 * HOUR });
  head.setLog({
    logCommit(_series, txn) {
      for (let b: typeof txn | undefined = txn; b !== undefined; b = b.next) {
        logged.push(`floats ${b.batch.length}, histograms ${b.histograms.length}, float histograms ${b.floatHistograms.length}`);
      }
      return Promise.resolve();
    },
  });
  const l = Labels.fromStrings('__name__', 'm');
  const other = Labels.fromStrings('__name__', 'o');
  const a = head.appender();
  const nhcb = hist(1, { schema: -53, customValues: [1, 2], zeroCount: 0, count: 2 });
  a.appendHistogram(0, l, 1000, hist(1));
  a.append(0, other, 1000, 1);
  a.append(0, l, 2000, 5); // l switches kind within the batch: a new batch
  a.appendHistogram(0, other, 2000, undefined, hist(1)); // other's float is in the earlier batch: this one is fine
  a.appendHistogram(0, l, 3000, nhcb); // custom buckets are another kind again: a new batch
  a.appendHistogram(0, other, 3000, undefined, nhcb);
  await a.commit();
  assert.deepEqual(logged, [
    'floats 1, histograms 1, float histograms 0',
    'floats 1, histograms 0, float histograms 1',
    'floats 0, histograms 1, float histograms 1',
  ]);
  const got = await samplesOf(head.querier(0, 10_000), 'm');
  assert.deepEqual(got.map((g) => [g.t, g.type]), [[1000, ValueType.Histogram], [2000, ValueType.Float], [3000, ValueType.Histogram]]);
  assert.deepEqual(got[2]!.h!.customValues, [1, 2]);
  assert.equal(head.stats.samplesAppended, 6);
});

test('a counter reset in the head starts a chunk; new buckets recode the open chunk', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const l = Labels.fromStrings('__name__', 'r');
  const a = head.appender();
  a.appendHistogram(0, l, 1000, hist(5));
  a.appendHistogram(0, l, 2000, hist(6, { count: 19, positiveSpans: [{ offset: 0, length: 3 }], positiveBuckets: [6, 6, 1] }));
  a.appendHistogram(0, l, 3000, hist(1)); // reset
  await a.commit();
  const chunks = head.getByLabels(l)!.chunks(0, Infinity);
  assert.deepEqual(chunks.map((c) => c.chunk.numSamples()), [2, 1]);
  const got = await samplesOf(head.querier(0, 10_000), 'r');
  assert.deepEqual(got.map((g) => g.h!.positiveBuckets), [[5, 5, 0], [6, 6, 1], [1, 1]]);
  assert.deepEqual(got.map((g) => g.h!.counterResetHint), ['unknown', 'not_reset', 'unknown']);
});
