// A stand-in for the distributed read path: the querier reads one local TSDB directory (blocks
// and WAL) until queriers read ingesters and store-gateways. Opened on start, closed on stop.

import type { Logger } from '../../libs/log/index.ts';
import { nopLogger } from '../../libs/log/index.ts';
import { Service } from '../../libs/services/index.ts';
import type { Querier, Queryable } from '../../libs/storage/index.ts';
import { DB } from '../../libs/tsdb/index.ts';

export interface LocalStorageConfig {
  /** The TSDB directory (blocks_storage.tsdb.dir). */
  readonly dir: string;
  /** Block range of blocks cut from the head, ms. */
  readonly blockRange: number;
}

export class StorageNotReadyError extends Error {
  override readonly name = 'StorageNotReadyError';
  // The API answers this as Prometheus answers a TSDB that is not ready yet.
  readonly type = 'unavailable';
  constructor() {
    super('TSDB not ready');
  }
}

export class LocalStorage extends Service implements Queryable {
  readonly #config: LocalStorageConfig;
  readonly #logger: Logger;
  #db: DB | undefined;

  constructor(config: LocalStorageConfig, deps: { logger?: Logger } = {}) {
    super('storage');
    this.#config = config;
    this.#logger = deps.logger ?? nopLogger;
  }

  querier(mint: number, maxt: number): Querier {
    if (!this.#db) throw new StorageNotReadyError();
    return this.#db.querier(mint, maxt);
  }

  protected override async starting(): Promise<void> {
    // Retention stays off: this DB only serves what is already on disk (e.g. backfilled blocks).
    this.#db = await DB.open(this.#config.dir, { blockRange: this.#config.blockRange, retention: 0, logger: this.#logger });
    this.#logger.info({ dir: this.#config.dir, blocks: this.#db.blocks().length }, 'local TSDB opened for queries');
  }

  protected override async stopping(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    await db?.close();
  }
}
