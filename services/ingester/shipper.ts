// Ships a tenant's local blocks to object storage (Thanos' and Mimir's shipper): every block cut
// from the head is uploaded to `<ULID>/` of the tenant's bucket, its files first and meta.json
// last, so a reader that sees meta.json sees the whole block. What was uploaded is remembered in
// `thanos.shipper.json` next to the blocks (Thanos' file and format), across restarts.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nopLogger, type Logger } from '../../libs/log/index.ts';
import { blockFiles } from '../../libs/tsdb/index.ts';

/** The part of an object-storage bucket the shipper needs (already prefixed with the tenant). */
export interface ShipperBucket {
  upload(name: string, body: Uint8Array): Promise<void>;
  uploadFile(name: string, path: string): Promise<void>;
}

/** A local block as the shipper sees it. */
export interface LocalBlock {
  readonly ulid: string;
  readonly dir: string;
}

export const SHIPPER_FILE = 'thanos.shipper.json';

interface ShipperState {
  version: 1;
  uploaded: string[];
}

export interface ShipperOptions {
  /** Attempts per file before the block is left for the next sync. */
  readonly attempts?: number;
  /** First wait between attempts, doubled after each failure. */
  readonly backoffMs?: number;
  readonly logger?: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


export class Shipper {
  private uploaded = new Set<string>();
  private syncing: Promise<number> | undefined;

  private constructor(
    private readonly dbDir: string,
    private readonly bucket: ShipperBucket,
    private readonly opts: Required<ShipperOptions>,
  ) {}

  /** The shipper of the TSDB in `dbDir`, with what earlier runs uploaded. */
  static async open(dbDir: string, bucket: ShipperBucket, options: ShipperOptions = {}): Promise<Shipper> {
    const s = new Shipper(dbDir, bucket, { attempts: options.attempts ?? 3, backoffMs: options.backoffMs ?? 500, logger: options.logger ?? nopLogger });
    s.uploaded = new Set(await s.readState());
    return s;
  }

  isShipped(ulid: string): boolean {
    return this.uploaded.has(ulid);
  }

  /**
   * Uploads every block of `blocks` not shipped yet, oldest first; resolves with how many were
   * uploaded. A block that fails is logged and tried again by the next sync. Syncs never overlap:
   * a call during a sync waits for it and then syncs again.
   */
  async sync(blocks: readonly LocalBlock[]): Promise<number> {
    while (this.syncing) await this.syncing.catch(() => 0);
    this.syncing = this.syncNow(blocks);
    try {
      return await this.syncing;
    } finally {
      this.syncing = undefined;
    }
  }

  private async syncNow(blocks: readonly LocalBlock[]): Promise<number> {
    let n = 0;
    for (const b of blocks) {
      if (this.uploaded.has(b.ulid)) continue;
      try {
        await this.uploadBlock(b);
      } catch (err) {
        this.opts.logger.warn({ err, ulid: b.ulid }, 'block upload failed; retrying at the next sync');
        continue;
      }
      this.uploaded.add(b.ulid);
      await this.writeState();
      this.opts.logger.info({ ulid: b.ulid }, 'block shipped');
      n++;
    }
    // Forget blocks that are gone locally (deleted by retention), as Thanos' shipper does.
    const local = new Set(blocks.map((b) => b.ulid));
    const gone = [...this.uploaded].filter((u) => !local.has(u));
    if (gone.length > 0) {
      for (const u of gone) this.uploaded.delete(u);
      await this.writeState();
    }
    return n;
  }

  private async uploadBlock(b: LocalBlock): Promise<void> {
    const files = (await blockFiles(b.dir)).filter((f) => f !== 'meta.json');
    for (const f of files) await this.withRetries(() => this.bucket.uploadFile(`${b.ulid}/${f}`, join(b.dir, f)), `${b.ulid}/${f}`);
    const meta = await readFile(join(b.dir, 'meta.json'));
    await this.withRetries(() => this.bucket.upload(`${b.ulid}/meta.json`, meta), `${b.ulid}/meta.json`);
  }

  private async withRetries(f: () => Promise<void>, what: string): Promise<void> {
    let wait = this.opts.backoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        if (attempt >= this.opts.attempts) throw err;
        this.opts.logger.debug({ err, object: what, attempt }, 'upload failed, retrying');
        await sleep(wait);
        wait *= 2;
      }
    }
  }

  private async readState(): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(join(this.dbDir, SHIPPER_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const doc = JSON.parse(text) as Partial<ShipperState>;
    if (!Array.isArray(doc.uploaded) || !doc.uploaded.every((u) => typeof u === 'string')) {
      throw new Error(`${join(this.dbDir, SHIPPER_FILE)} is invalid: expected {"version":1,"uploaded":["<ULID>",...]}`);
    }
    return doc.uploaded;
  }

  private async writeState(): Promise<void> {
    const path = join(this.dbDir, SHIPPER_FILE);
    const state: ShipperState = { version: 1, uploaded: [...this.uploaded].sort() };
    await writeFile(`${path}.tmp`, JSON.stringify(state, null, 1));
    await rename(`${path}.tmp`, path);
  }
}
