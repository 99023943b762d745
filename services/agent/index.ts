// Public face of the scraper agent: its configuration (prometheus.yml and the agent section), the
// Agent service and its parts (WAL storage, remote write, ring, push, discovery, targets API).
export { AgentConfigError, parseAgentConfig } from './config.ts';
export type { AgentConfig, BasicAuth, HTTPClientConfig, RemoteWriteConfig, ScrapeConfig, StaticTargets } from './config.ts';
export { AgentStorage } from './wal_storage.ts';
export type { AgentStorageOptions } from './wal_storage.ts';
export { RemoteStorage } from './remote/index.ts';
export type { RemoteStorageOptions } from './remote/index.ts';
export { Agent, REPLICA_LABEL } from './agent.ts';
export type { AgentDeps } from './agent.ts';
export { agentConfigSchema, selfScrapeConfig } from './agent_config.ts';
export type { AgentModuleConfig } from './agent_config.ts';
export { AgentRing, AGENT_RING_KEY, agentRingConfigSchema } from './sharding.ts';
export type { AgentRingConfig } from './sharding.ts';
export { PushStore, pushConfigSchema, registerPushRoutes } from './push/index.ts';
export type { PushConfig } from './push/index.ts';
export { TargetDiscovery, defaultProviders } from './discovery.ts';
export type { DiscovererProvider, DiscoveryErrorHandler, DiscoveryOptions, TargetSyncer } from './discovery.ts';
export { registerTargetRoutes } from './targets_api.ts';
export type { TargetsSource } from './targets_api.ts';
