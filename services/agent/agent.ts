// The scraper agent: discovery → scrape loops → WAL → remote-write queues, with the targets shared
// among the agents of a ring and a push endpoint for batch jobs. One service; reload re-reads the
// Prometheus configuration and applies it to every part (what did not change keeps running).
import { readFile } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../libs/log/index.ts';
import { Service, type DeepReadonly } from '../../libs/services/index.ts';
import { ScrapeManager, type MetricMetadata, type Target } from '../../libs/scrape/index.ts';
import { stringToken } from '../../libs/ring/index.ts';
import type { AgentModuleConfig } from './agent_config.ts';
import { AgentConfigError, parseAgentConfig, type AgentConfig } from './config.ts';
import { TargetDiscovery } from './discovery.ts';
import { PushStore } from './push/index.ts';
import { RemoteStorage } from './remote/index.ts';
import { AgentRing } from './sharding.ts';
import { AgentStorage } from './wal_storage.ts';

export interface AgentDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Where the Prometheus configuration comes from when `config_file` is empty (npm start's self-scrape). */
  readonly defaultConfig?: () => Promise<string>;
  readonly userAgent: string;
}

/** Label the agents of an HA pair add with their zone, for the distributor's HA tracker. */
export const REPLICA_LABEL = '__replica__';

export class Agent extends Service {
  readonly storage: AgentStorage;
  readonly remote: RemoteStorage;
  readonly ring: AgentRing;
  readonly scrape: ScrapeManager;
  readonly discovery: TargetDiscovery;
  readonly push: PushStore;
  readonly #cfg: DeepReadonly<AgentModuleConfig>;
  readonly #deps: AgentDeps;
  readonly #log: Logger;
  readonly #reloadOk: Gauge;
  readonly #reloadTime: Gauge;
  #current: AgentConfig | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #pushTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #onSighup = (): void => {
    this.reload().catch(() => {}); // logged and counted by reload
  };

  constructor(cfg: DeepReadonly<AgentModuleConfig>, deps: AgentDeps) {
    super('agent');
    this.#cfg = cfg;
    this.#deps = deps;
    this.#log = deps.logger;
    const registry = deps.registry;
    this.remote = new RemoteStorage({
      dataDir: cfg.data_dir,
      registry,
      logger: deps.logger.child({ part: 'remote-write' }),
      // Queues wake on every commit instead of polling the WAL.
      subscribe: (fn) => this.storage.onWrite(fn),
      metadata: { provider: () => this.#metadata() },
    });
    this.storage = new AgentStorage({
      dataDir: cfg.data_dir,
      registry,
      logger: deps.logger.child({ part: 'wal' }),
      retainFrom: () => this.remote.retainFrom(),
    });
    this.ring = new AgentRing(cfg.ring, { logger: deps.logger.child({ part: 'ring' }) });
    this.scrape = new ScrapeManager({
      appendable: this.storage,
      registry,
      userAgent: deps.userAgent,
      offsetSeed: stringToken(this.ring.instanceId()),
      owns: (t: Target) => this.ring.owns(t.hash()),
      onError: (msg, err, t) => this.#log.warn({ err, target: t?.url }, msg),
    });
    this.discovery = new TargetDiscovery({
      syncer: this.scrape,
      onError: (job, what, err) => this.#log.warn({ err, job }, `discovery: ${what}`),
    });
    this.push = new PushStore(cfg.push, { logger: deps.logger.child({ part: 'push' }) });
    this.#reloadOk = new Gauge({
      name: 'prometheus_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers: [registry],
    });
    this.#reloadTime = new Gauge({
      name: 'prometheus_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload.',
      registers: [registry],
    });
  }

  /** The configuration in force (after the last successful load). */
  config(): AgentConfig | undefined {
    return this.#current;
  }

  protected override async starting(): Promise<void> {
    // The self-scrape configuration needs the server's address, known only once every module
    // started: begin with nothing to do and load it in the background.
    const selfScrape = this.#cfg.config_file === '';
    const cfg = selfScrape ? parseAgentConfig('') : await this.#load();
    this.#current = cfg;
    await this.storage.start();
    await this.ring.start();
    await this.remote.applyConfig(cfg.remoteWrite, this.#externalLabels(cfg));
    await this.remote.start();
    await this.scrape.applyConfig(cfg.scrapeConfigs);
    await this.scrape.start();
    await this.discovery.applyConfig(cfg.scrapeConfigs);
    await this.discovery.start();
    // Ownership moved: newly owned targets start at once, lost ones stop without stale markers.
    this.#unsubscribe = this.ring.onChange(() => {
      this.scrape.reshard().catch((err: unknown) => this.#log.error({ err }, 'resharding targets failed'));
    });
    if (this.#cfg.push.enabled) {
      this.#pushTimer = setInterval(() => {
        this.push.emit(this.storage, Date.now()).catch((err: unknown) => this.#log.error({ err }, 'writing pushed groups failed'));
      }, this.#cfg.push.interval);
    }
    process.on('SIGHUP', this.#onSighup);
    this.#reloadOk.set(1);
    this.#reloadTime.set(Date.now() / 1000);
    this.#log.info({ jobs: cfg.scrapeConfigs.length, remoteWrite: cfg.remoteWrite.length, instance: this.ring.instanceId() }, 'agent started');
    if (selfScrape) this.reload().catch(() => {}); // logged by reload
  }

  protected override async stopping(): Promise<void> {
    process.off('SIGHUP', this.#onSighup);
    this.#unsubscribe?.();
    clearInterval(this.#pushTimer);
    await this.#reloading;
    await this.discovery.stop();
    // Leave the ring first so the others take over; they go on writing our targets' series, so
    // those get no stale markers from us (unless nobody is left to scrape them).
    if (this.ring.healthyPeers() > 0) this.scrape.handOverOnStop();
    await this.ring.stop();
    await this.scrape.stop();
    this.push.stop();
    await this.push.emitStale(this.storage, Date.now()).catch((err: unknown) => this.#log.warn({ err }, 'stale markers for pushed groups failed'));
    await this.remote.stop();
    await this.storage.stop();
  }

  /**
   * Re-reads the configuration and applies it (SIGHUP, POST /-/reload). An invalid file changes
   * nothing and rejects with the reason; the last good configuration stays in force.
   */
  reload(): Promise<void> {
    const run = this.#reloading.then(async () => {
      try {
        const cfg = await this.#load();
        await this.remote.applyConfig(cfg.remoteWrite, this.#externalLabels(cfg));
        await this.scrape.applyConfig(cfg.scrapeConfigs);
        await this.discovery.applyConfig(cfg.scrapeConfigs);
        this.#current = cfg;
        this.#reloadOk.set(1);
        this.#reloadTime.set(Date.now() / 1000);
        this.#log.info({ jobs: cfg.scrapeConfigs.length, remoteWrite: cfg.remoteWrite.length }, 'configuration reloaded');
      } catch (err) {
        this.#reloadOk.set(0);
        this.#log.error({ err }, 'configuration reload failed, keeping the previous one');
        throw err;
      }
    });
    this.#reloading = run.catch(() => {});
    return run;
  }

  async #load(): Promise<AgentConfig> {
    const file = this.#cfg.config_file;
    let text: string;
    if (file !== '') {
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new AgentConfigError(`cannot read ${file}: ${(err as Error).message}`);
      }
    } else if (this.#deps.defaultConfig) {
      text = await this.#deps.defaultConfig();
    } else {
      throw new AgentConfigError('agent.config_file is required (-agent.config-file)');
    }
    const cfg = parseAgentConfig(text);
    for (const key of cfg.unsupported) this.#log.warn({ key, file }, `unsupported configuration key ignored: ${key}`);
    return cfg;
  }

  /** The metric metadata of every scraped target, once per metric family (sent by the queues every minute). */
  *#metadata(): Iterable<MetricMetadata> {
    const seen = new Set<string>();
    for (const [job, targets] of this.scrape.activeTargets()) {
      const pool = this.scrape.pool(job);
      for (const t of targets) {
        for (const m of pool?.loopFor(t)?.metadata() ?? []) {
          if (seen.has(m.metricFamily)) continue;
          seen.add(m.metricFamily);
          yield m;
        }
      }
    }
  }

  #externalLabels(cfg: AgentConfig): Record<string, string> {
    const replica = this.ring.replicaLabel();
    return replica === undefined ? { ...cfg.global.externalLabels } : { ...cfg.global.externalLabels, [REPLICA_LABEL]: replica };
  }
}
