// The `compactor` config section (Mimir's names).
import { z } from 'zod';
import { kvConfigSchema } from '../../libs/kv/index.ts';
import { duration, durationList, section } from '../../libs/services/index.ts';

export const compactorConfigSchema = section({
  block_ranges: durationList(['2h', '12h', '24h']).describe('Ranges of the blocks the compactor makes, ascending; the first is the ingesters\' block range.'),
  data_dir: z.string().default('').describe('Scratch directory for blocks being compacted; empty means <storage.dir>/compactor.'),
  compaction_interval: duration('1h').describe('How often the compactor passes over every tenant it owns.'),
  deletion_delay: duration('12h').describe('How long a block marked for deletion stays readable before it is deleted.'),
  first_level_compaction_wait_period: duration('25m').describe('How long ingesters\' blocks wait before they are merged, so every replica\'s copy is in.'),
  sharding_ring: section({
    kvstore: kvConfigSchema,
    heartbeat_period: duration('15s').describe('How often a compactor updates its heartbeat in the compactor ring.'),
    heartbeat_timeout: duration('1m').describe('A compactor whose heartbeat is older than this is unhealthy; its tenants move.'),
    instance_id: z.string().default('').describe('This compactor\'s id in the ring; empty means the hostname.'),
  }),
});

export type CompactorConfig = z.output<typeof compactorConfigSchema>;
