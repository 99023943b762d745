// XOR appends in the head's access pattern: one open chunk per series, each scrape appends one
// sample to every series in turn, so every append touches a different chunk (cold caches).
// Run: node --import tsx <this file> [series]

import { pathToFileURL } from 'node:url';
import { XORChunk } from './index.ts';
import type { ChunkAppender } from './index.ts';
import { SERIES_KINDS, firstValue, nextValue, rng, type BenchResult } from './xor.bench.ts';

const ROUNDS = 120;
const T0 = 1_700_000_000_000;
/** A fresh chunk's buffer: most of these chunks outgrow it once (~400 bytes), growth included. */
const CAPACITY = 256;

/**
 * Appends ROUNDS samples to each of `n` fresh chunks, round robin, and returns the nanoseconds
 * each round's append loop took (sample generation is not timed). `newAppender` is a seam for
 * comparing implementations in separate processes.
 */
export function roundRobinTimes(n: number, newAppender: () => ChunkAppender): number[] {
  const r = rng(7);
  const apps = Array.from({ length: n }, newAppender);
  const vs = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) vs[i] = firstValue(r);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < n; i++) {
      vs[i] = nextValue(i % SERIES_KINDS, vs[i]!, r);
      // Most scrapes land on the interval; some are a few ms late or early.
      ts[i] = T0 + round * 15_000 + (r() < 0.85 ? 0 : Math.floor(r() * 11) - 5);
    }
    const start = process.hrtime.bigint();
    appendRound(apps, ts, vs);
    times.push(Number(process.hrtime.bigint() - start));
  }
  return times;
}

function appendRound(apps: ChunkAppender[], ts: Float64Array, vs: Float64Array): void {
  for (let i = 0; i < apps.length; i++) apps[i]!.append(ts[i]!, vs[i]!);
}

/**
 * Appends per second over `reps` runs of `n` series, taking each round's median time across the
 * runs: the machine is shared, and a preempted round should not count.
 */
export function medianRate(n: number, reps: number, newAppender: () => ChunkAppender): number {
  roundRobinTimes(2000, newAppender); // let the JIT settle on the steady state first
  const runs: number[][] = [];
  for (let i = 0; i < reps; i++) runs.push(roundRobinTimes(n, newAppender));
  let ns = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const times = runs.map((r) => r[round]!).sort((a, b) => a - b);
    ns += times[reps >> 1]!;
  }
  return (n * ROUNDS) / (ns / 1e9);
}

export async function runXorRoundRobinBench(opts: { series?: number; reps?: number } = {}): Promise<BenchResult[]> {
  const n = opts.series ?? 100_000;
  const rate = medianRate(n, opts.reps ?? 5, () => new XORChunk(undefined, CAPACITY).appender());
  return [{ name: `xor_append_roundrobin_${n / 1000}k`, value: Math.round(rate), unit: 'samples/s' }];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const series = process.argv[2] !== undefined ? Number(process.argv[2]) : undefined;
  for (const r of await runXorRoundRobinBench({ series })) console.log(`${r.name}\t${r.value.toLocaleString('en-US')} ${r.unit}`);
}
