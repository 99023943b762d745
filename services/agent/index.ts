// Public face of the scraper agent (in progress): its configuration, Prometheus' prometheus.yml.
export { AgentConfigError, parseAgentConfig } from './config.ts';
export type { AgentConfig, BasicAuth, HTTPClientConfig, RemoteWriteConfig, ScrapeConfig, StaticTargets } from './config.ts';
export { AgentStorage } from './wal_storage.ts';
export type { AgentStorageOptions } from './wal_storage.ts';
export { RemoteStorage } from './remote/index.ts';
export type { RemoteStorageOptions } from './remote/index.ts';
