// What modules share: the context each module's init reads from and writes to.
import type { Registry } from 'prom-client';
import type { Logger } from '../../../libs/log/index.ts';
import type { BuildInfo, Server } from '../../../libs/server/index.ts';
import type { ModuleDefinition, Readiness } from '../../../libs/services/index.ts';
import type { KVClientService } from '../../../libs/kv/index.ts';
import type { RingDesc, RingWatcher } from '../../../libs/ring/index.ts';
import type { BucketClient } from '../../../libs/objstore/index.ts';
import type { Overrides } from '../../../libs/tenant/index.ts';
import type { Ingester, IngesterClients } from '../../ingester/index.ts';
import type { Config } from '../config.ts';

/**
 * Shared by every module's init, which run one at a time in dependency order: a module reads what
 * its dependencies stored here and stores what it provides (set once, never replaced).
 */
export interface StrataContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly build: BuildInfo;
  readonly readiness: () => Readiness;
  /** Set by `metrics`: the registry every module adds its metrics to. */
  registry?: Registry;
  /** Set by `api`: add HTTP routes in init; the `server` module starts listening after every other module. */
  server?: Server;
  /** Set by `overrides`: every tenant's limits. */
  overrides?: Overrides;
  /** Set by `ingester-ring-kv`: the KV store holding the ingester ring. */
  ingesterRingKV?: KVClientService<RingDesc>;
  /** Set by `ingester-ring`: this process' view of the ingester ring. */
  ingesterRing?: RingWatcher;
  /** Set by `ingester-ring`: gRPC clients of the ingesters, shared by distributor and querier. */
  ingesterClients?: IngesterClients;
  /** Set by `ingester`. */
  ingester?: Ingester;
  /** Set by `blocks-bucket`: the object storage holding every tenant's blocks. */
  blocksBucket?: BucketClient;
  /** Set by `store-gateway-ring`. */
  storeGatewayRing?: { kv: KVClientService<RingDesc>; watcher: RingWatcher };
}

export type StrataModule = ModuleDefinition<StrataContext>;

/** For a module's init: what a dependency provided, or a clear error when the graph is wired wrong. */
export function provided<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not initialised: add its module to deps`);
  return value;
}
