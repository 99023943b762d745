// Public face of the ingester service. So far: the per-tenant TSDBs it writes to; the gRPC
// service, ring lifecycle and module registration follow.
export { TenantDBs, localSeriesLimit } from './tsdbs.ts';
export type { TenantDBsConfig, RingShare } from './tsdbs.ts';
