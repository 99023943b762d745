import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InstanceState, type InstanceDesc, type RingDesc } from './desc.ts';
import { Operation, ReadRing, RingError, quorum } from './ring.ts';
import { renderRingPage, ringStatus } from './status.ts';
import { generateTokens } from './tokens.ts';

const NOW = 1_700_000_000_000;
const opts = { replicationFactor: 3, heartbeatTimeout: 60_000, zoneAwareness: false };

function inst(tokens: number[], over: Partial<InstanceDesc> = {}): InstanceDesc {
  return { addr: 'x:1', zone: '', state: InstanceState.Active, tokens, heartbeat_timestamp: NOW, registered_timestamp: NOW, ...over };
}

function ringOf(instances: Record<string, InstanceDesc>, o = opts): ReadRing {
  return new ReadRing({ instances } satisfies RingDesc, o);
}

const ids = (rs: { instances: readonly { id: string }[] }) => rs.instances.map((i) => i.id);

describe('ReadRing', () => {
  it('picks the first RF distinct instances clockwise; a key on a token belongs to the next', () => {
    const r = ringOf({ a: inst([10, 40]), b: inst([20, 50]), c: inst([30]), d: inst([35]) });
    assert.deepEqual(ids(r.get(15, Operation.Write, NOW)), ['b', 'c', 'd']);
    assert.deepEqual(ids(r.get(20, Operation.Write, NOW)), ['c', 'd', 'a']);
    assert.deepEqual(ids(r.get(45, Operation.Write, NOW)), ['b', 'a', 'c'], 'wraps around');
    assert.equal(r.get(15, Operation.Write, NOW).maxErrors, 1);
  });

  it('drops unhealthy replicas and fails below quorum', () => {
    const stale = { heartbeat_timestamp: NOW - 120_000 };
    const r = ringOf({ a: inst([10]), b: inst([20], stale), c: inst([30]) });
    const rs = r.get(5, Operation.Write, NOW);
    assert.deepEqual(ids(rs), ['a', 'c']);
    assert.equal(rs.maxErrors, 0);
    const bad = ringOf({ a: inst([10]), b: inst([20], stale), c: inst([30], stale) });
    assert.throws(() => bad.get(5, Operation.Write, NOW), (e: unknown) => e instanceof RingError && /at least 2 live replicas required, could only find 1/.test(e.message));
  });

  it('writes skip LEAVING and JOINING instances; reads use LEAVING ones', () => {
    const r = ringOf({ a: inst([10], { state: InstanceState.Leaving }), b: inst([20]), c: inst([30]), d: inst([40], { state: InstanceState.Joining }) });
    assert.deepEqual(ids(r.get(5, Operation.Write, NOW)), ['b', 'c']);
    assert.deepEqual(ids(r.get(5, Operation.Read, NOW)), ['a', 'b', 'c']);
  });

  it('clamps the replication factor to the instances there are (one process)', () => {
    const r = ringOf({ solo: inst(generateTokens(128, new Set())) });
    assert.deepEqual(ids(r.get(123, Operation.Write, NOW)), ['solo']);
    assert.deepEqual(ids(r.getAllHealthy(Operation.Read, NOW)), ['solo']);
  });

  it('spreads replicas across zones with zone awareness', () => {
    const zoned = { ...opts, zoneAwareness: true };
    const r = ringOf({ a1: inst([10], { zone: 'a' }), a2: inst([20], { zone: 'a' }), b1: inst([30], { zone: 'b' }), c1: inst([40], { zone: 'c' }) }, zoned);
    assert.deepEqual(ids(r.get(5, Operation.Write, NOW)), ['a1', 'b1', 'c1']);
  });

  it('tolerates floor(RF/2) missing instances for reads of everything', () => {
    const stale = { heartbeat_timestamp: 0 };
    const three = ringOf({ a: inst([1]), b: inst([2]), c: inst([3], stale) });
    assert.deepEqual(ids(three.getAllHealthy(Operation.Read, NOW)), ['a', 'b']);
    assert.equal(three.getAllHealthy(Operation.Read, NOW).maxErrors, 0);
    assert.throws(() => ringOf({ a: inst([1]), b: inst([2], stale), c: inst([3], stale) }).getAllHealthy(Operation.Read, NOW), RingError);
  });

  it('property: every key gets min(RF, n) distinct instances, each owning a token at or after the key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer(), (n, rf, key, seed) => {
        let x = seed;
        const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
        const taken = new Set<number>();
        const instances: Record<string, InstanceDesc> = {};
        for (let i = 0; i < n; i++) {
          const t = generateTokens(4, taken, rnd);
          t.forEach((v) => taken.add(v));
          instances[`i${i}`] = inst(t);
        }
        const rs = ringOf(instances, { ...opts, replicationFactor: rf }).get(key, Operation.Write, NOW);
        assert.equal(new Set(ids(rs)).size, Math.min(rf, n));
        assert.equal(rs.instances.length, Math.min(rf, n));
        assert.equal(rs.maxErrors, Math.min(rf, n) - quorum(Math.min(rf, n)));
      }),
    );
  });
});

describe('generateTokens', () => {
  it('makes sorted unique tokens that avoid taken ones', () => {
    const taken = new Set(generateTokens(500, new Set()));
    const t = generateTokens(500, taken);
    assert.equal(new Set(t).size, 500);
    assert.deepEqual(t, [...t].sort((a, b) => a - b));
    for (const v of t) {
      assert.ok(!taken.has(v));
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    }
  });
});

describe('ring status', () => {
  it('reports ownership summing to 1, health, and escapes HTML', () => {
    const r = ringOf({ a: inst([0x40000000]), 'b<x>': inst([0xc0000000], { heartbeat_timestamp: NOW - 600_000 }) });
    const rows = ringStatus(r, NOW);
    assert.deepEqual(rows.map((x) => [x.id, x.healthy, x.ownership, x.heartbeat_age_seconds]), [['a', true, 0.5, 0], ['b<x>', false, 0.5, 600]]);
    const html = renderRingPage('Ingester ring', rows);
    assert.match(html, /b&lt;x&gt;/);
    assert.doesNotMatch(html, /b<x>/);
    assert.match(html, /UNHEALTHY/);
  });
});
