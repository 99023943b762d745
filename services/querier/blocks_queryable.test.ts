import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BucketIndex } from '../../libs/bucketindex/index.ts';
import { Labels } from '../../libs/model/index.ts';
import { InstanceState, ReadRing, generateTokens, type Instance } from '../../libs/ring/index.ts';
import { collectSamples } from '../../libs/storage/index.ts';
import { chunksFromSamples } from '../../libs/tsdb/index.ts';
import type { ClientSeriesStream, StoreSeries } from '../storegateway/index.ts';
import { BlocksQueryable, StoreGatewaysUnavailableError, type StoreGatewayReader } from './blocks_queryable.ts';

const NOW = 1_700_000_000_000;
const H = 3_600_000;

function ring(): ReadRing {
  const taken = new Set<number>();
  const inst = () => ({ addr: '', zone: '', state: InstanceState.Active, tokens: generateTokens(64, taken), heartbeat_timestamp: NOW, registered_timestamp: NOW });
  return new ReadRing({ instances: { a: inst(), b: inst() } }, { replicationFactor: 2, heartbeatTimeout: 60_000, zoneAwareness: false });
}

const index: BucketIndex = {
  version: 1,
  blocks: [
    { block_id: 'X', min_time: 0, max_time: 2 * H, uploaded_at: NOW / 1000 - 3600, segments_format: '1b6d', segments_num: 1 },
    { block_id: 'Y', min_time: 2 * H, max_time: 4 * H, uploaded_at: NOW / 1000 - 60, segments_format: '1b6d', segments_num: 1 },
  ],
  block_deletion_marks: [],
  updated_at: NOW / 1000,
};

/** A store-gateway holding one sample per block, at the block's start (value 1 for X, 2 for Y). */
function gateway(behaviour: 'ok' | 'down' | 'forgets-Y', calls: string[][]): StoreGatewayReader {
  const labels = Labels.fromStrings('__name__', 'm');
  return {
    series: (_tenant, req): ClientSeriesStream => {
      const ids = [...(req.blockIds ?? [])].filter((id) => behaviour !== 'forgets-Y' || id !== 'Y');
      calls.push([...(req.blockIds ?? [])]);
      return {
        queriedBlocks: () => ids,
        async *[Symbol.asyncIterator](): AsyncGenerator<StoreSeries> {
          if (behaviour === 'down') throw new Error('14 UNAVAILABLE: connection refused');
          const ts = ids.map((id) => (id === 'X' ? 0 : 2 * H));
          yield { labels, chunks: chunksFromSamples(ts, Float64Array.from(ids.map((id) => (id === 'X' ? 1 : 2)))) };
        },
      };
    },
    labelNames: async () => ({ values: [], queriedBlocks: [] }),
    labelValues: async () => ({ values: [], queriedBlocks: [] }),
  };
}

async function samples(q: BlocksQueryable): Promise<number[]> {
  const out: number[] = [];
  for await (const s of q.querier(0, 4 * H).select(true, undefined, [])) out.push(...collectSamples(s.iterator()).vs);
  return out;
}

describe('BlocksQueryable', () => {
  const opts = (a: StoreGatewayReader, b: StoreGatewayReader, grace = 0) => ({
    ring, tenant: 't', index: async () => index, ignoreDeletionMarksDelay: H, uploadGracePeriod: grace, now: () => NOW,
    clients: { get: (i: Instance) => (i.id === 'a' ? a : b) },
  });

  it('asks another replica for the blocks of a store-gateway that failed', async () => {
    const calls: string[][] = [];
    const q = new BlocksQueryable(opts(gateway('down', calls), gateway('ok', calls)));
    assert.deepEqual(await samples(q), [1, 2]);
  });

  it('fails, naming the blocks, when no replica answered for a block', async () => {
    const calls: string[][] = [];
    const q = new BlocksQueryable(opts(gateway('forgets-Y', calls), gateway('down', calls)));
    await assert.rejects(samples(q), (err: unknown) =>
      err instanceof StoreGatewaysUnavailableError && /consistency check failed because some blocks were not queried: Y \(/.test(err.message));
  });

  it('tolerates a missing block uploaded within the grace period (the ingesters still have it)', async () => {
    const calls: string[][] = [];
    const q = new BlocksQueryable(opts(gateway('forgets-Y', calls), gateway('forgets-Y', calls), 5 * 60_000));
    assert.deepEqual(await samples(q), [1]);
  });
});
