// One remote_write endpoint: tails the agent WAL (series records → this queue's labels, samples
// records → shards), sends through N shards and persists how far everything has been sent.
// Backpressure: when a shard is full the watcher stops reading; the WAL holds the rest.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { nopLogger, type Logger } from '../../../libs/log/index.ts';
import { Labels } from '../../../libs/model/index.ts';
import { relabel, relabelConfigsSchema, type RelabelConfig } from '../../../libs/relabel/index.ts';
import { MetricType, WriteRequestEncoder, encodeLabels, snappyEncode } from '../../../libs/remotewrite/index.ts';
import {
  RecordType,
  SampleBatch,
  decodeSamples,
  decodeSeries,
  lastCheckpoint,
  listSegments,
  readRecords,
  recordType,
  type RefSeries,
} from '../../../libs/tsdb/wal/index.ts';
import type { RemoteWriteConfig } from '../config.ts';
import { NonRecoverableError, RecoverableError, WriteClient } from './client.ts';
import type { RemoteMetrics } from './metrics.ts';
import { Shard, type BatchView } from './shard.ts';
import { EwmaRate, desiredShards } from './shards_calc.ts';
import { WALTail, type WALPosition } from './wal_tail.ts';

/** How often the read position is written at most while sending. */
const POSITION_SAVE_INTERVAL_MS = 1000;

export interface QueueManagerOptions {
  config: RemoteWriteConfig;
  externalLabels: Readonly<Record<string, string>>;
  /** The agent WAL directory (`<dataDir>/wal`). */
  walDir: string;
  /** Where the read position is persisted (`<dataDir>/remote/<name>.json`). */
  positionFile: string;
  /** The remote_name label: the configured name or a hash of the URL. */
  name: string;
  metrics: RemoteMetrics;
  logger?: Logger;
  /** Subscribes to "the WAL was written" (AgentStorage.onWrite); returns an unsubscribe. */
  subscribe?: (fn: () => void) => () => void;
  /** How often to look for new WAL data without a notification, ms (default 1000). */
  pollInterval?: number;
  /** How often the shard count is recalculated, ms (default 10s, as Prometheus). */
  shardUpdateInterval?: number;
  /** Sends metric metadata every `sendInterval` (Prometheus' metadata_config); off without it. */
  metadata?: MetadataOptions;
}

/** One metric family's metadata, as scrapes report it (`type` as in the exposition: counter, gauge, …). */
export interface MetricMetadata {
  readonly metricFamily: string;
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

export interface MetadataOptions {
  readonly provider: () => Iterable<MetricMetadata>;
  /** ms; default 1 min as Prometheus. */
  readonly sendInterval?: number;
  /** Entries per request; default 500 as Prometheus. */
  readonly maxPerSend?: number;
}

const METRIC_TYPES: Record<string, number> = {
  counter: MetricType.Counter,
  gauge: MetricType.Gauge,
  histogram: MetricType.Histogram,
  gaugehistogram: MetricType.GaugeHistogram,
  summary: MetricType.Summary,
  info: MetricType.Info,
  stateset: MetricType.StateSet,
};

interface QueueSeries {
  /** Encoded label fields to send, or undefined when write relabelling dropped the series. */
  readonly enc: Uint8Array | undefined;
  /** The segment of its latest series record (checkpoint index for series read from a checkpoint). */
  seg: number;
}

/**
 * How far a queue has sent: every record ending at or before (segment, offset), and the first
 * `skip` samples of the samples record after it. Persisted as JSON (version 1).
 */
export interface QueuePosition extends WALPosition {
  readonly skip: number;
}

function comparePos(a: QueuePosition, b: QueuePosition): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset !== b.offset ? a.offset - b.offset : a.skip - b.skip;
}

/** External labels (where the series lacks them), then write_relabel_configs; undefined = dropped. */
export function queueLabels(labels: Labels, external: readonly (readonly [string, string])[], cfgs: readonly RelabelConfig[]): Labels | undefined {
  let l = labels;
  if (external.length > 0) {
    const b = l.builder();
    let changed = false;
    for (const [n, v] of external) {
      if (!l.has(n)) {
        b.set(n, v);
        changed = true;
      }
    }
    if (changed) l = b.labels();
  }
  if (cfgs.length > 0) {
    const r = relabel(l, cfgs);
    if (r === undefined || r.isEmpty()) return undefined;
    l = r;
  }
  return l;
}

export class QueueManager {
  readonly config: RemoteWriteConfig;
  private readonly logger: Logger;
  private readonly client: WriteClient;
  private readonly relabelCfgs: readonly RelabelConfig[];
  private readonly external: readonly (readonly [string, string])[];
  private readonly series = new Map<number, QueueSeries>();
  private shards: Shard[] = [];
  private tail: WALTail | undefined;
  private checkpointSeen = -1;
  private tailSegment = -1;

  // Samples decoded from the current record, enqueued up to `curIdx`.
  private readonly cur = new SampleBatch(1024);
  private curIdx = 0;
  private curStart: QueuePosition = { segment: 0, offset: 0, skip: 0 }; // where the current record starts
  private curEnd: QueuePosition = { segment: 0, offset: 0, skip: 0 };
  /** What an earlier run sent: records up to here are skipped, and `skip` samples of the next one. */
  private resumeFrom: QueuePosition | undefined;

  private enqSeq = 0;
  // Read positions after each record, with the sample sequence number they cover.
  private posSeq: number[] = [];
  private posAt: QueuePosition[] = [];
  private persisted: QueuePosition | undefined;
  // The newest acknowledged position not yet on disk: saved at most once a second (a sync write
  // per batch cost the event loop several per cent), and at stop.
  private unsaved: QueuePosition | undefined;
  private savedAt = 0;
  private startSegment = 0;

  private running = false;
  private hardStop = false;
  private readerWake: (() => void) | undefined;
  private reader: Promise<void> | undefined;
  private resharding: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private shardTimer: NodeJS.Timeout | undefined;
  private metadataTimer: NodeJS.Timeout | undefined;
  private metadataSending: Promise<void> | undefined;
  private abort = new AbortController();
  private readonly sleeps = new Set<() => void>();

  private readonly inRate: EwmaRate;
  private readonly outRate: EwmaRate;
  private readonly droppedRate: EwmaRate;
  private readonly outDuration: EwmaRate;
  private highestRead = 0; // ms
  private highestSent = 0; // ms
  private lastSendOk = 0; // performance.now() of the last successful send
  private readonly encoder = new WriteRequestEncoder();
  private readonly labelValues: { remote_name: string; url: string };

  constructor(private readonly opts: QueueManagerOptions) {
    this.config = opts.config;
    this.logger = (opts.logger ?? nopLogger).child({ remote_name: opts.name, url: opts.config.url });
    this.client = new WriteClient(opts.config);
    this.relabelCfgs = relabelConfigsSchema.parse(opts.config.writeRelabelConfigs);
    this.external = Object.entries(opts.externalLabels).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const every = opts.shardUpdateInterval ?? 10_000;
    this.inRate = new EwmaRate(0.2, every);
    this.outRate = new EwmaRate(0.2, every);
    this.droppedRate = new EwmaRate(0.2, every);
    this.outDuration = new EwmaRate(0.2, every);
    this.labelValues = { remote_name: opts.name, url: opts.config.url };
  }

  get name(): string {
    return this.opts.name;
  }

  /** The lowest WAL segment this queue may still need (segments below it were fully sent). */
  retainFrom(): number {
    return this.persisted?.segment ?? this.startSegment;
  }

  /** The persisted read position, if anything was sent (or loaded from an earlier run). */
  position(): QueuePosition | undefined {
    return this.persisted;
  }

  /** Samples in the shards, not yet sent. */
  pending(): number {
    return this.pendingSamples();
  }

  numShards(): number {
    return this.shards.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.client.open();
    this.persisted = this.loadPosition();
    this.resumeFrom = this.persisted;
    mkdirSync(this.opts.walDir, { recursive: true });
    const cp = lastCheckpoint(this.opts.walDir);
    if (cp) this.readCheckpoint(cp.dir, cp.index);
    const segs = listSegments(this.opts.walDir);
    this.startSegment = segs[0] ?? (cp ? cp.index + 1 : 0);
    this.tail = new WALTail(this.opts.walDir, { segment: this.startSegment, offset: 0 });
    this.tailSegment = this.startSegment;
    this.setShards(this.config.queue.minShards);
    this.m().shards.set(this.labelValues, this.shards.length);
    this.m().shardsDesired.set(this.labelValues, this.shards.length);
    this.unsubscribe = this.opts.subscribe?.(() => this.wakeReader());
    this.pollTimer = setInterval(() => {
      this.wakeReader();
      if (Date.now() - this.savedAt >= POSITION_SAVE_INTERVAL_MS) this.flushPosition();
    }, this.opts.pollInterval ?? 1000);
    this.pollTimer.unref();
    const every = this.opts.shardUpdateInterval ?? 10_000;
    this.shardTimer = setInterval(() => this.updateShards(), every);
    this.shardTimer.unref();
    this.reader = this.readLoop();
    const md = this.opts.metadata;
    if (md) {
      this.metadataTimer = setInterval(() => {
        this.metadataSending ??= this.sendMetadata(md).finally(() => {
          this.metadataSending = undefined;
        });
      }, md.sendInterval ?? 60_000);
      this.metadataTimer.unref();
    }
  }

  /**
   * Stops reading, sends what is queued for up to `flushDeadline` ms, then abandons the rest
   * (it is still in the WAL and is resent after a restart) and persists the position.
   */
  async stop(flushDeadline = 60_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    clearInterval(this.pollTimer);
    clearInterval(this.shardTimer);
    clearInterval(this.metadataTimer);
    this.wakeReader();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, flushDeadline);
    });
    const flush = (async () => {
      await this.resharding;
      await Promise.all(this.shards.map((s) => s.drain()));
    })();
    await Promise.race([flush, deadline]);
    clearTimeout(timer);
    this.hardStop = true;
    this.abort.abort();
    for (const w of [...this.sleeps]) w();
    await Promise.all(this.shards.map((s) => s.abort()));
    await flush;
    await this.reader;
    await this.metadataSending;
    this.advancePosition();
    this.flushPosition();
    this.tail?.close();
    this.client.close();
    this.m().samplesPending.set(this.labelValues, 0);
  }

  /** Moves to `n` shards: drains the current ones first so that no series is reordered. */
  reshard(n: number): Promise<void> {
    this.resharding ??= (async () => {
      try {
        await Promise.all(this.shards.map((s) => s.drain()));
        if (!this.hardStop) this.setShards(n);
      } finally {
        this.resharding = undefined;
        this.wakeReader();
      }
    })();
    return this.resharding;
  }

  private m(): RemoteMetrics {
    return this.opts.metrics;
  }

  private setShards(n: number): void {
    const q = this.config.queue;
    this.shards = [];
    for (let i = 0; i < n; i++) {
      const s = new Shard(q.capacity, q.maxSamplesPerSend, q.batchSendDeadline, (b) => this.sendBatch(b), () => this.onBatchDone());
      this.shards.push(s);
      s.start();
    }
    this.m().shards.set(this.labelValues, n);
  }

  private updateShards(): void {
    this.inRate.tick();
    this.outRate.tick();
    this.droppedRate.tick();
    this.outDuration.tick();
    if (this.resharding || !this.running) return;
    const q = this.config.queue;
    const cur = this.shards.length;
    const want = desiredShards(
      {
        inRate: this.inRate.rate(),
        outRate: this.outRate.rate(),
        droppedRate: this.droppedRate.rate(),
        outDurationRate: this.outDuration.rate(),
        delaySeconds: Math.max(0, (this.highestRead - this.highestSent) / 1000),
      },
      cur,
      q.minShards,
      q.maxShards,
    );
    this.m().shardsDesired.set(this.labelValues, want);
    // Not while sends fail: more shards would only retry more (Prometheus' shouldReshard).
    if (want === cur || performance.now() - this.lastSendOk > 2 * q.batchSendDeadline) return;
    this.logger.info({ from: cur, to: want }, 'remote write resharding');
    void this.reshard(want);
  }

  // ---- reading the WAL ----

  private wakeReader(): void {
    const w = this.readerWake;
    this.readerWake = undefined;
    w?.();
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      if (this.resharding) {
        await this.resharding;
        continue;
      }
      let state: 'blocked' | 'nodata';
      try {
        state = this.pump();
      } catch (err) {
        this.logger.error({ err }, 'remote write: reading the WAL failed; retrying');
        state = 'nodata';
      }
      this.m().samplesPending.set(this.labelValues, this.pendingSamples());
      if (!this.running) break;
      // 'blocked' wakes on a finished batch, 'nodata' on a WAL write or the poll timer.
      await new Promise<void>((resolve) => {
        this.readerWake = resolve;
      });
      void state;
    }
  }

  private pendingSamples(): number {
    let n = 0;
    for (const s of this.shards) n += s.pending;
    return n;
  }

  /** Reads and enqueues until a shard is full or nothing more is written. */
  private pump(): 'blocked' | 'nodata' {
    const tail = this.tail!;
    for (;;) {
      if (this.curIdx < this.cur.length) {
        const from = this.curIdx;
        if (!this.enqueueCurrent()) {
          if (this.curIdx > from) this.pushPosition({ ...this.curStart, skip: this.curIdx });
          return 'blocked';
        }
        this.pushPosition(this.curEnd);
      }
      const before = tail.position();
      const rec = tail.next();
      const at = tail.position();
      const pos: QueuePosition = { segment: at.segment, offset: at.offset, skip: 0 };
      if (pos.segment !== this.tailSegment) {
        this.tailSegment = pos.segment;
        this.checkNewCheckpoint();
      }
      if (rec === undefined) return 'nodata';
      const typ = recordType(rec);
      if (typ === RecordType.Series) {
        this.readSeries(rec, pos.segment);
        this.pushPosition(pos);
      } else if (typ === RecordType.Samples) {
        const r = this.resumeFrom;
        if (r !== undefined && comparePos(pos, r) <= 0) continue; // sent before the restart
        this.cur.reset();
        decodeSamples(rec, this.cur);
        // The record right after the resume point may have been sent in part.
        this.curIdx = r !== undefined && r.skip > 0 && comparePos({ ...before, skip: 0 }, { ...r, skip: 0 }) === 0 ? r.skip : 0;
        this.resumeFrom = undefined;
        this.curStart = { segment: before.segment, offset: before.offset, skip: 0 };
        this.curEnd = pos;
      } else {
        this.pushPosition(pos);
      }
    }
  }

  /** Enqueues the rest of `cur`; false when a shard filled up. */
  private enqueueCurrent(): boolean {
    const b = this.cur;
    const n = this.shards.length;
    let added = 0;
    let dropped = 0;
    let ok = true;
    for (; this.curIdx < b.length; this.curIdx++) {
      const i = this.curIdx;
      const ref = b.refs[i]!;
      const s = this.series.get(ref);
      if (s === undefined || s.enc === undefined) {
        dropped++;
        continue;
      }
      const shard = this.shards[ref % n]!;
      if (shard.full()) {
        ok = false;
        break;
      }
      const t = b.ts[i]!;
      shard.push(s.enc, t, b.vsBits, 2 * i, ++this.enqSeq);
      if (t > this.highestRead) this.highestRead = t;
      added++;
    }
    this.inRate.add(added + dropped);
    if (dropped > 0) {
      this.droppedRate.add(dropped);
      this.m().samplesDropped.inc(this.labelValues, dropped);
    }
    this.m().highestRead.set(this, this.highestRead / 1000);
    return ok;
  }

  private readSeries(rec: Uint8Array, segment: number): void {
    const out: RefSeries[] = [];
    decodeSeries(rec, out);
    for (const s of out) {
      const l = queueLabels(s.labels, this.external, this.relabelCfgs);
      this.series.set(s.ref, { enc: l === undefined ? undefined : encodeLabels(l), seg: segment });
    }
  }

  private readCheckpoint(dir: string, index: number): void {
    for (const rec of readRecords(dir)) {
      if (recordType(rec) === RecordType.Series) this.readSeries(rec, index);
    }
    this.checkpointSeen = index;
  }

  // A new checkpoint means the storage dropped series: forget those not in it (like Prometheus' SeriesReset).
  private checkNewCheckpoint(): void {
    const cp = lastCheckpoint(this.opts.walDir);
    if (!cp || cp.index <= this.checkpointSeen) return;
    this.readCheckpoint(cp.dir, cp.index);
    for (const [ref, s] of this.series) if (s.seg < cp.index) this.series.delete(ref);
  }

  // ---- positions ----

  private pushPosition(pos: QueuePosition): void {
    const k = this.posSeq.length;
    if (k > 0 && this.posSeq[k - 1] === this.enqSeq) this.posAt[k - 1] = pos;
    else {
      this.posSeq.push(this.enqSeq);
      this.posAt.push(pos);
    }
    if (this.pendingSamples() === 0) this.advancePosition();
  }

  private onBatchDone(): void {
    this.advancePosition();
    this.m().samplesPending.set(this.labelValues, this.pendingSamples());
    this.wakeReader();
  }

  /** Persists the newest position whose samples are all sent (each shard is FIFO: below its oldest pending). */
  private advancePosition(): void {
    let acked = this.enqSeq;
    for (const s of this.shards) acked = Math.min(acked, s.oldestSeq() - 1);
    let k = 0;
    while (k < this.posSeq.length && this.posSeq[k]! <= acked) k++;
    if (k === 0) return;
    const pos = this.posAt[k - 1]!;
    this.posSeq.splice(0, k);
    this.posAt.splice(0, k);
    if (this.persisted && comparePos(pos, this.persisted) <= 0) return;
    this.unsaved = pos;
    if (Date.now() - this.savedAt >= POSITION_SAVE_INTERVAL_MS) this.flushPosition();
  }

  private flushPosition(): void {
    const pos = this.unsaved;
    if (pos === undefined) return;
    this.unsaved = undefined;
    this.savedAt = Date.now();
    this.persisted = pos;
    this.savePosition(pos);
  }

  private loadPosition(): QueuePosition | undefined {
    try {
      const j = JSON.parse(readFileSync(this.opts.positionFile, 'utf8')) as { version?: number; segment?: unknown; offset?: unknown; skip?: unknown };
      if (j.version === 1 && Number.isInteger(j.segment) && Number.isInteger(j.offset)) {
        return { segment: j.segment as number, offset: j.offset as number, skip: Number.isInteger(j.skip) ? (j.skip as number) : 0 };
      }
      this.logger.warn({ file: this.opts.positionFile }, 'ignoring an unreadable remote-write position file');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err }, 'ignoring an unreadable remote-write position file');
    }
    return undefined;
  }

  private savePosition(pos: QueuePosition): void {
    const f = this.opts.positionFile;
    try {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f + '.tmp', JSON.stringify({ version: 1, url: this.config.url, segment: pos.segment, offset: pos.offset, skip: pos.skip }));
      renameSync(f + '.tmp', f);
    } catch (err) {
      this.logger.warn({ err }, 'remote write: could not persist the read position');
    }
  }

  // ---- sending ----

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeps.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeps.add(done);
    });
  }

  /** Sends every provided metadata entry, in requests of up to maxPerSend, each retried like samples. */
  async sendMetadata(md: MetadataOptions): Promise<void> {
    const per = md.maxPerSend ?? 500;
    const enc = new WriteRequestEncoder();
    let n = 0;
    const flush = async () => {
      if (n === 0) return;
      const body = snappyEncode(enc.view());
      const count = n;
      enc.reset();
      n = 0;
      const ok = await this.sendWithRetries(body, count, 'metadata');
      if (ok) this.m().metadataTotal.inc(this.labelValues, count);
    };
    for (const m of md.provider()) {
      enc.metadata({ type: METRIC_TYPES[m.type.toLowerCase()] ?? MetricType.Unknown, metricFamilyName: m.metricFamily, help: m.help, unit: m.unit });
      if (++n >= per) await flush();
      if (this.hardStop) return;
    }
    await flush();
  }

  private async sendBatch(b: BatchView): Promise<boolean> {
    const n = b.length;
    const enc = this.encoder;
    enc.reset();
    let maxT = 0;
    for (let i = 0; i < n; i++) {
      const t = b.t(i);
      enc.sampleSeries(b.labels(i), t, b.v(i));
      if (t > maxT) maxT = t;
    }
    const body = snappyEncode(enc.view());
    const lv = this.labelValues;
    const t0 = performance.now();
    const ok = await this.sendWithRetries(body, n, 'samples');
    if (ok === undefined) return false;
    if (ok) {
      const secs = (performance.now() - t0) / 1000;
      this.m().samplesTotal.inc(lv, n);
      this.outDuration.add(secs);
      this.lastSendOk = performance.now();
      if (maxT > this.highestSent) {
        this.highestSent = maxT;
        this.m().highestSent.set(lv, maxT / 1000);
      }
    }
    this.outRate.add(n);
    return true;
  }

  /**
   * Sends one body until it is stored (true), refused for good (false: counted failed, logged with
   * the server's message), or the queue is stopped hard (undefined). Recoverable errors back off
   * from min_backoff doubling to max_backoff, or wait the server's Retry-After.
   */
  private async sendWithRetries(body: Uint8Array, n: number, what: 'samples' | 'metadata'): Promise<boolean | undefined> {
    const q = this.config.queue;
    let backoff = q.minBackoff;
    const lv = this.labelValues;
    for (;;) {
      if (this.hardStop) return undefined;
      const t0 = performance.now();
      try {
        await this.client.store(body, this.abort.signal);
        this.m().sentBatchDuration.observe(lv, (performance.now() - t0) / 1000);
        return true;
      } catch (err) {
        if (this.hardStop) return undefined;
        if (err instanceof NonRecoverableError) {
          (what === 'samples' ? this.m().samplesFailed : this.m().metadataFailed).inc(lv, n);
          this.logger.error({ status: err.status, [what]: n }, `non-recoverable error, dropping the batch: ${err.message}`);
          return false;
        }
        const wait = err instanceof RecoverableError && err.retryAfter !== undefined ? err.retryAfter : backoff;
        if (what === 'samples') this.m().samplesRetried.inc(lv, n);
        this.logger.warn({ err: (err as Error).message, retryInMs: wait }, `remote write of ${what} failed; retrying`);
        await this.sleep(wait);
        backoff = Math.min(backoff * 2, q.maxBackoff);
      }
    }
  }
}
