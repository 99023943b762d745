import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Labels } from '../../libs/model/index.ts';
import { ListSeries, ListSeriesSet, collectSamples, type Querier, type Queryable } from '../../libs/storage/index.ts';
import { Engine } from '../../libs/promql/engine/index.ts';
import { DedupSampleIterator, ReplicaDedupQueryable } from './replica_dedup.ts';

const S = 1000;

/** A replica scraping every 15s from `offset`, with value t/1000, except in `gap` [from, to). */
function replica(name: string, offset: number, gap?: [number, number], job = 'api'): ListSeries {
  const ts: number[] = [];
  for (let t = offset; t < 300 * S; t += 15 * S) if (!gap || t < gap[0] || t >= gap[1]) ts.push(t);
  return new ListSeries(Labels.fromStrings('__name__', 'up', 'job', job, 'replica', name), ts, Float64Array.from(ts.map((t) => t / S)));
}

function queryable(series: ListSeries[]): Queryable {
  return {
    querier: (): Querier => ({
      select: () => new ListSeriesSet([...series].sort((a, b) => (a.labels.toString() < b.labels.toString() ? -1 : 1))),
      labelNames: async () => ['__name__', 'job', 'replica'],
      labelValues: async (name: string) => (name === 'replica' ? ['a', 'b'] : []),
      close: () => {},
    }),
  };
}

describe('replica deduplication', () => {
  it('follows one replica and does not interleave the other\'s offset samples', () => {
    const it = new DedupSampleIterator(replica('a', 0).iterator(), replica('b', 5 * S).iterator());
    const { ts } = collectSamples(it);
    assert.deepEqual(ts.slice(0, 4), [0, 15 * S, 30 * S, 45 * S], 'replica a only, not b at 5s, 20s, …');
    assert.equal(ts.length, 20);
  });

  it('fills a gap of the followed replica from the other', () => {
    const it = new DedupSampleIterator(replica('a', 0, [60 * S, 120 * S]).iterator(), replica('b', 5 * S).iterator());
    const { ts } = collectSamples(it);
    const inGap = ts.filter((t) => t >= 60 * S && t < 120 * S);
    assert.ok(inGap.length >= 3, `the gap is filled from b: ${inGap.join(',')}`);
    assert.ok(inGap.every((t) => t % (15 * S) === 5 * S), 'with b\'s samples');
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, 'strictly increasing');
  });

  it('merges the series of HA replicas for PromQL and hides the replica label', async () => {
    const q = new ReplicaDedupQueryable(queryable([replica('a', 0), replica('b', 5 * S), replica('a', 0, undefined, 'db')]), ['replica']);
    const res = await new Engine().instantQuery(q, 'count by (job) (up)', 290).exec();
    assert.equal(res.value.type, 'vector');
    const counts = res.value.type === 'vector' ? res.value.value.map((s) => [s.metric.get('job'), s.f]) : [];
    assert.deepEqual(counts, [['api', 1], ['db', 1]]);
    assert.deepEqual(await q.querier(0, 1).labelNames([]), ['__name__', 'job']);
    assert.deepEqual(await q.querier(0, 1).labelValues('replica', []), []);
  });
});
