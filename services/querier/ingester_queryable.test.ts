// The ingesters as a Queryable, with real parts: three Ingesters, each behind its own gRPC server
// on loopback, holding the same series with different gaps (RF=3); queried through the PromQL
// engine and compared with the engine over one complete ingester. Then one and two ingesters stop.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nopLogger } from '../../libs/log/index.ts';
import { Labels, Matcher, MatchType, type Histogram } from '../../libs/model/index.ts';
import { encodeWriteRequest } from '../../libs/remotewrite/index.ts';
import { InstanceState, ReadRing, type Instance, type RingDesc } from '../../libs/ring/index.ts';
import { Server, createMetricsRegistry, serverConfigSchema } from '../../libs/server/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { ValueType, collectSamples, type Queryable } from '../../libs/storage/index.ts';
import { Overrides, limitsConfigSchema } from '../../libs/tenant/index.ts';
import { ChunkBuilder, type TimedChunk } from '../../libs/tsdb/index.ts';
import { INGESTER_SERVICE, Ingester, IngesterClient, ingesterGrpcService } from '../ingester/index.ts';
import { classifyError } from './errors.ts';
import { IngestersMetadata, IngestersQueryable, replicatedSeries } from './ingester_queryable.ts';
import { Engine } from './promql.ts';

const TENANT = 'team-a';
const md = (name: string, help: string, type = 1) => ({ type, metricFamilyName: name, help, unit: '' });
const STEP = 15_000;
const MIN = 60_000;
// An hour of data ending a minute ago (inside the default grace periods), aligned to the step.
const T0 = Math.floor((Date.now() - 61 * MIN) / STEP) * STEP;
const N = 240;

function hist(k: number): Histogram {
  return {
    counterResetHint: 'unknown', schema: 1, zeroThreshold: 0.001, zeroCount: k, count: 6 * k, sum: 2.5 * k,
    positiveSpans: [{ offset: 0, length: 2 }], negativeSpans: [], positiveBuckets: [2 * k, 3 * k], negativeBuckets: [],
  };
}

/** Which sample indexes replica r lacks: none on 0, minutes 10–20 on 1, minutes 30–40 on 2. */
function missing(r: number, k: number): boolean {
  const minute = (k * STEP) / MIN;
  return (r === 1 && minute >= 10 && minute < 20) || (r === 2 && minute >= 30 && minute < 40);
}

interface Replica {
  dir: string;
  ingester: Ingester;
  server: Server;
  client: IngesterClient;
  instance: Instance;
}

async function startReplica(r: number): Promise<Replica> {
  const dir = mkdtempSync(join(tmpdir(), `strata-ingq-${r}-`));
  const ingester = new Ingester({ dir, blockRange: 2 * 60 * MIN, retention: 0, walFsync: 'never' }, new Overrides(validateConfig(limitsConfigSchema, {})));
  await ingester.start();
  const cfg = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0, grpc_listen_address: '127.0.0.1', grpc_listen_port: 0 });
  const server = new Server(cfg, { logger: nopLogger, registry: createMetricsRegistry({ version: 'v', revision: 'r', branch: 'b' }), readiness: () => ({ ready: true, reason: '' }) });
  // Small batches, so that streams span several messages.
  server.addGrpcService(INGESTER_SERVICE, ingesterGrpcService(ingester, { maxSeriesPerMessage: 2, maxBytesPerMessage: 4096 }));
  await server.start();
  const addr = `127.0.0.1:${server.grpcAddress()!.port}`;
  const now = Date.now();
  const instance: Instance = { id: `ingester-${r}`, addr, zone: '', state: InstanceState.Active, tokens: [r * 1000 + 1], heartbeat_timestamp: now, registered_timestamp: now };
  return { dir, ingester, server, client: new IngesterClient(addr), instance };
}

/** The same floats (through gRPC Push) and histograms (appended to the TSDB) on every replica, minus its gap. */
async function writeData(r: Replica, idx: number): Promise<void> {
  const timeseries = [];
  for (let i = 0; i < 3; i++) {
    const samples = [];
    for (let k = 0; k < N; k++) if (!missing(idx, k)) samples.push({ value: i * 1000 + k, timestamp: T0 + k * STEP });
    timeseries.push({ labels: ['__name__', 'm', 'i', String(i), 'job', 'api'], samples });
  }
  const res = await r.client.push(TENANT, encodeWriteRequest({ timeseries }));
  assert.equal(res.rejected, 0, JSON.stringify(res.rejections));
  const db = await r.ingester.dbs.getOrCreate(TENANT);
  const app = db.appender();
  const labels = Labels.fromStrings('__name__', 'h', 'job', 'api');
  for (let k = 0; k < N; k++) if (!missing(idx, k)) app.appendHistogram(0, labels, T0 + k * STEP, hist(k + 1));
  await app.commit();
}

describe('IngestersQueryable over three real ingesters (RF=3)', () => {
  const replicas: Replica[] = [];
  let queryable: Queryable;
  let metadata: IngestersMetadata;
  let reference: Queryable;
  const engine = new Engine({ timeout: 30_000 });
  const queries = [
    'm',
    'sum(m)',
    'count(m)',
    'rate(m[5m])',
    'count_over_time(m[1h])',
  ];
  const expected = new Map<string, unknown>();
  const run = async (q: Queryable, qs: string, signal?: AbortSignal) =>
    (await engine.rangeQuery(q, qs, T0, T0 + (N - 1) * STEP, 30_000, signal ? { signal } : {}).exec()).value;

  // Every sample of every series, floats and histograms (the engine has no native histograms yet).
  const raw = async (q: Queryable, mint = T0, maxt = T0 + N * STEP) => {
    const out = [];
    for await (const s of q.querier(mint, maxt).select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')])) {
      out.push({ labels: s.labels.toString(), ...collectSamples(s.iterator()) });
    }
    return out;
  };

  before(async () => {
    for (let r = 0; r < 3; r++) replicas.push(await startReplica(r));
    for (let r = 0; r < 3; r++) await writeData(replicas[r]!, r);
    // Replica 1 answers from a block, the others from their heads: differently cut chunks.
    await replicas[1]!.ingester.flush();
    const desc: RingDesc = { instances: Object.fromEntries(replicas.map((r) => [r.instance.id, r.instance])) };
    const ring = new ReadRing(desc, { replicationFactor: 3, heartbeatTimeout: 60 * MIN, zoneAwareness: false });
    const clients = new Map(replicas.map((r) => [r.instance.id, r.client]));
    queryable = new IngestersQueryable({ ring: () => ring, pool: { get: (inst) => clients.get(inst.id)! }, tenant: TENANT, timeoutMs: 10_000 });
    metadata = new IngestersMetadata({ ring: () => ring, pool: { get: (inst) => clients.get(inst.id)! }, tenant: TENANT, timeoutMs: 10_000 });
    // Every replica has m's entry; replica 1 also another help of m, replica 2 also h's entry.
    for (let r = 0; r < 3; r++) {
      const extra = r === 1 ? [md('m', 'M, elsewhere.')] : r === 2 ? [md('h', 'H.', 3)] : [];
      await replicas[r]!.client.push(TENANT, encodeWriteRequest({ metadata: [md('m', 'M.'), ...extra] }));
    }
    reference = replicas[0]!.ingester.queryable(TENANT);
    for (const qs of queries) expected.set(qs, await run(reference, qs));
    expected.set('raw', await raw(reference));
  });

  after(async () => {
    for (const r of replicas) {
      r.client.close();
      await r.server.stop();
      await r.ingester.stop();
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it('the reference is what was written', () => {
    const sum = expected.get('sum(m)') as { value: { floats: { f: number; t: number }[] }[] };
    // At minute 15 (inside replica 1's gap), sample k=60 of each series: 60 + 1060 + 2060.
    assert.deepEqual(sum.value[0]!.floats.find((p) => p.t === T0 + 15 * MIN), { t: T0 + 15 * MIN, f: 3180 });
    const all = expected.get('raw') as Awaited<ReturnType<typeof raw>>;
    assert.deepEqual(all.map((s) => [s.labels, s.ts.length]), [['{__name__="h", job="api"}', N], ...[0, 1, 2].map((i) => [`{__name__="m", i="${i}", job="api"}`, N])]);
    assert.ok(all[0]!.types.every((t) => t === ValueType.Histogram));
    assert.deepEqual(all[0]!.hs.map((h) => h!.count), Array.from({ length: N }, (_, k) => 6 * (k + 1)));
  });

  it('answers every query as one complete replica does: duplicates once, no gaps', async () => {
    for (const qs of queries) assert.deepEqual(await run(queryable, qs), expected.get(qs), qs);
    assert.deepEqual(await raw(queryable), expected.get('raw'));
    // A window inside replica 1's gap and across replica 2's.
    assert.deepEqual(await raw(queryable, T0 + 12 * MIN, T0 + 35 * MIN), await raw(reference, T0 + 12 * MIN, T0 + 35 * MIN));
  });

  it('serves series-only selects and label names and values', async () => {
    const q = queryable.querier(T0, T0 + N * STEP);
    const got = [];
    for await (const s of q.select(true, { start: T0, end: T0 + N * STEP, seriesOnly: true }, [new Matcher(MatchType.Regexp, '__name__', 'm|h')])) {
      got.push(s.labels.toString());
      assert.equal(collectSamples(s.iterator()).ts.length, 0);
    }
    assert.deepEqual(got, ['{__name__="h", job="api"}', '{__name__="m", i="0", job="api"}', '{__name__="m", i="1", job="api"}', '{__name__="m", i="2", job="api"}']);
    assert.deepEqual(await q.labelNames([]), ['__name__', 'i', 'job']);
    assert.deepEqual(await q.labelValues('i', [new Matcher(MatchType.Equal, '__name__', 'm')]), ['0', '1', '2']);
    // A range before any data has nothing.
    const early = queryable.querier(0, 1000);
    assert.deepEqual(await early.labelNames([]), []);
  });

  it('merges the metadata of every ingester without duplicates, within limit and limit per metric', async () => {
    const all = { limit: 0, limitPerMetric: 0, metric: '' };
    assert.deepEqual(await metadata.metricsMetadata(all), [md('h', 'H.', 3), md('m', 'M, elsewhere.'), md('m', 'M.')]);
    assert.deepEqual(await metadata.metricsMetadata({ ...all, limit: 1 }), [md('h', 'H.', 3)]);
    assert.deepEqual(await metadata.metricsMetadata({ ...all, limitPerMetric: 1, metric: 'm' }), [md('m', 'M, elsewhere.')]);
  });

  it('cancels the streams when the query is aborted', async () => {
    const ac = new AbortController();
    const set = queryable.querier(T0, T0 + N * STEP).select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')], { signal: ac.signal });
    await assert.rejects(async () => {
      for await (const _ of set) ac.abort(new DOMException('client went away', 'AbortError'));
    }, (e: Error) => e.name === 'AbortError');
    const aborted = AbortSignal.abort(new DOMException('gone', 'AbortError'));
    await assert.rejects(run(queryable, 'sum(m)', aborted), (e: { type?: string }) => e.type === 'canceled');
  });

  it('still answers completely with one ingester stopped (the others fill each other\'s gaps)', async () => {
    await replicas[0]!.server.stop();
    for (const qs of queries) assert.deepEqual(await run(queryable, qs), expected.get(qs), qs);
    assert.deepEqual(await raw(queryable), expected.get('raw'));
    assert.deepEqual(await queryable.querier(T0, T0 + N * STEP).labelValues('__name__', []), ['h', 'm']);
    assert.deepEqual((await metadata.metricsMetadata({ limit: 0, limitPerMetric: 0, metric: 'm' })).length, 2);
  });

  it('fails as unavailable, naming the ingesters, with two stopped', async () => {
    await replicas[2]!.server.stop();
    const named = (e: Error) => /2 of 3 failed, at most 1 may/.test(e.message) && /ingester-0 \(127\.0\.0\.1:\d+\)/.test(e.message) && /ingester-2 \(127\.0\.0\.1:\d+\)/.test(e.message);
    // The engine reports storage errors met while expanding series as `execution` (as Prometheus does).
    await assert.rejects(run(queryable, 'sum(m)'), (e: Error & { type?: string }) => {
      assert.equal(e.type, 'execution');
      assert.ok(named(e), e.message);
      assert.equal((e.cause as Error).name, 'IngestersUnavailableError');
      return true;
    });
    // Series and label endpoints meet the error itself: `unavailable`.
    await assert.rejects(queryable.querier(T0, T0 + N * STEP).labelValues('i', []), (e: Error) => classifyError(e).type === 'unavailable' && named(e));
    await assert.rejects(queryable.querier(T0, T0 + N * STEP).labelNames([]), (e: Error) => e.name === 'IngestersUnavailableError' && named(e));
    await assert.rejects(metadata.metricsMetadata({ limit: 0, limitPerMetric: 0, metric: '' }), (e: Error) => e.name === 'IngestersUnavailableError' && named(e));
  });
});

describe('replicatedSeries', () => {
  const labels = Labels.fromStrings('__name__', 'x');
  const floats = (ks: number[]): TimedChunk[] => {
    const b = new ChunkBuilder(120);
    for (const k of ks) b.addFloat(k * 1000, k);
    return b.finish();
  };
  const hists = (ks: number[], float: boolean, perChunk = 120): TimedChunk[] => {
    const b = new ChunkBuilder(perChunk);
    for (const k of ks) b.addHistogram(k * 1000, hist(k), float);
    return b.finish();
  };
  const range = (a: number, b: number, skip: (k: number) => boolean = () => false) => Array.from({ length: b - a }, (_, i) => a + i).filter((k) => !skip(k));

  it('keeps identical chunks once and reads them as one lane', () => {
    const c = floats(range(0, 200));
    const s = replicatedSeries(labels, [{ labels, chunks: c }, { labels, chunks: floats(range(0, 200)) }, { labels, chunks: c }], 0, Infinity);
    assert.equal(s.constructor.name, 'ChunkSeries');
    assert.deepEqual(collectSamples(s.iterator()).ts, range(0, 200).map((k) => k * 1000));
  });

  it('fills one replica\'s gaps from another, floats and histograms, within [mint, maxt]', () => {
    for (const kind of ['float', 'histogram', 'float histogram'] as const) {
      const make = (ks: number[], perChunk?: number) => (kind === 'float' ? floats(ks) : hists(ks, kind === 'float histogram', perChunk));
      const s = replicatedSeries(
        labels,
        [
          { labels, chunks: make(range(0, 300, (k) => k >= 50 && k < 80)) },
          { labels, chunks: make(range(0, 300, (k) => k >= 200 && k < 260), 37) },
        ],
        10_000,
        280_000,
      );
      const got = collectSamples(s.iterator());
      assert.deepEqual(got.ts, range(10, 281).map((k) => k * 1000), kind);
      const vt = kind === 'float' ? ValueType.Float : kind === 'histogram' ? ValueType.Histogram : ValueType.FloatHistogram;
      assert.ok(got.types.every((t) => t === vt), kind);
      if (kind === 'float') assert.deepEqual([...got.vs], range(10, 281));
      else assert.deepEqual(got.hs.map((h) => h!.count), range(10, 281).map((k) => 6 * k), kind);
      // seek lands on the first sample at or after t, across lanes.
      const it = s.iterator();
      assert.equal(it.seek(65_000), vt);
      assert.equal(it.atT(), 65_000);
    }
  });

  it('has no samples when no replica sent chunks (series-only)', () => {
    const s = replicatedSeries(labels, [{ labels, chunks: [] }, { labels, chunks: [] }], 0, Infinity);
    assert.deepEqual(collectSamples(s.iterator()).ts, []);
  });
});
