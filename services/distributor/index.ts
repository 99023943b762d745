// Public face of the distributor: the remote-write receiver and its config section.
export { Distributor } from './distributor.ts';
export type { IngesterPusher, PushResponse } from './distributor.ts';
export { distributorConfigSchema } from './config.ts';
export type { DistributorConfig } from './config.ts';
export { registerPushRoutes } from './http.ts';
export { ReplicationError, pushToReplicas, seriesToken } from './replication.ts';
export type { IngesterPool, RemoteIngester } from './replication.ts';
export { IngesterClientPool, RingPusher } from './ring_pusher.ts';
export type { LocalIngester } from './ring_pusher.ts';
