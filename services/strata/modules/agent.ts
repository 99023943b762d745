// The agent module: the scraper agent (never part of `all`; `npm start` runs it beside `all`).
import { errorBody } from '../../../libs/server/index.ts';
import { Agent, registerPushRoutes, registerTargetRoutes, selfScrapeConfig } from '../../agent/index.ts';
import type { StrataModule } from './context.ts';
import { provided } from './context.ts';

export const AGENT_MODULES: readonly StrataModule[] = [
  {
    name: 'agent',
    deps: ['api'],
    init: (ctx) => {
      const server = provided(ctx.server, 'HTTP server');
      const cfg = ctx.config.agent;
      const log = ctx.logger.child({ component: 'agent' });
      // Without a configuration file the agent scrapes this process and writes to its own
      // distributor, which it needs to be running here.
      let defaultConfig: (() => Promise<string>) | undefined;
      if (cfg.config_file === '' && ctx.config.target.some((t) => ['all', 'write', 'distributor'].includes(t))) {
        defaultConfig = async () => {
          const a = await waitForAddress(() => server.address());
          return selfScrapeConfig(`${a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address}:${a.port}`);
        };
      } else if (cfg.config_file === '') {
        throw new Error('agent.config_file is required when this process runs no distributor (-agent.config-file=prometheus.yml)');
      }
      const agent = new Agent(cfg, {
        logger: log,
        registry: provided(ctx.registry, 'metrics registry'),
        userAgent: `Strata/${ctx.build.version}`,
        ...(defaultConfig ? { defaultConfig } : {}),
      });
      registerTargetRoutes(server, agent.scrape);
      const registry = provided(ctx.registry, 'metrics registry');
      if (cfg.push.enabled) registerPushRoutes(server, agent.push, { registry, logger: log.child({ part: 'push' }), maxBodyBytes: cfg.push.max_body_bytes });
      for (const method of ['POST', 'PUT'] as const) {
        server.route({
          method,
          url: '/-/reload',
          handler: async (_req, reply) => {
            try {
              await agent.reload();
              return reply.code(200).type('text/plain; charset=utf-8').send('');
            } catch (err) {
              return reply.code(500).send(errorBody('reload_failed', `failed to reload config: ${(err as Error).message}`));
            }
          },
        });
      }
      for (const url of ['/-/healthy', '/-/ready']) {
        server.route({ method: 'GET', url, handler: async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Strata agent is Ready.\n') });
      }
      return agent;
    },
  },
];

/** The server listens only after every module started: the self-scrape config waits for its address. */
async function waitForAddress(get: () => { address: string; port: number } | undefined): Promise<{ address: string; port: number }> {
  for (;;) {
    const a = get();
    if (a) return a;
    await new Promise((r) => setTimeout(r, 50));
  }
}
