// The `querier` config section: where queries read from and the PromQL engine's limits (Mimir's names).
import { z } from 'zod';
import { duration, section, stringList } from '../../libs/services/index.ts';

export const querierConfigSchema = section({
  query_ingesters_within: duration('13h').describe('Query ingesters only for data newer than this; 0 means always.'),
  query_store_after: duration('12h').describe('Query the store-gateways only for data older than this; 0 means always.'),
  replica_labels: stringList([]).describe('Labels naming the replica of an HA pair; series differing only in them are deduplicated at query time (Thanos-style).'),
  timeout: duration('2m').describe('Maximum duration of a query before it is aborted.'),
  max_samples: z.number().int().min(1).default(50_000_000).describe('Maximum number of samples a single query can load into memory.'),
  lookback_delta: duration('5m').describe('How far back a selector looks for the latest sample of a series (the staleness window).'),
  default_evaluation_interval: duration('1m').describe('Step of subqueries that give none.'),
});

export type QuerierConfig = z.output<typeof querierConfigSchema>;
