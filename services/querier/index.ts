// Public face of the querier: the Prometheus HTTP query API served at /api/v1 and
// /prometheus/api/v1, its config section, and the ingesters of the ring as a Queryable.
import type { Logger } from '../../libs/log/index.ts';
import type { BuildInfo, Server } from '../../libs/server/index.ts';
import type { Queryable } from '../../libs/storage/index.ts';
import { QuerierAPI, type MetadataQuerier } from './api.ts';
import type { QueryEngine } from './promql.ts';

export { QuerierAPI, DEFAULT_TENANT, MAX_POINTS_PER_SERIES, Form } from './api.ts';
export type { MetadataQuerier, QuerierAPIOptions } from './api.ts';
export { querierConfigSchema } from './config.ts';
export type { QuerierConfig } from './config.ts';
export { ApiError, ErrorType, statusCodeFor } from './errors.ts';
export { Engine } from './promql.ts';
export { IngestersMetadata, IngestersQueryable, IngestersUnavailableError, mergeMetadata, replicatedSeries } from './ingester_queryable.ts';
export type { IngesterReader, IngesterReaderPool, IngestersQueryableOptions } from './ingester_queryable.ts';
export type { EngineOptions, QueryEngine, Query, QueryResult, QueryOptions, QuerySampleStats } from './promql.ts';

/** Where the API is served: Prometheus' own path and Mimir's prefixed one. */
export const API_PREFIXES = ['/api/v1', '/prometheus/api/v1'] as const;

export interface QuerierDeps {
  readonly server: Server;
  readonly engine: QueryEngine;
  readonly queryableFor: (tenant: string) => Queryable;
  readonly metadataFor?: (tenant: string) => MetadataQuerier;
  readonly build: BuildInfo;
  readonly logger?: Logger;
  readonly multitenancy?: boolean;
}

/** Builds the query API and adds its routes to the server (before it listens). */
export function createQuerier(deps: QuerierDeps): QuerierAPI {
  if (deps.server.state() !== 'New') throw new Error('querier: the API must be added to the server before it starts');
  const api = new QuerierAPI({
    engine: deps.engine,
    queryableFor: deps.queryableFor,
    ...(deps.metadataFor ? { metadataFor: deps.metadataFor } : {}),
    build: deps.build,
    ...(deps.logger ? { logger: deps.logger } : {}),
    multitenancy: deps.multitenancy ?? false,
  });
  for (const prefix of API_PREFIXES) void deps.server.http.register(api.plugin, { prefix });
  return api;
}
export { TimeSplitQueryable } from './time_split.ts';
export type { TimeSplitOptions } from './time_split.ts';
export { BlocksQueryable, StoreGatewaysUnavailableError } from './blocks_queryable.ts';
export type { BlocksQueryableOptions, StoreGatewayReader } from './blocks_queryable.ts';
export { DedupSampleIterator, ReplicaDedupQueryable } from './replica_dedup.ts';
