import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryKV, jsonCodec } from '../../libs/kv/index.ts';
import { InstanceState, generateTokens, parseRingDesc, withInstance, type RingDesc } from '../../libs/ring/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { startNatsServer, type NatsServer } from '../../test/nats.ts';
import { AGENT_RING_KEY, AgentRing, agentRingConfigSchema } from './sharding.ts';

const WAIT_MS = 10_000;
let stores = 0;

function ringConfig(id: string, extra: Record<string, unknown> = {}) {
  return validateConfig(agentRingConfigSchema, {
    instance_id: id, heartbeat_period: '50ms', heartbeat_timeout: '600ms', num_tokens: 64, ...extra,
  });
}

/** Polls `pred` until it holds, at most WAIT_MS. */
async function eventually(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Deterministic spread of target hashes. */
function hashes(n: number): number[] {
  const out: number[] = [];
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) >>> 0;
    out.push(x);
  }
  return out;
}

const HASHES = hashes(5000);

function ownersOf(rings: readonly AgentRing[], h: number): string[] {
  return rings.filter((r) => r.owns(h)).map((r) => r.instanceId());
}

/** True when every hash has exactly one owner among `rings`, and each agent's view agrees. */
function exactlyOneOwner(rings: readonly AgentRing[]): boolean {
  return HASHES.every((h) => {
    const o = ownersOf(rings, h);
    return o.length === 1 && rings.every((r) => r.owners(h)[0] === o[0]);
  });
}

async function startAll(rings: AgentRing[]): Promise<void> {
  await Promise.all(rings.map((r) => r.start()));
  await eventually(() => rings.every((r) => r.healthyPeers() === rings.length - 1), 'every agent to see the others');
}

describe('AgentRing (memory KV)', () => {
  it('gives every target hash to exactly one agent, spread evenly, and moves a leaver\'s share', async () => {
    const store = `agent-ring-${process.pid}-${++stores}`;
    const rings = ['a1', 'a2', 'a3', 'a4'].map((id) => new AgentRing(ringConfig(id), { memoryStore: store }));
    try {
      await startAll(rings);
      assert.ok(exactlyOneOwner(rings));
      for (const r of rings) {
        const share = HASHES.filter((h) => r.owns(h)).length / HASHES.length;
        // 64 random tokens each: shares are near 1/4; the bound only catches a broken lookup.
        assert.ok(share > 0.1 && share < 0.45, `${r.instanceId()} owns ${share}`);
      }
      const gone = rings[1]!;
      const itsHashes = HASHES.filter((h) => gone.owns(h));
      let changes = 0;
      for (const r of rings) if (r !== gone) r.onChange(() => changes++);
      await gone.stop();
      const rest = rings.filter((r) => r !== gone);
      await eventually(() => rest.every((r) => r.healthyPeers() === 2), 'the others to see the leaver go');
      assert.ok(changes >= 3, 'onChange fired on every remaining agent');
      assert.ok(exactlyOneOwner(rest));
      for (const h of itsHashes) assert.notEqual(ownersOf(rest, h)[0], 'a2');
      assert.ok(rest.every((r) => r.replicaLabel() === undefined));
    } finally {
      await Promise.all(rings.map((r) => r.stop()));
    }
  });

  it('drops an agent whose heartbeat stopped, without any KV change (timer-driven)', async () => {
    const store = `agent-ring-${process.pid}-${++stores}`;
    const kv = new MemoryKV<RingDesc>(jsonCodec(parseRingDesc), { store });
    await kv.start();
    const rings = ['b1', 'b2'].map((id) => new AgentRing(ringConfig(id), { memoryStore: store }));
    try {
      await startAll(rings);
      // A "crashed" agent: registered and fresh once, then never heartbeating again.
      const tokens = generateTokens(64, new Set());
      await kv.cas(AGENT_RING_KEY, (cur) => withInstance(cur, 'ghost', () => ({
        addr: '', zone: '', state: InstanceState.Active, tokens, heartbeat_timestamp: Date.now(), registered_timestamp: Date.now(),
      })));
      await eventually(() => rings.every((r) => r.healthyPeers() === 2), 'the ghost to be seen as healthy');
      const ghostHashes = HASHES.filter((h) => rings[0]!.owners(h)[0] === 'ghost');
      assert.ok(ghostHashes.length > 0);
      for (const h of ghostHashes) assert.deepEqual(ownersOf(rings, h), []);
      let changed = 0;
      rings[0]!.onChange(() => changed++);
      await eventually(() => rings.every((r) => r.healthyPeers() === 1), 'the ghost to turn unhealthy');
      assert.ok(changed >= 1);
      assert.ok(exactlyOneOwner(rings));
      // Still in the KV store: only its stale heartbeat moved its targets.
      assert.ok((await kv.get(AGENT_RING_KEY))?.instances.ghost);
    } finally {
      await Promise.all(rings.map((r) => r.stop()));
      await kv.stop();
    }
  });

  it('with RF 2 and zones a/b gives every hash one owner per zone, and a lone zone one owner', async () => {
    const store = `agent-ring-${process.pid}-${++stores}`;
    const mk = (id: string, zone: string) =>
      new AgentRing(ringConfig(id, { replication_factor: 2, zone_awareness_enabled: true, instance_zone: zone }), { memoryStore: store });
    const rings = [mk('za1', 'a'), mk('za2', 'a'), mk('zb1', 'b'), mk('zb2', 'b')];
    try {
      await startAll(rings);
      const zoneA = rings.slice(0, 2);
      const zoneB = rings.slice(2);
      for (const h of HASHES) {
        assert.equal(ownersOf(zoneA, h).length, 1, `hash ${h} zone a`);
        assert.equal(ownersOf(zoneB, h).length, 1, `hash ${h} zone b`);
      }
      assert.deepEqual(rings.map((r) => r.replicaLabel()), ['a', 'a', 'b', 'b']);
      // Zone b gone: zone a still has exactly one owner per hash (no duplicates within a zone).
      await Promise.all(zoneB.map((r) => r.stop()));
      await eventually(() => zoneA.every((r) => r.healthyPeers() === 1), 'zone b to leave');
      assert.ok(exactlyOneOwner(zoneA));
    } finally {
      await Promise.all(rings.map((r) => r.stop()));
    }
  });

  it('refuses zone awareness without a zone', () => {
    assert.throws(() => new AgentRing(ringConfig('x', { replication_factor: 2, zone_awareness_enabled: true })), /instance_zone/);
  });
});

describe('AgentRing (NATS KV)', () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
  });

  it('shares the hashes among 3 agents and moves a leaver\'s share', async () => {
    const kvstore = { store: 'nats', nats: { url: nats.url, bucket: `agents-${process.pid}`, reconnect_wait: '100ms' } };
    const rings = ['n1', 'n2', 'n3'].map((id) => new AgentRing(ringConfig(id, { kvstore, heartbeat_timeout: '2s', heartbeat_period: '100ms' })));
    try {
      // The first creates the JetStream bucket; three clients creating it at once have timed out.
      await rings[0]!.start();
      await Promise.all(rings.slice(1).map((r) => r.start()));
      await eventually(() => rings.every((r) => r.healthyPeers() === rings.length - 1), 'every agent to see the others');
      assert.ok(exactlyOneOwner(rings));
      await rings[2]!.stop();
      const rest = rings.slice(0, 2);
      await eventually(() => rest.every((r) => r.healthyPeers() === 1), 'n3 to leave');
      assert.ok(exactlyOneOwner(rest));
    } finally {
      await Promise.all(rings.map((r) => r.stop()));
    }
  });
});
