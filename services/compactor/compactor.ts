// The compactor (Mimir's): per tenant, merges the blocks ingesters ship — first the RF copies of
// each 2h range into one (vertical), then 2h → 12h → 24h — applies the tenant's retention, marks
// replaced blocks for deletion and deletes them after a delay (so queriers never lose a block
// mid-query), and writes the tenant's bucket index. A new block becomes visible only when its
// meta.json, uploaded last, exists; leftovers of an interrupted upload are deleted after a delay.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  deletionMarkPath, globalDeletionMarkPath, readBucketIndex, updateBucketIndex, writeBucketIndex, type DeletionMark, type IndexBucket,
} from '../../libs/bucketindex/index.ts';
import { nopLogger, type Logger } from '../../libs/log/index.ts';
import { Service } from '../../libs/services/index.ts';
import { validateTenantId, type Overrides } from '../../libs/tenant/index.ts';
import { Block, blockFiles, compactBlocks, ulidTime, type BlockMeta } from '../../libs/tsdb/index.ts';
import { plan, type CompactionJob } from './planner.ts';

/** A tenant's prefix of the bucket, as the compactor uses it. */
export interface CompactorBucket extends IndexBucket {
  uploadFile(name: string, path: string): Promise<void>;
}

export interface CompactorBuckets {
  /** Tenant ids with data in the bucket (its top-level directories). */
  tenants(): Promise<string[]>;
  forTenant(tenant: string): CompactorBucket;
  /** Whether an error means "no such object". */
  isNotFound(err: unknown): boolean;
}

export interface CompactorOptions {
  readonly blockRanges: readonly number[];
  readonly dataDir: string;
  readonly compactionInterval: number;
  readonly deletionDelay: number;
  readonly firstLevelWait: number;
  /** Whether this compactor owns the tenant (the compactor ring); default all. */
  readonly owns?: (tenant: string) => boolean;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface TenantPass {
  compacted: number;
  markedForDeletion: number;
  deleted: number;
  partialsDeleted: number;
}

const MAX_ROUNDS = 20;

export class Compactor extends Service {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly metas = new Map<string, BlockMeta>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    private readonly buckets: CompactorBuckets,
    private readonly overrides: Overrides,
    private readonly opts: CompactorOptions,
  ) {
    super('compactor');
    this.log = opts.logger ?? nopLogger;
    this.now = opts.now ?? Date.now;
  }

  protected override async starting(): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    this.timer = setInterval(() => void this.runOnce(), this.opts.compactionInterval);
    this.timer.unref();
    // The first pass starts right away, in the background.
    void this.runOnce();
  }

  protected override async stopping(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every owned tenant; concurrent calls share the pass in progress. */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    let tenants: string[];
    try {
      tenants = await this.buckets.tenants();
    } catch (err) {
      this.log.error({ err }, 'compactor: cannot list tenants');
      return;
    }
    for (const tenant of tenants) {
      if (this.state() !== 'Running' && this.state() !== 'Starting') return;
      try {
        validateTenantId(tenant);
      } catch {
        continue;
      }
      if (this.opts.owns && !this.opts.owns(tenant)) continue;
      try {
        const r = await this.compactTenant(tenant);
        if (r.compacted + r.markedForDeletion + r.deleted + r.partialsDeleted > 0) this.log.info({ tenant, ...r }, 'compactor: tenant done');
      } catch (err) {
        this.log.error({ err, tenant }, 'compactor: tenant failed; retrying at the next pass');
      }
    }
  }

  /** Compacts, applies retention, cleans up and writes the index of one tenant. */
  async compactTenant(tenant: string): Promise<TenantPass> {
    const bucket = this.buckets.forTenant(tenant);
    const notFound = (e: unknown): boolean => this.buckets.isNotFound(e);
    const result: TenantPass = { compacted: 0, markedForDeletion: 0, deleted: 0, partialsDeleted: 0 };
    let index = await readBucketIndex(bucket, notFound);

    // The index as the bucket is now; read again only after a round changed the bucket.
    let upd = await updateBucketIndex(bucket, notFound, index, this.now());
    for (let round = 0; round < MAX_ROUNDS; round++) {
      index = upd.index;
      for (const [ulid, m] of upd.metas) this.metas.set(ulid, m);
      const marked = new Set(index.block_deletion_marks.map((d) => d.block_id));
      const live: BlockMeta[] = [];
      for (const b of index.blocks) if (!marked.has(b.block_id)) live.push(await this.meta(bucket, b.block_id));
      const jobs = plan(live, { ranges: this.opts.blockRanges, firstLevelWait: this.opts.firstLevelWait, now: this.now() });
      if (jobs.length === 0) break;
      for (const job of jobs) {
        await this.runJob(tenant, bucket, job);
        result.compacted++;
        result.markedForDeletion += job.blocks.length;
      }
      upd = await updateBucketIndex(bucket, notFound, index, this.now());
    }
    index = upd.index;
    const marked = new Map(index.block_deletion_marks.map((d) => [d.block_id, d.deletion_time]));
    const retention = this.overrides.forTenant(tenant).compactor_blocks_retention_period;
    if (retention > 0) {
      for (const b of index.blocks) {
        if (marked.has(b.block_id) || b.max_time >= this.now() - retention) continue;
        await this.markForDeletion(bucket, b.block_id, 'retention');
        result.markedForDeletion++;
      }
    }
    for (const [ulid, at] of marked) {
      if (at * 1000 > this.now() - this.opts.deletionDelay) continue;
      await this.deleteBlock(bucket, ulid);
      result.deleted++;
    }
    const partialDelay = this.overrides.forTenant(tenant).compactor_partial_block_deletion_delay;
    if (partialDelay > 0) {
      for (const ulid of upd.partials) {
        if (ulidTime(ulid) > this.now() - partialDelay) continue;
        await this.deleteBlock(bucket, ulid);
        result.partialsDeleted++;
      }
    }
    const final = await updateBucketIndex(bucket, notFound, index, this.now());
    await writeBucketIndex(bucket, final.index);
    return result;
  }

  private async meta(bucket: CompactorBucket, ulid: string): Promise<BlockMeta> {
    let m = this.metas.get(ulid);
    if (!m) {
      m = JSON.parse(new TextDecoder().decode(await bucket.get(`${ulid}/meta.json`))) as BlockMeta;
      this.metas.set(ulid, m);
    }
    return m;
  }

  /** Downloads the job's blocks, merges them, uploads the result (meta.json last), marks the sources. */
  private async runJob(tenant: string, bucket: CompactorBucket, job: CompactionJob): Promise<void> {
    const work = join(this.opts.dataDir, tenant, `job-${job.blocks[0]!.ulid}`);
    await rm(work, { recursive: true, force: true });
    try {
      const blocks: Block[] = [];
      try {
        for (const m of job.blocks) blocks.push(await Block.open(await this.download(bucket, m.ulid, join(work, 'in'))));
        const meta = await compactBlocks(join(work, 'out'), blocks, {
          thanos: { labels: { ...job.labels }, downsample: { resolution: job.resolution }, source: 'compactor' },
        });
        const out = join(work, 'out', meta.ulid);
        for (const f of await blockFiles(out)) if (f !== 'meta.json') await bucket.uploadFile(`${meta.ulid}/${f}`, join(out, f));
        await bucket.uploadFile(`${meta.ulid}/meta.json`, join(out, 'meta.json'));
        this.metas.set(meta.ulid, meta);
        this.log.info({ tenant, ulid: meta.ulid, sources: job.blocks.map((b) => b.ulid), minTime: meta.minTime, maxTime: meta.maxTime, level: meta.compaction.level }, 'compactor: block compacted');
      } finally {
        for (const b of blocks) b.close();
      }
      for (const m of job.blocks) await this.markForDeletion(bucket, m.ulid, 'source of compacted block');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async download(bucket: CompactorBucket, ulid: string, parent: string): Promise<string> {
    const dir = join(parent, ulid);
    for await (const name of bucket.iter(`${ulid}/`, { recursive: true })) {
      const rel = name.slice(ulid.length + 1);
      if (rel === '' || rel.endsWith('/') || rel === 'deletion-mark.json') continue;
      const path = join(dir, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await bucket.get(name));
    }
    return dir;
  }

  private async markForDeletion(bucket: CompactorBucket, ulid: string, why: string): Promise<void> {
    const mark: DeletionMark = { id: ulid, deletion_time: Math.floor(this.now() / 1000), version: 1, details: why };
    const bytes = new TextEncoder().encode(JSON.stringify(mark));
    await bucket.upload(deletionMarkPath(ulid), bytes);
    await bucket.upload(globalDeletionMarkPath(ulid), bytes);
  }

  /** meta.json first, so an interrupted delete leaves a partial block, never a broken visible one. */
  private async deleteBlock(bucket: CompactorBucket, ulid: string): Promise<void> {
    await bucket.delete(`${ulid}/meta.json`);
    const names: string[] = [];
    for await (const name of bucket.iter(`${ulid}/`, { recursive: true })) if (!name.endsWith('/')) names.push(name);
    for (const name of names) await bucket.delete(name);
    await bucket.delete(globalDeletionMarkPath(ulid));
    this.metas.delete(ulid);
    this.log.info({ ulid }, 'compactor: block deleted');
  }
}
