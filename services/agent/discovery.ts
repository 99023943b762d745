// The agent's service discovery: for each scrape_config, the discoverers its *_sd_configs and
// static_configs describe, run until the job goes away, their groups merged and handed to the
// scrape manager (`sync(job, groups)`). Another mechanism (kubernetes_sd) is one more
// DiscovererProvider.
import type { Discoverer, TargetGroup } from '../../libs/discovery/index.ts';
import { DNSDiscoverer, FileDiscoverer, HTTPDiscoverer, StaticDiscoverer } from '../../libs/discovery/index.ts';
import type { ScrapeConfig } from '../../libs/scrape/index.ts';
import { Service } from '../../libs/services/index.ts';

/** Where discovered groups go: the scrape manager. */
export interface TargetSyncer {
  sync(job: string, groups: readonly TargetGroup[]): Promise<void>;
}

export type DiscoveryErrorHandler = (job: string, what: string, err: Error) => void;

/** The discoverers of one mechanism for one scrape config; `key` says when they must be rebuilt. */
export interface DiscovererProvider {
  readonly name: string;
  /** A stable text of the config this provider reads (unchanged: its discoverers keep running). */
  key(cfg: ScrapeConfig): string;
  discoverers(cfg: ScrapeConfig, onError: (what: string, err: Error) => void): Discoverer[];
}

export interface DiscoveryOptions {
  readonly syncer: TargetSyncer;
  readonly onError?: DiscoveryErrorHandler;
  /** DNS servers (`ip:port`) for dns_sd_configs; the system's by default. */
  readonly dnsServers?: readonly string[];
  /** Replaces the built-in providers (static, file, http, dns). */
  readonly providers?: readonly DiscovererProvider[];
}

/** static_configs, file_sd_configs, http_sd_configs and dns_sd_configs. */
export function defaultProviders(dnsServers?: readonly string[]): DiscovererProvider[] {
  return [
    {
      name: 'static',
      key: (c) => JSON.stringify(c.staticConfigs),
      discoverers: (c) => (c.staticConfigs.length > 0 ? [new StaticDiscoverer(c.staticConfigs)] : []),
    },
    {
      name: 'file',
      key: (c) => JSON.stringify(c.fileSDConfigs),
      discoverers: (c, onError) => c.fileSDConfigs.map((f) => new FileDiscoverer({ ...f, onError: (file, err) => onError(`file_sd ${file}`, err) })),
    },
    {
      name: 'http',
      key: (c) => JSON.stringify(c.httpSDConfigs),
      discoverers: (c, onError) => c.httpSDConfigs.map((h) => new HTTPDiscoverer({ ...h, onError: (url, err) => onError(`http_sd ${url}`, err) })),
    },
    {
      name: 'dns',
      key: (c) => JSON.stringify(c.dnsSDConfigs),
      discoverers: (c, onError) =>
        c.dnsSDConfigs.map((d) => new DNSDiscoverer({ ...d, ...(dnsServers ? { servers: dnsServers } : {}), onError: (name, err) => onError(`dns_sd ${name}`, err) })),
    },
  ];
}

const FIRST_SYNC_WAIT_MS = 10_000;

interface JobRun {
  readonly key: string;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** Runs the discoverers of every job; a service so that nothing runs before start. */
export class TargetDiscovery extends Service {
  readonly #opts: DiscoveryOptions;
  readonly #providers: readonly DiscovererProvider[];
  #configs: readonly ScrapeConfig[] = [];
  readonly #runs = new Map<string, JobRun>();
  #running = false;

  constructor(opts: DiscoveryOptions) {
    super('target-discovery');
    this.#opts = opts;
    this.#providers = opts.providers ?? defaultProviders(opts.dnsServers);
  }

  protected override starting(): Promise<void> {
    this.#running = true;
    return this.applyConfig(this.#configs);
  }

  protected override async stopping(): Promise<void> {
    this.#running = false;
    const runs = [...this.#runs.values()];
    this.#runs.clear();
    for (const r of runs) r.abort.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  /** Starts discoverers of new or changed jobs, stops those of removed or changed ones. */
  async applyConfig(configs: readonly ScrapeConfig[]): Promise<void> {
    this.#configs = configs;
    if (!this.#running) return;
    const stopping: Promise<void>[] = [];
    const byJob = new Map(configs.map((c) => [c.jobName, c]));
    for (const [job, run] of this.#runs) {
      const cfg = byJob.get(job);
      if (cfg !== undefined && this.#key(cfg) === run.key) continue;
      run.abort.abort();
      stopping.push(run.done);
      this.#runs.delete(job);
    }
    await Promise.all(stopping);
    for (const cfg of configs) if (!this.#runs.has(cfg.jobName)) this.#runs.set(cfg.jobName, this.#startJob(cfg));
  }

  #key(cfg: ScrapeConfig): string {
    return this.#providers.map((p) => `${p.name}=${p.key(cfg)}`).join('\n');
  }

  #startJob(cfg: ScrapeConfig): JobRun {
    const job = cfg.jobName;
    const abort = new AbortController();
    const onError = (what: string, err: Error): void => this.#opts.onError?.(job, what, err);
    const discoverers = this.#providers.flatMap((p) => p.discoverers(cfg, onError).map((d, i) => ({ d, prefix: `${p.name}/${i}/` })));
    const latest: (readonly TargetGroup[] | undefined)[] = discoverers.map(() => undefined);
    // The first sync waits for every discoverer's first answer (or FIRST_SYNC_WAIT_MS), so a
    // restarted job does not briefly lose, and mark stale, the targets of its slower discoverers.
    let ready = discoverers.length === 0;
    let chain: Promise<void> = Promise.resolve();
    const push = (): void => {
      if (abort.signal.aborted || !ready) return;
      const merged = latest.flatMap((g) => g ?? []);
      // Syncs are chained so the manager sees updates in order, the newest last.
      chain = chain.then(() => (abort.signal.aborted ? undefined : this.#opts.syncer.sync(job, merged))).catch((err: unknown) => onError('sync', err as Error));
    };
    const timer = setTimeout(() => {
      ready = true;
      push();
    }, FIRST_SYNC_WAIT_MS);
    timer.unref();
    abort.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    if (ready) {
      clearTimeout(timer);
      push();
    }
    const runners = discoverers.map(async ({ d, prefix }, i) => {
      try {
        for await (const groups of d.run(abort.signal)) {
          if (abort.signal.aborted) break;
          // Sources are made unique across the job's discoverers.
          latest[i] = groups.map((g) => ({ ...g, source: prefix + g.source }));
          if (!ready && latest.every((g) => g !== undefined)) {
            ready = true;
            clearTimeout(timer);
          }
          push();
        }
      } catch (err) {
        if (!abort.signal.aborted) onError(`discoverer ${prefix}`, err as Error);
      }
    });
    const done = Promise.all(runners).then(() => chain);
    return { key: this.#key(cfg), abort, done };
  }
}
