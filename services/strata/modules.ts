// Where modules register: the dependency graph of the strata process and the targets of
// ARCHITECTURE.md section 2. A new module adds one entry to MODULES; targets already name it.
import type { Registry } from 'prom-client';
import type { Logger } from '../../libs/log/index.ts';
import type { BuildInfo } from '../../libs/server/index.ts';
import { Server, createMetricsRegistry, errorBody } from '../../libs/server/index.ts';
import type { ModuleDefinition, Readiness } from '../../libs/services/index.ts';
import { RenderMode, renderConfig } from '../../libs/services/index.ts';
import type { Queryable } from '../../libs/storage/index.ts';
import { Engine, LocalStorage, createQuerier } from '../querier/index.ts';
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
  /** Set by `storage`: what queries read. */
  queryable?: Queryable;
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
    // Stand-in for the distributed read path: the local TSDB directory, until queriers read
    // ingesters and store-gateways.
    name: 'storage',
    deps: [],
    init: (ctx) => {
      const tsdb = ctx.config.blocks_storage.tsdb;
      const storage = new LocalStorage(
        { dir: tsdb.dir, blockRange: tsdb.block_ranges_period[0] ?? 2 * 3_600_000 },
        { logger: ctx.logger.child({ component: 'storage' }) },
      );
      ctx.queryable = storage;
      return storage;
    },
  },
  {
    name: 'querier',
    deps: ['api', 'storage'],
    init: (ctx) => {
      const cfg = ctx.config.querier;
      const engine = new Engine({
        timeout: cfg.timeout,
        maxSamples: cfg.max_samples,
        lookbackDelta: cfg.lookback_delta,
        noStepSubqueryIntervalFn: () => cfg.default_evaluation_interval,
      });
      const queryable = provided(ctx.queryable, 'queryable');
      createQuerier({
        server: provided(ctx.server, 'HTTP server'),
        engine,
        // One tenant until X-Scope-OrgID is read at the edge.
        queryableFor: () => queryable,
        build: ctx.build,
        logger: ctx.logger.child({ component: 'querier' }),
      });
      return undefined;
    },
  },
  // Modules of the architecture register here as they are written, for example:
  // { name: 'ingester', deps: ['api', 'metrics'], init: (ctx) => createIngester(ctx.config.ingester, {...}) },
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
