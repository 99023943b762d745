// A scrape pool: the targets of one scrape_config (job) and a scrape loop for each one this agent
// owns. Syncing with discovery's groups starts loops for new targets and stops vanished ones
// with stale markers; a change of ownership (sharding) moves loops without stale markers.
import type { TargetGroup } from '../discovery/index.ts';
import type { RelabelConfig, RelabelConfigInput } from '../relabel/index.ts';
import { newRelabelConfigs } from '../relabel/index.ts';
import type { Appendable } from '../storage/index.ts';
import type { SampleMutation } from './cache.ts';
import type { ScrapeConfig } from './config.ts';
import type { Scraper } from './loop.ts';
import { ScrapeLoop } from './loop.ts';
import type { ScrapeMetrics } from './metrics.ts';
import { HTTPScraper } from './scraper.ts';
import type { DroppedTarget } from './target.ts';
import { Target, populateLabels } from './target.ts';

export interface ScrapePoolOptions {
  readonly appendable: Appendable;
  readonly userAgent: string;
  readonly offsetSeed: number;
  readonly metrics: ScrapeMetrics;
  /** Whether this agent scrapes `target` (sharding); asked at sync and reshard. */
  readonly owns: (target: Target) => boolean;
  /** Problems to log: invalid targets, appender or commit failures. */
  readonly onError: (msg: string, err: Error, target?: Target) => void;
  /** Replaces the HTTP scraper (tests, benchmarks). */
  readonly newScraper?: (target: Target, cfg: ScrapeConfig) => Scraper;
}

export class ScrapePool {
  readonly #opts: ScrapePoolOptions;
  #cfg: ScrapeConfig;
  #relabel: readonly RelabelConfig[];
  #metricRelabel: readonly RelabelConfig[];
  #groups: readonly TargetGroup[] = [];
  // Every valid target by hash, and the loops of those this agent owns.
  #targets = new Map<number, Target>();
  #dropped: DroppedTarget[] = [];
  readonly #loops = new Map<number, ScrapeLoop>();
  #running = false;

  /** Throws RelabelConfigError for an invalid relabel config. */
  constructor(cfg: ScrapeConfig, opts: ScrapePoolOptions) {
    this.#opts = opts;
    this.#cfg = cfg;
    this.#relabel = newRelabelConfigs(cfg.relabelConfigs as RelabelConfigInput[]);
    this.#metricRelabel = newRelabelConfigs(cfg.metricRelabelConfigs as RelabelConfigInput[]);
  }

  get config(): ScrapeConfig {
    return this.#cfg;
  }

  /** Starts loops for the owned targets; later syncs start theirs at once. */
  start(): void {
    this.#running = true;
    // Nothing stops here: only loops of targets that left would, and start adds loops.
    void this.#reconcile();
  }

  /** Replaces the pool's targets with those of `groups` (all groups of the job). */
  sync(groups: readonly TargetGroup[]): Promise<void> {
    this.#groups = groups;
    this.#targets = new Map();
    this.#dropped = [];
    for (const g of groups) {
      for (const t of g.targets) {
        try {
          const p = populateLabels(this.#cfg, this.#relabel, t, g.labels);
          if (p.dropped) {
            this.#dropped.push({ scrapePool: this.#cfg.jobName, discoveredLabels: p.discovered });
            continue;
          }
          const target = new Target(this.#cfg.jobName, p.discovered, p.labels, this.#cfg.params);
          // The first of identical targets wins, as in Prometheus.
          if (!this.#targets.has(target.hash())) this.#targets.set(target.hash(), target);
        } catch (err) {
          this.#opts.onError(`creating target failed (group ${g.source})`, err as Error);
        }
      }
    }
    return this.#reconcile();
  }

  /** Asks `owns` again for every target: loops of targets no longer owned stop without stale markers. */
  reshard(): Promise<void> {
    return this.#reconcile(true);
  }

  /** Applies a changed config: every loop restarts (stale markers only for targets whose labels went away). */
  async reload(cfg: ScrapeConfig): Promise<void> {
    const relabel = newRelabelConfigs(cfg.relabelConfigs as RelabelConfigInput[]);
    const metricRelabel = newRelabelConfigs(cfg.metricRelabelConfigs as RelabelConfigInput[]);
    const old = [...this.#loops];
    this.#loops.clear();
    this.#cfg = cfg;
    this.#relabel = relabel;
    this.#metricRelabel = metricRelabel;
    // Recompute targets without starting loops yet, so old loops know which targets remain.
    const running = this.#running;
    this.#running = false;
    await this.sync(this.#groups);
    this.#running = running;
    // Series are named by the target labels: where those remain, the new loop continues them.
    const remaining = new Set([...this.#targets.values()].map((t) => t.labels.toString()));
    await Promise.all(old.map(([, loop]) => loop.stop({ staleMarkers: !remaining.has(loop.target.labels.toString()) })));
    await this.#reconcile();
  }

  /** Stops every loop; `staleMarkers` as for ScrapeLoop.stop. */
  async stop(opts: { staleMarkers: boolean }): Promise<void> {
    this.#running = false;
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all(loops.map((l) => l.stop(opts)));
  }

  // `takeOver`: loops of newly owned targets scrape at once (their series were another agent's).
  #reconcile(takeOver = false): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [h, loop] of this.#loops) {
      const t = this.#targets.get(h);
      if (t === undefined) stops.push(loop.stop({ staleMarkers: true }));
      else if (!this.#opts.owns(loop.target)) stops.push(loop.stop({ staleMarkers: false }));
      else continue;
      this.#loops.delete(h);
    }
    if (this.#running) {
      for (const [h, t] of this.#targets) {
        if (this.#loops.has(h) || !this.#opts.owns(t)) continue;
        const loop = this.#newLoop(t);
        this.#loops.set(h, loop);
        loop.start({ immediately: takeOver });
      }
    }
    const job = this.#cfg.jobName;
    this.#opts.metrics.poolTargets.set({ scrape_job: job }, this.#targets.size);
    this.#opts.metrics.targetsNotOwned.set({ scrape_job: job }, this.targetsNotOwned());
    return Promise.all(stops).then(() => undefined);
  }

  #newLoop(t: Target): ScrapeLoop {
    const cfg = this.#cfg;
    const mutation: SampleMutation = {
      targetLabels: t.labels,
      honorLabels: cfg.honorLabels,
      honorTimestamps: cfg.honorTimestamps,
      metricRelabelConfigs: this.#metricRelabel,
      sampleLimit: cfg.sampleLimit,
      labelLimit: cfg.labelLimit,
      labelNameLengthLimit: cfg.labelNameLengthLimit ?? 0,
      labelValueLengthLimit: cfg.labelValueLengthLimit ?? 0,
    };
    const scraper =
      this.#opts.newScraper?.(t, cfg) ??
      new HTTPScraper({ url: t.url, timeout: t.timeout, bodySizeLimit: cfg.bodySizeLimit, http: cfg.http, userAgent: this.#opts.userAgent });
    return new ScrapeLoop({
      target: t,
      scraper,
      appendable: this.#opts.appendable,
      mutation,
      offsetSeed: this.#opts.offsetSeed,
      metrics: this.#opts.metrics,
      onError: (target, err) => this.#opts.onError('appending scrape failed', err, target),
    });
  }

  /** Targets this agent scrapes. */
  activeTargets(): Target[] {
    return [...this.#loops.values()].map((l) => l.target);
  }

  /** Every valid target of the pool, owned or not. */
  allTargets(): Target[] {
    return [...this.#targets.values()];
  }

  droppedTargets(): readonly DroppedTarget[] {
    return this.#dropped;
  }

  targetsNotOwned(): number {
    let n = 0;
    for (const h of this.#targets.keys()) if (!this.#loops.has(h)) n++;
    return this.#running ? n : 0;
  }

  /** The loop scraping `target`, if this agent scrapes it. */
  loopFor(target: Target): ScrapeLoop | undefined {
    const l = this.#loops.get(target.hash());
    return l?.target === target ? l : undefined;
  }
}
