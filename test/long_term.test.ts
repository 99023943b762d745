// Long-term storage with separate processes, a real S3-compatible server (s3rver), a real Redis
// (the store-gateways' index and chunks caches) and a real NATS (the rings): 3 ingesters (RF=3)
// ship their blocks to the bucket, a compactor merges the three copies of each 2h range into one
// block holding every sample once (promtool tsdb dump shows each sample once) and writes the
// tenant's bucket index; 2 store-gateways (RF=2) serve the blocks, and the querier answers from
// them alone (the data is older than querier.query_ingesters_within), also with one
// store-gateway killed and with Redis killed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeBucketIndex } from '../libs/bucketindex/index.ts';
import { S3Bucket, s3BucketConfigSchema, tenantBucket, type Bucket } from '../libs/objstore/index.ts';
import { validateConfig } from '../libs/services/index.ts';
import { encodeWriteRequest, snappyEncode } from '../libs/remotewrite/index.ts';
import { collectSamples } from '../libs/storage/index.ts';
import { Block } from '../libs/tsdb/index.ts';
import { startCluster, type RunningCluster } from './cluster.ts';
import { startRedisServer, type RedisServer } from './redis.ts';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY } from './s3.ts';

const H = 3_600_000;
const MIN = 60_000;
const SERIES = 10;
const HAS_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

describe('long-term storage: shipping and compaction', { timeout: 240_000 }, () => {
  let c: RunningCluster;
  let redis: RedisServer;
  let s3: S3Bucket;
  let bucket: Bucket;
  const scratch = mkdtempSync(join(tmpdir(), 'strata-lt-'));
  // Four hours of one sample a minute, ending an hour ago: two whole 2h ranges at least.
  const end = Math.floor((Date.now() - H) / (2 * H)) * 2 * H;
  const start = end - 4 * H;
  before(async () => {
    redis = await startRedisServer();
    const cache = (name: string) => [`--blocks-storage.bucket-store.${name}.backend=redis`, `--blocks-storage.bucket-store.${name}.redis.endpoint=${redis.endpoint}`];
    c = await startCluster({
      ingesters: 3, distributors: 1, queriers: 1, compactors: 1, storeGateways: 2, s3: true,
      flags: [
        ...cache('index-cache'), ...cache('chunks-cache'),
        '--compactor.first-level-compaction-wait-period=0s', '--compactor.compaction-interval=1s', '--blocks-storage.tsdb.ship-interval=0s',
        '--blocks-storage.bucket-store.sync-interval=1s', '--querier.query-ingesters-within=30m', '--querier.query-store-after=0s',
      ],
    });
  });
  after(async () => {
    await s3?.close();
    await c?.stop();
    await redis?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Downloads a block of the tenant from S3 into the scratch directory. */
  async function download(ulid: string): Promise<string> {
    for await (const name of bucket.iter(`${ulid}/`, { recursive: true })) {
      const path = join(scratch, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await bucket.get(name));
    }
    return join(scratch, ulid);
  }

  it('ships every ingester\'s blocks and compacts the RF copies into one block per 2h range', async () => {
    for (let t = start; t < end; t += 30 * MIN) {
      const timeseries = [];
      for (let i = 0; i < SERIES; i++) {
        const samples = [];
        for (let s = t; s < t + 30 * MIN; s += MIN) samples.push({ value: s / MIN + i, timestamp: s });
        timeseries.push({ labels: ['__name__', 'lt_test', 'i', String(i)], samples });
      }
      const res = await fetch(c.info.pushUrl, { method: 'POST', body: snappyEncode(encodeWriteRequest({ timeseries })), signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200, await res.text());
    }
    for (const n of ['ingester-1', 'ingester-2', 'ingester-3']) {
      const res = await fetch(`http://${c.process(n).http}/ingester/flush`, { method: 'POST', signal: AbortSignal.timeout(60_000) });
      assert.equal(res.status, 204);
    }

    // The compactor runs every second: wait until the index lists one live block per 2h range.
    s3 = new S3Bucket(validateConfig(s3BucketConfigSchema, {
      endpoint: c.info.s3!.endpoint, bucket_name: c.info.s3!.bucket, insecure: true, bucket_lookup_type: 'path', region: 'us-east-1',
      access_key_id: S3RVER_ACCESS_KEY_ID, secret_access_key: S3RVER_SECRET_ACCESS_KEY,
    }));
    bucket = tenantBucket(s3, 'anonymous');
    let live: { block_id: string; min_time: number; max_time: number }[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      try {
        const idx = decodeBucketIndex(await bucket.get('bucket-index.json.gz'));
        const marked = new Set(idx.block_deletion_marks.map((m) => m.block_id));
        live = idx.blocks.filter((b) => !marked.has(b.block_id));
        if (live.length === 2 && idx.block_deletion_marks.length >= 6) break;
      } catch {
        // Not written yet.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(live.map((b) => [b.min_time, b.max_time]).sort((a, b) => a[0]! - b[0]!), [[start, start + 2 * H], [start + 2 * H, end - MIN + 1]], c.logs());
    // (A flush ends the last block just after its last sample, as Prometheus' head compaction does.)

    // Each live block holds every sample of its range once, and names no ingester.
    for (const b of live) {
      const dir = await download(b.block_id);
      const block = await Block.open(dir);
      try {
        // Level 2, or 3 when a copy arrived after the first two were merged (the compactor runs every second).
        assert.ok(block.meta.compaction.level >= 2, `level ${block.meta.compaction.level}`);
        assert.equal(block.meta.compaction.sources.length, 3, 'made from the three ingesters\' copies');
        assert.deepEqual(block.meta.thanos?.labels, { __org_id__: 'anonymous' });
        let n = 0;
        for await (const s of block.querier(b.min_time, b.max_time - 1).select(true, undefined, [])) {
          const { ts, vs } = collectSamples(s.iterator());
          const i = Number(s.labels.get('i'));
          assert.equal(ts.length, 2 * 60, `${s.labels.toString()}: one sample a minute, once each`);
          ts.forEach((t, k) => assert.equal(vs[k], t / MIN + i));
          n++;
        }
        assert.equal(n, SERIES);
      } finally {
        block.close();
      }
      if (HAS_PROMTOOL) {
        // promtool dumps every sample of the block: each (series, timestamp) exactly once.
        mkdirSync(join(scratch, 'wal'), { recursive: true }); // promtool opens the directory as a TSDB
        const r = spawnSync('promtool', ['tsdb', 'dump', `--min-time=${b.min_time}`, `--max-time=${b.max_time - 1}`, scratch], { encoding: 'utf8', maxBuffer: 64 << 20 });
        assert.equal(r.status, 0, r.stderr);
        const lines = r.stdout.split('\n').filter((l) => l.startsWith('{') && l.includes('lt_test'));
        const keys = lines.map((l) => { const p = l.split(' '); return `${p.slice(0, -2).join(' ')}@${p.at(-1)}`; });
        assert.equal(new Set(keys).size, keys.length, 'no sample twice');
        assert.ok(keys.length >= SERIES * 2 * 60, `${keys.length} samples dumped`);
      }
    }
  });

  it('answers PromQL over those blocks through the store-gateways, each sample once', async () => {
    const range = async (q: string, from: number, to: number, step: number) => {
      const url = `${c.info.queryUrl}/api/v1/query_range?query=${encodeURIComponent(q)}&start=${from / 1000}&end=${to / 1000}&step=${step / 1000}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      const doc = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
      assert.equal(doc.status, 'success', doc.error);
      return doc.data.result;
    };
    // A window over blocks and head: the older part from the store-gateways, the last 20 minutes
    // (never flushed) from the ingesters.
    const recentEnd = Math.floor(Date.now() / MIN) * MIN;
    const recentStart = recentEnd - 20 * MIN;
    const recent = [];
    for (let i = 0; i < SERIES; i++) {
      const samples = [];
      for (let t = recentStart; t <= recentEnd; t += MIN) samples.push({ value: t / MIN + i, timestamp: t });
      recent.push({ labels: ['__name__', 'lt_test', 'i', String(i)], samples });
    }
    const pushed = await fetch(c.info.pushUrl, { method: 'POST', body: snappyEncode(encodeWriteRequest({ timeseries: recent })), signal: AbortSignal.timeout(10_000) });
    assert.equal(pushed.status, 200, await pushed.text());
    let both: Awaited<ReturnType<typeof range>> = [];
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      try {
        both = await range('lt_test', start, recentEnd, 5 * MIN);
        if (both.length === SERIES && both.every((s) => s.values.some(([t]) => t * 1000 >= recentStart) && s.values.some(([t]) => t * 1000 < end))) break;
      } catch {
        // The store-gateways may not have loaded the blocks yet.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(both.length, SERIES);
    for (const s of both) {
      const i = Number(s.metric.i);
      for (const [t, v] of s.values) {
        const ms = t * 1000;
        // Inside the written ranges the value is exact; in the gap between them the 5m lookback has nothing.
        if ((ms >= start && ms < end) || ms >= recentStart) assert.equal(Number(v), ms / MIN + i, `${s.metric.i}@${ms}`);
      }
      assert.ok(s.values.some(([t]) => t * 1000 >= recentStart), 'the head part came from the ingesters');
      assert.ok(s.values.some(([t]) => t * 1000 < end), 'the block part came from the store-gateways');
    }

    // Only the store-gateways can answer now.
    for (const n of ['ingester-1', 'ingester-2', 'ingester-3']) process.kill(c.process(n).pid, 'SIGTERM');
    for (const n of ['ingester-1', 'ingester-2', 'ingester-3']) {
      const pid = c.process(n).pid;
      for (let k = 0; k < 200; k++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The store-gateways sync every second; wait until they serve the compacted blocks.
    let got: Awaited<ReturnType<typeof range>> = [];
    let last: unknown;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        got = await range('lt_test', start, end - MIN, MIN);
        if (got.length === SERIES && got.every((s) => s.values.length === 4 * 60)) break;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(got.length, SERIES, `${String(last)}\n${c.logs()}`);
    for (const s of got) {
      const i = Number(s.metric.i);
      assert.equal(s.values.length, 4 * 60);
      for (const [t, v] of s.values) assert.equal(Number(v), (t * 1000) / MIN + i);
    }
    // A counter growing by one a minute: rate 1/60 per second per series.
    const checkRate = async (what: string) => {
      const rate = await range('sum(rate(lt_test[10m]))', start + H, start + 3 * H, 30 * MIN);
      assert.equal(rate.length, 1, what);
      for (const [, v] of rate[0]!.values) assert.ok(Math.abs(Number(v) - SERIES / 60) < 1e-9, `${what}: ${v}`);
    };
    await checkRate('all store-gateways up');
    // Each block is on both store-gateways: the other replica answers for a killed one.
    process.kill(c.process('store-gateway-1').pid, 'SIGKILL');
    await checkRate('store-gateway-1 killed');
    // A cache outage slows queries; it does not fail them.
    await redis.stop();
    await checkRate('Redis stopped');
  });
});
