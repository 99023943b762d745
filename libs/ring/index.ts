// Public face of libs/ring: the hash ring of ingesters (and later store-gateways, compactors):
// its stored form, lookups (replication sets with quorum), membership (lifecycler) and a watcher
// that keeps a process's view of the ring current.
export { InstanceState, emptyRing, parseRingDesc, withInstance } from './desc.ts';
export type { InstanceDesc, RingDesc } from './desc.ts';
export type { RingKV } from './kv.ts';
export { Lifecycler, forgetInstance } from './lifecycler.ts';
export type { LifecyclerConfig } from './lifecycler.ts';
export { Operation, ReadRing, RingError, quorum } from './ring.ts';
export type { Instance, ReplicationSet, RingOptions } from './ring.ts';
export { ringStatus, renderRingPage } from './status.ts';
export type { RingStatusRow } from './status.ts';
export { generateTokens, stringToken } from './tokens.ts';
export { RingWatcher } from './watcher.ts';
