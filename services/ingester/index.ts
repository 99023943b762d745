// Public face of the ingester service: the per-tenant TSDBs, the push/query paths over them, and
// the gRPC service and client (ring membership follows).
export { Ingester, MAX_REPORTED } from './ingester.ts';
export type { PushResult, Rejection, RejectionCounter, TimeBounds } from './ingester.ts';
export { TenantDBs, localSeriesLimit } from './tsdbs.ts';
export type { TenantDBsConfig, RingShare } from './tsdbs.ts';
export { DEFAULT_READ_TIMEOUT_MS, INGESTER_SERVICE, IngesterClient, ingesterGrpcService } from './grpc.ts';
export type { QueryStreamLimits, ReadCallOptions } from './grpc.ts';
export { IngesterMessageError } from './query_codec.ts';
export { LocalIngesterReader } from './local_reader.ts';
export type { LabelNamesRequest, LabelValuesRequest, MetricMetadata, QueryRequest, StreamedSeries } from './query_codec.ts';
