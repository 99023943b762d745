// Synthetic node_exporter-like series for benchmarks: ~415 series per host (CPU modes, memory,
// filesystems, network, disks, misc), 15s scrapes with occasional jitter, realistic value shapes.

import { Labels } from '../../model/index.ts';

export interface GeneratedSeries {
  labels: Labels;
  /** 0 counter (2 decimals), 1 integer counter, 2 page-sized gauge, 3 small float gauge, 4 mostly constant, 5 constant. */
  kind: number;
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

function hostSeries(host: number): GeneratedSeries[] {
  const instance = `10.${(host >> 8) & 255}.${host & 255}.${(host * 7) % 250}:9100`;
  const base = ['instance', instance, 'job', 'node'];
  const out: GeneratedSeries[] = [];
  const add = (name: string, kind: number, ...extra: string[]) =>
    out.push({ labels: Labels.fromStrings('__name__', name, ...base, ...extra), kind });
  for (let cpu = 0; cpu < 8; cpu++) {
    for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user']) add('node_cpu_seconds_total', 0, 'cpu', String(cpu), 'mode', mode);
  }
  for (let i = 0; i < 50; i++) add(`node_memory_m${i}_bytes`, 2);
  for (const mp of ['/', '/boot', '/home', '/var', '/run']) {
    for (const m of ['avail', 'free', 'size', 'files', 'files_free', 'readonly']) add(`node_filesystem_${m}_bytes`, m === 'size' || m === 'readonly' ? 5 : 4, 'device', `/dev/sd${mp.length}`, 'fstype', 'ext4', 'mountpoint', mp);
  }
  for (const dev of ['eth0', 'eth1', 'lo', 'docker0']) {
    for (let m = 0; m < 16; m++) add(`node_network_m${m}_total`, 1, 'device', dev);
  }
  for (const dev of ['sda', 'sdb']) {
    for (let m = 0; m < 15; m++) add(`node_disk_m${m}_total`, m % 3 === 0 ? 0 : 1, 'device', dev);
  }
  for (let i = 0; i < 3; i++) add(`node_load${[1, 5, 15][i]}`, 3);
  for (let i = 0; i < 174; i++) add(`node_misc_m${i}`, i % 4 === 0 ? 5 : i % 4 === 1 ? 1 : i % 4 === 2 ? 3 : 4);
  add('up', 5);
  return out;
}

/** `n` series over as many hosts as needed. */
export function nodeSeries(n: number): GeneratedSeries[] {
  const out: GeneratedSeries[] = [];
  for (let h = 0; out.length < n; h++) out.push(...hostSeries(h));
  return out.slice(0, n);
}

/** Evolves one series' value; call once per scrape. */
export function nextValue(kind: number, v: number, r: () => number): number {
  switch (kind) {
    case 0:
      return Math.round((v + r() * 15) * 100) / 100;
    case 1:
      return v + Math.floor(r() * 50_000);
    case 2:
      return Math.max(0, v + (Math.floor(r() * 200) - 100) * 4096);
    case 3:
      return Math.round(r() * 400) / 100;
    case 4:
      return r() < 0.1 ? v + Math.floor(r() * 100) * 4096 : v;
    default:
      return v === 0 ? 1 : v;
  }
}

/** The scrape jitter: most scrapes land on the interval, some a few ms off. */
export function scrapeTime(base: number, i: number, r: () => number): number {
  return base + i * 15_000 + (r() < 0.85 ? 0 : Math.floor(r() * 11) - 5);
}
