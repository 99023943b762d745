// The agent's storage (Prometheus agent mode's WAL-only DB): appenders buffer samples, commit
// writes series and samples records to `<dataDir>/wal` and resolves after fsync. Nothing is
// queryable; the remote-write queues tail the WAL. Segments every reader has passed are
// checkpointed and deleted, and series not written for a while are garbage-collected.

import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Gauge, Counter, Registry } from 'prom-client';
import { Service } from '../../libs/services/index.ts';
import { nopLogger, type Logger } from '../../libs/log/index.ts';
import type { FloatHistogram, Histogram, Labels } from '../../libs/model/index.ts';
import { errOutOfOrderSample, type Appendable, type Appender, type SeriesRef } from '../../libs/storage/index.ts';
import {
  WAL,
  RecordType,
  SampleBatch,
  checkpoint,
  decodeSamples,
  decodeSeries,
  encodeSamplesRecord,
  encodeSeries,
  lastCheckpoint,
  listSegments,
  recordType,
  replayRecords,
  segmentName,
  type FsyncPolicy,
  type RefSeries,
} from '../../libs/tsdb/wal/index.ts';

export interface AgentStorageOptions {
  /** Directory holding `wal/`. */
  dataDir: string;
  /** Default 'always': a commit resolves only after fdatasync (the scrape is then acknowledged). */
  fsync?: FsyncPolicy;
  /** WAL segment size in bytes (multiple of 32 KiB; default 128 MiB). */
  segmentSize?: number;
  /** How often truncate() runs on its own, ms (default 2h, Prometheus agent's truncate frequency); 0 = never. */
  truncateInterval?: number;
  /** Series without a commit for longer than this (ms, wall clock) are dropped at truncation (default 4h). */
  seriesMaxAge?: number;
  /**
   * The lowest segment a WAL reader (remote-write queue) still needs, or undefined when none needs
   * any. Segments below it may be checkpointed and deleted. Without it every finished segment may be.
   */
  retainFrom?: () => number | undefined;
  registry?: Registry;
  logger?: Logger;
  /** Wall clock, ms (tests replace it). */
  now?: () => number;
}

interface MemSeries {
  readonly ref: number;
  readonly labels: Labels;
  readonly key: string;
  /** Highest committed sample timestamp (ms): older samples are out of order. */
  lastTs: number;
  /** Wall clock (ms) of the last commit that used the series, for garbage collection. */
  lastCommit: number;
  /** Whether its series record is in the WAL (an appender that rolled back may leave it unwritten). */
  logged: boolean;
}

function labelsKey(labels: Labels): string {
  return labels.toFlat().join('\xff');
}

export class AgentStorage extends Service implements Appendable {
  private wal: WAL | undefined;
  private readonly byRef = new Map<number, MemSeries>();
  private readonly byKey = new Map<string, MemSeries>();
  // Garbage-collected series → the last segment that may hold their samples: kept in checkpoints until then.
  private readonly deleted = new Map<number, number>();
  private nextRef = 1;
  /** @internal Samples in the last commit: the next appender's initial capacity. */
  batchSizeHint = 64;
  private timer: NodeJS.Timeout | undefined;
  private truncating: Promise<void> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly logger: Logger;
  private readonly outOfOrder: Counter;

  constructor(readonly opts: AgentStorageOptions) {
    super('agent-storage');
    this.logger = opts.logger ?? nopLogger;
    const registers = [opts.registry ?? new Registry()];
    const self = this;
    new Gauge({
      name: 'strata_agent_wal_size_bytes',
      help: 'Bytes of the agent WAL on disk (segments and checkpoint).',
      registers,
      collect() {
        this.set(self.walSize());
      },
    });
    new Gauge({
      name: 'strata_agent_active_series',
      help: 'Series the agent storage currently tracks.',
      registers,
      collect() {
        this.set(self.byRef.size);
      },
    });
    this.outOfOrder = new Counter({
      name: 'strata_agent_out_of_order_samples_total',
      help: 'Samples rejected because they were older than the latest sample of their series.',
      registers,
    });
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Directory of the WAL: `<dataDir>/wal`. */
  get walDir(): string {
    return join(this.opts.dataDir, 'wal');
  }

  protected override async starting(): Promise<void> {
    this.replay();
    this.wal = await WAL.open(this.walDir, {
      fsync: this.opts.fsync ?? 'always',
      ...(this.opts.segmentSize !== undefined ? { segmentSize: this.opts.segmentSize } : {}),
      logger: this.logger,
    });
    const every = this.opts.truncateInterval ?? 2 * 3600_000;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.truncate().catch((err: unknown) => this.logger.error({ err }, 'agent WAL truncation failed'));
      }, every);
      this.timer.unref();
    }
  }

  protected override async stopping(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.truncating?.catch(() => {});
    await this.wal?.close();
    this.wal = undefined;
  }

  appender(): Appender {
    if (!this.wal) throw new Error('agent storage is not running');
    return new AgentAppender(this);
  }

  /** Called (synchronously) after every commit's write: WAL readers wake up. Returns an unsubscribe. */
  onWrite(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Number of series tracked. */
  seriesCount(): number {
    return this.byRef.size;
  }

  /** The ref of a label set, or 0 if unknown. */
  refOf(labels: Labels): number {
    return this.byKey.get(labelsKey(labels))?.ref ?? 0;
  }

  /**
   * Drops series not committed for `seriesMaxAge`, then checkpoints and deletes the finished
   * segments below what every reader still needs. Runs on its own every `truncateInterval`.
   */
  truncate(): Promise<void> {
    this.truncating ??= this.doTruncate().finally(() => {
      this.truncating = undefined;
    });
    return this.truncating;
  }

  private async doTruncate(): Promise<void> {
    const wal = this.wal;
    if (!wal) return;
    this.gc(this.now() - (this.opts.seriesMaxAge ?? 4 * 3600_000), wal.segments().last);
    const { first, last } = wal.segments();
    const need = this.opts.retainFrom?.();
    // Never the active segment; never a segment a reader has not fully read.
    const to = Math.min(last - 1, need === undefined ? Infinity : need - 1);
    if (to < first) return;
    const keep = (ref: number) => this.byRef.has(ref) || (this.deleted.get(ref) ?? -1) > to;
    // Samples of checkpointed segments were all sent: keep only the series (mint beyond any sample).
    const { stats } = await checkpoint(wal, first, to, keep, Number.MAX_SAFE_INTEGER, { logger: this.logger });
    await wal.truncate(to + 1);
    for (const [ref, seg] of this.deleted) if (seg <= to) this.deleted.delete(ref);
    this.logger.info({ from: first, to, series: stats.totalSeries - stats.droppedSeries }, 'agent WAL checkpoint created');
  }

  private gc(before: number, lastSegment: number): void {
    for (const s of this.byRef.values()) {
      if (s.lastCommit >= before) continue;
      this.byRef.delete(s.ref);
      this.byKey.delete(s.key);
      this.deleted.set(s.ref, lastSegment);
    }
  }

  private replay(): void {
    const now = this.now();
    const series: RefSeries[] = [];
    const batch = new SampleBatch(1024);
    let dirExists = true;
    try {
      readdirSync(this.walDir);
    } catch {
      dirExists = false;
    }
    if (!dirExists) return;
    for (const rec of replayRecords(this.walDir)) {
      const typ = recordType(rec);
      if (typ === RecordType.Series) {
        series.length = 0;
        for (const s of decodeSeries(rec, series)) {
          const key = labelsKey(s.labels);
          const old = this.byKey.get(key);
          // A series re-created after GC keeps its newest ref; the old one's samples are gone.
          if (old) this.byRef.delete(old.ref);
          const m: MemSeries = { ref: s.ref, labels: s.labels, key, lastTs: -Infinity, lastCommit: now, logged: true };
          this.byRef.set(s.ref, m);
          this.byKey.set(key, m);
          if (s.ref >= this.nextRef) this.nextRef = s.ref + 1;
        }
      } else if (typ === RecordType.Samples) {
        batch.reset();
        decodeSamples(rec, batch);
        for (let i = 0; i < batch.length; i++) {
          const s = this.byRef.get(batch.refs[i]!);
          if (s && batch.ts[i]! > s.lastTs) s.lastTs = batch.ts[i]!;
        }
      }
    }
    this.logger.info({ series: this.byRef.size }, 'agent WAL replayed');
  }

  private walSize(): number {
    let n = 0;
    try {
      for (const i of listSegments(this.walDir)) n += statSync(segmentName(this.walDir, i)).size;
      const cp = lastCheckpoint(this.walDir);
      if (cp) for (const i of listSegments(cp.dir)) n += statSync(segmentName(cp.dir, i)).size;
    } catch {
      // not created yet, or truncated meanwhile
    }
    return n;
  }

  // ---- used by AgentAppender ----

  /** @internal */
  seriesFor(ref: number, labels: Labels): MemSeries {
    if (ref !== 0) {
      const s = this.byRef.get(ref);
      if (s) return s;
    }
    const key = labelsKey(labels);
    let s = this.byKey.get(key);
    if (!s) {
      s = { ref: this.nextRef++, labels, key, lastTs: -Infinity, lastCommit: this.now(), logged: false };
      this.byRef.set(s.ref, s);
      this.byKey.set(key, s);
    }
    return s;
  }

  /** @internal */
  countOutOfOrder(): void {
    this.outOfOrder.inc();
  }

  /** @internal Writes one transaction; resolves after fsync (policy 'always'). */
  async write(series: MemSeries[], batch: SampleBatch): Promise<void> {
    const wal = this.wal;
    if (!wal) throw new Error('agent storage is not running');
    const fresh: MemSeries[] = [];
    for (const s of series) if (!s.logged) fresh.push(s);
    const recs: Uint8Array[] = [];
    if (fresh.length > 0) recs.push(encodeSeries(fresh));
    if (batch.length > 0) recs.push(encodeSamplesRecord(batch));
    if (recs.length === 0) return;
    // log() writes synchronously before it returns: mark state now so concurrent commits agree with WAL order.
    const done = wal.log(...recs);
    for (const s of fresh) s.logged = true;
    const now = this.now();
    for (const s of series) s.lastCommit = now;
    for (let i = 0; i < batch.length; i++) {
      const s = this.byRef.get(batch.refs[i]!);
      if (s && batch.ts[i]! > s.lastTs) s.lastTs = batch.ts[i]!;
    }
    for (const fn of this.listeners) fn();
    try {
      await done;
    } catch (err) {
      for (const s of fresh) s.logged = false;
      throw err;
    }
  }
}

/** One transaction; used once. Samples older than their series' last committed one are rejected. */
class AgentAppender implements Appender {
  // Sized like the last commit (a scrape is usually as big as the one before): growing from a
  // small batch reallocated four typed arrays several times per scrape.
  private readonly batch: SampleBatch;
  private readonly series: MemSeries[] = [];
  private readonly seen = new Set<number>();
  private done = false;

  constructor(private readonly db: AgentStorage) {
    this.batch = new SampleBatch(db.batchSizeHint);
  }

  append(ref: SeriesRef, labels: Labels, t: number, v: number): SeriesRef {
    if (this.done) throw new Error('appender already committed or rolled back');
    const s = this.db.seriesFor(ref, labels);
    if (t < s.lastTs) {
      this.db.countOutOfOrder();
      throw errOutOfOrderSample;
    }
    if (!this.seen.has(s.ref)) {
      this.seen.add(s.ref);
      this.series.push(s);
    }
    this.batch.push(s.ref, t, v);
    return s.ref;
  }

  appendHistogram(_ref: SeriesRef, _labels: Labels, _t: number, _h: Histogram | undefined, _fh?: FloatHistogram): SeriesRef {
    throw new Error('native histograms not supported by the agent');
  }

  async commit(): Promise<void> {
    if (this.done) throw new Error('appender already committed or rolled back');
    this.done = true;
    this.db.batchSizeHint = Math.max(64, this.batch.length);
    await this.db.write(this.series, this.batch);
  }

  rollback(): void {
    this.done = true;
    this.batch.reset();
  }
}
