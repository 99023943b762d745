// Public face of the scraper agent (in progress): its configuration, Prometheus' prometheus.yml.
export { AgentConfigError, parseAgentConfig } from './config.ts';
export type { AgentConfig, BasicAuth, HTTPClientConfig, RemoteWriteConfig, ScrapeConfig, StaticTargets } from './config.ts';
