// The store-gateway gRPC service over a real server and client: series with chunks and queried
// blocks, label calls, limit and tenant errors; and BucketStore with a Redis cache that stops mid-query.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NoopCache, RedisCache } from '../../libs/cache/index.ts';
import { nopLogger } from '../../libs/log/index.ts';
import { Labels, Matcher, MatchType, compareLabels } from '../../libs/model/index.ts';
import { Server, createMetricsRegistry, grpc, serverConfigSchema } from '../../libs/server/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { collectSamples } from '../../libs/storage/index.ts';
import { chunksFromSamples, writeBlock, type ChunkSeriesEntry } from '../../libs/tsdb/index.ts';
import { startRedisServer, type RedisServer } from '../../test/redis.ts';
import { prefixedBucket } from './bucket.ts';
import { BucketStore, seriesFromChunks, type BucketStoreConfig, type StoreSeries } from './bucket_store.ts';
import { STORE_GATEWAY_SERVICE, StoreGatewayClient, storeGatewayGrpcService } from './grpc.ts';
import { FsBucket, isNotFound, uploadBlocks } from './testutil.ts';

const HOUR = 3_600_000;

function series(n: number, from: number, to: number): ChunkSeriesEntry[] {
  const out: ChunkSeriesEntry[] = [];
  for (let i = 0; i < n; i++) {
    const ts: number[] = [];
    for (let t = from; t < to; t += 60_000) ts.push(t);
    out.push({ labels: Labels.fromStrings('__name__', 'up', 'instance', `i${i}`, 'job', i % 2 ? 'odd' : 'even'), chunks: chunksFromSamples(ts, new Float64Array(ts.map((t) => t / 1000 + i)), 30) });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

const cfg = (dir: string): BucketStoreConfig => ({
  dir, ignoreDeletionMarksDelayMs: HOUR, blockSyncConcurrency: 2, seriesBatchSize: 16,
  read: { maxGapBytes: 4096, estimatedMaxSeriesSizeBytes: 256, estimatedMaxChunkSizeBytes: 1024 },
});

async function drain(s: AsyncIterable<StoreSeries>): Promise<{ labels: string; ts: number[] }[]> {
  const out: { labels: string; ts: number[] }[] = [];
  for await (const x of s) out.push({ labels: x.labels.toString(), ts: collectSamples(seriesFromChunks(x.labels, x.chunks, -Infinity, Infinity).iterator()).ts });
  return out;
}

describe('store-gateway', () => {
  let root: string;
  let bucket: FsBucket;
  let ids: string[];
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'strata-sg-grpc-'));
    const a = await writeBlock(join(root, 'local'), series(300, 0, 2 * HOUR), { minTime: 0, maxTime: 2 * HOUR });
    const b = await writeBlock(join(root, 'local'), series(10, 2 * HOUR, 4 * HOUR), { minTime: 2 * HOUR, maxTime: 4 * HOUR });
    ids = [a.ulid, b.ulid].sort();
    await uploadBlocks(join(root, 'bucket'), 't1', [a.ulid, b.ulid].map((id) => join(root, 'local', id)));
    bucket = new FsBucket(join(root, 'bucket'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('gRPC', () => {
    let server: Server;
    let client: StoreGatewayClient;
    let store: BucketStore;
    let limited: BucketStore;
    before(async () => {
      const deps = { tenant: 't1', bucket: prefixedBucket(bucket, 't1'), isNotFound, indexCache: new NoopCache(), chunksCache: new NoopCache() };
      store = new BucketStore(cfg(join(root, 'sg', 't1')), deps);
      await store.sync();
      limited = new BucketStore(cfg(join(root, 'sg', 'lim')), { ...deps, tenant: 'lim', limits: () => ({ max_fetched_series_per_query: 5, max_fetched_chunk_bytes_per_query: 0 }) });
      await limited.sync();
      const sc = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0, grpc_listen_address: '127.0.0.1', grpc_listen_port: 0 });
      server = new Server(sc, { logger: nopLogger, registry: createMetricsRegistry({ version: 'v', revision: 'r', branch: 'b' }), readiness: () => ({ ready: true, reason: '' }) });
      server.addGrpcService(STORE_GATEWAY_SERVICE, storeGatewayGrpcService((t) => (t === 't1' ? store : t === 'lim' ? limited : undefined), { maxSeriesPerMessage: 7, maxBytesPerMessage: 1 << 20 }));
      await server.start();
      client = new StoreGatewayClient(`127.0.0.1:${server.grpcAddress()!.port}`);
    });
    after(async () => {
      client.close();
      await server.stop();
    });

    it('streams the same series and chunks as the store, and the queried blocks', async () => {
      const req = { start: HOUR, end: 3 * HOUR, matchers: [new Matcher(MatchType.Equal, 'job', 'odd')] };
      const s = client.series('t1', req);
      const got = await drain(s);
      assert.equal(got.length, 150);
      assert.deepEqual(s.queriedBlocks(), ids);
      assert.deepEqual(got, await drain(store.series(req).series));
      const only = client.series('t1', { ...req, blockIds: [ids[1]!], skipChunks: true });
      let n = 0;
      for await (const x of only) {
        assert.equal(x.chunks.length, 0);
        n++;
      }
      assert.equal(n, 5);
      assert.deepEqual(only.queriedBlocks(), [ids[1]]);
    });

    it('answers label names and values with the queried blocks', async () => {
      assert.deepEqual(await client.labelNames('t1', { start: 0, end: HOUR, matchers: [] }), { values: ['__name__', 'instance', 'job'], queriedBlocks: [ids[0]] });
      const v = await client.labelValues('t1', { name: 'instance', start: 2 * HOUR, end: 4 * HOUR, matchers: [new Matcher(MatchType.Regexp, 'instance', 'i[0-2]')] });
      assert.deepEqual(v, { values: ['i0', 'i1', 'i2'], queriedBlocks: [ids[1]] });
      assert.deepEqual(await client.labelNames('unknown', { start: 0, end: HOUR, matchers: [] }), { values: [], queriedBlocks: [] });
    });

    it('maps limit errors to RESOURCE_EXHAUSTED and a missing tenant to UNAUTHENTICATED', async () => {
      await assert.rejects(drain(client.series('lim', { start: -Infinity, end: Infinity, matchers: [] })), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.match(err.details, /maximum number of series \(limit: 5 series\)/);
        return true;
      });
      await assert.rejects(drain(client.series('', { start: 0, end: 1, matchers: [] })), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
    });

    it('stops the stream when the client leaves early', async () => {
      let n = 0;
      for await (const _ of client.series('t1', { start: -Infinity, end: Infinity, matchers: [] })) if (++n === 3) break;
      assert.equal(n, 3);
      assert.equal((await drain(client.series('t1', { start: 0, end: 1, matchers: [new Matcher(MatchType.Equal, 'instance', 'i1')] }))).length, 1);
    });
  });

  describe('with a Redis cache', () => {
    let redis: RedisServer;
    before(async () => {
      redis = await startRedisServer();
    });
    after(() => redis.cleanup());

    it('hits Redis on a repeated query, and answers correctly while Redis is stopped mid-query', async () => {
      const mk = (): RedisCache => new RedisCache({ endpoint: redis.endpoint, dialTimeoutMs: 300, readTimeoutMs: 150, maxItemSizeBytes: 1 << 20 });
      const index = mk();
      const chunks = mk();
      await index.start();
      await chunks.start();
      try {
        const store = new BucketStore(cfg(join(root, 'sg-redis', 't1')), { tenant: 't1', bucket: prefixedBucket(bucket, 't1'), isNotFound, indexCache: index, chunksCache: chunks });
        await store.sync();
        const req = { start: -Infinity, end: Infinity, matchers: [new Matcher(MatchType.Regexp, 'instance', 'i1.*')] };
        const want = await drain(store.series(req).series);
        bucket.calls.length = 0;
        assert.deepEqual(await drain(store.series(req).series), want);
        assert.equal(bucket.calls.length, 0, 'the repeated query should come from Redis');
        assert.ok(index.stats().hits > 0 && chunks.stats().hits > 0);
        // Redis stops after the first batch of series: the rest comes from the bucket.
        const other = { ...req, matchers: [new Matcher(MatchType.Regexp, 'instance', 'i2.*')] };
        const t0 = Date.now();
        const got: { labels: string; ts: number[] }[] = [];
        let stopped = false;
        for await (const x of store.series(other).series) {
          if (!stopped) {
            await redis.stop();
            stopped = true;
          }
          got.push(...(await drain((async function* () { yield x; })())));
        }
        const reference = new BucketStore(cfg(join(root, 'sg-ref', 't1')), { tenant: 't1', bucket: prefixedBucket(bucket, 't1'), isNotFound, indexCache: new NoopCache(), chunksCache: new NoopCache() });
        await reference.sync();
        assert.deepEqual(got, await drain(reference.series(other).series));
        assert.deepEqual(await drain(store.series(req).series), want, 'a cached query answers from the bucket while Redis is down');
        assert.ok(Date.now() - t0 < 10_000);
        assert.ok(index.stats().errors + chunks.stats().errors > 0, 'Redis failures are counted');
      } finally {
        await index.close();
        await chunks.close();
      }
    });
  });
});
