// BucketStore against blocks written by libs/tsdb (and promtool when installed), served from a
// filesystem bucket: answers equal those of the same blocks opened locally, reads are counted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryCache, NoopCache, type Cache } from '../../libs/cache/index.ts';
import { Labels, Matcher, MatchType, compareLabels } from '../../libs/model/index.ts';
import { collectSamples, mergeSeriesSets, type Queryable } from '../../libs/storage/index.ts';
import { Block, chunksFromSamples, writeBlock, type ChunkSeriesEntry } from '../../libs/tsdb/index.ts';
import { prefixedBucket } from './bucket.ts';
import { BucketStore, seriesFromChunks, type BucketStoreConfig } from './bucket_store.ts';
import { QueryLimitError } from './limits.ts';
import { FsBucket, isNotFound, uploadBlocks } from './testutil.ts';

const HOUR = 3_600_000;
const TENANT = 'team-a';

function seriesFor(n: number, from: number, to: number, step: number, offset = 0): ChunkSeriesEntry[] {
  const out: ChunkSeriesEntry[] = [];
  for (let i = 0; i < n; i++) {
    const labels = Labels.fromStrings('__name__', `metric_${i % 7}`, 'instance', `host-${String(i).padStart(3, '0')}`, 'job', ['api', 'db', 'cache'][i % 3]!, ...(i % 4 === 0 ? ['zone', i % 8 === 0 ? 'eu' : 'üs'] : []));
    const ts: number[] = [];
    for (let t = from + ((i * 1000) % step); t < to; t += step) ts.push(t);
    out.push({ labels, chunks: chunksFromSamples(ts, new Float64Array(ts.map((t) => Math.sin(t / 1e6 + i) * 100 + offset)), 120) });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}


const MATCHER_SETS: Matcher[][] = [
  [],
  [new Matcher(MatchType.Equal, '__name__', 'metric_3')],
  [new Matcher(MatchType.Equal, 'job', 'db'), new Matcher(MatchType.NotEqual, 'instance', 'host-004')],
  [new Matcher(MatchType.Regexp, 'instance', 'host-0[0-3].')],
  [new Matcher(MatchType.Regexp, '__name__', 'metric_(1|2|5)'), new Matcher(MatchType.NotRegexp, 'job', 'api|cache')],
  [new Matcher(MatchType.Equal, 'zone', '')],
  [new Matcher(MatchType.NotEqual, 'zone', 'eu')],
  [new Matcher(MatchType.Regexp, 'zone', '.+')],
  [new Matcher(MatchType.Equal, 'zone', 'üs'), new Matcher(MatchType.Equal, 'job', 'api')],
  [new Matcher(MatchType.Equal, '__name__', 'nope')],
  [new Matcher(MatchType.Equal, 'nolabel', 'x')],
  [new Matcher(MatchType.NotRegexp, 'instance', '.*')],
];

interface Dump {
  labels: string;
  ts: number[];
  vs: number[];
}

async function dump(q: Queryable, mint: number, maxt: number, matchers: Matcher[]): Promise<Dump[]> {
  const out: Dump[] = [];
  const querier = q.querier(mint, maxt);
  for await (const s of querier.select(true, undefined, matchers)) {
    const c = collectSamples(s.iterator());
    out.push({ labels: s.labels.toString(), ts: c.ts, vs: [...c.vs.subarray(0, c.ts.length)] });
  }
  querier.close();
  return out;
}

function mergedBlocks(blocks: Block[]): Queryable {
  return {
    querier: (mint, maxt) => {
      const qs = blocks.map((b) => b.querier(mint, maxt));
      return {
        select: (sorted, hints, m) => mergeSeriesSets(qs.map((q) => q.select(sorted, hints, m))),
        labelNames: async (m) => [...new Set((await Promise.all(qs.map((q) => q.labelNames(m)))).flat())].sort(),
        labelValues: async (n, m) => [...new Set((await Promise.all(qs.map((q) => q.labelValues(n, m)))).flat())].sort(),
        close: () => qs.forEach((q) => q.close()),
      };
    },
  };
}

/** One block of the store, through its series API. */
function oneBlock(store: BucketStore, id: string): Queryable {
  return {
    querier: (mint, maxt) => ({
      labelNames: () => Promise.resolve([]),
      labelValues: () => Promise.resolve([]),
      close: () => {},
      select: (_sorted, _hints, m) => {
        const { series } = store.series({ start: mint, end: maxt, matchers: m, blockIds: [id] });
        return {
          async *[Symbol.asyncIterator]() {
            for await (const x of series) yield seriesFromChunks(x.labels, x.chunks, mint, maxt);
          },
          warnings: () => [],
        };
      },
    }),
  };
}

describe('BucketStore', () => {
  let root: string;
  let localDir: string;
  let bucketRoot: string;
  let blocks: Block[];
  let ids: string[];
  let fsBucket: FsBucket;
  const cfg = (over: Partial<BucketStoreConfig> = {}): BucketStoreConfig => ({
    dir: join(root, 'sg', TENANT),
    ignoreDeletionMarksDelayMs: HOUR,
    blockSyncConcurrency: 2,
    seriesBatchSize: 50,
    read: { maxGapBytes: 512 * 1024, estimatedMaxSeriesSizeBytes: 1024, estimatedMaxChunkSizeBytes: 2048 },
    ...over,
  });
  const newStore = (over: Partial<BucketStoreConfig> = {}, caches: { index?: Cache; chunks?: Cache } = {}, extra: Partial<ConstructorParameters<typeof BucketStore>[1]> = {}): BucketStore =>
    new BucketStore(cfg(over), {
      tenant: TENANT,
      bucket: prefixedBucket(fsBucket, TENANT),
      isNotFound,
      indexCache: caches.index ?? new NoopCache(),
      chunksCache: caches.chunks ?? new NoopCache(),
      ...extra,
    });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'strata-sg-'));
    localDir = join(root, 'local');
    bucketRoot = join(root, 'bucket');
    // Two adjacent blocks and one overlapping the first (as replicas' uncompacted blocks are).
    const a = await writeBlock(localDir, seriesFor(150, 0, 2 * HOUR, 15_000), { minTime: 0, maxTime: 2 * HOUR, segmentSize: 64 * 1024 });
    const b = await writeBlock(localDir, seriesFor(120, 2 * HOUR, 4 * HOUR, 30_000), { minTime: 2 * HOUR, maxTime: 4 * HOUR });
    const c = await writeBlock(localDir, seriesFor(40, HOUR, 2 * HOUR, 20_000), { minTime: HOUR, maxTime: 2 * HOUR });
    ids = [a.ulid, b.ulid, c.ulid];
    blocks = await Promise.all(ids.map((id) => Block.open(join(localDir, id))));
    await uploadBlocks(bucketRoot, TENANT, ids.map((id) => join(localDir, id)));
    fsBucket = new FsBucket(bucketRoot);
  });
  after(() => {
    for (const b of blocks) b.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives the same series, samples, label names and values as the blocks opened locally', async () => {
    const store = newStore();
    await store.sync();
    assert.deepEqual(store.blocks().map((b) => b.id), [...ids].sort());
    assert.ok(readdirSync(join(root, 'local', ids[0]!, 'chunks')).length > 1, 'block A should have several segment files');
    for (const [i, id] of ids.entries()) {
      const one = oneBlock(store, id);
      for (const m of MATCHER_SETS) {
        assert.deepEqual(await dump(one, -Infinity, Infinity, m), await dump(blocks[i]!, -Infinity, Infinity, m), `block ${i}, matchers ${m.map(String).join(',')}`);
      }
    }
    const all = mergedBlocks(blocks);
    for (const m of MATCHER_SETS) {
      for (const [mint, maxt] of [[-Infinity, Infinity], [HOUR / 2, HOUR + 1234], [2 * HOUR - 1, 2 * HOUR + 5], [5 * HOUR, 6 * HOUR]] as const) {
        assert.deepEqual(await dump(store, mint, maxt, m), await dump(all, mint, maxt, m), `matchers ${m.map(String).join(',')} in [${mint}, ${maxt}]`);
      }
      const q = store.querier(-Infinity, Infinity);
      const l = all.querier(-Infinity, Infinity);
      assert.deepEqual(await q.labelNames(m), await l.labelNames(m));
      for (const name of ['__name__', 'job', 'zone', 'instance', 'nolabel']) assert.deepEqual(await q.labelValues(name, m), await l.labelValues(name, m), `${name} ${m.map(String).join(',')}`);
    }
  });

  it('reports the blocks it queried and honours block ids and time ranges', async () => {
    const store = newStore();
    await store.sync();
    assert.deepEqual(store.series({ start: 0, end: HOUR - 1, matchers: [] }).queriedBlocks, [ids[0]]);
    assert.deepEqual(store.series({ start: 0, end: 4 * HOUR, matchers: [], blockIds: [ids[1]!, 'unknown'] }).queriedBlocks, [ids[1]]);
    const { series } = store.series({ start: 2 * HOUR, end: 3 * HOUR, matchers: [new Matcher(MatchType.Equal, 'job', 'db')], skipChunks: true });
    let n = 0;
    for await (const s of series) {
      assert.equal(s.chunks.length, 0);
      assert.equal(s.labels.get('job'), 'db');
      n++;
    }
    assert.equal(n, 40);
  });

  it('loads index-headers from local disk after a restart without reading the blocks', async () => {
    const first = newStore();
    await first.sync();
    fsBucket.calls.length = 0;
    const again = newStore();
    await again.sync();
    assert.deepEqual(again.blocks().map((b) => b.id), [...ids].sort());
    assert.equal(fsBucket.calls.filter((c) => ids.some((id) => c.includes(id))).length, 0, fsBucket.calls.join('\n'));
    assert.deepEqual(await again.labelNames({ start: -Infinity, end: Infinity, matchers: [] }), { values: ['__name__', 'instance', 'job', 'zone'], queriedBlocks: [...ids].sort() });
    // A corrupted header is rebuilt from the bucket.
    writeFileSync(join(root, 'sg', TENANT, ids[0]!, 'index-header'), 'garbage');
    const third = newStore();
    await third.sync();
    assert.equal(third.blocks().length, 3);
    assert.ok(fsBucket.calls.some((c) => c === `getRange ${TENANT}/${ids[0]}/index`));
  });

  it('coalesces nearby ranges into fewer reads', async () => {
    // Every 10th host: postings lists, series and chunks apart from each other.
    const m = [new Matcher(MatchType.Regexp, 'instance', 'host-0[0-9]0')];
    const reads = async (gap: number): Promise<{ index: number; chunks: number; out: Dump[] }> => {
      const store = newStore({ read: { maxGapBytes: gap, estimatedMaxSeriesSizeBytes: 128, estimatedMaxChunkSizeBytes: 2048 } });
      await store.sync();
      fsBucket.calls.length = 0;
      const out = await dump(store, 0, 2 * HOUR - 1, m);
      const id = ids[0]!;
      return { index: fsBucket.rangeReadsOf(`${TENANT}/${id}/index`), chunks: fsBucket.calls.filter((c) => c.startsWith(`getRange ${TENANT}/${id}/chunks/`)).length, out };
    };
    const apart = await reads(0);
    const together = await reads(512 * 1024);
    assert.equal(together.out.length, 10);
    assert.deepEqual(together.out, apart.out);
    assert.ok(together.index < apart.index, `index reads: ${together.index} coalesced vs ${apart.index}`);
    assert.ok(together.chunks < apart.chunks, `chunk reads: ${together.chunks} coalesced vs ${apart.chunks}`);
    const segments = readdirSync(join(localDir, ids[0]!, 'chunks')).length;
    assert.ok(together.chunks <= segments, `chunk reads coalesced: ${together.chunks}, at most one per segment (${segments})`);
  });

  it('reads series and chunks larger than the size estimates', async () => {
    const store = newStore({ read: { maxGapBytes: 0, estimatedMaxSeriesSizeBytes: 8, estimatedMaxChunkSizeBytes: 8 } });
    await store.sync();
    const m = [new Matcher(MatchType.Equal, 'job', 'cache')];
    assert.deepEqual(await dump(store, -Infinity, Infinity, m), await dump(mergedBlocks(blocks), -Infinity, Infinity, m));
  });

  it('serves repeated queries from the caches', async () => {
    const index = new MemoryCache({ maxSizeBytes: 64 << 20 });
    const chunks = new MemoryCache({ maxSizeBytes: 64 << 20 });
    const store = newStore({}, { index, chunks });
    await store.sync();
    const m = [new Matcher(MatchType.Regexp, 'job', 'api|db')];
    fsBucket.calls.length = 0;
    const first = await dump(store, -Infinity, Infinity, m);
    const cold = fsBucket.calls.length;
    assert.ok(cold > 0);
    fsBucket.calls.length = 0;
    const second = await dump(store, -Infinity, Infinity, m);
    assert.deepEqual(second, first);
    assert.equal(fsBucket.calls.length, 0, `a repeated query read the bucket: ${fsBucket.calls.join(', ')}`);
    assert.ok(index.stats().hits > 0 && chunks.stats().hits > 0);
    // Another tenant with the same blocks shares the caches but not their entries.
    const other = new BucketStore(cfg({ dir: join(root, 'sg', 'other') }), { tenant: 'other', bucket: prefixedBucket(fsBucket, TENANT), isNotFound, indexCache: index, chunksCache: chunks });
    await other.sync();
    fsBucket.calls.length = 0;
    await dump(other, -Infinity, Infinity, m);
    assert.ok(fsBucket.calls.length > 0, 'another tenant must not hit this tenant\'s cache entries');
  });

  it('enforces max series and max chunk bytes per query with Mimir\'s messages', async () => {
    const limited = (series: number, bytes: number): BucketStore =>
      newStore({}, {}, { limits: () => ({ max_fetched_series_per_query: series, max_fetched_chunk_bytes_per_query: bytes }) });
    const s1 = limited(10, 0);
    await s1.sync();
    await assert.rejects(dump(s1, -Infinity, Infinity, []), (err: unknown) => {
      assert.ok(err instanceof QueryLimitError);
      assert.match(err.message, /^the query exceeded the maximum number of series \(limit: 10 series\) \(err-mimir-max-series-per-query\)/);
      return true;
    });
    assert.equal((await dump(s1, -Infinity, Infinity, [new Matcher(MatchType.Equal, 'instance', 'host-001')])).length, 1);
    const s2 = limited(0, 1000);
    await s2.sync();
    await assert.rejects(dump(s2, -Infinity, Infinity, [new Matcher(MatchType.Equal, 'job', 'api')]), /^QueryLimitError: the query exceeded the aggregated chunk size limit \(limit: 1000 bytes\) \(err-mimir-max-chunks-bytes-per-query\)/);
  });

  it('ignores blocks marked for deletion long enough ago, unowned blocks, and drops blocks that left the index', async () => {
    const now = Date.now();
    const dir2 = join(root, 'bucket2');
    await uploadBlocks(dir2, TENANT, ids.map((id) => join(localDir, id)), { [ids[0]!]: Math.floor((now - 2 * HOUR) / 1000), [ids[1]!]: Math.floor((now - 60_000) / 1000) });
    const b2 = new FsBucket(dir2);
    const sgDir = join(root, 'sg2', TENANT);
    const mk = (owns: (id: string) => boolean): BucketStore =>
      new BucketStore(cfg({ dir: sgDir }), { tenant: TENANT, bucket: prefixedBucket(b2, TENANT), isNotFound, indexCache: new NoopCache(), chunksCache: new NoopCache(), owns, now: () => now });
    const s = mk(() => true);
    await s.sync();
    assert.deepEqual(s.blocks().map((b) => b.id), [ids[1]!, ids[2]!].sort());
    const only = mk((id) => id === ids[2]);
    await only.sync();
    assert.deepEqual(only.blocks().map((b) => b.id), [ids[2]]);
    assert.deepEqual(readdirSync(sgDir).sort(), [ids[2]], 'local headers of blocks no longer served are removed');
    // The block leaves the index: dropped at the next sync.
    const { writeIndex } = await import('./testutil.ts');
    await writeIndex(dir2, TENANT, { version: 1, blocks: [], block_deletion_marks: [], updated_at: 0 });
    await only.sync();
    assert.deepEqual(only.blocks(), []);
    assert.deepEqual(readdirSync(sgDir), []);
  });

  it('serves nothing for a tenant without a bucket index', async () => {
    const s = new BucketStore(cfg({ dir: join(root, 'sg3') }), { tenant: 'nobody', bucket: prefixedBucket(fsBucket, 'nobody'), isNotFound, indexCache: new NoopCache(), chunksCache: new NoopCache() });
    await s.sync();
    assert.deepEqual(s.blocks(), []);
    assert.deepEqual(await dump(s, -Infinity, Infinity, []), []);
  });
});

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('BucketStore over a block written by promtool', { skip: promtool ? false : 'promtool not installed' }, () => {
  it('answers as the block opened locally', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strata-sg-promtool-'));
    try {
      const lines: string[] = ['# TYPE http_requests counter'];
      for (let i = 0; i < 30; i++) {
        for (let t = 0; t < 3600; t += 60) lines.push(`http_requests_total{code="${200 + (i % 3)}",path="/p${i}"} ${t * i} ${1_700_000_000 + t}`);
      }
      lines.push('# TYPE temp gauge');
      for (let t = 0; t < 3600; t += 30) lines.push(`temp{room="a"} ${Math.sin(t)} ${1_700_000_000 + t}`);
      lines.push('# EOF');
      writeFileSync(join(root, 'in.om'), lines.join('\n') + '\n');
      const r = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(root, 'in.om'), join(root, 'local')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const ids = readdirSync(join(root, 'local')).filter((n) => /^[0-9A-Z]{26}$/.test(n));
      assert.ok(ids.length >= 1);
      await uploadBlocks(join(root, 'bucket'), 'p', ids.map((id) => join(root, 'local', id)));
      const store = new BucketStore(
        { dir: join(root, 'sg'), ignoreDeletionMarksDelayMs: HOUR, blockSyncConcurrency: 1, seriesBatchSize: 7, read: { maxGapBytes: 4096, estimatedMaxSeriesSizeBytes: 64, estimatedMaxChunkSizeBytes: 256 } },
        { tenant: 'p', bucket: prefixedBucket(new FsBucket(join(root, 'bucket')), 'p'), isNotFound, indexCache: new MemoryCache({ maxSizeBytes: 1 << 20 }), chunksCache: new NoopCache() },
      );
      await store.sync();
      const local = await Promise.all(ids.map((id) => Block.open(join(root, 'local', id))));
      try {
        const all = mergedBlocks(local);
        for (const m of [[], [new Matcher(MatchType.Equal, 'code', '201')], [new Matcher(MatchType.Regexp, '__name__', 'temp|http_.*'), new Matcher(MatchType.NotEqual, 'path', '/p3')], [new Matcher(MatchType.Equal, 'room', '')]]) {
          const got = await dump(store, -Infinity, Infinity, m);
          assert.deepEqual(got, await dump(all, -Infinity, Infinity, m));
          assert.ok(m.length > 0 || got.length === 31);
          const q = store.querier(-Infinity, Infinity);
          const l = all.querier(-Infinity, Infinity);
          assert.deepEqual(await q.labelNames(m), await l.labelNames(m));
          assert.deepEqual(await q.labelValues('path', m), await l.labelValues('path', m));
        }
      } finally {
        for (const b of local) b.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

