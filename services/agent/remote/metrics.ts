// Remote-write metrics, Prometheus' names (storage/remote/queue_manager.go) with labels
// remote_name and url; one set per registry, shared by every queue manager.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const L = ['remote_name', 'url'] as const;

export class RemoteMetrics {
  readonly samplesTotal: Counter<'remote_name' | 'url'>;
  readonly samplesFailed: Counter<'remote_name' | 'url'>;
  readonly samplesRetried: Counter<'remote_name' | 'url'>;
  readonly samplesDropped: Counter<'remote_name' | 'url'>;
  readonly metadataTotal: Counter<'remote_name' | 'url'>;
  readonly metadataFailed: Counter<'remote_name' | 'url'>;
  readonly samplesPending: Gauge<'remote_name' | 'url'>;
  readonly shards: Gauge<'remote_name' | 'url'>;
  readonly shardsDesired: Gauge<'remote_name' | 'url'>;
  readonly highestSent: Gauge<'remote_name' | 'url'>;
  readonly sentBatchDuration: Histogram<'remote_name' | 'url'>;
  readonly highestTimestamp: Gauge;
  /** Highest sample timestamp (s) read by each queue; the unlabelled gauge reports the max. */
  readonly highestRead = new Map<object, number>();

  constructor(registry: Registry = new Registry()) {
    const registers = [registry];
    const c = (name: string, help: string) => new Counter({ name, help, labelNames: L, registers });
    const g = (name: string, help: string) => new Gauge({ name, help, labelNames: L, registers });
    this.samplesTotal = c('prometheus_remote_storage_samples_total', 'Total number of samples sent to remote storage.');
    this.samplesFailed = c('prometheus_remote_storage_samples_failed_total', 'Total number of samples which failed on send to remote storage, non-recoverable errors.');
    this.samplesRetried = c('prometheus_remote_storage_samples_retried_total', 'Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.');
    this.samplesDropped = c('prometheus_remote_storage_samples_dropped_total', 'Total number of samples which were dropped after being read from the WAL before being sent via remote write, by write relabelling or for an unknown series.');
    this.metadataTotal = c('prometheus_remote_storage_metadata_total', 'Total number of metadata entries sent to remote storage.');
    this.metadataFailed = c('prometheus_remote_storage_metadata_failed_total', 'Total number of metadata entries which failed on send to remote storage, non-recoverable errors.');
    this.samplesPending = g('prometheus_remote_storage_samples_pending', 'The number of samples pending in the queues shards to be sent to the remote storage.');
    this.shards = g('prometheus_remote_storage_shards', 'The number of shards used for parallel sending to the remote storage.');
    this.shardsDesired = g('prometheus_remote_storage_shards_desired', 'The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.');
    this.highestSent = g('prometheus_remote_storage_queue_highest_sent_timestamp_seconds', 'Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.');
    this.sentBatchDuration = new Histogram({
      name: 'prometheus_remote_storage_sent_batch_duration_seconds',
      help: 'Duration of send calls to the remote storage.',
      labelNames: L,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300],
      registers,
    });
    const read = this.highestRead;
    this.highestTimestamp = new Gauge({
      name: 'prometheus_remote_storage_highest_timestamp_in_seconds',
      help: 'Highest timestamp that has come into the remote storage via the WAL, in seconds since epoch.',
      registers,
      collect() {
        let m = 0;
        for (const v of read.values()) if (v > m) m = v;
        this.set(m);
      },
    });
  }

  /** Removes one endpoint's series (its queue stopped for good). */
  remove(name: string, url: string): void {
    for (const m of [
      this.samplesTotal, this.samplesFailed, this.samplesRetried, this.samplesDropped, this.metadataTotal,
      this.metadataFailed, this.samplesPending, this.shards, this.shardsDesired, this.highestSent, this.sentBatchDuration,
    ]) {
      m.remove(name, url);
    }
  }
}
