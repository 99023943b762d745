import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceState, ReadRing, generateTokens, type InstanceDesc } from '../../libs/ring/index.ts';
import { ownsTenant } from './ring.ts';

const NOW = 1_700_000_000_000;
const opts = { replicationFactor: 1, heartbeatTimeout: 60_000, zoneAwareness: false };
const taken = new Set<number>();
const inst = (heartbeat = NOW): InstanceDesc => {
  const tokens = generateTokens(128, taken);
  for (const t of tokens) taken.add(t);
  return { addr: '', zone: '', state: InstanceState.Active, tokens, heartbeat_timestamp: heartbeat, registered_timestamp: NOW };
};

describe('compactor ring', () => {
  const tenants = Array.from({ length: 200 }, (_, i) => `tenant-${i}`);
  const a = inst();
  const b = inst();
  const c = inst();

  it('gives every tenant to exactly one compactor, spread over all', () => {
    const ring = new ReadRing({ instances: { a, b, c } }, opts);
    const count = new Map<string, number>();
    for (const t of tenants) {
      const owners = ['a', 'b', 'c'].filter((id) => ownsTenant(ring, opts, id, t, NOW));
      assert.equal(owners.length, 1, t);
      count.set(owners[0]!, (count.get(owners[0]!) ?? 0) + 1);
    }
    for (const id of ['a', 'b', 'c']) assert.ok((count.get(id) ?? 0) > 20, `${id} owns ${count.get(id)}`);
  });

  it('moves a dead compactor\'s tenants to the others, and only those', () => {
    const before = new ReadRing({ instances: { a, b, c } }, opts);
    const after = new ReadRing({ instances: { a, b: { ...b, heartbeat_timestamp: NOW - 120_000 }, c } }, opts);
    for (const t of tenants) {
      const was = ['a', 'b', 'c'].find((id) => ownsTenant(before, opts, id, t, NOW))!;
      const now = ['a', 'b', 'c'].filter((id) => ownsTenant(after, opts, id, t, NOW));
      assert.equal(now.length, 1);
      if (was !== 'b') assert.equal(now[0], was, `${t} stays with ${was}`);
      else assert.notEqual(now[0], 'b');
    }
    assert.ok(!ownsTenant(new ReadRing({ instances: {} }, opts), opts, 'a', 't', NOW));
  });
});
