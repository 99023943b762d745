// The blocks in object storage as one Queryable for a tenant (Mimir's blocks-store queryable):
// the tenant's bucket index says which blocks cover the range; each block is asked of one
// store-gateway of its replication set, and of another replica when that one fails or does not
// report the block as queried. The query fails rather than answer without a block.
import { compareLabels, compareStrings, type Labels, type Matcher } from '../../libs/model/index.ts';
import type { BucketIndex } from '../../libs/bucketindex/index.ts';
import { Operation, RingError, type Instance, type ReadRing } from '../../libs/ring/index.ts';
import type { Querier, Queryable, QueryOptions, SelectHints, Series, SeriesSet } from '../../libs/storage/index.ts';
import type { TimedChunk } from '../../libs/tsdb/index.ts';
import {
  blockToken, seriesFromChunks, type ClientSeriesStream, type LabelsResponseMessage, type LabelNamesRequestMessage, type LabelValuesRequestMessage,
  type SeriesRequestMessage, type StoreGatewayCallOptions, type StoreSeries,
} from '../storegateway/index.ts';
import { ErrorType, messageOf } from './errors.ts';

/** The calls of one store-gateway (a StoreGatewayClient). */
export interface StoreGatewayReader {
  series(tenant: string, req: SeriesRequestMessage, opts?: StoreGatewayCallOptions): ClientSeriesStream;
  labelNames(tenant: string, req: LabelNamesRequestMessage, opts?: StoreGatewayCallOptions): Promise<LabelsResponseMessage>;
  labelValues(tenant: string, req: LabelValuesRequestMessage, opts?: StoreGatewayCallOptions): Promise<LabelsResponseMessage>;
}

export interface BlocksQueryableOptions {
  /** The store-gateway ring, asked once per read. */
  readonly ring: () => ReadRing;
  readonly clients: { get(instance: Instance): StoreGatewayReader };
  readonly tenant: string;
  /** The tenant's bucket index (cached by the caller), undefined when it has none yet. */
  readonly index: (tenant: string) => Promise<BucketIndex | undefined>;
  /** Blocks marked for deletion longer ago than this are not queried (their replacement is). */
  readonly ignoreDeletionMarksDelay: number;
  /**
   * Blocks uploaded less than this ago may be missing from the store-gateways (not synced yet)
   * without failing the query; the ingesters still hold their data (Mimir's consistency check).
   */
  readonly uploadGracePeriod?: number;
  readonly now?: () => number;
}

/** Some block could not be read from any of its store-gateways. */
export class StoreGatewaysUnavailableError extends Error {
  readonly code = 'store_gateways_unavailable';
  readonly type = ErrorType.Unavailable;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreGatewaysUnavailableError';
  }
}

/** Most attempts per block: one per replica of a replication factor of 3. */
const MAX_ATTEMPTS = 3;

export class BlocksQueryable implements Queryable {
  constructor(private readonly opts: BlocksQueryableOptions) {}

  querier(mint: number, maxt: number): Querier {
    return new BlocksQuerier(this.opts, mint, maxt);
  }
}

interface Attempt<T> {
  /** What each store-gateway answered, and the blocks it said it queried. */
  results: T[];
}

class BlocksQuerier implements Querier {
  constructor(
    private readonly opts: BlocksQueryableOptions,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** The blocks of the tenant's index that hold data for the range, and those recently uploaded. */
  private async blocks(): Promise<{ ids: string[]; recent: Set<string> }> {
    const idx = await this.opts.index(this.opts.tenant);
    if (!idx) return { ids: [], recent: new Set() };
    const now = (this.opts.now ?? Date.now)();
    const ignored = new Set(
      idx.block_deletion_marks.filter((m) => m.deletion_time * 1000 < now - this.opts.ignoreDeletionMarksDelay).map((m) => m.block_id),
    );
    const blocks = idx.blocks.filter((b) => b.min_time <= this.maxt && b.max_time > this.mint && !ignored.has(b.block_id));
    const grace = this.opts.uploadGracePeriod ?? 0;
    return { ids: blocks.map((b) => b.block_id), recent: new Set(blocks.filter((b) => b.uploaded_at * 1000 > now - grace).map((b) => b.block_id)) };
  }

  /**
   * Runs `call` on store-gateways until every block was reported queried: each round gives every
   * block still missing to a replica not tried for it yet.
   */
  private async fanOut<T>(call: (gw: StoreGatewayReader, blockIds: string[]) => Promise<{ result: T; queried: readonly string[] }>): Promise<Attempt<T>> {
    const { ids, recent } = await this.blocks();
    const missing = new Set(ids);
    const results: T[] = [];
    const tried = new Map<string, Set<string>>();
    const errors: string[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS && missing.size > 0; attempt++) {
      const byInstance = new Map<string, { instance: Instance; blocks: string[] }>();
      let ring: ReadRing;
      try {
        ring = this.opts.ring();
      } catch (err) {
        throw new StoreGatewaysUnavailableError(`cannot query store-gateways: ${messageOf(err)}`, { cause: err });
      }
      for (const id of missing) {
        let instances: readonly Instance[];
        try {
          instances = ring.get(blockToken(this.opts.tenant, id), Operation.Read, (this.opts.now ?? Date.now)()).instances;
        } catch (err) {
          if (err instanceof RingError) continue;
          throw err;
        }
        const seen = tried.get(id) ?? new Set<string>();
        const next = instances.find((i) => !seen.has(i.id));
        if (!next) continue;
        seen.add(next.id);
        tried.set(id, seen);
        let g = byInstance.get(next.id);
        if (!g) byInstance.set(next.id, (g = { instance: next, blocks: [] }));
        g.blocks.push(id);
      }
      if (byInstance.size === 0) break;
      const answers = await Promise.allSettled([...byInstance.values()].map(async (g) => ({ g, r: await call(this.opts.clients.get(g.instance), g.blocks) })));
      for (const a of answers) {
        if (a.status === 'rejected') {
          errors.push(messageOf(a.reason));
          continue;
        }
        results.push(a.value.r.result);
        for (const id of a.value.r.queried) missing.delete(id);
      }
    }
    for (const id of recent) missing.delete(id);
    if (missing.size > 0) {
      const which = [...missing].sort().join(' ');
      throw new StoreGatewaysUnavailableError(
        `failed to fetch series from all store-gateways: consistency check failed because some blocks were not queried: ${which}${errors.length > 0 ? ` (${errors.slice(0, 3).join('; ')})` : ''}`,
      );
    }
    return { results };
  }

  select(_sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[], opts?: QueryOptions): SeriesSet {
    const self = this;
    const skipChunks = hints?.seriesOnly === true;
    return {
      async *[Symbol.asyncIterator](): AsyncIterator<Series> {
        const { results } = await self.fanOut(async (gw, blockIds) => {
          const stream = gw.series(self.opts.tenant, { start: self.mint, end: self.maxt, matchers, skipChunks, blockIds }, opts?.signal ? { signal: opts.signal } : {});
          const series: StoreSeries[] = [];
          for await (const s of stream) series.push(s);
          return { result: series, queried: stream.queriedBlocks() };
        });
        // Each store-gateway's series are sorted; the same series from several is one, its chunks merged.
        const all = results.flat().sort((a, b) => compareLabels(a.labels, b.labels));
        for (let i = 0; i < all.length; ) {
          const labels: Labels = all[i]!.labels;
          const chunks: TimedChunk[] = [];
          for (; i < all.length && compareLabels(all[i]!.labels, labels) === 0; i++) chunks.push(...all[i]!.chunks);
          chunks.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
          yield seriesFromChunks(labels, chunks, self.mint, self.maxt);
        }
      },
      warnings: () => [],
    };
  }

  async labelNames(matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]> {
    const { results } = await this.fanOut(async (gw, blockIds) => {
      const r = await gw.labelNames(this.opts.tenant, { start: this.mint, end: this.maxt, matchers, blockIds }, opts?.signal ? { signal: opts.signal } : {});
      return { result: r.values, queried: r.queriedBlocks };
    });
    return [...new Set(results.flat())].sort(compareStrings);
  }

  async labelValues(name: string, matchers: readonly Matcher[], opts?: QueryOptions): Promise<string[]> {
    const { results } = await this.fanOut(async (gw, blockIds) => {
      const r = await gw.labelValues(this.opts.tenant, { name, start: this.mint, end: this.maxt, matchers, blockIds }, opts?.signal ? { signal: opts.signal } : {});
      return { result: r.values, queried: r.queriedBlocks };
    });
    return [...new Set(results.flat())].sort(compareStrings);
  }

  close(): void {}
}
