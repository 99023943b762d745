// Where a query reads (Mimir's querier): the ingesters for the recent window
// (`query_ingesters_within`), the store-gateways for data older than `query_store_after`; a range
// covered by both reads both, and the merge keeps each sample once.
import type { Querier, Queryable } from '../../libs/storage/index.ts';
import { MergeQuerier } from '../../libs/tsdb/index.ts';

export interface TimeSplitOptions {
  readonly ingesters: Queryable;
  /** The blocks in object storage; none until the store-gateways run. */
  readonly store?: Queryable;
  /** ms; 0 means the ingesters are always asked. */
  readonly queryIngestersWithin: number;
  /** ms; 0 means the store is always asked. */
  readonly queryStoreAfter: number;
  readonly now?: () => number;
}

export class TimeSplitQueryable implements Queryable {
  constructor(private readonly opts: TimeSplitOptions) {}

  querier(mint: number, maxt: number): Querier {
    const o = this.opts;
    // Without a store the ingesters hold everything there is.
    if (!o.store) return o.ingesters.querier(mint, maxt);
    const now = (o.now ?? Date.now)();
    const queriers: Querier[] = [];
    if (o.queryIngestersWithin === 0 || maxt >= now - o.queryIngestersWithin) {
      queriers.push(o.ingesters.querier(o.queryIngestersWithin === 0 ? mint : Math.max(mint, now - o.queryIngestersWithin), maxt));
    }
    if (o.queryStoreAfter === 0 || mint <= now - o.queryStoreAfter) {
      queriers.push(o.store.querier(mint, o.queryStoreAfter === 0 ? maxt : Math.min(maxt, now - o.queryStoreAfter)));
    }
    return new MergeQuerier(queriers);
  }
}
