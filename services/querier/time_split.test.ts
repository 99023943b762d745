import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_SERIES_SET, type Querier, type Queryable } from '../../libs/storage/index.ts';
import { TimeSplitQueryable } from './time_split.ts';

const H = 3_600_000;
const NOW = 1_000 * H;

/** Records the ranges it was asked for. */
function recording(): Queryable & { asked: [number, number][] } {
  const asked: [number, number][] = [];
  return {
    asked,
    querier: (mint: number, maxt: number): Querier => {
      asked.push([mint, maxt]);
      return { select: () => EMPTY_SERIES_SET, labelNames: async () => [], labelValues: async () => [], close: () => {} };
    },
  };
}

describe('TimeSplitQueryable', () => {
  const split = (ingesters: Queryable, store: Queryable | undefined) =>
    new TimeSplitQueryable({ ingesters, store, queryIngestersWithin: 13 * H, queryStoreAfter: 12 * H, now: () => NOW });

  it('asks the ingesters for the last 13h and the store for what is older than 12h', () => {
    const ing = recording();
    const store = recording();
    split(ing, store).querier(NOW - 24 * H, NOW);
    assert.deepEqual(ing.asked, [[NOW - 13 * H, NOW]]);
    assert.deepEqual(store.asked, [[NOW - 24 * H, NOW - 12 * H]]);
  });

  it('asks only the ingesters for recent ranges and only the store for old ones', () => {
    const ing = recording();
    const store = recording();
    split(ing, store).querier(NOW - H, NOW);
    split(ing, store).querier(NOW - 48 * H, NOW - 20 * H);
    assert.deepEqual(ing.asked, [[NOW - H, NOW]]);
    assert.deepEqual(store.asked, [[NOW - 48 * H, NOW - 20 * H]]);
  });

  it('asks the ingesters for everything when there is no store', () => {
    const ing = recording();
    split(ing, undefined).querier(NOW - 48 * H, NOW - 20 * H);
    assert.deepEqual(ing.asked, [[NOW - 48 * H, NOW - 20 * H]]);
  });
});
