// Public face of the compactor: the service, its planner, config section and ring helpers.
export { Compactor } from './compactor.ts';
export type { CompactorBucket, CompactorBuckets, CompactorOptions, TenantPass } from './compactor.ts';
export { compactorConfigSchema } from './config.ts';
export type { CompactorConfig } from './config.ts';
export { INGESTER_ID_LABEL, plan } from './planner.ts';
export type { CompactionJob, PlanOptions } from './planner.ts';
export { COMPACTOR_RING_KEY, ownsTenant } from './ring.ts';
