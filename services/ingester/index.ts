// Public face of the ingester service: the per-tenant TSDBs and the push/query paths over them.
// The gRPC service and ring membership follow.
export { Ingester, MAX_REPORTED } from './ingester.ts';
export type { PushResult, Rejection, RejectionCounter, TimeBounds } from './ingester.ts';
export { TenantDBs, localSeriesLimit } from './tsdbs.ts';
export type { TenantDBsConfig, RingShare } from './tsdbs.ts';
