// Where modules register: the dependency graph of the strata process and the targets of
// ARCHITECTURE.md section 2. A new module adds one entry to MODULES; targets already name it.
import type { Registry } from 'prom-client';
import type { Logger } from '../../libs/log/index.ts';
import type { BuildInfo } from '../../libs/server/index.ts';
import { Server, createMetricsRegistry, errorBody } from '../../libs/server/index.ts';
import type { ModuleDefinition, Readiness } from '../../libs/services/index.ts';
import { RenderMode, renderConfig } from '../../libs/services/index.ts';
import { Counter, Gauge } from 'prom-client';
import { Overrides, RuntimeConfigLoader } from '../../libs/tenant/index.ts';
import { Distributor, HATracker, registerPushRoutes } from '../distributor/index.ts';
import { INGESTER_SERVICE, Ingester, ingesterGrpcService } from '../ingester/index.ts';
import { Engine, createQuerier } from '../querier/index.ts';
import type { Config } from './config.ts';
import { configSchema } from './config.ts';

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
  /** Set by `ingester`. */
  ingester?: Ingester;
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
    name: 'ingester',
    deps: ['api', 'overrides'],
    init: (ctx) => {
      const tsdb = ctx.config.blocks_storage.tsdb;
      const rejected = new Counter({
        name: 'strata_ingester_rejected_samples_total',
        help: 'Samples the ingester refused, by tenant and reason.',
        labelNames: ['tenant', 'reason'],
        registers: [provided(ctx.registry, 'metrics registry')],
      });
      const ingester = new Ingester(
        { dir: tsdb.dir, blockRange: tsdb.block_ranges_period[0] ?? 2 * 3_600_000, retention: tsdb.retention_period, walFsync: tsdb.wal_fsync_policy },
        provided(ctx.overrides, 'overrides'),
        ctx.logger.child({ component: 'ingester' }),
        (tenant, reason, n) => rejected.inc({ tenant, reason }, n),
      );
      const server = provided(ctx.server, 'HTTP server');
      server.route({
        method: ['GET', 'POST'],
        url: '/ingester/flush',
        handler: async (_req, reply) => {
          await ingester.flush();
          return reply.code(204).send();
        },
      });
      server.addGrpcService(INGESTER_SERVICE, ingesterGrpcService(ingester));
      ctx.ingester = ingester;
      return ingester;
    },
  },
  {
    // The remote-write receiver. It sends to the ingester of this process until the ingester
    // ring and gRPC clients let it reach ingesters elsewhere.
    name: 'distributor',
    deps: ['api', 'overrides', 'ingester'],
    init: (ctx) => {
      // The HA tracker is the distributor's one service (it watches the KV store); none when off.
      const ha = ctx.config.distributor.ha_tracker;
      const haTracker = ha.enable_ha_tracker
        ? new HATracker(ha, provided(ctx.registry, 'metrics registry'), { logger: ctx.logger.child({ component: 'ha-tracker' }) })
        : undefined;
      const distributor = new Distributor(
        ctx.config.distributor,
        provided(ctx.overrides, 'overrides'),
        provided(ctx.ingester, 'ingester'),
        provided(ctx.registry, 'metrics registry'),
        Date.now,
        haTracker,
      );
      registerPushRoutes(provided(ctx.server, 'HTTP server').http, distributor, {
        multitenancy: ctx.config.auth.multitenancy_enabled,
        maxBodyBytes: ctx.config.distributor.max_recv_msg_size,
      });
      return haTracker;
    },
  },
  {
    name: 'querier',
    deps: ['api', 'ingester'],
    init: (ctx) => {
      const cfg = ctx.config.querier;
      const engine = new Engine({
        timeout: cfg.timeout,
        maxSamples: cfg.max_samples,
        lookbackDelta: cfg.lookback_delta,
        noStepSubqueryIntervalFn: () => cfg.default_evaluation_interval,
      });
      const ingester = provided(ctx.ingester, 'ingester');
      createQuerier({
        server: provided(ctx.server, 'HTTP server'),
        engine,
        // The ingester of this process, until queriers fan out over the ring and store-gateways.
        queryableFor: (tenant) => ingester.queryable(tenant),
        build: ctx.build,
        logger: ctx.logger.child({ component: 'querier' }),
        multitenancy: ctx.config.auth.multitenancy_enabled,
      });
      return undefined;
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
