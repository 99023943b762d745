// XOR chunk throughput: append and iterate 120-sample chunks of node_exporter-like data
// (15s scrapes, some with millisecond jitter; counters, gauges, constants). Run: node --import tsx <this file>

import { pathToFileURL } from 'node:url';
import { ValueType } from '../../storage/index.ts';
import { XORChunk, XORIterator } from './index.ts';

const SAMPLES_PER_CHUNK = 120;
const SERIES = 2000;

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kinds of node_exporter-like series, 0..7 (5..7 are constants). */
export const SERIES_KINDS = 8;

/** A series' first value. */
export function firstValue(r: () => number): number {
  return Math.floor(r() * 1e6);
}

/** The next value of a series of `kind` after `v`. */
export function nextValue(kind: number, v: number, r: () => number): number {
  switch (kind) {
    case 0: // node_cpu_seconds_total: counter with 2 decimals
      return Math.round((v + r() * 15) * 100) / 100;
    case 1: // node_network_receive_bytes_total: integer counter
      return v + Math.floor(r() * 50_000);
    case 2: // node_memory_MemAvailable_bytes: gauge, changes by pages
      return Math.max(0, v + (Math.floor(r() * 200) - 100) * 4096);
    case 3: // node_load1: small float gauge
      return Math.round(r() * 400) / 100;
    case 4: // node_filesystem_avail_bytes: mostly unchanged, sometimes moves
      return r() < 0.1 ? v + Math.floor(r() * 100) * 4096 : v;
    default: // up, node_filesystem_size_bytes, *_info: constant
      return kind === 5 ? 1 : kind * 1e9;
  }
}

/** Timestamps and values for SERIES series, SAMPLES_PER_CHUNK each, in flat typed arrays. */
function generate(): { ts: Float64Array; vs: Float64Array } {
  const r = rng(1);
  const ts = new Float64Array(SERIES * SAMPLES_PER_CHUNK);
  const vs = new Float64Array(SERIES * SAMPLES_PER_CHUNK);
  for (let s = 0; s < SERIES; s++) {
    let t = 1_700_000_000_000 + Math.floor(r() * 15_000);
    let v = firstValue(r);
    const kind = s % SERIES_KINDS;
    for (let i = 0; i < SAMPLES_PER_CHUNK; i++) {
      const k = s * SAMPLES_PER_CHUNK + i;
      // Most scrapes land on the interval; some are a few ms late or early.
      t += 15_000 + (r() < 0.85 ? 0 : Math.floor(r() * 11) - 5);
      v = nextValue(kind, v, r);
      ts[k] = t;
      vs[k] = v;
    }
  }
  return { ts, vs };
}

function encodeAll(ts: Float64Array, vs: Float64Array): XORChunk[] {
  const chunks: XORChunk[] = [];
  for (let s = 0; s < SERIES; s++) {
    const c = new XORChunk();
    const app = c.appender();
    const base = s * SAMPLES_PER_CHUNK;
    for (let i = 0; i < SAMPLES_PER_CHUNK; i++) app.append(ts[base + i]!, vs[base + i]!);
    chunks.push(c);
  }
  return chunks;
}

let sink = 0;

function iterateAll(chunks: XORChunk[], it: XORIterator): number {
  let n = 0;
  let sum = 0;
  for (const c of chunks) {
    c.iterator(it);
    while (it.next() !== ValueType.None) {
      sum += it.atT() + it.atF();
      n++;
    }
  }
  sink += sum;
  return n;
}

/** Best-of-rounds rate of `fn`, which processes `samples` samples per call. */
function measure(samples: number, fn: () => void): number {
  for (let i = 0; i < 5; i++) fn(); // warm up the JIT
  let best = 0;
  for (let round = 0; round < 7; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    } while (elapsed < 0.2);
    best = Math.max(best, (calls * samples) / elapsed);
  }
  return best;
}

export async function runXorBench(): Promise<BenchResult[]> {
  const { ts, vs } = generate();
  const total = SERIES * SAMPLES_PER_CHUNK;
  const chunks = encodeAll(ts, vs);
  const bytes = chunks.reduce((a, c) => a + c.bytes().length, 0);
  const it = new XORIterator();
  const appendRate = measure(total, () => {
    encodeAll(ts, vs);
  });
  const iterRate = measure(total, () => {
    iterateAll(chunks, it);
  });
  if (sink === 42) console.log(sink); // keep the work observable
  return [
    { name: 'xor_append_120', value: Math.round(appendRate), unit: 'samples/s' },
    { name: 'xor_iterate_120', value: Math.round(iterRate), unit: 'samples/s' },
    { name: 'xor_bytes_per_sample', value: Math.round((bytes / total) * 1000) / 1000, unit: 'bytes' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await runXorBench()) console.log(`${r.name}\t${r.value.toLocaleString('en-US')} ${r.unit}`);
}
