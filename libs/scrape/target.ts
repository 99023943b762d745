// Scrape targets: the labels of one discovered target (Prometheus' populateLabels: defaults,
// target relabelling, `instance`), its scrape URL and the state its scrape loop reports.
import { Labels, LabelsBuilder } from '../model/index.ts';
import type { RelabelConfig } from '../relabel/index.ts';
import { relabel } from '../relabel/index.ts';
import { formatDuration, parseDuration } from '../services/index.ts';
import type { ScrapeConfig } from './config.ts';

export const ADDRESS_LABEL = '__address__';
export const SCHEME_LABEL = '__scheme__';
export const METRICS_PATH_LABEL = '__metrics_path__';
export const SCRAPE_INTERVAL_LABEL = '__scrape_interval__';
export const SCRAPE_TIMEOUT_LABEL = '__scrape_timeout__';
export const PARAM_LABEL_PREFIX = '__param_';
export const META_LABEL_PREFIX = '__meta_';

export const TargetHealth = { Unknown: 'unknown', Up: 'up', Down: 'down' } as const;
export type TargetHealth = (typeof TargetHealth)[keyof typeof TargetHealth];

/** Thrown (and reported per target by the pool) when a discovered target cannot be scraped. */
export class TargetLabelsError extends Error {
  readonly code = 'scrape_target_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'TargetLabelsError';
  }
}

/** The outcome for one discovered target: scraped with `labels`, or dropped by relabelling. */
export type PopulatedLabels =
  | { readonly dropped: false; readonly discovered: Labels; readonly labels: Labels }
  | { readonly dropped: true; readonly discovered: Labels };

/**
 * Prometheus' populateLabels. `discovered` is the target's labels over its group's plus the
 * scrape defaults (job, `__scheme__`, `__metrics_path__`, `__scrape_interval__`,
 * `__scrape_timeout__`, `__param_<name>`), each only where discovery did not set it. `labels`
 * (after `relabel_configs`) keeps the `__` labels the scrape reads and drops `__meta_*`;
 * `instance` defaults to `__address__`. No port is added (Prometheus ≥ 2.43). Throws
 * TargetLabelsError for an unusable target.
 */
export function populateLabels(
  cfg: ScrapeConfig,
  relabelConfigs: readonly RelabelConfig[],
  target: Readonly<Record<string, string>>,
  groupLabels: Readonly<Record<string, string>>,
): PopulatedLabels {
  const b = new LabelsBuilder(Labels.fromRecord(groupLabels));
  for (const [k, v] of Object.entries(target)) b.set(k, v);
  const defaults: [string, string][] = [
    ['job', cfg.jobName],
    [SCRAPE_INTERVAL_LABEL, formatDuration(cfg.scrapeInterval)],
    [SCRAPE_TIMEOUT_LABEL, formatDuration(cfg.scrapeTimeout)],
    [METRICS_PATH_LABEL, cfg.metricsPath],
    [SCHEME_LABEL, cfg.scheme],
  ];
  for (const [k, v] of defaults) if (b.get(k) === '') b.set(k, v);
  for (const [k, vs] of Object.entries(cfg.params)) {
    const name = PARAM_LABEL_PREFIX + k;
    if (b.get(name) === '' && vs.length > 0) b.set(name, vs[0]!);
  }
  const discovered = b.labels();
  const relabelled = relabelConfigs.length > 0 ? relabel(discovered, relabelConfigs) : discovered;
  if (relabelled === undefined) return { dropped: true, discovered };

  const out = new LabelsBuilder(relabelled);
  const addr = relabelled.get(ADDRESS_LABEL);
  if (addr === '') throw new TargetLabelsError('no address');
  if (addr.includes('/')) throw new TargetLabelsError(`"${addr}" is not a valid hostname`);
  const interval = durationLabel(relabelled, SCRAPE_INTERVAL_LABEL, 'interval');
  const timeout = durationLabel(relabelled, SCRAPE_TIMEOUT_LABEL, 'timeout');
  if (interval === 0) throw new TargetLabelsError('scrape interval cannot be 0');
  if (timeout === 0) throw new TargetLabelsError('scrape timeout cannot be 0');
  if (timeout > interval) {
    throw new TargetLabelsError(`scrape timeout cannot be greater than scrape interval ("${formatDuration(timeout)}" > "${formatDuration(interval)}")`);
  }
  relabelled.forEach((n) => {
    if (n.startsWith(META_LABEL_PREFIX)) out.del(n);
  });
  if (out.get('instance') === '') out.set('instance', addr);
  return { dropped: false, discovered, labels: out.labels() };
}

function durationLabel(l: Labels, name: string, what: string): number {
  const v = l.get(name);
  const ms = parseDuration(v);
  if (ms === undefined) throw new TargetLabelsError(`error parsing scrape ${what}: not a valid duration string: "${v}"`);
  return ms;
}

/** Builds `<scheme>://<address><path>?<params>`, the `__param_*` labels overriding `params`. */
export function scrapeURL(labels: Labels, params: Readonly<Record<string, readonly string[]>>): string {
  const q = new Map<string, readonly string[]>(Object.entries(params));
  labels.forEach((n, v) => {
    if (n.startsWith(PARAM_LABEL_PREFIX)) q.set(n.slice(PARAM_LABEL_PREFIX.length), [v]);
  });
  let path = labels.get(METRICS_PATH_LABEL);
  if (!path.startsWith('/')) path = `/${path}`;
  const sp = new URLSearchParams();
  for (const k of [...q.keys()].sort()) for (const v of q.get(k)!) sp.append(k, v);
  const qs = sp.toString();
  return `${labels.get(SCHEME_LABEL)}://${labels.get(ADDRESS_LABEL)}${path}${qs === '' ? '' : `?${qs}`}`;
}

// FNV-1a over UTF-16 code units: stable across processes and restarts.
function fnv1a(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A target a scrape loop scrapes, with the state it last reported. */
export class Target {
  /** Labels added to every scraped series: the relabelled labels without `__` ones. */
  readonly labels: Labels;
  readonly url: string;
  /** ms, from `__scrape_interval__` / `__scrape_timeout__`. */
  readonly interval: number;
  readonly timeout: number;
  #hash: number | undefined;

  health: TargetHealth = TargetHealth.Unknown;
  lastError = '';
  /** Start of the last scrape, ms since the epoch; 0 before the first. */
  lastScrape = 0;
  /** Seconds. */
  lastScrapeDuration = 0;
  /** Series scraped in the last scrape (after metric relabelling). */
  lastScrapeSeries = 0;

  constructor(
    readonly scrapePool: string,
    readonly discoveredLabels: Labels,
    /** All relabelled labels, including the `__` labels the scrape reads. */
    readonly scrapeLabels: Labels,
    params: Readonly<Record<string, readonly string[]>>,
  ) {
    const pub: [string, string][] = [];
    scrapeLabels.forEach((n, v) => {
      if (!n.startsWith('__')) pub.push([n, v]);
    });
    this.labels = Labels.fromPairs(pub);
    this.url = scrapeURL(scrapeLabels, params);
    this.interval = parseDuration(scrapeLabels.get(SCRAPE_INTERVAL_LABEL)) ?? 0;
    this.timeout = parseDuration(scrapeLabels.get(SCRAPE_TIMEOUT_LABEL)) ?? 0;
  }

  /** uint32 of pool, labels and URL: the identity used for dedupe, offsets and sharding. */
  hash(): number {
    if (this.#hash === undefined) {
      let h = fnv1a(0x811c9dc5, this.scrapePool);
      h = fnv1a(h, '\xff');
      this.labels.forEach((n, v) => {
        h = fnv1a(fnv1a(fnv1a(h, n), '\xfe'), v);
        h = fnv1a(h, '\xff');
      });
      this.#hash = fnv1a(h, this.url);
    }
    return this.#hash;
  }

  /** Records the outcome of one scrape. */
  report(start: number, durationSeconds: number, err: Error | undefined, series: number): void {
    this.lastScrape = start;
    this.lastScrapeDuration = durationSeconds;
    this.health = err === undefined ? TargetHealth.Up : TargetHealth.Down;
    this.lastError = err === undefined ? '' : err.message;
    this.lastScrapeSeries = series;
  }
}

/** A discovered target that relabelling dropped (kept for the targets API). */
export interface DroppedTarget {
  readonly scrapePool: string;
  readonly discoveredLabels: Labels;
}
