// The distributor's HA deduplication end to end: remote-write bodies in, what real ingesters
// stored out, both with the in-process ingester and through the ring (forwarded series bytes).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Labels, Matcher, MatchType } from '../../libs/model/index.ts';
import { WriteRequestDecoder, encodeWriteRequest, snappyEncode } from '../../libs/remotewrite/index.ts';
import type { TimeSeriesInput } from '../../libs/remotewrite/index.ts';
import { InstanceState, Operation, ReadRing, generateTokens, stringToken, type InstanceDesc } from '../../libs/ring/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { collectSamples } from '../../libs/storage/index.ts';
import { Overrides, limitsConfigSchema } from '../../libs/tenant/index.ts';
import { Ingester } from '../ingester/index.ts';
import { distributorConfigSchema } from './config.ts';
import { Distributor, type IngesterPusher } from './distributor.ts';
import { HATracker } from './ha_tracker.ts';
import { metadataToken, pushToReplicas, seriesToken, type IngesterPool } from './replication.ts';

const HOUR = 3_600_000;
const SEC = 1000;

async function dump(ing: Ingester, tenant: string): Promise<string[]> {
  const out: string[] = [];
  const q = ing.queryable(tenant).querier(0, Infinity);
  for await (const s of q.select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')])) {
    const { vs } = collectSamples(s.iterator());
    out.push(`${s.labels.toString()} ${vs.join(',')}`);
  }
  return out;
}

function body(series: TimeSeriesInput[]): Uint8Array {
  return snappyEncode(encodeWriteRequest({ timeseries: series }));
}

/** Series of one HA replica: the cluster and replica labels on every series, as Prometheus' external labels put them. */
function fromReplica(replica: string | undefined, value: number, opts: { cluster?: string; t?: number } = {}): TimeSeriesInput[] {
  const t = opts.t ?? Date.now();
  const ext = (labels: string[]): readonly string[] => {
    const l = [...labels];
    if (opts.cluster !== '') l.push('cluster', opts.cluster ?? 'prom-1');
    if (replica !== undefined) l.push('__replica__', replica);
    return Labels.fromStrings(...l).toFlat();
  };
  return [
    { labels: ext(['__name__', 'up', 'job', 'node']), samples: [{ value, timestamp: t }] },
    { labels: ext(['__name__', 'temp', 'zone', 'z1']), samples: [{ value: value * 10, timestamp: t }] },
  ];
}

async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

describe('distributor HA deduplication', () => {
  let dir: string;
  let clock: number;
  const started: { stop(): Promise<void> }[] = [];
  const defaults = validateConfig(limitsConfigSchema, {});
  const overrides = new Overrides(defaults);
  overrides.setTenantLimits(new Map([
    ['ha', validateConfig(limitsConfigSchema, { accept_ha_samples: true, ha_max_clusters: 2 })],
    ['ha-custom', validateConfig(limitsConfigSchema, { accept_ha_samples: true, ha_cluster_label: 'dc', ha_replica_label: 'prom_replica' })],
  ]));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-distributor-'));
    clock = 1_700_000_000_000;
  });
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ingester(name = 'ingester'): Promise<Ingester> {
    const ing = new Ingester({ dir: join(dir, name), blockRange: 2 * HOUR, retention: 13 * HOUR, walFsync: 'never' }, overrides);
    await ing.start();
    started.push(ing);
    return ing;
  }

  async function distributor(pusher: IngesterPusher, registry = new Registry(), enabled = true, store = randomUUID()): Promise<Distributor> {
    const cfg = validateConfig(distributorConfigSchema, { ha_tracker: { enable_ha_tracker: enabled } });
    let tracker: HATracker | undefined;
    if (enabled) {
      tracker = new HATracker(cfg.ha_tracker, registry, { memoryStore: store, random: () => 0 });
      await tracker.start();
      started.push(tracker);
    }
    return new Distributor(cfg, overrides, pusher, registry, () => clock, tracker);
  }

  it('stores the elected replica without its replica label, answers 202 to the other and stores nothing of it', async () => {
    const ing = await ingester();
    const registry = new Registry();
    const d = await distributor(ing, registry);
    assert.deepEqual(await d.push('ha', body(fromReplica('a', 1))), { status: 200, body: '' });
    const want = ['{__name__="temp", cluster="prom-1", zone="z1"} 10', '{__name__="up", cluster="prom-1", job="node"} 1'];
    assert.deepEqual(await dump(ing, 'ha'), want);

    const res = await d.push('ha', body(fromReplica('b', 2)));
    assert.deepEqual(res, { status: 202, body: 'replicas did not match, rejecting sample: replica=b, elected=a' });
    assert.deepEqual(await dump(ing, 'ha'), want, 'nothing of replica b was stored');
    assert.equal(await counterValue(registry, 'strata_distributor_deduped_samples_total', { tenant: 'ha', cluster: 'prom-1' }), 2);

    // a goes quiet; after the fail-over timeout b's samples are stored in the same series.
    clock += 31 * SEC;
    assert.equal((await d.push('ha', body(fromReplica('b', 3)))).status, 200);
    assert.equal((await d.push('ha', body(fromReplica('a', 4)))).status, 202);
    assert.deepEqual(await dump(ing, 'ha'), [
      '{__name__="temp", cluster="prom-1", zone="z1"} 10,30',
      '{__name__="up", cluster="prom-1", job="node"} 1,3',
    ]);
  });

  it('stores as sent: no cluster label (replica label kept), no replica label, tenants without accept_ha_samples, tracker off', async () => {
    const ing = await ingester();
    const registry = new Registry();
    const d = await distributor(ing, registry);
    assert.equal((await d.push('ha', body(fromReplica('a', 1, { cluster: '' })))).status, 200);
    assert.equal((await d.push('ha', body(fromReplica('b', 2, { cluster: '' })))).status, 200);
    assert.deepEqual(await dump(ing, 'ha'), [
      '{__name__="temp", __replica__="a", zone="z1"} 10',
      '{__name__="temp", __replica__="b", zone="z1"} 20',
      '{__name__="up", __replica__="a", job="node"} 1',
      '{__name__="up", __replica__="b", job="node"} 2',
    ]);
    assert.equal(await counterValue(registry, 'strata_distributor_non_ha_samples_received_total', { tenant: 'ha' }), 4);

    assert.equal((await d.push('ha2', body(fromReplica(undefined, 5, { cluster: 'c' })))).status, 200);
    assert.equal((await d.push('plain', body(fromReplica('a', 6)))).status, 200);
    assert.equal((await d.push('plain', body(fromReplica('b', 7)))).status, 200);
    assert.deepEqual(await dump(ing, 'plain'), [
      '{__name__="temp", __replica__="a", cluster="prom-1", zone="z1"} 60',
      '{__name__="temp", __replica__="b", cluster="prom-1", zone="z1"} 70',
      '{__name__="up", __replica__="a", cluster="prom-1", job="node"} 6',
      '{__name__="up", __replica__="b", cluster="prom-1", job="node"} 7',
    ]);

    const off = await distributor(ing, new Registry(), false);
    assert.equal((await off.push('ha', body(fromReplica('z', 8)))).status, 200);
    assert.ok((await dump(ing, 'ha')).includes('{__name__="up", __replica__="z", cluster="prom-1", job="node"} 8'));
  });

  it('decides on the first series for the whole request, and uses the tenant\'s own label names', async () => {
    const ing = await ingester();
    const d = await distributor(ing);
    assert.equal((await d.push('ha', body(fromReplica('a', 1)))).status, 200);
    // The first series from b, the second from a: the whole request is b's, a duplicate.
    const mixed = [fromReplica('b', 2)[0]!, fromReplica('a', 2)[1]!];
    assert.equal((await d.push('ha', body(mixed))).status, 202);
    // From a with a second series lacking the replica label: both stored, the label dropped where present.
    const partial = [fromReplica('a', 3)[0]!, fromReplica(undefined, 3)[1]!];
    assert.equal((await d.push('ha', body(partial))).status, 200);
    assert.deepEqual(await dump(ing, 'ha'), [
      '{__name__="temp", cluster="prom-1", zone="z1"} 10,30',
      '{__name__="up", cluster="prom-1", job="node"} 1,3',
    ]);

    const custom = (replica: string, v: number): TimeSeriesInput[] => [
      { labels: ['__name__', 'up', 'dc', 'eu', 'prom_replica', replica], samples: [{ value: v, timestamp: Date.now() }] },
    ];
    assert.equal((await d.push('ha-custom', body(custom('r1', 1)))).status, 200);
    assert.equal((await d.push('ha-custom', body(custom('r2', 2)))).status, 202);
    assert.deepEqual(await dump(ing, 'ha-custom'), ['{__name__="up", dc="eu"} 1']);
  });

  it('refuses a cluster beyond ha_max_clusters with 400 and Mimir\'s message', async () => {
    const ing = await ingester();
    const registry = new Registry();
    const d = await distributor(ing, registry);
    assert.equal((await d.push('ha', body(fromReplica('a', 1, { cluster: 'c1' })))).status, 200);
    assert.equal((await d.push('ha', body(fromReplica('a', 1, { cluster: 'c2' })))).status, 200);
    assert.deepEqual(await d.push('ha', body(fromReplica('a', 1, { cluster: 'c3' }))), {
      status: 400,
      body: 'the write request has been rejected because the maximum number of high-availability (HA) clusters has been reached for this tenant (limit: 2) (err-mimir-tenant-too-many-ha-clusters). To adjust the related per-tenant limit, configure limits.ha_max_clusters, or contact your service administrator.',
    });
    assert.equal(await counterValue(registry, 'strata_discarded_samples_total', { tenant: 'ha', reason: 'too_many_ha_clusters' }), 2);
    assert.equal((await dump(ing, 'ha')).filter((s) => s.includes('c3')).length, 0);
  });

  it('answers 503 (retried by senders) when the KV store cannot be asked, and stores nothing', async () => {
    const ing = await ingester();
    const cfg = validateConfig(distributorConfigSchema, { ha_tracker: { enable_ha_tracker: true } });
    const tracker = new HATracker(cfg.ha_tracker, new Registry(), { memoryStore: randomUUID(), random: () => 0 });
    await tracker.start();
    await tracker.stop();
    const d = new Distributor(cfg, overrides, ing, new Registry(), () => clock, tracker);
    const res = await d.push('ha', body(fromReplica('a', 1)));
    assert.equal(res.status, 503);
    assert.match(res.body, /^HA tracker: kv "ha-tracker-kv": client is not running/);
    assert.deepEqual(await dump(ing, 'ha'), []);
  });

  it('forwards the elected replica\'s series through the ring with the replica label gone from bytes and token', async () => {
    // Three ingesters, RF 1: each series is stored on the one instance its token picks.
    const now = Date.now();
    const ids = ['i1', 'i2', 'i3'];
    const instances: Record<string, InstanceDesc> = {};
    const taken = new Set<number>();
    for (const id of ids) {
      const tokens = generateTokens(32, taken);
      tokens.forEach((t) => taken.add(t));
      instances[id] = { addr: `${id}:9095`, zone: '', state: InstanceState.Active, tokens, heartbeat_timestamp: now, registered_timestamp: now };
    }
    const ring = new ReadRing({ instances }, { replicationFactor: 1, heartbeatTimeout: 60_000, zoneAwareness: false });
    const ings = new Map<string, Ingester>();
    for (const id of ids) ings.set(id, await ingester(id));
    // As the ingester's gRPC service does: decode the forwarded WriteRequest bytes and push them.
    const pool: IngesterPool = { get: (inst) => ({ push: (tenant, wr) => ings.get(inst.id)!.push(tenant, new WriteRequestDecoder().decode(wr)) }) };
    const d = await distributor({ push: (tenant, req, series, metadata) => pushToReplicas(ring, pool, tenant, req, series, metadata) });

    const series = Array.from({ length: 30 }, (_, i): TimeSeriesInput => ({
      labels: Labels.fromStrings('__name__', 'm', 'cluster', 'prom-1', 'i', String(i), '__replica__', 'a').toFlat(),
      samples: [{ value: i, timestamp: now }],
    }));
    assert.equal((await d.push('ha', body(series))).status, 200);
    // Where each series must be: the ring's instance for the token of its labels without the replica label.
    const tenantToken = (labels: Labels): number => {
      const h = labels.hash();
      return seriesToken(stringToken('ha'), Number(h >> 32n), Number(h & 0xffffffffn));
    };
    const ownerOf = (labels: Labels): string => ring.get(tenantToken(labels), Operation.Write, now).instances[0]!.id;
    let stored = 0;
    let moved = 0;
    for (let i = 0; i < 30; i++) {
      const labels = Labels.fromStrings('__name__', 'm', 'cluster', 'prom-1', 'i', String(i));
      const owner = ownerOf(labels);
      if (ownerOf(Labels.fromStrings('__name__', 'm', 'cluster', 'prom-1', 'i', String(i), '__replica__', 'a')) !== owner) moved++;
      for (const [id, ing] of ings) {
        const has = (await dump(ing, 'ha')).includes(`${labels.toString()} ${i}`);
        assert.equal(has, id === owner, `series ${i} on ${id} (owner ${owner})`);
        if (has) stored++;
      }
    }
    assert.equal(stored, 30);
    assert.ok(moved > 0, 'some series live elsewhere with the replica label: the placement checks the hash');
    for (const ing of ings.values()) for (const s of await dump(ing, 'ha')) assert.ok(!s.includes('__replica__'), s);
  });
});

describe('distributor metric metadata', () => {
  let dir: string;
  const started: { stop(): Promise<void> }[] = [];
  const overrides = new Overrides(validateConfig(limitsConfigSchema, { max_metadata_length: 32 }));
  overrides.setTenantLimits(new Map([['capped', validateConfig(limitsConfigSchema, { max_metadata_length: 32, max_global_metadata_per_metric: 1 })]]));
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strata-distributor-md-'))));
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Three real ingesters behind a ring of replication factor `rf`, reached as over gRPC (WriteRequest bytes). */
  async function cluster(rf: number) {
    const now = Date.now();
    const instances: Record<string, InstanceDesc> = {};
    const taken = new Set<number>();
    const ings = new Map<string, Ingester>();
    for (const id of ['i1', 'i2', 'i3']) {
      const tokens = generateTokens(32, taken);
      tokens.forEach((t) => taken.add(t));
      instances[id] = { addr: `${id}:9095`, zone: '', state: InstanceState.Active, tokens, heartbeat_timestamp: now, registered_timestamp: now };
      const ing = new Ingester({ dir: join(dir, id), blockRange: 2 * HOUR, retention: 13 * HOUR, walFsync: 'never' }, overrides);
      await ing.start();
      started.push(ing);
      ings.set(id, ing);
    }
    const ring = new ReadRing({ instances }, { replicationFactor: rf, heartbeatTimeout: 60_000, zoneAwareness: false });
    const pool: IngesterPool = { get: (inst) => ({ push: (tenant, wr) => ings.get(inst.id)!.push(tenant, new WriteRequestDecoder().decode(wr)) }) };
    const registry = new Registry();
    const d = new Distributor(validateConfig(distributorConfigSchema, {}), overrides, { push: (t, req, series, md) => pushToReplicas(ring, pool, t, req, series, md) }, registry);
    const owners = (tenant: string, name: string): string[] => ring.get(metadataToken(tenant, name), Operation.Write, now).instances.map((i) => i.id).sort();
    const holders = (tenant: string, name: string): string[] =>
      [...ings].filter(([, ing]) => ing.metadata.list(tenant, { limit: 0, limitPerMetric: 0, metric: name }).length > 0).map(([id]) => id).sort();
    return { ings, d, registry, owners, holders };
  }

  const md = (name: string, help = `Help of ${name}.`, unit = '') => ({ type: 2, metricFamilyName: name, help, unit });

  it('sends each metric name\'s metadata to the replicas of its token, in the same push as the series', async () => {
    const { ings, d, registry, owners, holders } = await cluster(2);
    const names = Array.from({ length: 30 }, (_, i) => `metric_${i}`);
    const now = Date.now();
    const req = encodeWriteRequest({
      timeseries: names.map((n) => ({ labels: ['__name__', n], samples: [{ value: 1, timestamp: now }] })),
      metadata: names.map((n) => md(n)),
    });
    assert.deepEqual(await d.push('team', snappyEncode(req)), { status: 200, body: '' });
    const spread = new Set<string>();
    for (const n of names) {
      const o = owners('team', n);
      assert.equal(o.length, 2);
      assert.deepEqual(holders('team', n), o, n);
      o.forEach((id) => spread.add(id));
    }
    assert.equal(spread.size, 3, 'names are spread over the ring');
    let series = 0;
    for (const ing of ings.values()) series += (await dump(ing, 'team')).length;
    assert.equal(series, 60, 'every series on its 2 replicas');
    assert.equal(await counterValue(registry, 'strata_distributor_received_metadata_total', { tenant: 'team' }), 30);
    assert.equal((await registry.getSingleMetric('strata_discarded_metadata_total')!.get()).values.length, 0, 'nothing discarded');
  });

  it('takes metadata-only requests, and refuses bad entries with Mimir\'s messages without failing the rest', async () => {
    const { ings, d, registry, holders } = await cluster(1);
    const now = Date.now();
    const res = await d.push('team', snappyEncode(encodeWriteRequest({
      timeseries: [{ labels: ['__name__', 'up'], samples: [{ value: 1, timestamp: now }] }],
      metadata: [md(''), md('x'.repeat(40)), md('with_unit', 'Help.', 'u'.repeat(33)), md('long_help', 'é'.repeat(20)), md('up')],
    })));
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.split('\n'), [
      'received a metric metadata with no metric name (err-mimir-metadata-missing-metric-name)',
      `received a metric metadata whose metric name length exceeds the limit, metric name: '${'x'.repeat(40)}' (err-mimir-metric-name-too-long). To adjust the related per-tenant limit, configure limits.max_metadata_length, or contact your service administrator.`,
      `received a metric metadata whose unit name length exceeds the limit, unit: '${'u'.repeat(33)}' metric name: 'with_unit' (err-mimir-unit-too-long). To adjust the related per-tenant limit, configure limits.max_metadata_length, or contact your service administrator.`,
    ]);
    for (const [reason, n] of [['missing_metric_name', 1], ['metric_name_too_long', 1], ['unit_too_long', 1]] as const) {
      assert.equal(await counterValue(registry, 'strata_discarded_metadata_total', { tenant: 'team', reason }), n, reason);
    }
    let stored = 0;
    for (const ing of ings.values()) stored += (await dump(ing, 'team')).length;
    assert.equal(stored, 1, 'the series was stored');
    assert.equal(holders('team', 'up').length, 1);
    // A help over the limit is cut at a character boundary (32 bytes: 16 two-byte characters).
    const [holder] = holders('team', 'long_help');
    assert.deepEqual(ings.get(holder!)!.metadata.list('team', { limit: 0, limitPerMetric: 0, metric: 'long_help' }), [md('long_help', 'é'.repeat(16))]);

    // Metadata alone, as Prometheus sends it.
    assert.deepEqual(await d.push('team', snappyEncode(encodeWriteRequest({ metadata: [md('alone')] }))), { status: 200, body: '' });
    assert.equal(holders('team', 'alone').length, 1);
  });

  it('answers 200 when the ingesters refuse metadata over the tenant\'s limits, storing the series', async () => {
    const { ings, d, holders } = await cluster(1);
    const now = Date.now();
    const res = await d.push('capped', snappyEncode(encodeWriteRequest({
      timeseries: [{ labels: ['__name__', 'm'], samples: [{ value: 1, timestamp: now }] }],
      metadata: [md('m', 'First.'), md('m', 'Second.')],
    })));
    assert.deepEqual(res, { status: 200, body: '' });
    const [holder] = holders('capped', 'm');
    const ing = ings.get(holder!)!;
    assert.deepEqual(ing.metadata.list('capped', { limit: 0, limitPerMetric: 0, metric: '' }), [md('m', 'First.')]);
    assert.deepEqual([...ing.metadata.discarded.get('capped')!], [['per_metric_metadata_limit', 1]]);
    let stored = 0;
    for (const i of ings.values()) stored += (await dump(i, 'capped')).length;
    assert.equal(stored, 1);
  });
});
