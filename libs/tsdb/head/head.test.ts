import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Labels, Matcher, MatchType, STALE_NAN, isStaleNaN } from '../../model/index.ts';
import { AppendError, collectSamples, type Querier } from '../../storage/index.ts';
import { Head } from './head.ts';

const HOUR = 3_600_000;
const lbl = (...nv: string[]) => Labels.fromStrings(...nv);
const eq = (n: string, v: string) => new Matcher(MatchType.Equal, n, v);

async function selectAll(q: Querier, ...ms: Matcher[]) {
  const out: { labels: string; ts: number[]; vs: Float64Array }[] = [];
  for await (const s of q.select(true, undefined, ms)) out.push({ labels: s.labels.toString(), ...collectSamples(s.iterator()) });
  return out;
}

test('committed samples are visible; rolled back ones are not', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  const ref = a.append(0, lbl('__name__', 'up', 'job', 'a'), 1000, 1);
  a.append(ref, lbl('__name__', 'up', 'job', 'a'), 2000, 2);
  assert.equal((await selectAll(head.querier(0, 10_000))).length, 0, 'invisible before commit');
  await a.commit();
  const r = head.appender();
  r.append(ref, lbl(), 3000, 3);
  r.rollback();
  const got = await selectAll(head.querier(0, 10_000));
  assert.deepEqual(got.map((s) => [s.labels, s.ts, [...s.vs]]), [['{__name__="up", job="a"}', [1000, 2000], [1, 2]]]);
  assert.equal(head.stats.samplesAppended, 2);
});

test('out-of-order, duplicate and out-of-bounds samples are distinct, counted errors', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const l = lbl('__name__', 'x');
  const a = head.appender();
  const ref = a.append(0, l, 10 * HOUR, 1);
  await a.commit();

  const b = head.appender();
  assert.throws(() => b.append(ref, l, 10 * HOUR - 1, 1), (e: unknown) => e instanceof AppendError && e.code === 'out_of_order_sample' && e.message === 'out of order sample');
  assert.throws(() => b.append(ref, l, 10 * HOUR, 2), (e: unknown) => e instanceof AppendError && e.message === 'duplicate sample for timestamp');
  // The same value at the same timestamp is an idempotent retry, not an error.
  assert.equal(b.append(ref, l, 10 * HOUR, 1), ref);
  // More than half a chunk range behind the newest sample is out of bounds, like Prometheus.
  assert.throws(() => b.append(0, lbl('__name__', 'y'), 9 * HOUR - 1, 1), (e: unknown) => e instanceof AppendError && e.message === 'out of bounds');
  // The rest of the transaction stays usable.
  b.append(ref, l, 10 * HOUR + 1, 5);
  // Within one transaction, order is checked against the pending samples too.
  assert.throws(() => b.append(ref, l, 10 * HOUR + 1, 6), /duplicate sample/);
  await b.commit();
  assert.deepEqual(head.stats.rejected, { out_of_order_sample: 1, duplicate_sample_for_timestamp: 2, out_of_bounds: 1 });
  const got = await selectAll(head.querier(0, 20 * HOUR));
  assert.deepEqual(got[0]!.ts, [10 * HOUR, 10 * HOUR + 1]);
});

test('stale markers and NaN payloads survive the head bit for bit', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  const otherNaN = new Float64Array(new Uint32Array([0x1234, 0x7ff80000]).buffer)[0]!;
  a.append(0, lbl('__name__', 'x'), 1, STALE_NAN);
  a.append(0, lbl('__name__', 'x'), 2, otherNaN);
  a.append(0, lbl('__name__', 'x'), 3, -0);
  await a.commit();
  const [s] = await selectAll(head.querier(0, 10));
  assert.ok(isStaleNaN(s!.vs[0]!));
  assert.ok(!isStaleNaN(s!.vs[1]!) && Number.isNaN(s!.vs[1]!));
  assert.deepEqual([...new Uint32Array(s!.vs.buffer, 8, 2)], [0x1234, 0x7ff80000]);
  assert.ok(Object.is(s!.vs[2], -0));
});

test('chunks hold about 120 samples and never cross the chunk range', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  let ref = 0;
  for (let t = 0; t < 4 * HOUR; t += 15_000) ref = a.append(ref, lbl('__name__', 'x'), t, t);
  await a.commit();
  const s = head.series(ref)!;
  const chunks = s.chunks(-Infinity, Infinity);
  assert.equal(chunks.reduce((n, c) => n + c.chunk.numSamples(), 0), 960);
  for (const c of chunks) {
    assert.ok(c.chunk.numSamples() <= 240 && c.chunk.numSamples() >= 60, `chunk of ${c.chunk.numSamples()} samples`);
    assert.equal(Math.floor(c.minTime / (2 * HOUR)), Math.floor(c.maxTime / (2 * HOUR)), 'chunk crosses a range boundary');
  }
  assert.equal(chunks.length, 8);
});

test('matchers select with Prometheus semantics, including empty-value matching', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  a.append(0, lbl('__name__', 'm', 'job', 'a', 'env', 'prod'), 1, 1);
  a.append(0, lbl('__name__', 'm', 'job', 'b'), 1, 1);
  a.append(0, lbl('__name__', 'm', 'job', 'c', 'env', 'dev'), 1, 1);
  a.append(0, lbl('__name__', 'n', 'job', 'a'), 1, 1);
  await a.commit();
  const q = head.querier(0, 10);
  const jobs = async (...ms: Matcher[]) => (await selectAll(q, ...ms)).map((s) => s.labels);
  assert.deepEqual(await jobs(eq('__name__', 'm'), eq('env', '')), ['{__name__="m", job="b"}']);
  assert.deepEqual(await jobs(eq('__name__', 'm'), new Matcher(MatchType.NotEqual, 'env', 'prod')), [
    '{__name__="m", env="dev", job="c"}',
    '{__name__="m", job="b"}',
  ]);
  assert.deepEqual(await jobs(new Matcher(MatchType.Regexp, 'env', '.+')), ['{__name__="m", env="dev", job="c"}', '{__name__="m", env="prod", job="a"}']);
  assert.deepEqual(await jobs(new Matcher(MatchType.NotRegexp, 'job', 'a|b')), ['{__name__="m", env="dev", job="c"}']);
  assert.deepEqual(await jobs(eq('job', 'zzz')), []);
  assert.deepEqual(await q.labelNames([]), ['__name__', 'env', 'job']);
  assert.deepEqual(await q.labelValues('job', [eq('__name__', 'm')]), ['a', 'b', 'c']);
  assert.deepEqual(await q.labelNames([eq('__name__', 'n')]), ['__name__', 'job']);
});

test('truncate drops old chunks and empty series and rejects older samples', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  a.append(0, lbl('__name__', 'old'), 1000, 1);
  const ref = a.append(0, lbl('__name__', 'new'), 1000, 1);
  await a.commit();
  const b = head.appender();
  b.append(ref, lbl(), 2 * HOUR + 1000, 2);
  await b.commit();
  head.truncate(2 * HOUR);
  assert.equal(head.numSeries(), 1);
  assert.deepEqual(await head.querier(0, 10 * HOUR).labelValues('__name__', []), ['new']);
  assert.equal(head.minTime, 2 * HOUR + 1000);
  const c = head.appender();
  assert.throws(() => c.append(0, lbl('__name__', 'old'), 2 * HOUR - 1, 1), /out of bounds/);
});

test('series with empty, unsorted or duplicated labels are rejected with a reason', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  assert.throws(() => a.append(0, Labels.EMPTY, 1, 1), (e: unknown) => e instanceof AppendError && e.code === 'invalid_labels' && /empty labelset/.test(e.message));
  assert.throws(() => a.append(0, Labels.fromSortedFlat(['b', '1', 'a', '2']), 1, 1), /not sorted: "b" before "a"/);
  assert.throws(() => a.append(0, Labels.fromSortedFlat(['a', '1', 'a', '2']), 1, 1), /duplicate label name "a"/);
  a.append(0, lbl('__name__', 'ok'), 1, 1);
  await a.commit();
  assert.equal(head.numSeries(), 1);
  assert.equal(head.stats.rejected['invalid_labels'], 3);
});

test('a series limiter rejects new series only, and its rejections are counted', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const limit = new AppendError('per_user_series_limit', 'per-user series limit of 1 exceeded');
  head.seriesLimiter = (_labels, h) => (h.numSeries() >= 1 ? limit : undefined);
  const a = head.appender();
  a.append(0, lbl('__name__', 'up', 'job', 'a'), 1000, 1);
  assert.throws(() => a.append(0, lbl('__name__', 'up', 'job', 'b'), 1000, 1), (e: unknown) => e === limit);
  a.append(0, lbl('__name__', 'up', 'job', 'a'), 2000, 2);
  await a.commit();
  assert.equal(head.numSeries(), 1);
  assert.equal(head.stats.rejected.per_user_series_limit, 1);
  assert.equal(head.stats.samplesAppended, 2);
});

test('reads between appends share the open chunk snapshot; an append makes a new one', async () => {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  a.append(0, lbl('__name__', 'x'), 1000, 1);
  await a.commit();
  const s = head.getByLabels(lbl('__name__', 'x'))!;
  const first = s.chunks(0, 10_000)[0]!;
  assert.equal(s.chunks(0, 10_000)[0], first, 'same snapshot while nothing was appended');
  const b = head.appender();
  b.append(0, lbl('__name__', 'x'), 2000, 2);
  await b.commit();
  const second = s.chunks(0, 10_000)[0]!;
  assert.notEqual(second, first);
  assert.equal(first.chunk.numSamples(), 1, 'the old snapshot still holds what it held');
  assert.equal(second.chunk.numSamples(), 2);
  assert.equal(second.maxTime, 2000);
});
