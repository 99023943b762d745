// The store-gateway modules: its ring, and the gateway serving the blocks in object storage.
import { BasicService } from '../../../libs/services/index.ts';
import { createKV, jsonCodec } from '../../../libs/kv/index.ts';
import { Lifecycler, RingWatcher, parseRingDesc, type RingDesc } from '../../../libs/ring/index.ts';
import { isObjectNotFound, tenantBucket } from '../../../libs/objstore/index.ts';
import { hostname } from 'node:os';
import { createCache } from '../../../libs/cache/index.ts';
import { validateTenantId } from '../../../libs/tenant/index.ts';
import {
  BucketStore, STORE_GATEWAY_RING_KEY, STORE_GATEWAY_SERVICE, bucketStoreConfig, ownsBlock, storeGatewayGrpcService,
} from '../../storegateway/index.ts';
import { defaultInstanceAddr } from '../../ingester/index.ts';
import { registerRingPage } from '../ring_page.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const STORE_GATEWAY_MODULES: readonly StrataModule[] = [
  {
    // The store-gateway ring as queriers and store-gateways see it, and its page.
    name: 'store-gateway-ring',
    deps: ['api'],
    init: (ctx) => {
      const cfg = ctx.config.store_gateway.sharding_ring;
      const log = ctx.logger.child({ component: 'store-gateway-ring' });
      const kv = createKV<RingDesc>(cfg.kvstore, jsonCodec(parseRingDesc), { name: 'store-gateway-ring-kv', logger: log });
      const ringOpts = { replicationFactor: cfg.replication_factor, heartbeatTimeout: cfg.heartbeat_timeout, zoneAwareness: false };
      const watcher = new RingWatcher(STORE_GATEWAY_RING_KEY, ringOpts, kv, log);
      registerRingPage(provided(ctx.server, 'HTTP server').http, {
        path: '/store-gateway/ring',
        title: 'Store-gateway ring',
        ring: () => watcher.ring(),
        kv,
        key: STORE_GATEWAY_RING_KEY,
      });
      ctx.storeGatewayRing = { kv, watcher };
      return new BasicService('store-gateway-ring', {
        starting: async () => {
          await kv.start();
          await watcher.start();
        },
        stopping: async () => {
          await watcher.stop();
          await kv.stop();
        },
      });
    },
  },
  {
    // Serves the blocks in object storage to queriers: each tenant's blocks that the ring gives
    // this store-gateway, read by byte ranges through the index and chunks caches.
    name: 'store-gateway',
    deps: ['api', 'overrides', 'blocks-bucket', 'store-gateway-ring'],
    init: (ctx) => {
      const cfg = ctx.config.store_gateway.sharding_ring;
      const storeCfg = ctx.config.blocks_storage.bucket_store;
      const bucket = provided(ctx.blocksBucket, 'blocks bucket');
      const { kv, watcher } = provided(ctx.storeGatewayRing, 'store-gateway ring');
      const overrides = provided(ctx.overrides, 'overrides');
      const log = ctx.logger.child({ component: 'store-gateway' });
      const instanceId = cfg.instance_id || hostname();
      const host = cfg.instance_addr || defaultInstanceAddr();
      const lifecycler = new Lifecycler(
        {
          key: STORE_GATEWAY_RING_KEY, instanceId, addr: `${host}:${cfg.instance_port || ctx.config.server.grpc_listen_port}`, zone: '',
          numTokens: cfg.num_tokens, heartbeatPeriod: cfg.heartbeat_period, tokensFile: '', unregisterOnShutdown: true,
        },
        kv,
        log,
      );
      const indexCache = createCache(storeCfg.index_cache, { logger: log });
      const chunksCache = createCache(storeCfg.chunks_cache, { logger: log });
      const stores = new Map<string, BucketStore>();
      const storeOf = (tenant: string): BucketStore => {
        let st = stores.get(tenant);
        if (!st) {
          st = new BucketStore(bucketStoreConfig(storeCfg, ctx.config.storage.dir, tenant), {
            tenant,
            bucket: tenantBucket(bucket, tenant),
            isNotFound: isObjectNotFound,
            indexCache,
            chunksCache,
            owns: (blockId) => ownsBlock(watcher.ring(), instanceId, tenant, blockId),
            limits: () => overrides.forTenant(tenant),
            logger: log.child({ tenant }),
          });
          stores.set(tenant, st);
        }
        return st;
      };
      const syncAll = async (): Promise<void> => {
        for await (const name of bucket.iter('')) {
          if (!name.endsWith('/')) continue;
          const tenant = name.slice(0, -1);
          try {
            validateTenantId(tenant);
          } catch {
            continue;
          }
          try {
            await storeOf(tenant).sync();
          } catch (err) {
            log.error({ err, tenant }, 'store-gateway: tenant sync failed; retrying at the next sync');
          }
        }
      };
      provided(ctx.server, 'HTTP server').addGrpcService(STORE_GATEWAY_SERVICE, storeGatewayGrpcService((tenant) => stores.get(tenant)));
      let timer: NodeJS.Timeout | undefined;
      let syncing: Promise<void> | undefined;
      const sync = (): Promise<void> => (syncing ??= syncAll().finally(() => (syncing = undefined)));
      return new BasicService('store-gateway', {
        starting: async () => {
          await lifecycler.start();
          await watcher.waitFor((r) => r.allInstances().some((i) => i.id === instanceId), 10_000, `store-gateway ${instanceId}`);
          // Serve only once the blocks this store-gateway owns are loaded.
          await sync();
          timer = setInterval(() => void sync(), storeCfg.sync_interval);
          timer.unref();
        },
        stopping: async () => {
          clearInterval(timer);
          await syncing;
          await lifecycler.stop();
          for (const st of stores.values()) st.close();
          await Promise.all([indexCache.close(), chunksCache.close()]);
        },
      });
    },
  },
];
