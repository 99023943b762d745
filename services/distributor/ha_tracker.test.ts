// The HA tracker on a fake clock, against the in-process KV store and a real nats-server: election,
// keeping the elected replica, fail-over, several distributors agreeing, the cluster limit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { NatsServer } from '../../test/nats.ts';
import { startNatsServer } from '../../test/nats.ts';
import { MemoryKV, NatsKV, natsKVConfigSchema } from '../../libs/kv/index.ts';
import type { KVClient } from '../../libs/kv/index.ts';
import { haTrackerConfigSchema } from './config.ts';
import type { HATrackerConfig } from './config.ts';
import { HACheckKind, HA_STALE_RECORD_AGE, HATracker, haKey, replicaDescCodec } from './ha_tracker.ts';
import type { ReplicaDesc } from './ha_tracker.ts';

const T0 = 1_700_000_000_000;
const SEC = 1000;
const elected = { kind: HACheckKind.Elected };
const notElected = (replica: string) => ({ kind: HACheckKind.NotElected, elected: replica });

/** Waits (bounded) until `pred` holds, e.g. for a watch to deliver another tracker's write. */
async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms}ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One store under test: trackers ("distributors") and a raw client that share it. */
interface Backend {
  /** A started tracker; `random` picks its jitter (0 by default: update timeout exactly 15s). */
  tracker(random?: () => number, registry?: Registry): Promise<HATracker>;
  raw(): Promise<KVClient<ReplicaDesc>>;
  close(): Promise<void>;
}

function haTrackerSuite(newBackend: () => Backend): void {
  const test = (name: string, fn: (b: Backend) => Promise<void>): void => {
    it(name, { timeout: 60_000 }, async () => {
      const b = newBackend();
      try {
        await fn(b);
      } finally {
        await b.close();
      }
    });
  };

  test('elects the first replica, keeps it, and fails over once it has been silent for the fail-over timeout', async (b) => {
    const registry = new Registry();
    const t = await b.tracker(undefined, registry);
    const raw = await b.raw();
    const key = haKey('team', 'prom');
    const casCalls = async () => (await registry.getSingleMetric('strata_ha_tracker_kv_store_cas_total')!.get()).values.reduce((n, v) => n + v.value, 0);
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, T0), elected);
    assert.deepEqual(await raw.get(key), { replica: 'a', received_at: T0, elected_at: T0 });
    assert.deepEqual(await t.checkReplica('team', 'prom', 'b', 0, T0 + SEC), notElected('a'));

    // Within the update timeout nothing is written; after it, received_at is refreshed.
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, T0 + 10 * SEC), elected);
    assert.deepEqual(await raw.get(key), { replica: 'a', received_at: T0, elected_at: T0 });
    const t1 = T0 + 16 * SEC;
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, t1), elected);
    assert.deepEqual(await raw.get(key), { replica: 'a', received_at: t1, elected_at: T0 });

    assert.equal(await casCalls(), 2);
    // b takes over only after a was not seen for 30s; until then b is refused without asking the store.
    assert.deepEqual(await t.checkReplica('team', 'prom', 'b', 0, t1 + 29 * SEC), notElected('a'));
    assert.equal(await casCalls(), 2);
    assert.deepEqual(await t.checkReplica('team', 'prom', 'b', 0, t1 + 30 * SEC), elected);
    assert.deepEqual(await raw.get(key), { replica: 'b', received_at: t1 + 30 * SEC, elected_at: t1 + 30 * SEC });
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, t1 + 31 * SEC), notElected('b'));

    // Tenants and clusters are apart.
    assert.deepEqual(await t.checkReplica('team', 'other', 'a', 0, t1 + 31 * SEC), elected);
    assert.deepEqual(await t.checkReplica('team2', 'prom', 'a', 0, t1 + 31 * SEC), elected);
  });

  test('two distributors sharing the store agree on the elected replica and on fail-over', async (b) => {
    const d1 = await b.tracker();
    const d2 = await b.tracker();
    assert.deepEqual(await d1.checkReplica('team', 'prom', 'a', 0, T0), elected);
    // d2 may not have seen the record yet: it asks the store and agrees.
    assert.deepEqual(await d2.checkReplica('team', 'prom', 'b', 0, T0 + SEC), notElected('a'));
    assert.deepEqual(await d2.checkReplica('team', 'prom', 'a', 0, T0 + SEC), elected);
    // a keeps sending through d1 only; d2 sees b alone and, once a is silent for 30s in the store, elects b.
    assert.deepEqual(await d1.checkReplica('team', 'prom', 'a', 0, T0 + 20 * SEC), elected);
    assert.deepEqual(await d2.checkReplica('team', 'prom', 'b', 0, T0 + 45 * SEC), notElected('a'));
    assert.deepEqual(await d2.checkReplica('team', 'prom', 'b', 0, T0 + 51 * SEC), elected);
    // d1 learns it through the watch and refuses a from then on.
    await until(() => d1.electedReplica('team', 'prom')?.replica === 'b', 'd1 sees the fail-over');
    assert.deepEqual(await d1.checkReplica('team', 'prom', 'a', 0, T0 + 52 * SEC), notElected('b'));
    assert.deepEqual(await d1.checkReplica('team', 'prom', 'b', 0, T0 + 52 * SEC), elected);
  });

  test('replicas racing for a new cluster through two distributors get one winner', async (b) => {
    const ds = [await b.tracker(), await b.tracker()];
    const checks = [];
    for (let i = 0; i < 20; i++) {
      const replica = i % 2 === 0 ? 'a' : 'b';
      checks.push(ds[i % ds.length]!.checkReplica('team', 'race', replica, 0, T0).then((r) => [replica, r.kind] as const));
    }
    const results = await Promise.all(checks);
    const winners = new Set(results.filter(([, k]) => k === HACheckKind.Elected).map(([r]) => r));
    assert.equal(winners.size, 1, JSON.stringify(results));
    const winner = [...winners][0]!;
    for (const [replica, kind] of results) assert.equal(kind, replica === winner ? HACheckKind.Elected : HACheckKind.NotElected);
    assert.equal((await (await b.raw()).get(haKey('team', 'race')))?.replica, winner);
  });

  test('refuses a tenant\'s clusters beyond ha_max_clusters until stale ones are deleted', async (b) => {
    const d1 = await b.tracker();
    const d2 = await b.tracker();
    assert.deepEqual(await d1.checkReplica('team', 'c1', 'a', 2, T0), elected);
    assert.deepEqual(await d1.checkReplica('team', 'c2', 'a', 2, T0), elected);
    assert.deepEqual(await d1.checkReplica('team', 'c3', 'a', 2, T0), { kind: HACheckKind.TooManyClusters, limit: 2 });
    // Known clusters go on; other tenants and "no limit" are not affected.
    assert.deepEqual(await d1.checkReplica('team', 'c1', 'b', 2, T0), notElected('a'));
    assert.deepEqual(await d1.checkReplica('other', 'c3', 'a', 2, T0), elected);
    assert.deepEqual(await d1.checkReplica('team', 'c3', 'a', 0, T0), elected);
    assert.equal(d1.clusterCount('team'), 3);
    // The other distributor counts what the store holds.
    await until(() => d2.clusterCount('team') === 3, 'd2 sees the clusters');
    assert.deepEqual(await d2.checkReplica('team', 'c4', 'a', 3, T0), { kind: HACheckKind.TooManyClusters, limit: 3 });

    // c1 keeps sending; the rest stop. After HA_STALE_RECORD_AGE their records go, and the slots are free.
    const later = T0 + HA_STALE_RECORD_AGE;
    assert.deepEqual(await d1.checkReplica('team', 'c1', 'a', 3, later - SEC), elected);
    await d2.deleteStale(later);
    assert.deepEqual((await (await b.raw()).list(haKey('team', ''))).sort(), [haKey('team', 'c1')]);
    await until(() => d1.clusterCount('team') === 1, 'd1 sees the deletions');
    assert.deepEqual(await d1.checkReplica('team', 'c4', 'a', 2, later), elected);
    assert.deepEqual(await d1.checkReplica('team', 'c5', 'a', 2, later), { kind: HACheckKind.TooManyClusters, limit: 2 });
  });

  test('the update timeout gets a jitter of at most ha_tracker_update_timeout_jitter_max', async (b) => {
    assert.equal((await b.tracker(() => 0.5)).updateTimeout, 17.5 * SEC);
    const t = await b.tracker(() => 0.9999);
    assert.equal(t.updateTimeout, 19.999 * SEC);
    // Its own writes wait for the jittered timeout.
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, T0), elected);
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, T0 + 19.9 * SEC), elected);
    assert.equal((await (await b.raw()).get(haKey('team', 'prom')))?.received_at, T0);
    assert.deepEqual(await t.checkReplica('team', 'prom', 'a', 0, T0 + 20 * SEC), elected);
    assert.equal((await (await b.raw()).get(haKey('team', 'prom')))?.received_at, T0 + 20 * SEC);
  });
}

function config(kvstore: unknown): HATrackerConfig {
  return haTrackerConfigSchema.parse({ enable_ha_tracker: true, kvstore });
}

describe('ha tracker, memory kv', () => {
  haTrackerSuite(() => {
    const store = randomUUID();
    const started: { stop(): Promise<void> }[] = [];
    return {
      async tracker(random = () => 0, registry = new Registry()) {
        const t = new HATracker(config({ store: 'memory' }), registry, { memoryStore: store, random });
        await t.start();
        started.push(t);
        return t;
      },
      async raw() {
        const kv = new MemoryKV(replicaDescCodec, { store });
        await kv.start();
        started.push(kv);
        return kv;
      },
      async close() {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  });

  it('refuses a fail-over timeout shorter than the update timeout, its jitter and 1s', () => {
    assert.throws(
      () => haTrackerConfigSchema.parse({ ha_tracker_update_timeout: '15s', ha_tracker_update_timeout_jitter_max: '5s', ha_tracker_failover_timeout: '20s' }),
      /must be at least ha_tracker_update_timeout \+ ha_tracker_update_timeout_jitter_max \+ 1s \(21s\)/,
    );
    const c = haTrackerConfigSchema.parse({});
    assert.deepEqual(
      [c.enable_ha_tracker, c.ha_tracker_update_timeout, c.ha_tracker_update_timeout_jitter_max, c.ha_tracker_failover_timeout, c.kvstore.store],
      [false, 15 * SEC, 5 * SEC, 30 * SEC, 'memory'],
    );
  });
});

describe('ha tracker, nats kv', () => {
  let server: NatsServer | undefined;
  let buckets = 0;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.cleanup();
  });

  haTrackerSuite(() => {
    // A bucket per test: a fresh store on the shared server.
    const natsInput = { url: (server as NatsServer).url, bucket: `ha-${process.pid}-${++buckets}`, reconnect_wait: '100ms' };
    const nats = natsKVConfigSchema.parse(natsInput);
    const started: { stop(): Promise<void> }[] = [];
    return {
      async tracker(random = () => 0, registry = new Registry()) {
        const t = new HATracker(config({ store: 'nats', nats: natsInput }), registry, { random });
        await t.start();
        started.push(t);
        return t;
      },
      async raw() {
        const kv = new NatsKV(nats, replicaDescCodec);
        await kv.start();
        started.push(kv);
        return kv;
      },
      async close() {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  });
});
