// The ingester modules: the ingester ring (KV store, watcher, page) and the ingester itself.
import { BasicService } from '../../../libs/services/index.ts';
import { Counter, Gauge } from 'prom-client';
import { createKV, jsonCodec } from '../../../libs/kv/index.ts';
import { Lifecycler, RingWatcher, parseRingDesc, type RingDesc } from '../../../libs/ring/index.ts';
import { tenantBucket, uploadFile } from '../../../libs/objstore/index.ts';
import {
  INGESTER_RING_KEY, INGESTER_SERVICE, Ingester, IngesterClients, ingesterGrpcService, ingesterLifecyclerConfig, ingesterRingOptions,
} from '../../ingester/index.ts';
import { registerRingPage } from '../ring_page.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const INGESTER_MODULES: readonly StrataModule[] = [
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
];
