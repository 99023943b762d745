// Public face of the store-gateway: a tenant's blocks in object storage served by byte ranges
// (BucketStore), the bucket subset it needs, its config section, and the gRPC service and client.
export { prefixedBucket } from './bucket.ts';
export type { IsNotFound, StoreBucket } from './bucket.ts';
export { BucketStore, seriesFromChunks } from './bucket_store.ts';
export type {
  BlockInfo, BucketStoreConfig, BucketStoreDeps, LabelsRequest, LabelsResult, SeriesRequest, SeriesStream, StoreSeries,
} from './bucket_store.ts';
export type { BlockReadOptions, BlockReadStats } from './bucket_block.ts';
export { INDEX_HEADER_FILE, IndexHeader } from './index_header.ts';
export { QueryLimitError, QueryLimitErrorCode } from './limits.ts';
export type { StoreQueryLimits } from './limits.ts';
export { bucketStoreConfig, bucketStoreConfigSchema, syncDirOf } from './config.ts';
export type { BucketStoreSection } from './config.ts';
export { DEFAULT_STORE_GATEWAY_TIMEOUT_MS, STORE_GATEWAY_SERVICE, StoreGatewayClient, storeGatewayGrpcService } from './grpc.ts';
export type { BucketStores, ClientSeriesStream, SeriesStreamLimits, StoreGatewayCallOptions } from './grpc.ts';
export { StoreGatewayMessageError } from './codec.ts';
export type { LabelNamesRequestMessage, LabelValuesRequestMessage, LabelsResponseMessage, SeriesRequestMessage } from './codec.ts';
export { STORE_GATEWAY_RING_KEY, blockToken, ownsBlock } from './ring.ts';
export { storeGatewayConfigSchema } from './gateway_config.ts';
export type { StoreGatewayConfig } from './gateway_config.ts';
