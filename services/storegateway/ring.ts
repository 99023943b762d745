// Blocks are shared out among store-gateways with a ring (Mimir's store-gateway ring): a block
// belongs to the replication set of its token, so each block is loaded by RF store-gateways and a
// querier can ask another replica when one fails.
import { Operation, RingError, stringToken, type ReadRing } from '../../libs/ring/index.ts';

/** KV key of the store-gateway ring document. */
export const STORE_GATEWAY_RING_KEY = 'collectors/store-gateway';

/** The ring token of a tenant's block. */
export function blockToken(tenant: string, blockId: string): number {
  return stringToken(`${tenant}/${blockId}`);
}

/** Whether `instanceId` is one of the store-gateways that serve the block. */
export function ownsBlock(ring: ReadRing, instanceId: string, tenant: string, blockId: string, now: number = Date.now()): boolean {
  try {
    return ring.get(blockToken(tenant, blockId), Operation.Read, now).instances.some((i) => i.id === instanceId);
  } catch (err) {
    if (err instanceof RingError) return false;
    throw err;
  }
}
