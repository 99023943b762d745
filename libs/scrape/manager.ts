// The scrape manager: one pool per scrape_config, fed by discovery (`sync`), reloaded with the
// config (`applyConfig`), and told when sharding moved targets (`reshard`). A service: loops run
// only between start and stop, and stopping marks every scraped series stale.
import type { Registry } from 'prom-client';
import type { TargetGroup } from '../discovery/index.ts';
import { Service } from '../services/index.ts';
import type { Appendable } from '../storage/index.ts';
import type { ScrapeConfig } from './config.ts';
import type { Scraper } from './loop.ts';
import type { ScrapeMetrics } from './metrics.ts';
import { newScrapeMetrics } from './metrics.ts';
import { ScrapePool } from './pool.ts';
import type { DroppedTarget, Target } from './target.ts';

export interface ScrapeManagerOptions {
  readonly appendable: Appendable;
  readonly registry?: Registry;
  /** Default `Strata`; the agent passes `Strata/<version>`. */
  readonly userAgent?: string;
  /** Mixed into every target's offset within its interval (e.g. a hash of the agent's name). */
  readonly offsetSeed?: number;
  /** Whether this agent scrapes `target`; default: every target. */
  readonly owns?: (target: Target) => boolean;
  readonly onError?: (msg: string, err: Error, target?: Target) => void;
  /** Replaces the HTTP scraper (tests, benchmarks). */
  readonly newScraper?: (target: Target, cfg: ScrapeConfig) => Scraper;
}

export class ScrapeManager extends Service {
  readonly #opts: ScrapeManagerOptions;
  readonly #metrics: ScrapeMetrics;
  readonly #pools = new Map<string, ScrapePool>();
  readonly #groups = new Map<string, readonly TargetGroup[]>();
  #running = false;
  #staleOnStop = true;

  constructor(opts: ScrapeManagerOptions) {
    super('scrape-manager');
    this.#opts = opts;
    this.#metrics = newScrapeMetrics(opts.registry);
  }

  protected override starting(): Promise<void> {
    this.#running = true;
    for (const p of this.#pools.values()) p.start();
    return Promise.resolve();
  }

  protected override async stopping(): Promise<void> {
    this.#running = false;
    await Promise.all([...this.#pools.values()].map((p) => p.stop({ staleMarkers: this.#staleOnStop })));
  }

  /**
   * Makes stop() leave the scraped series without stale markers: for an agent handing its targets
   * over to the other agents of its ring, who go on writing the same series.
   */
  handOverOnStop(): void {
    this.#staleOnStop = false;
  }

  /**
   * Applies the scrape configs of a (re)loaded config: new jobs get a pool, removed ones stop
   * with stale markers, changed ones restart their loops, unchanged ones keep running.
   * Throws RelabelConfigError (nothing changed then) for an invalid relabel config.
   */
  async applyConfig(configs: readonly ScrapeConfig[]): Promise<void> {
    const byJob = new Map(configs.map((c) => [c.jobName, c]));
    const created = new Map<string, ScrapePool>();
    for (const [job, cfg] of byJob) if (!this.#pools.has(job)) created.set(job, this.#newPool(cfg));
    const work: Promise<void>[] = [];
    for (const [job, pool] of this.#pools) {
      const cfg = byJob.get(job);
      if (cfg === undefined) {
        this.#pools.delete(job);
        this.#metrics.poolTargets.remove({ scrape_job: job });
        this.#metrics.targetsNotOwned.remove({ scrape_job: job });
        work.push(pool.stop({ staleMarkers: true }));
      } else if (JSON.stringify(cfg) !== JSON.stringify(pool.config)) {
        work.push(pool.reload(cfg));
      }
    }
    for (const [job, pool] of created) {
      this.#pools.set(job, pool);
      work.push(pool.sync(this.#groups.get(job) ?? []));
      if (this.#running) pool.start();
    }
    for (const job of this.#groups.keys()) if (!byJob.has(job)) this.#groups.delete(job);
    await Promise.all(work);
  }

  #newPool(cfg: ScrapeConfig): ScrapePool {
    return new ScrapePool(cfg, {
      appendable: this.#opts.appendable,
      userAgent: this.#opts.userAgent ?? 'Strata',
      offsetSeed: this.#opts.offsetSeed ?? 0,
      metrics: this.#metrics,
      owns: this.#opts.owns ?? (() => true),
      onError: this.#opts.onError ?? (() => undefined),
      ...(this.#opts.newScraper ? { newScraper: this.#opts.newScraper } : {}),
    });
  }

  /** The current target groups of `job` (all of its discoverers'); unknown jobs are remembered for a later applyConfig. */
  sync(job: string, groups: readonly TargetGroup[]): Promise<void> {
    this.#groups.set(job, groups);
    return this.#pools.get(job)?.sync(groups) ?? Promise.resolve();
  }

  /** Call when ownership changed: asks `owns` again for every target. */
  async reshard(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.reshard()));
  }

  /** Job names, in config order. */
  jobs(): string[] {
    return [...this.#pools.keys()];
  }

  pool(job: string): ScrapePool | undefined {
    return this.#pools.get(job);
  }

  /** Targets this agent scrapes, per job. */
  activeTargets(): Map<string, Target[]> {
    return new Map([...this.#pools].map(([j, p]) => [j, p.activeTargets()]));
  }

  droppedTargets(): Map<string, readonly DroppedTarget[]> {
    return new Map([...this.#pools].map(([j, p]) => [j, p.droppedTargets()]));
  }

  /** Valid targets another agent scrapes, over all jobs. */
  targetsNotOwned(): number {
    let n = 0;
    for (const p of this.#pools.values()) n += p.targetsNotOwned();
    return n;
  }
}
