// The store-gateway's part of the config, Mimir's names: `blocks_storage.bucket_store` (block
// sync, range reads, caches). The lead embeds it into `blocks_storage`.
import { join } from 'node:path';
import { z } from 'zod';
import { cacheConfigSchema } from '../../libs/cache/index.ts';
import { duration, section } from '../../libs/services/index.ts';
import type { BucketStoreConfig } from './bucket_store.ts';

export const bucketStoreConfigSchema = section({
  sync_dir: z.string().default('').describe('Directory of the index-headers; empty means <storage.dir>/store-gateway.'),
  sync_interval: duration('15m').describe('How often the store-gateway re-reads each tenant\'s bucket index.'),
  ignore_deletion_marks_delay: duration('1h').describe('Blocks marked for deletion longer ago than this are no longer queried.'),
  block_sync_concurrency: z.number().int().min(1).default(4).describe('Index-headers built at once per tenant.'),
  batch_series_size: z.number().int().min(1).default(5000).describe('Series read from a block per batch of a query.'),
  partitioner_max_gap_bytes: z.number().int().min(0).default(512 * 1024).describe('Byte ranges of an object this close are read with one request.'),
  estimated_max_series_size_bytes: z.number().int().min(16).default(4096).describe('Bytes read for a series of unknown size; larger ones are read again.'),
  estimated_max_chunk_size_bytes: z.number().int().min(16).default(16_000).describe('Bytes read for a chunk of unknown size; larger ones are read again.'),
  index_cache: cacheConfigSchema(256 << 20),
  chunks_cache: cacheConfigSchema(256 << 20),
});

export type BucketStoreSection = z.output<typeof bucketStoreConfigSchema>;

/** The directory of all tenants' index-headers. */
export function syncDirOf(cfg: BucketStoreSection, storageDir: string): string {
  return cfg.sync_dir !== '' ? cfg.sync_dir : join(storageDir, 'store-gateway');
}

/** One tenant's BucketStoreConfig from the section. */
export function bucketStoreConfig(cfg: BucketStoreSection, storageDir: string, tenant: string): BucketStoreConfig {
  return {
    dir: join(syncDirOf(cfg, storageDir), tenant),
    ignoreDeletionMarksDelayMs: cfg.ignore_deletion_marks_delay,
    blockSyncConcurrency: cfg.block_sync_concurrency,
    seriesBatchSize: cfg.batch_series_size,
    read: {
      maxGapBytes: cfg.partitioner_max_gap_bytes,
      estimatedMaxSeriesSizeBytes: cfg.estimated_max_series_size_bytes,
      estimatedMaxChunkSizeBytes: cfg.estimated_max_chunk_size_bytes,
    },
  };
}
