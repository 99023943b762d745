// How a distributor reaches the ingesters: through the ingester ring, each series to its replicas
// over gRPC, except that the ingester of this process is called directly, and a ring of only that
// ingester (`npm start`) skips the re-encoding altogether.
import { WriteRequestDecoder, type DecodedWriteRequest } from '../../libs/remotewrite/index.ts';
import { Operation, type Instance, type ReadRing } from '../../libs/ring/index.ts';
import type { IngesterClients, PushResult } from '../ingester/index.ts';
import type { IngesterPusher } from './distributor.ts';
import { pushToReplicas, type IngesterPool, type RemoteIngester } from './replication.ts';

/** The ingester running in this process, if any, under its ring instance id. */
export interface LocalIngester {
  readonly id: string;
  push(tenant: string, req: DecodedWriteRequest, series?: ArrayLike<number>, metadata?: ArrayLike<number>): Promise<PushResult>;
}

/** The ingesters to push to: gRPC clients by address, and the local ingester by instance id. */
export class IngesterClientPool implements IngesterPool {
  constructor(
    private readonly clients: IngesterClients,
    private readonly local: () => LocalIngester | undefined = () => undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  get(instance: Instance): RemoteIngester {
    const local = this.local();
    if (local && local.id === instance.id) return localRemote(local);
    const client = this.clients.get(instance.addr);
    return { push: (tenant, writeRequest) => client.push(tenant, writeRequest, this.timeoutMs) };
  }
}

function localRemote(local: LocalIngester): RemoteIngester {
  return {
    // The batch is a fresh WriteRequest: decode it for the ingester like a gRPC push.
    push: (tenant, writeRequest) => local.push(tenant, new WriteRequestDecoder().decode(writeRequest)),
  };
}

export class RingPusher implements IngesterPusher {
  constructor(
    private readonly ring: () => ReadRing,
    private readonly pool: IngesterPool,
    private readonly local: () => LocalIngester | undefined = () => undefined,
  ) {}

  push(tenant: string, req: DecodedWriteRequest, series: ArrayLike<number>, metadata: ArrayLike<number>): Promise<PushResult> {
    const ring = this.ring();
    const local = this.local();
    if (local && ring.instanceCount() === 1) {
      const only = ring.allInstances()[0]!;
      if (only.id === local.id && ring.isHealthy(only, Operation.Write, Date.now())) return local.push(tenant, req, series, metadata);
    }
    return pushToReplicas(ring, this.pool, tenant, req, series, metadata);
  }
}
