// Owns one QueueManager per remote_write entry. applyConfig() reloads: unchanged queues keep
// running, changed ones stop and restart from their persisted position, removed ones stop.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { Service, State } from '../../../libs/services/index.ts';
import { nopLogger, type Logger } from '../../../libs/log/index.ts';
import type { RemoteWriteConfig } from '../config.ts';
import { RemoteMetrics } from './metrics.ts';
import { QueueManager, type MetadataOptions } from './queue_manager.ts';

export interface RemoteStorageOptions {
  /** The agent's data directory: the WAL is `<dataDir>/wal`, positions go to `<dataDir>/remote/`. */
  dataDir: string;
  /** Subscribes to WAL writes (AgentStorage.onWrite) so queues wake at once instead of polling. */
  subscribe?: (fn: () => void) => () => void;
  /** How long stop() keeps sending what is queued, ms (default 1 min, as Prometheus' flush deadline). */
  flushDeadline?: number;
  pollInterval?: number;
  shardUpdateInterval?: number;
  /** Metric metadata every queue sends periodically (Prometheus' metadata_config); none without it. */
  metadata?: MetadataOptions;
  registry?: Registry;
  logger?: Logger;
}

/** The remote_name of an entry: its name, or the first 6 hex digits of a hash of its URL. */
export function queueName(cfg: RemoteWriteConfig): string {
  return cfg.name !== '' ? cfg.name : createHash('sha256').update(cfg.url).digest('hex').slice(0, 6);
}

function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

interface Entry {
  readonly qm: QueueManager;
  readonly fingerprint: string;
}

export class RemoteStorage extends Service {
  private readonly queues = new Map<string, Entry>();
  private configs: readonly RemoteWriteConfig[] = [];
  private externalLabels: Readonly<Record<string, string>> = {};
  private readonly metrics: RemoteMetrics;
  private readonly logger: Logger;
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly opts: RemoteStorageOptions) {
    super('remote-storage');
    this.metrics = new RemoteMetrics(opts.registry);
    this.logger = opts.logger ?? nopLogger;
  }

  /** Sets the remote_write entries; before start() it only records them. Serialised with other calls. */
  applyConfig(configs: readonly RemoteWriteConfig[], externalLabels: Readonly<Record<string, string>> = {}): Promise<void> {
    const names = new Set<string>();
    for (const c of configs) {
      const n = queueName(c);
      if (names.has(n)) throw new Error(`duplicate remote write configs are not allowed, found duplicate for URL or name: ${n}`);
      names.add(n);
    }
    this.configs = configs;
    this.externalLabels = externalLabels;
    const run = this.applying.then(() => (this.state() === State.Running || this.state() === State.Starting ? this.sync() : undefined));
    this.applying = run.catch(() => {});
    return run;
  }

  /** The queue managers, by remote_name. */
  queueManagers(): QueueManager[] {
    return [...this.queues.values()].map((e) => e.qm);
  }

  /** The lowest WAL segment some queue still needs (AgentStorage's retainFrom); undefined with no queues. */
  retainFrom(): number | undefined {
    let min: number | undefined;
    for (const { qm } of this.queues.values()) {
      const r = qm.retainFrom();
      if (min === undefined || r < min) min = r;
    }
    return min;
  }

  protected override async starting(): Promise<void> {
    await this.sync();
  }

  protected override async stopping(): Promise<void> {
    await this.applying;
    const all = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(all.map((e) => e.qm.stop(this.opts.flushDeadline ?? 60_000)));
  }

  private async sync(): Promise<void> {
    const want = new Map<string, { cfg: RemoteWriteConfig; fingerprint: string }>();
    for (const cfg of this.configs) {
      want.set(queueName(cfg), { cfg, fingerprint: JSON.stringify([cfg, this.externalLabels]) });
    }
    const stops: Promise<void>[] = [];
    for (const [name, e] of this.queues) {
      const w = want.get(name);
      if (w && w.fingerprint === e.fingerprint) continue;
      this.queues.delete(name);
      stops.push(
        e.qm.stop(this.opts.flushDeadline ?? 60_000).then(() => {
          if (!want.has(name)) this.metrics.remove(name, e.qm.config.url);
        }),
      );
    }
    await Promise.all(stops);
    for (const [name, w] of want) {
      if (this.queues.has(name)) continue;
      const qm = new QueueManager({
        config: w.cfg,
        externalLabels: this.externalLabels,
        walDir: join(this.opts.dataDir, 'wal'),
        positionFile: join(this.opts.dataDir, 'remote', `${fileSafe(name)}.json`),
        name,
        metrics: this.metrics,
        logger: this.logger,
        ...(this.opts.subscribe ? { subscribe: this.opts.subscribe } : {}),
        ...(this.opts.pollInterval !== undefined ? { pollInterval: this.opts.pollInterval } : {}),
        ...(this.opts.metadata ? { metadata: this.opts.metadata } : {}),
        ...(this.opts.shardUpdateInterval !== undefined ? { shardUpdateInterval: this.opts.shardUpdateInterval } : {}),
      });
      qm.start();
      this.queues.set(name, { qm, fingerprint: w.fingerprint });
      this.logger.info({ remote_name: name, url: w.cfg.url }, 'remote write queue started');
    }
  }
}
