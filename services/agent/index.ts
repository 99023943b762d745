// Public face of the scraper agent (in progress): its configuration, Prometheus' prometheus.yml.
export { AgentConfigError, parseAgentConfig } from './config.ts';
export type { AgentConfig, BasicAuth, HTTPClientConfig, RemoteWriteConfig, ScrapeConfig, StaticTargets } from './config.ts';
export { TargetDiscovery, defaultProviders } from './discovery.ts';
export type { DiscovererProvider, DiscoveryErrorHandler, DiscoveryOptions, TargetSyncer } from './discovery.ts';
export { registerTargetRoutes } from './targets_api.ts';
export type { TargetsSource } from './targets_api.ts';
