// Public face of the agent's remote-write side: queue managers tailing the agent WAL and the
// RemoteStorage service owning one per remote_write entry.
export { RemoteStorage, queueName } from './remote_storage.ts';
export type { RemoteStorageOptions } from './remote_storage.ts';
export { QueueManager, queueLabels } from './queue_manager.ts';
export type { MetadataOptions, MetricMetadata, QueueManagerOptions, QueuePosition } from './queue_manager.ts';
export { WriteClient, RecoverableError, NonRecoverableError, parseRetryAfter, USER_AGENT } from './client.ts';
export { RemoteMetrics } from './metrics.ts';
export { desiredShards, EwmaRate } from './shards_calc.ts';
export type { ShardStats } from './shards_calc.ts';
export { WALTail } from './wal_tail.ts';
export type { WALPosition } from './wal_tail.ts';
