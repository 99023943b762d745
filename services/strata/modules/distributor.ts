// The distributor module: the remote-write receiver over the ingester ring.
import { Distributor, HATracker, IngesterClientPool, RingPusher, registerHAStatusPage, registerPushRoutes } from '../../distributor/index.ts';
import { ingesterInstanceId } from '../../ingester/index.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const DISTRIBUTOR_MODULES: readonly StrataModule[] = [
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
];
