// The scrape manager's own metrics (prom-client), Prometheus' names where Prometheus has one.
import { Counter, Gauge, Summary } from 'prom-client';
import type { Registry } from 'prom-client';

export interface ScrapeMetrics {
  readonly scrapes: Counter<'job' | 'result'>;
  readonly sampleLimitExceeded: Counter;
  readonly duplicateSamples: Counter;
  readonly rejectedSamples: Counter;
  readonly poolTargets: Gauge<'scrape_job'>;
  readonly targetsNotOwned: Gauge<'scrape_job'>;
  readonly intervalLength: Summary<'interval'>;
}

/** Registers the metrics on `registry` (none given: unregistered, still counted). */
export function newScrapeMetrics(registry?: Registry): ScrapeMetrics {
  const registers = registry ? [registry] : [];
  return {
    scrapes: new Counter({ name: 'strata_agent_scrapes_total', help: 'Scrapes by job and result (success, failure).', labelNames: ['job', 'result'], registers }),
    sampleLimitExceeded: new Counter({
      name: 'prometheus_target_scrapes_sample_limit_exceeded_total',
      help: 'Total number of scrapes that hit the sample limit and were rejected.',
      registers,
    }),
    duplicateSamples: new Counter({
      name: 'prometheus_target_scrapes_sample_duplicate_timestamp_total',
      help: 'Total number of samples rejected due to duplicate timestamps but different values.',
      registers,
    }),
    rejectedSamples: new Counter({ name: 'strata_agent_scrape_samples_rejected_total', help: 'Scraped samples the storage rejected (out of order, too old, …).', registers }),
    poolTargets: new Gauge({ name: 'prometheus_target_scrape_pool_targets', help: 'Current number of targets in this scrape pool.', labelNames: ['scrape_job'], registers }),
    targetsNotOwned: new Gauge({
      name: 'strata_agent_scrape_pool_targets_not_owned',
      help: 'Targets of this scrape pool another agent scrapes (sharding).',
      labelNames: ['scrape_job'],
      registers,
    }),
    intervalLength: new Summary({
      name: 'prometheus_target_interval_length_seconds',
      help: 'Actual intervals between scrapes.',
      labelNames: ['interval'],
      percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
      registers,
    }),
  };
}
