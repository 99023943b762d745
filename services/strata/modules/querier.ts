// The querier module: PromQL over the ingesters and the store-gateways.
import { BasicService } from '../../../libs/services/index.ts';
import { Operation, type Instance } from '../../../libs/ring/index.ts';
import type { Queryable } from '../../../libs/storage/index.ts';
import { isObjectNotFound, tenantBucket } from '../../../libs/objstore/index.ts';
import { StoreGatewayClient } from '../../storegateway/index.ts';
import { LocalIngesterReader, ingesterInstanceId } from '../../ingester/index.ts';
import {
  BlocksQueryable, Engine, IngestersMetadata, IngestersQueryable, ReplicaDedupQueryable, TimeSplitQueryable, createQuerier,
} from '../../querier/index.ts';
import { readBucketIndex, type BucketIndex } from '../../../libs/bucketindex/index.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const QUERIER_MODULES: readonly StrataModule[] = [
  {
    // PromQL over the ingesters of the ring; the ingester of this process is read without gRPC,
    // and directly when it is the only one.
    name: 'querier',
    deps: ['api', 'ingester-ring', 'store-gateway-ring', 'blocks-bucket'],
    init: (ctx) => {
      const cfg = ctx.config.querier;
      const engine = new Engine({
        timeout: cfg.timeout,
        maxSamples: cfg.max_samples,
        lookbackDelta: cfg.lookback_delta,
        noStepSubqueryIntervalFn: () => cfg.default_evaluation_interval,
      });
      const watcher = provided(ctx.ingesterRing, 'ingester ring');
      const clients = provided(ctx.ingesterClients, 'ingester clients');
      const localId = ingesterInstanceId(ctx.config.ingester.ring);
      const pool = {
        get: (instance: Instance) => (ctx.ingester && instance.id === localId ? new LocalIngesterReader(ctx.ingester) : clients.get(instance.addr)),
      };
      const ingestersFor = (tenant: string): Queryable => {
        const ring = watcher.ring();
        const only = ring.instanceCount() === 1 ? ring.allInstances()[0] : undefined;
        if (ctx.ingester && only?.id === localId && ring.isHealthy(only, Operation.Read, Date.now())) return ctx.ingester.queryable(tenant);
        return new IngestersQueryable({ ring: () => watcher.ring(), pool, tenant });
      };
      // The store-gateways, for data older than query_store_after; the tenant's bucket index is
      // re-read at most once a minute (blocks are deleted only after compactor.deletion_delay).
      const bucket = provided(ctx.blocksBucket, 'blocks bucket');
      const sgRing = provided(ctx.storeGatewayRing, 'store-gateway ring').watcher;
      const sgClients = new Map<string, StoreGatewayClient>();
      const sgPool = {
        get: (instance: Instance): StoreGatewayClient => {
          let c = sgClients.get(instance.addr);
          if (!c) sgClients.set(instance.addr, (c = new StoreGatewayClient(instance.addr)));
          return c;
        },
      };
      const indexes = new Map<string, { at: number; index: Promise<BucketIndex | undefined> }>();
      const indexOf = (tenant: string): Promise<BucketIndex | undefined> => {
        const cached = indexes.get(tenant);
        if (cached && Date.now() - cached.at < 60_000) return cached.index;
        const index = readBucketIndex(tenantBucket(bucket, tenant), isObjectNotFound);
        indexes.set(tenant, { at: Date.now(), index });
        index.catch(() => indexes.delete(tenant));
        return index;
      };
      const queryableFor = (tenant: string): Queryable => {
        const sg = sgRing.ring();
        // Without store-gateways the ingesters are all there is.
        const store = sg.allInstances().some((i) => sg.isHealthy(i, Operation.Read, Date.now()))
          ? new BlocksQueryable({
            ring: () => sgRing.ring(), clients: sgPool, tenant, index: indexOf,
            ignoreDeletionMarksDelay: ctx.config.blocks_storage.bucket_store.ignore_deletion_marks_delay,
            // Store-gateways load a new block within a sync or two.
            uploadGracePeriod: 3 * ctx.config.blocks_storage.bucket_store.sync_interval,
          })
          : undefined;
        const split = new TimeSplitQueryable({
          ingesters: ingestersFor(tenant),
          ...(store ? { store } : {}),
          queryIngestersWithin: cfg.query_ingesters_within,
          queryStoreAfter: cfg.query_store_after,
        });
        return cfg.replica_labels.length > 0 ? new ReplicaDedupQueryable(split, cfg.replica_labels) : split;
      };
      createQuerier({
        server: provided(ctx.server, 'HTTP server'),
        engine,
        queryableFor,
        metadataFor: (tenant) => new IngestersMetadata({ ring: () => watcher.ring(), pool, tenant }),
        build: ctx.build,
        logger: ctx.logger.child({ component: 'querier' }),
        multitenancy: ctx.config.auth.multitenancy_enabled,
      });
      return new BasicService('querier', {
        stopping: async () => {
          for (const c of sgClients.values()) c.close();
        },
      });
    },
  },
];
