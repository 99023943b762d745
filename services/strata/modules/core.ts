// The process-wide modules: metrics registry, HTTP/gRPC server, per-tenant limits, the blocks bucket.
import { Server, createMetricsRegistry, errorBody } from '../../../libs/server/index.ts';
import { BasicService, RenderMode, renderConfig } from '../../../libs/services/index.ts';
import { Gauge } from 'prom-client';
import { createBucket } from '../../../libs/objstore/index.ts';
import { Overrides, RuntimeConfigLoader } from '../../../libs/tenant/index.ts';
import { configSchema } from '../config.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const CORE_MODULES: readonly StrataModule[] = [
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
];
