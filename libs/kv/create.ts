// Builds the client a KV config section selects, so that a module needs one line to get its store.
import type { Logger } from '../log/index.ts';
import type { DeepReadonly, Service } from '../services/index.ts';
import { assertNever } from '../services/index.ts';
import type { KVConfig } from './config.ts';
import type { Codec, KVClient } from './interface.ts';
import { MemoryKV } from './memory.ts';
import { NatsKV } from './nats.ts';

/** A KV client with its lifecycle: what a module starts, uses and stops. */
export type KVClientService<T> = KVClient<T> & Service;

export interface KVDeps {
  readonly logger?: Logger;
  /** The service name, e.g. "ingester-ring-kv". */
  readonly name?: string;
  /** For store "memory": which in-process store to share (default "default"). */
  readonly memoryStore?: string;
}

/** The client `config.store` selects; not started. */
export function createKV<T>(config: DeepReadonly<KVConfig>, codec: Codec<T>, deps: KVDeps = {}): KVClientService<T> {
  switch (config.store) {
    case 'memory':
      return new MemoryKV(codec, { store: deps.memoryStore, name: deps.name, logger: deps.logger });
    case 'nats':
      return new NatsKV(config.nats, codec, { name: deps.name, logger: deps.logger });
    default:
      return assertNever(config.store);
  }
}
