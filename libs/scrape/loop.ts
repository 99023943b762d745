// The scrape loop of one target: scrapes at a stable offset within every interval (wall-clock
// aligned), appends each scrape in one transaction with the synthetic `up`/`scrape_*` series,
// and writes stale markers for vanished series, failed scrapes and (optionally) when stopped.
import { Labels, LabelsBuilder, METRIC_NAME, STALE_NAN } from '../model/index.ts';
import type { Appendable, Appender, SeriesRef } from '../storage/index.ts';
import type { AppendCounts, MetricMetadata, SampleMutation } from './cache.ts';
import { ScrapeCache } from './cache.ts';
import type { ScrapeMetrics } from './metrics.ts';
import type { ScrapeResponse } from './scraper.ts';
import type { Target } from './target.ts';

/** Fetches one scrape body; HTTPScraper in production. */
export interface Scraper {
  scrape(signal?: AbortSignal): Promise<ScrapeResponse>;
  close(): void;
}

export interface ScrapeLoopOptions {
  readonly target: Target;
  readonly scraper: Scraper;
  readonly appendable: Appendable;
  readonly mutation: SampleMutation;
  /** Mixed into the target's offset within the interval (e.g. a hash of the agent's identity). */
  readonly offsetSeed?: number;
  readonly metrics?: ScrapeMetrics;
  /** Called for problems that are not the target's (appender, commit). */
  readonly onError?: (target: Target, err: Error) => void;
}

export interface StopOptions {
  /** Write stale markers for every series of the last scrape (false when handing the target over). */
  readonly staleMarkers: boolean;
}

// A scrape starting this close to its slot is stamped with the slot's time (better compression).
const TIMESTAMP_TOLERANCE_MS = 2;

const REPORT_NAMES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'] as const;

/** Offset of a target within its interval: stable across restarts, spread across targets. */
export function scrapeOffset(hash: number, seed: number, interval: number): number {
  return ((hash ^ seed) >>> 0) % interval;
}

export class ScrapeLoop {
  readonly target: Target;
  readonly #o: ScrapeLoopOptions;
  readonly #cache: ScrapeCache;
  readonly #reportLabels: Labels[];
  readonly #reportRefs: SeriesRef[] = REPORT_NAMES.map(() => 0);
  #reported = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #abort = new AbortController();
  #stopped = false;
  #started = false;
  #lastStart = 0;
  #lastT = 0;

  constructor(opts: ScrapeLoopOptions) {
    this.#o = opts;
    this.target = opts.target;
    this.#cache = new ScrapeCache(opts.mutation);
    this.#reportLabels = REPORT_NAMES.map((n) => new LabelsBuilder(opts.target.labels).set(METRIC_NAME, n).labels());
  }

  /**
   * Schedules the scrapes; the first at the target's next slot. `immediately` scrapes once at
   * once as well: a target taken over from another agent gets no gap of up to an interval.
   */
  start(opts: { immediately?: boolean } = {}): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    if (opts.immediately) void this.scrapeOnce();
    const interval = this.target.interval;
    const offset = scrapeOffset(this.target.hash(), this.#o.offsetSeed ?? 0, interval);
    const now = Date.now();
    let next = now - (now % interval) + offset;
    if (next < now) next += interval;
    this.#schedule(next);
  }

  #schedule(at: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.scrapeOnce(at).finally(() => {
        const interval = this.target.interval;
        let next = at + interval;
        const now = Date.now();
        // An overrun skips the slots it missed rather than scraping back to back.
        if (next <= now) next += Math.ceil((now - next + 1) / interval) * interval;
        this.#schedule(next);
      });
    }, Math.max(0, at - Date.now()));
  }

  /**
   * One scrape and its append, stamped `scheduled` when the scrape starts within 2ms of it
   * (else the start time). Public for tests and tools; the loop calls it on its schedule.
   */
  scrapeOnce(scheduled?: number): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).then(() => this.#scrape(scheduled));
    const tracked = run.finally(() => {
      if (this.#running === tracked) this.#running = undefined;
    });
    this.#running = tracked;
    return tracked;
  }

  async #scrape(scheduled: number | undefined): Promise<void> {
    if (this.#stopped) return;
    const started = Date.now();
    let t = scheduled !== undefined && Math.abs(started - scheduled) <= TIMESTAMP_TOLERANCE_MS ? scheduled : started;
    if (t <= this.#lastT) t = this.#lastT + 1;
    const metrics = this.#o.metrics;
    if (this.#lastStart !== 0) metrics?.intervalLength.observe({ interval: this.target.interval / 1000 }, (started - this.#lastStart) / 1000);
    this.#lastStart = started;
    let resp: ScrapeResponse | undefined;
    let scrapeErr: Error | undefined;
    try {
      resp = await this.#o.scraper.scrape(this.#abort.signal);
    } catch (err) {
      scrapeErr = err as Error;
    }
    // A loop stopped mid-scrape appends nothing: the target is gone or handed over.
    if (this.#stopped) return;
    const duration = (Date.now() - started) / 1000;
    const counts: AppendCounts = { total: 0, added: 0, seriesAdded: 0, duplicates: 0, rejected: 0 };
    let app: Appender;
    try {
      app = this.#o.appendable.appender();
      if (resp !== undefined) {
        try {
          this.#cache.append(app, resp.body, resp.format, t, counts);
        } catch (err) {
          app.rollback();
          app = this.#o.appendable.appender();
          scrapeErr = err as Error;
          if ((err as { code?: string }).code === 'sample_limit') metrics?.sampleLimitExceeded.inc();
          this.#cache.appendFailed(app, t);
        }
      } else {
        this.#cache.appendFailed(app, t);
      }
      this.#appendReport(app, t, [scrapeErr === undefined ? 1 : 0, duration, counts.total, counts.added, counts.seriesAdded]);
      this.#lastT = t;
      await app.commit();
    } catch (err) {
      this.#o.onError?.(this.target, err as Error);
    }
    if (counts.duplicates > 0) metrics?.duplicateSamples.inc(counts.duplicates);
    if (counts.rejected > 0) metrics?.rejectedSamples.inc(counts.rejected);
    metrics?.scrapes.inc({ job: this.target.scrapePool, result: scrapeErr === undefined ? 'success' : 'failure' });
    this.target.report(started, duration, scrapeErr, scrapeErr === undefined ? counts.added : 0);
  }

  #appendReport(app: Appender, t: number, values: readonly number[]): void {
    for (let i = 0; i < REPORT_NAMES.length; i++) this.#reportRefs[i] = app.append(this.#reportRefs[i]!, this.#reportLabels[i]!, t, values[i]!);
    this.#reported = true;
  }

  /**
   * Stops scraping: aborts a scrape in flight (which then appends nothing), waits for an append
   * in progress, and with `staleMarkers` marks every series of the last scrape, and the
   * synthetic ones, stale at the stop time.
   */
  async stop(opts: StopOptions): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running;
    this.#o.scraper.close();
    if (!opts.staleMarkers || !this.#reported) return;
    const t = Math.max(Date.now(), this.#lastT + 1);
    try {
      const app = this.#o.appendable.appender();
      this.#cache.appendStaleAll(app, t);
      for (let i = 0; i < REPORT_NAMES.length; i++) app.append(this.#reportRefs[i]!, this.#reportLabels[i]!, t, STALE_NAN);
      await app.commit();
    } catch (err) {
      this.#o.onError?.(this.target, err as Error);
    }
  }

  /** TYPE/HELP/UNIT per metric family the target exposes. */
  metadata(): Iterable<MetricMetadata> {
    return this.#cache.metadata();
  }
}
