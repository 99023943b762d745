// Tenants are shared out among compactors with a ring (Mimir's compactor ring): a tenant belongs
// to the first healthy compactor clockwise from its token, so each tenant is compacted by one and
// a dead compactor's tenants move to the others once its heartbeat is stale.
import { Operation, ReadRing, emptyRing, stringToken, type RingOptions } from '../../libs/ring/index.ts';

/** KV key of the compactor ring document. */
export const COMPACTOR_RING_KEY = 'collectors/compactor';

// The ring of only the healthy compactors, per ring version seen (rings are immutable).
const healthyRings = new WeakMap<ReadRing, { at: number; ring: ReadRing }>();

function healthyOnly(ring: ReadRing, opts: RingOptions, now: number): ReadRing {
  const cached = healthyRings.get(ring);
  if (cached && now - cached.at < 1_000) return cached.ring;
  const desc = emptyRing();
  for (const inst of ring.allInstances()) {
    if (!ring.isHealthy(inst, Operation.Write, now)) continue;
    const { id, ...d } = inst;
    desc.instances[id] = d;
  }
  const healthy = new ReadRing(desc, { ...opts, replicationFactor: 1 });
  healthyRings.set(ring, { at: now, ring: healthy });
  return healthy;
}

/** Whether `instanceId` owns `tenant` (no compactor owns anything while none is healthy). */
export function ownsTenant(ring: ReadRing, opts: RingOptions, instanceId: string, tenant: string, now: number = Date.now()): boolean {
  const healthy = healthyOnly(ring, opts, now);
  if (healthy.instanceCount() === 0) return false;
  return healthy.get(stringToken(tenant), Operation.Write, now).instances[0]?.id === instanceId;
}
