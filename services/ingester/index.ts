// Public face of the ingester service: the per-tenant TSDBs, the push/query paths over them, the
// gRPC service and client, its config section and its place in the ingester ring.
export { Ingester, MAX_REPORTED } from './ingester.ts';
export type { IngesterStorageConfig, PushResult, Rejection, RejectionCounter, TimeBounds } from './ingester.ts';
export { MetadataDiscardReason, MetricMetadataStore, compareMetadata } from './metadata.ts';
export { TenantDBs, localSeriesLimit } from './tsdbs.ts';
export type { TenantDBsConfig, RingShare } from './tsdbs.ts';
export { ingesterConfigSchema } from './config.ts';
export type { IngesterConfig } from './config.ts';
export { INGESTER_RING_KEY, defaultInstanceAddr, ingesterInstanceId, ingesterLifecyclerConfig, ingesterRingOptions } from './ring.ts';
export { DEFAULT_READ_TIMEOUT_MS, INGESTER_SERVICE, IngesterClient, ingesterGrpcService } from './grpc.ts';
export type { QueryStreamLimits, ReadCallOptions } from './grpc.ts';
export { IngesterMessageError } from './query_codec.ts';
export { LocalIngesterReader } from './local_reader.ts';
export type { LabelNamesRequest, LabelValuesRequest, MetricMetadata, MetricsMetadataRequest, QueryRequest, StreamedSeries } from './query_codec.ts';
export { IngesterClients } from './client_pool.ts';
