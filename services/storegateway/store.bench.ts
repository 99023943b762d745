// Store-gateway read path: a 7-day range query (step 5m) over 1,000 series kept in seven 24h
// blocks in a bucket, answered by a BucketStore through the PromQL engine, with empty caches
// (cold: index-headers already built by the sync, nothing else local) and again (warm). Reports
// latency, bytes read from the bucket and the number of bucket requests of each.
// Run: node --import tsx services/storegateway/store.bench.ts [--series=N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { updateBucketIndex, writeBucketIndex } from '../../libs/bucketindex/index.ts';
import { MemoryCache } from '../../libs/cache/index.ts';
import { Labels } from '../../libs/model/index.ts';
import { MemoryBucket, isObjectNotFound, tenantBucket, uploadFile } from '../../libs/objstore/index.ts';
import { Engine } from '../../libs/promql/engine/index.ts';
import { blockFiles, chunksFromSamples, writeBlock, type ChunkSeriesEntry } from '../../libs/tsdb/index.ts';
import type { StoreBucket } from './bucket.ts';
import { BucketStore } from './bucket_store.ts';

interface Row {
  name: string;
  value: number;
  unit: string;
}

const DAY = 86_400_000;
const MIN = 60_000;

/** Counts the requests and bytes the store asks of the bucket. */
function counting(inner: StoreBucket): StoreBucket & { requests: number; bytes: number } {
  const c = {
    requests: 0,
    bytes: 0,
    async get(name: string) {
      c.requests++;
      const b = await inner.get(name);
      c.bytes += b.length;
      return b;
    },
    async getRange(name: string, off: number, len: number) {
      c.requests++;
      const b = await inner.getRange(name, off, len);
      c.bytes += b.length;
      return b;
    },
    attributes: (name: string) => {
      c.requests++;
      return inner.attributes(name);
    },
    iter: (dir: string, opts?: { recursive?: boolean }) => {
      c.requests++;
      return inner.iter(dir, opts);
    },
    exists: (name: string) => {
      c.requests++;
      return inner.exists(name);
    },
  };
  return c;
}

export async function runStoreBench(opts: { series?: number } = {}): Promise<Row[]> {
  const nSeries = opts.series ?? 1_000;
  const end = Math.floor(Date.now() / DAY) * DAY;
  const start = end - 7 * DAY;
  const work = mkdtempSync(join(tmpdir(), 'strata-sg-bench-'));
  const bucket = new MemoryBucket();
  const tb = tenantBucket(bucket, 'bench');
  try {
    // One sample a minute, a counter per series, one block per day.
    for (let day = start; day < end; day += DAY) {
      const series: ChunkSeriesEntry[] = [];
      for (let i = 0; i < nSeries; i++) {
        const ts: number[] = [];
        const vs = new Float64Array(DAY / MIN);
        for (let k = 0; k < DAY / MIN; k++) {
          ts.push(day + k * MIN);
          vs[k] = (day - start) / MIN + k + (i % 7);
        }
        series.push({ labels: Labels.fromStrings('__name__', 'sg_bench', 'instance', `host-${String(i).padStart(4, '0')}`, 'job', `job-${i % 10}`), chunks: chunksFromSamples(ts, vs) });
      }
      series.sort((a, b) => (a.labels.toString() < b.labels.toString() ? -1 : 1));
      const meta = await writeBlock(work, series, { minTime: day, maxTime: day + DAY, compactionLevel: 3 });
      for (const f of await blockFiles(join(work, meta.ulid))) await uploadFile(tb, `${meta.ulid}/${f}`, join(work, meta.ulid, f));
    }
    await writeBucketIndex(tb, (await updateBucketIndex(tb, isObjectNotFound, undefined)).index);

    const rows: Row[] = [];
    const query = 'sum by (job) (rate(sg_bench[5m]))';
    const engine = new Engine();
    const counted = counting(tb);
    const store = new BucketStore(
      { dir: join(work, 'sync'), ignoreDeletionMarksDelayMs: 3_600_000, blockSyncConcurrency: 4, seriesBatchSize: 5_000, read: { maxGapBytes: 512 * 1024, estimatedMaxSeriesSizeBytes: 4096, estimatedMaxChunkSizeBytes: 16_000 } },
      { tenant: 'bench', bucket: counted, isNotFound: isObjectNotFound, indexCache: new MemoryCache({ maxSizeBytes: 1 << 30 }), chunksCache: new MemoryCache({ maxSizeBytes: 1 << 30 }) },
    );
    let t0 = performance.now();
    await store.sync();
    rows.push({ name: 'store-gateway sync, 7 blocks (index-headers)', value: Math.round(performance.now() - t0), unit: 'ms' });
    rows.push({ name: 'the same, bucket bytes read', value: counted.bytes, unit: 'bytes' });
    for (const phase of ['cold', 'warm']) {
      counted.requests = 0;
      counted.bytes = 0;
      t0 = performance.now();
      const res = await engine.rangeQuery(store, query, start, end - 1, 5 * MIN).exec();
      const ms = performance.now() - t0;
      // Every series grows by one a minute: each job's 1/10 of the series sums to n/10/60 per second.
      if (res.value.type !== 'matrix' || res.value.value.length !== 10) throw new Error(`store bench: unexpected result ${res.value.type}`);
      const want = nSeries / 10 / 60;
      const bad = res.value.value.flatMap((s) => s.floats).find((p) => Math.abs(p.f - want) > 1e-9);
      if (bad) throw new Error(`store bench: got ${bad.f} at ${bad.t}, want ${want}`);
      rows.push({ name: `7d range query (step 5m) over ${nSeries} series from a store-gateway, ${phase} cache`, value: Math.round(ms), unit: 'ms' });
      rows.push({ name: `the same, ${phase}: bucket bytes read`, value: counted.bytes, unit: 'bytes' });
      rows.push({ name: `the same, ${phase}: bucket requests`, value: counted.requests, unit: 'requests' });
    }
    store.close();
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = process.argv.find((a) => a.startsWith('--series='));
  for (const r of await runStoreBench(arg ? { series: Number(arg.slice(9)) } : {})) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
