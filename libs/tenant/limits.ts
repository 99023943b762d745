// Per-tenant limits, with Mimir's names and defaults. The `limits` config section holds the
// defaults; the runtime config file overrides them per tenant (see overrides.ts).
import { z } from 'zod';
import { duration, section, stringList, type DeepReadonly } from '../services/index.ts';

const count = (def: number, what: string) => z.number().int().min(0).default(def).describe(what);

export const limitsConfigSchema = section({
  // Write path (distributor).
  ingestion_rate: z.number().min(0).default(10_000).describe('Per-tenant ingestion rate limit, samples (and exemplars) per second.'),
  ingestion_burst_size: count(200_000, 'Per-tenant allowed ingestion burst, samples.'),
  max_label_name_length: count(1024, 'Longest accepted label name, characters.'),
  max_label_value_length: count(2048, 'Longest accepted label value, characters.'),
  max_label_names_per_series: count(30, 'Most labels a series may have.'),
  max_metadata_length: count(1024, 'Longest accepted metric name and unit of metric metadata, UTF-8 bytes; longer help is truncated to it.'),
  creation_grace_period: duration('10m').describe('How far in the future a sample may be; 0 disables the check.'),
  past_grace_period: duration('0s').describe('How far in the past a sample may be; 0 disables the check.'),
  accept_ha_samples: z.boolean().default(false).describe('Deduplicate HA Prometheus pairs by cluster and replica labels.'),
  ha_cluster_label: z.string().default('cluster').describe('Label naming the HA cluster.'),
  ha_replica_label: z.string().default('__replica__').describe('Label naming the HA replica; dropped from accepted samples.'),
  ha_max_clusters: count(0, 'Most HA clusters a tenant may have; 0 means no limit.'),
  drop_labels: stringList([]).describe('Labels removed from every series before it is stored.'),
  // Ingesters.
  max_global_series_per_user: count(150_000, 'Most active series per tenant across the cluster; 0 means no limit.'),
  max_global_series_per_metric: count(0, 'Most active series per metric name across the cluster; 0 means no limit.'),
  max_global_metadata_per_user: count(0, 'Most metric names with metadata per tenant across the cluster; 0 means no limit.'),
  max_global_metadata_per_metric: count(0, 'Most distinct metadata (type, help, unit) per metric name; 0 means no limit.'),
  // Read path.
  max_fetched_series_per_query: count(0, 'Most series a query may read; 0 means no limit.'),
  max_fetched_chunks_per_query: count(2_000_000, 'Most chunks a query may read; 0 means no limit.'),
  max_fetched_chunk_bytes_per_query: count(0, 'Most chunk bytes a query may read; 0 means no limit.'),
  max_partial_query_length: duration('0s').describe('Longest time range a (split) query may cover; 0 means no limit.'),
  max_query_lookback: duration('0s').describe('How far back queries may look; 0 means no limit.'),
  max_query_parallelism: count(14, 'Most split queries of one query scheduled at once.'),
  // Compactor.
  compactor_blocks_retention_period: duration('0s').describe('Delete blocks older than this; 0 keeps them forever.'),
  compactor_partial_block_deletion_delay: duration('1d').describe('Delete blocks left without meta.json (interrupted uploads) once older than this; 0 never.'),
});

/** A tenant's limits, every field set; frozen. */
export type Limits = DeepReadonly<z.output<typeof limitsConfigSchema>>;
