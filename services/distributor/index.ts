// Public face of the distributor: the remote-write receiver, its HA tracker and its config section.
export { Distributor, MetadataDiscardReason } from './distributor.ts';
export type { IngesterPusher, PushResponse } from './distributor.ts';
export { distributorConfigSchema, haTrackerConfigSchema } from './config.ts';
export type { DistributorConfig, HATrackerConfig } from './config.ts';
export { HACheckKind, HATracker, HA_KEY_PREFIX, haKey, replicaDescCodec } from './ha_tracker.ts';
export type { HACheck, HATrackerDeps, ReplicaDesc } from './ha_tracker.ts';
export { registerPushRoutes } from './http.ts';
export { ReplicationError, metadataToken, pushToReplicas, seriesToken } from './replication.ts';
export type { IngesterPool, RemoteIngester } from './replication.ts';
export { IngesterClientPool, RingPusher } from './ring_pusher.ts';
export type { LocalIngester } from './ring_pusher.ts';
export { registerHAStatusPage, haStatus } from './ha_status.ts';
export type { HAStatusRow } from './ha_status.ts';
