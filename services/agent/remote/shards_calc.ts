// How many shards a queue wants, from its in/out rates (Prometheus' calculateDesiredShards,
// simplified): enough senders that, at the measured time per sample, they keep up with the
// incoming rate and catch up on the backlog by 5% per interval. Pure, so it is tested alone.

/** An exponentially weighted rate of events per second, ticked at a fixed interval. */
export class EwmaRate {
  private pending = 0;
  private value = 0;
  private init = false;

  constructor(
    private readonly alpha: number,
    private readonly intervalMs: number,
  ) {}

  add(n: number): void {
    this.pending += n;
  }

  tick(): void {
    const instant = this.pending / (this.intervalMs / 1000);
    this.pending = 0;
    if (this.init) this.value += this.alpha * (instant - this.value);
    else {
      this.value = instant;
      this.init = true;
    }
  }

  rate(): number {
    return this.value;
  }
}

export interface ShardStats {
  /** Samples read from the WAL per second. */
  inRate: number;
  /** Samples sent (or dropped by the endpoint) per second. */
  outRate: number;
  /** Samples filtered out before sending (write relabelling) per second. */
  droppedRate: number;
  /** Seconds spent sending per second (summed over shards). */
  outDurationRate: number;
  /** Highest sample timestamp read minus highest sent, in seconds. */
  delaySeconds: number;
}

const TOLERANCE = 0.3;

/** The shard count to move to (equal to `current` when no change is warranted). */
export function desiredShards(s: ShardStats, current: number, minShards: number, maxShards: number): number {
  if (s.outRate <= 0) return current;
  const keptRatio = s.outRate / (s.droppedRate + s.outRate);
  const pending = s.delaySeconds * s.inRate * keptRatio;
  const timePerSample = s.outDurationRate / s.outRate;
  let want = Math.ceil(timePerSample * (s.inRate * keptRatio + 0.05 * pending));
  // Small swings are noise: change only beyond ±30%.
  if (want >= current * (1 - TOLERANCE) && want <= current * (1 + TOLERANCE)) return current;
  // Shrinking while far behind would only fall further behind.
  if (want < current && s.delaySeconds > 10) return current;
  if (want < minShards) want = minShards;
  if (want > maxShards) want = maxShards;
  return want;
}
