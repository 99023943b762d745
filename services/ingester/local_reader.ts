// The ingester of this process behind the same read methods as IngesterClient, so that a querier
// in the same process (e.g. --target=all) reads it without a gRPC round trip.
import type { ReadCallOptions } from './grpc.ts';
import type { Ingester } from './ingester.ts';
import type { LabelNamesRequest, LabelValuesRequest, MetricMetadata, MetricsMetadataRequest, QueryRequest, StreamedSeries } from './query_codec.ts';

export class LocalIngesterReader {
  constructor(private readonly ingester: Ingester) {}

  /** As IngesterClient.queryStream; the signal is checked between series (there is no deadline). */
  async *queryStream(tenant: string, req: QueryRequest, opts: ReadCallOptions = {}): AsyncGenerator<StreamedSeries> {
    for await (const s of this.ingester.selectChunks(tenant, req.start, req.end, req.matchers, req.seriesOnly)) {
      opts.signal?.throwIfAborted();
      yield s;
    }
    opts.signal?.throwIfAborted();
  }

  async labelNames(tenant: string, req: LabelNamesRequest, opts: ReadCallOptions = {}): Promise<string[]> {
    opts.signal?.throwIfAborted();
    const q = this.ingester.queryable(tenant).querier(req.start, req.end);
    try {
      return await q.labelNames(req.matchers);
    } finally {
      q.close();
    }
  }

  async labelValues(tenant: string, req: LabelValuesRequest, opts: ReadCallOptions = {}): Promise<string[]> {
    opts.signal?.throwIfAborted();
    const q = this.ingester.queryable(tenant).querier(req.start, req.end);
    try {
      return await q.labelValues(req.name, req.matchers);
    } finally {
      q.close();
    }
  }

  async metricsMetadata(tenant: string, req: MetricsMetadataRequest, opts: ReadCallOptions = {}): Promise<MetricMetadata[]> {
    opts.signal?.throwIfAborted();
    return this.ingester.metadata.list(tenant, req);
  }
}
