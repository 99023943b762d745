// The root config of the strata process: one section per component, composed here. To add a section,
// export its schema (built with section()/duration()/secret() from libs/services) from the component's
// index.ts and add one line to `sections` below; flags, --help and /config follow automatically.
import { z } from 'zod';
import { bucketConfigFields, checkBucketConfig } from '../../libs/objstore/index.ts';
import { serverConfigSchema } from '../../libs/server/index.ts';
import { authConfigSchema, limitsConfigSchema, runtimeConfigSchema } from '../../libs/tenant/index.ts';
import { agentConfigSchema } from '../agent/index.ts';
import { distributorConfigSchema } from '../distributor/index.ts';
import { ingesterConfigSchema } from '../ingester/index.ts';
import { querierConfigSchema } from '../querier/index.ts';
import { compactorConfigSchema } from '../compactor/index.ts';
import { bucketStoreConfigSchema, storeGatewayConfigSchema } from '../storegateway/index.ts';
import type { DeepReadonly, LoadOptions } from '../../libs/services/index.ts';
import { duration, durationList, loadConfig, section, stringList } from '../../libs/services/index.ts';

// Shared by the ingester (WAL, head), the store-gateway and the compactor, hence Mimir's own section
// name: the object storage keys (libs/objstore) and the ingesters' TSDB.
export const blocksStorageConfigSchema = section({
  ...bucketConfigFields,
  tsdb: section({
    dir: z.string().default('').describe('Directory for the ingesters\' TSDBs (WAL, head); empty means <storage.dir>/tsdb.'),
    block_ranges_period: durationList(['2h']).describe('TSDB block ranges; the first is how often the head is cut into a block.'),
    retention_period: duration('13h').describe('How long ingesters keep blocks locally after cutting them.'),
    // Not a Mimir key (Mimir relies on Prometheus' WAL, which does not fsync per commit): 'never' is
    // that behaviour; 'always' fsyncs the WAL before a commit is acknowledged.
    wal_fsync_policy: z.enum(['never', 'always']).default('never').describe('When the WAL is fsynced: never (on segment close only) or always (each commit).'),
    ship_interval: duration('1m').describe('How often ingesters upload newly cut blocks to object storage; 0 ships only on flush.'),
  }),
  bucket_store: bucketStoreConfigSchema,
}).superRefine(checkBucketConfig);

export const storageConfigSchema = section({
  dir: z.string().min(1).default('./data').describe('Root directory for local state; other directories default under it.'),
});

const sections = {
  target: stringList(['all']).describe('Comma-separated list of targets (modules) to run.'),
  server: serverConfigSchema,
  storage: storageConfigSchema,
  blocks_storage: blocksStorageConfigSchema,
  auth: authConfigSchema,
  distributor: distributorConfigSchema,
  ingester: ingesterConfigSchema,
  querier: querierConfigSchema,
  compactor: compactorConfigSchema,
  store_gateway: storeGatewayConfigSchema,
  agent: agentConfigSchema,
  limits: limitsConfigSchema,
  runtime_config: runtimeConfigSchema,
};

function under(dir: string, sub: string): string {
  return `${dir.replace(/\/+$/, '')}/${sub}`;
}

export const configSchema = z.strictObject(sections).transform((c) => ({
  ...c,
  blocks_storage: {
    ...c.blocks_storage,
    filesystem: { dir: c.blocks_storage.filesystem.dir || under(c.storage.dir, 'bucket') },
    tsdb: { ...c.blocks_storage.tsdb, dir: c.blocks_storage.tsdb.dir || under(c.storage.dir, 'tsdb') },
  },
  compactor: { ...c.compactor, data_dir: c.compactor.data_dir || under(c.storage.dir, 'compactor') },
  agent: { ...c.agent, data_dir: c.agent.data_dir || under(c.storage.dir, 'agent') },
}));

export type Config = DeepReadonly<z.output<typeof configSchema>>;

export function loadStrataConfig(opts: LoadOptions): Config {
  return loadConfig(configSchema, opts);
}
