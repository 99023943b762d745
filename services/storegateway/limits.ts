// Per-query limits of the store-gateway with Mimir's messages (the limit names are libs/tenant's).
import type { Limits } from '../../libs/tenant/index.ts';

/** The limits a store-gateway query reads; 0 means no limit. */
export type StoreQueryLimits = Pick<Limits, 'max_fetched_series_per_query' | 'max_fetched_chunk_bytes_per_query'>;

export const QueryLimitErrorCode = {
  MaxSeries: 'max_series_per_query',
  MaxChunkBytes: 'max_chunk_bytes_per_query',
} as const;
export type QueryLimitErrorCode = (typeof QueryLimitErrorCode)[keyof typeof QueryLimitErrorCode];

/** A query hit a per-tenant limit: the client's fault, not retried (gRPC RESOURCE_EXHAUSTED). */
export class QueryLimitError extends Error {
  override readonly name = 'QueryLimitError';
  constructor(readonly code: QueryLimitErrorCode, message: string) {
    super(message);
  }
}

export function maxSeriesError(limit: number): QueryLimitError {
  return new QueryLimitError(
    QueryLimitErrorCode.MaxSeries,
    `the query exceeded the maximum number of series (limit: ${limit} series) (err-mimir-max-series-per-query). To adjust the related per-tenant limit, configure limits.max_fetched_series_per_query, or contact your service administrator.`,
  );
}

export function maxChunkBytesError(limit: number): QueryLimitError {
  return new QueryLimitError(
    QueryLimitErrorCode.MaxChunkBytes,
    `the query exceeded the aggregated chunk size limit (limit: ${limit} bytes) (err-mimir-max-chunks-bytes-per-query). To adjust the related per-tenant limit, configure limits.max_fetched_chunk_bytes_per_query, or contact your service administrator.`,
  );
}

/** Counts what one query fetched and throws once a limit is exceeded. */
export class QueryLimiter {
  private series = 0;
  private chunkBytes = 0;

  constructor(private readonly limits: StoreQueryLimits) {}

  addSeries(n: number): void {
    this.series += n;
    const max = this.limits.max_fetched_series_per_query;
    if (max > 0 && this.series > max) throw maxSeriesError(max);
  }

  addChunkBytes(n: number): void {
    this.chunkBytes += n;
    const max = this.limits.max_fetched_chunk_bytes_per_query;
    if (max > 0 && this.chunkBytes > max) throw maxChunkBytesError(max);
  }
}
