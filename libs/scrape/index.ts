// Public face of libs/scrape: Prometheus-compatible scraping (targets, HTTP scraper, scrape
// loops with staleness, pools per job and the manager the agent runs).
export type { BasicAuth, HTTPClientConfig, ScrapeConfig, StaticTargets } from './config.ts';
export {
  ADDRESS_LABEL,
  METRICS_PATH_LABEL,
  PARAM_LABEL_PREFIX,
  SCHEME_LABEL,
  SCRAPE_INTERVAL_LABEL,
  SCRAPE_TIMEOUT_LABEL,
  Target,
  TargetHealth,
  TargetLabelsError,
  populateLabels,
  scrapeURL,
} from './target.ts';
export type { DroppedTarget, PopulatedLabels } from './target.ts';
export { HTTPScraper, SCRAPE_ACCEPT_HEADER, ScrapeError, ScrapeErrorCode, formatOf } from './scraper.ts';
export type { ScrapeResponse, ScraperOptions } from './scraper.ts';
export { ScrapeAppendError, ScrapeCache } from './cache.ts';
export type { AppendCounts, MetricMetadata, SampleMutation } from './cache.ts';
export { ScrapeLoop, scrapeOffset } from './loop.ts';
export type { ScrapeLoopOptions, Scraper, StopOptions } from './loop.ts';
export { ScrapePool } from './pool.ts';
export type { ScrapePoolOptions } from './pool.ts';
export { ScrapeManager } from './manager.ts';
export type { ScrapeManagerOptions } from './manager.ts';
export { newScrapeMetrics } from './metrics.ts';
export type { ScrapeMetrics } from './metrics.ts';
