// The compactor module: merges the blocks in object storage, with the compactor ring.
import { BasicService } from '../../../libs/services/index.ts';
import { createKV, jsonCodec } from '../../../libs/kv/index.ts';
import { Lifecycler, RingWatcher, parseRingDesc, type RingDesc } from '../../../libs/ring/index.ts';
import { isObjectNotFound, tenantBucket, uploadFile } from '../../../libs/objstore/index.ts';
import { hostname } from 'node:os';
import { COMPACTOR_RING_KEY, Compactor, ownsTenant } from '../../compactor/index.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const COMPACTOR_MODULES: readonly StrataModule[] = [
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
];
