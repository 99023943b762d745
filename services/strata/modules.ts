// Where modules register: the dependency graph of the strata process and the targets of
// ARCHITECTURE.md section 2. A new module adds one entry to MODULES; targets already name it.
import type { Registry } from 'prom-client';
import type { Logger } from '../../libs/log/index.ts';
import type { BuildInfo } from '../../libs/server/index.ts';
import { Server, createMetricsRegistry, errorBody } from '../../libs/server/index.ts';
import type { ModuleDefinition, Readiness } from '../../libs/services/index.ts';
import { BasicService, RenderMode, renderConfig } from '../../libs/services/index.ts';
import { Counter, Gauge } from 'prom-client';
import { createKV, jsonCodec, type KVClientService } from '../../libs/kv/index.ts';
import { Lifecycler, Operation, RingWatcher, parseRingDesc, type Instance, type RingDesc } from '../../libs/ring/index.ts';
import type { Queryable } from '../../libs/storage/index.ts';
import { createBucket, isObjectNotFound, tenantBucket, uploadFile, type BucketClient } from '../../libs/objstore/index.ts';
import { hostname } from 'node:os';
import { COMPACTOR_RING_KEY, Compactor, ownsTenant } from '../compactor/index.ts';
import { createCache } from '../../libs/cache/index.ts';
import { validateTenantId } from '../../libs/tenant/index.ts';
import {
  BucketStore, STORE_GATEWAY_RING_KEY, STORE_GATEWAY_SERVICE, StoreGatewayClient, bucketStoreConfig, ownsBlock, storeGatewayGrpcService,
} from '../storegateway/index.ts';
import { Overrides, RuntimeConfigLoader } from '../../libs/tenant/index.ts';
import { Distributor, HATracker, IngesterClientPool, RingPusher, registerHAStatusPage, registerPushRoutes } from '../distributor/index.ts';
import {
  INGESTER_RING_KEY, INGESTER_SERVICE, Ingester, IngesterClients, LocalIngesterReader, defaultInstanceAddr, ingesterGrpcService, ingesterInstanceId,
  ingesterLifecyclerConfig, ingesterRingOptions,
} from '../ingester/index.ts';
import { BlocksQueryable, Engine, IngestersMetadata, IngestersQueryable, TimeSplitQueryable, createQuerier } from '../querier/index.ts';
import { readBucketIndex, type BucketIndex } from '../../libs/bucketindex/index.ts';
import type { Config } from './config.ts';
import { configSchema } from './config.ts';
import { registerRingPage } from './ring_page.ts';

/**
 * Shared by every module's init, which run one at a time in dependency order: a module reads what
 * its dependencies stored here and stores what it provides (set once, never replaced).
 */
export interface StrataContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly build: BuildInfo;
  readonly readiness: () => Readiness;
  /** Set by `metrics`: the registry every module adds its metrics to. */
  registry?: Registry;
  /** Set by `api`: add HTTP routes in init; the `server` module starts listening after every other module. */
  server?: Server;
  /** Set by `overrides`: every tenant's limits. */
  overrides?: Overrides;
  /** Set by `ingester-ring-kv`: the KV store holding the ingester ring. */
  ingesterRingKV?: KVClientService<RingDesc>;
  /** Set by `ingester-ring`: this process' view of the ingester ring. */
  ingesterRing?: RingWatcher;
  /** Set by `ingester-ring`: gRPC clients of the ingesters, shared by distributor and querier. */
  ingesterClients?: IngesterClients;
  /** Set by `ingester`. */
  ingester?: Ingester;
  /** Set by `blocks-bucket`: the object storage holding every tenant's blocks. */
  blocksBucket?: BucketClient;
  /** Set by `store-gateway-ring`. */
  storeGatewayRing?: { kv: KVClientService<RingDesc>; watcher: RingWatcher };
}

export type StrataModule = ModuleDefinition<StrataContext>;

/** For a module's init: what a dependency provided, or a clear error when the graph is wired wrong. */
export function provided<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not initialised: add its module to deps`);
  return value;
}

export const MODULES: readonly StrataModule[] = [
  {
    name: 'metrics',
    deps: [],
    init: (ctx) => {
      ctx.registry = createMetricsRegistry(ctx.build);
      return undefined;
    },
  },
  {
    // The HTTP server and its routes, not listening yet: modules that serve HTTP depend on `api` and
    // add their routes in init; `server` (always last, see resolveTargets) then starts listening.
    name: 'api',
    deps: ['metrics'],
    init: (ctx) => {
      const server = new Server(ctx.config.server, {
        logger: ctx.logger.child({ component: 'server' }),
        registry: provided(ctx.registry, 'metrics registry'),
        readiness: ctx.readiness,
      });
      server.route({
        method: 'GET',
        url: '/config',
        handler: async (req, reply) => {
          const mode = (req.query as { mode?: string }).mode ?? RenderMode.Full;
          if (!(Object.values(RenderMode) as string[]).includes(mode)) {
            return reply.code(400).send(errorBody('bad_data', `unknown mode "${mode}": use diff or defaults`));
          }
          return reply.type('text/yaml; charset=utf-8').send(renderConfig(configSchema, ctx.config, mode as RenderMode));
        },
      });
      ctx.server = server;
      return undefined;
    },
  },
  {
    name: 'server',
    deps: ['api'],
    init: (ctx) => provided(ctx.server, 'HTTP server'),
  },
  {
    // Per-tenant limits: the `limits` defaults with the runtime config file's overrides.
    name: 'overrides',
    deps: ['metrics'],
    init: (ctx) => {
      ctx.overrides = new Overrides(ctx.config.limits);
      const ok = new Gauge({
        name: 'strata_runtime_config_last_reload_successful',
        help: 'Whether the last runtime config reload succeeded (1) or was refused (0).',
        registers: [provided(ctx.registry, 'metrics registry')],
      });
      return new RuntimeConfigLoader(ctx.config.runtime_config, ctx.overrides, ctx.logger.child({ component: 'runtime-config' }), {
        lastReloadSuccessful: (v) => ok.set(v ? 1 : 0),
      });
    },
  },
  {
    // Object storage for blocks: a directory by default (<storage.dir>/bucket), S3 in a cluster.
    name: 'blocks-bucket',
    deps: [],
    init: (ctx) => {
      const bucket = createBucket(ctx.config.blocks_storage);
      ctx.blocksBucket = bucket;
      return new BasicService('blocks-bucket', { stopping: () => bucket.close() });
    },
  },
  {
    // Merges the blocks in object storage, applies retention, writes the bucket index; tenants
    // are shared out among compactors with the compactor ring.
    name: 'compactor',
    deps: ['overrides', 'blocks-bucket'],
    init: (ctx) => {
      const cfg = ctx.config.compactor;
      const ringCfg = cfg.sharding_ring;
      const bucket = provided(ctx.blocksBucket, 'blocks bucket');
      const log = ctx.logger.child({ component: 'compactor' });
      const kv = createKV<RingDesc>(ringCfg.kvstore, jsonCodec(parseRingDesc), { name: 'compactor-ring-kv', logger: log });
      const ringOpts = { replicationFactor: 1, heartbeatTimeout: ringCfg.heartbeat_timeout, zoneAwareness: false };
      const instanceId = ringCfg.instance_id || hostname();
      const watcher = new RingWatcher(COMPACTOR_RING_KEY, ringOpts, kv, log);
      const lifecycler = new Lifecycler(
        { key: COMPACTOR_RING_KEY, instanceId, addr: '', zone: '', numTokens: 128, heartbeatPeriod: ringCfg.heartbeat_period, tokensFile: '', unregisterOnShutdown: true },
        kv,
        log,
      );
      const compactor = new Compactor(
        {
          tenants: async () => {
            const out: string[] = [];
            for await (const name of bucket.iter('')) if (name.endsWith('/')) out.push(name.slice(0, -1));
            return out;
          },
          forTenant: (tenant) => {
            const tb = tenantBucket(bucket, tenant);
            return {
              iter: (dir, o) => tb.iter(dir, o),
              get: (name) => tb.get(name),
              upload: (name, body) => tb.upload(name, body),
              delete: (name) => tb.delete(name),
              uploadFile: (name, path) => uploadFile(tb, name, path),
            };
          },
          isNotFound: isObjectNotFound,
        },
        provided(ctx.overrides, 'overrides'),
        {
          blockRanges: cfg.block_ranges,
          dataDir: cfg.data_dir,
          compactionInterval: cfg.compaction_interval,
          deletionDelay: cfg.deletion_delay,
          firstLevelWait: cfg.first_level_compaction_wait_period,
          owns: (tenant) => ownsTenant(watcher.ring(), ringOpts, instanceId, tenant),
          logger: log,
        },
      );
      // KV, ring view and membership first, so the first pass knows which tenants are ours.
      return new BasicService('compactor', {
        starting: async () => {
          await kv.start();
          await watcher.start();
          await lifecycler.start();
          await watcher.waitFor((r) => r.allInstances().some((i) => i.id === instanceId), 10_000, `compactor ${instanceId}`);
          await compactor.start();
        },
        stopping: async () => {
          await compactor.stop();
          await lifecycler.stop();
          await watcher.stop();
          await kv.stop();
        },
      });
    },
  },
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
  {
    // The store of the ingester ring: in-process by default, NATS JetStream KV in a cluster.
    name: 'ingester-ring-kv',
    deps: [],
    init: (ctx) => {
      ctx.ingesterRingKV = createKV<RingDesc>(ctx.config.ingester.ring.kvstore, jsonCodec(parseRingDesc), {
        name: 'ingester-ring-kv',
        logger: ctx.logger.child({ component: 'ingester-ring-kv' }),
      });
      return ctx.ingesterRingKV;
    },
  },
  {
    // The ingester ring as distributors and queriers see it, and its page.
    name: 'ingester-ring',
    deps: ['api', 'ingester-ring-kv'],
    init: (ctx) => {
      const kv = provided(ctx.ingesterRingKV, 'ingester ring KV store');
      const watcher = new RingWatcher(INGESTER_RING_KEY, ingesterRingOptions(ctx.config.ingester.ring), kv, ctx.logger.child({ component: 'ingester-ring' }));
      registerRingPage(provided(ctx.server, 'HTTP server').http, {
        path: '/ingester/ring',
        title: 'Ingester ring',
        ring: () => watcher.ring(),
        kv,
        key: INGESTER_RING_KEY,
      });
      ctx.ingesterRing = watcher;
      const clients = new IngesterClients();
      ctx.ingesterClients = clients;
      // Clients of ingesters that left the ring are closed once a minute.
      let timer: NodeJS.Timeout | undefined;
      return new BasicService('ingester-ring', {
        starting: async () => {
          await watcher.start();
          timer = setInterval(() => clients.retain(new Set(watcher.ring().allInstances().map((i) => i.addr))), 60_000);
          timer.unref();
        },
        stopping: async () => {
          clearInterval(timer);
          clients.close();
          await watcher.stop();
        },
      });
    },
  },
  {
    name: 'ingester',
    deps: ['api', 'overrides', 'ingester-ring', 'blocks-bucket'],
    init: (ctx) => {
      const bucket = provided(ctx.blocksBucket, 'blocks bucket');
      const tsdb = ctx.config.blocks_storage.tsdb;
      const ringCfg = ctx.config.ingester.ring;
      const watcher = provided(ctx.ingesterRing, 'ingester ring');
      const lcCfg = ingesterLifecyclerConfig(ringCfg, ctx.config.server.grpc_listen_port, ctx.config.storage.dir);
      const lifecycler = new Lifecycler(lcCfg, provided(ctx.ingesterRingKV, 'ingester ring KV store'), ctx.logger.child({ component: 'ingester-lifecycler' }));
      // Joined once this process' own ring view shows the instance, so its first push finds it.
      const membership = new BasicService('ingester-lifecycler', {
        starting: async () => {
          await lifecycler.start();
          await watcher.waitFor((r) => r.allInstances().some((i) => i.id === lcCfg.instanceId), 10_000, `instance ${lcCfg.instanceId}`);
        },
        stopping: () => lifecycler.stop(),
      });
      const rejected = new Counter({
        name: 'strata_ingester_rejected_samples_total',
        help: 'Samples the ingester refused, by tenant and reason.',
        labelNames: ['tenant', 'reason'],
        registers: [provided(ctx.registry, 'metrics registry')],
      });
      const ingester = new Ingester(
        {
          dir: tsdb.dir, blockRange: tsdb.block_ranges_period[0] ?? 2 * 3_600_000, retention: tsdb.retention_period, walFsync: tsdb.wal_fsync_policy,
          metadataRetainPeriod: ctx.config.ingester.metadata_retain_period, metadataPurgePeriod: ctx.config.ingester.metadata_purge_period,
          // Each tenant's cut blocks go to <tenant>/<ULID>/ of the bucket.
          bucketFor: (tenant) => {
            const tb = tenantBucket(bucket, tenant);
            return { upload: (name, body) => tb.upload(name, body), uploadFile: (name, path) => uploadFile(tb, name, path) };
          },
          ingesterId: lcCfg.instanceId,
        },
        provided(ctx.overrides, 'overrides'),
        ctx.logger.child({ component: 'ingester' }),
        (tenant, reason, n) => rejected.inc({ tenant, reason }, n),
        // Series limits are global: each ingester holds its share of the tenant's series.
        { ingesters: () => watcher.ring().instanceCount(), replicationFactor: () => ringCfg.replication_factor },
        membership,
        tsdb.ship_interval,
      );
      new Gauge({
        name: 'strata_ingester_memory_series',
        help: 'Series in the ingester\'s heads, all tenants.',
        registers: [provided(ctx.registry, 'metrics registry')],
        collect() {
          let n = 0;
          for (const t of ingester.dbs.tenants()) n += ingester.dbs.get(t)?.head.numSeries() ?? 0;
          this.set(n);
        },
      });
      new Counter({
        name: 'strata_ingester_ingested_samples_total',
        help: 'Samples and histograms the ingester stored, all tenants.',
        registers: [provided(ctx.registry, 'metrics registry')],
        collect() {
          this.reset();
          this.inc(ingester.ingestedSamples);
        },
      });
      new Counter({
        name: 'strata_ingester_discarded_metadata_total',
        help: 'Metric metadata entries the ingester refused over the tenant\'s limits, by tenant and reason.',
        labelNames: ['tenant', 'reason'],
        registers: [provided(ctx.registry, 'metrics registry')],
        collect() {
          this.reset();
          for (const [tenant, byReason] of ingester.metadata.discarded) for (const [reason, n] of byReason) this.inc({ tenant, reason }, n);
        },
      });
      const server = provided(ctx.server, 'HTTP server');
      server.route({
        method: ['GET', 'POST'],
        url: '/ingester/flush',
        handler: async (_req, reply) => {
          await ingester.flush();
          return reply.code(204).send();
        },
      });
      server.route({
        method: 'POST',
        url: '/ingester/shutdown',
        handler: async (_req, reply) => {
          await ingester.shutdown();
          return reply.code(204).send();
        },
      });
      server.addGrpcService(INGESTER_SERVICE, ingesterGrpcService(ingester));
      ctx.ingester = ingester;
      return ingester;
    },
  },
  {
    // The remote-write receiver: series go to their ingesters through the ring; the ingester of
    // this process, when there is one, is called without gRPC.
    name: 'distributor',
    deps: ['api', 'overrides', 'ingester-ring'],
    init: (ctx) => {
      const watcher = provided(ctx.ingesterRing, 'ingester ring');
      const localId = ingesterInstanceId(ctx.config.ingester.ring);
      // Looked up per push: in `all`, the ingester module initialises after this one.
      const local = () => (ctx.ingester ? { id: localId, push: ctx.ingester.push.bind(ctx.ingester) } : undefined);
      const pool = new IngesterClientPool(provided(ctx.ingesterClients, 'ingester clients'), local);
      // The HA tracker is the distributor's one service (it watches the KV store); none when off.
      const ha = ctx.config.distributor.ha_tracker;
      const haTracker = ha.enable_ha_tracker
        ? new HATracker(ha, provided(ctx.registry, 'metrics registry'), { logger: ctx.logger.child({ component: 'ha-tracker' }) })
        : undefined;
      const distributor = new Distributor(
        ctx.config.distributor,
        provided(ctx.overrides, 'overrides'),
        new RingPusher(() => watcher.ring(), pool, local),
        provided(ctx.registry, 'metrics registry'),
        Date.now,
        haTracker,
      );
      registerPushRoutes(provided(ctx.server, 'HTTP server').http, distributor, {
        multitenancy: ctx.config.auth.multitenancy_enabled,
        maxBodyBytes: ctx.config.distributor.max_recv_msg_size,
      });
      registerHAStatusPage(provided(ctx.server, 'HTTP server').http, haTracker);
      return haTracker;
    },
  },
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
        return new TimeSplitQueryable({
          ingesters: ingestersFor(tenant),
          ...(store ? { store } : {}),
          queryIngestersWithin: cfg.query_ingesters_within,
          queryStoreAfter: cfg.query_store_after,
        });
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
  // Modules of the architecture register here as they are written.
];

/** Modules that run in every process whatever the target; started after the target's modules. */
export const ALWAYS = ['server'] as const;

/** ARCHITECTURE.md section 2. `agent` is never part of `all`. */
export const TARGETS: Readonly<Record<string, readonly string[]>> = {
  all: ['distributor', 'ingester', 'querier', 'query-frontend', 'store-gateway', 'compactor', 'ruler', 'ui'],
  write: ['distributor', 'ingester'],
  read: ['query-frontend', 'querier'],
  backend: ['store-gateway', 'compactor', 'ruler'],
  distributor: ['distributor'],
  ingester: ['ingester'],
  querier: ['querier'],
  'query-frontend': ['query-frontend'],
  'store-gateway': ['store-gateway'],
  compactor: ['compactor'],
  ruler: ['ruler'],
  agent: ['agent'],
};

export class TargetError extends Error {
  readonly code = 'invalid_target';
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/**
 * The module names to start for the requested targets. `all` runs the modules that exist so far;
 * any other target whose modules are not all written yet is refused, so nobody mistakes it for working.
 */
export function resolveTargets(targets: readonly string[], modules: readonly StrataModule[] = MODULES): string[] {
  const have = new Set(modules.map((m) => m.name));
  const out = new Set<string>();
  if (targets.length === 0) throw new TargetError(`no target given (valid targets: ${Object.keys(TARGETS).join(', ')})`);
  for (const t of targets) {
    const wanted = TARGETS[t];
    if (!wanted) throw new TargetError(`unknown target "${t}" (valid targets: ${Object.keys(TARGETS).join(', ')})`);
    const missing = wanted.filter((m) => !have.has(m));
    if (t !== 'all' && missing.length > 0) {
      const which = missing.length === wanted.length ? '' : ` (missing: ${missing.join(', ')})`;
      throw new TargetError(`target "${t}" is not available yet in this version${which}`);
    }
    for (const m of wanted) if (have.has(m)) out.add(m);
  }
  // Last, so that the server listens only once every module has added its routes, and stops first.
  for (const m of ALWAYS) out.add(m);
  return [...out];
}
