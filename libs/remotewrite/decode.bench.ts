// Remote-write 1.0 decode cost on PERFORMANCE.md's workload: 100k node_exporter-like series,
// 2,000 series × 1 sample per request, bodies pre-encoded. Snappy (ours, the napi `snappy`
// package, `snappyjs`), then the protobuf (ours, protobufjs), in ns per sample.
// Run: node --no-allocation-site-pretenuring --import tsx libs/remotewrite/decode.bench.ts

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rng } from '../tsdb/bench/nodegen.ts';
import { WriteRequestDecoder, WriteRequestEncoder, encodeLabels, snappyDecode, snappyEncode } from './index.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const SERIES = 100_000;
const PER_REQUEST = 2_000;

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const NET = ['receive_bytes', 'receive_packets', 'receive_errs', 'receive_drop', 'transmit_bytes', 'transmit_packets', 'transmit_errs', 'transmit_drop'];
const DISK = ['reads_completed', 'writes_completed', 'read_bytes', 'written_bytes', 'io_time_seconds', 'read_time_seconds', 'write_time_seconds', 'io_now'];
const FS = ['avail_bytes', 'free_bytes', 'size_bytes', 'files', 'files_free', 'readonly', 'device_error'];
const MOUNTS: [string, string, string][] = [
  ['/dev/nvme0n1p1', 'ext4', '/'],
  ['/dev/nvme0n1p2', 'ext4', '/var/lib/docker'],
  ['tmpfs', 'tmpfs', '/run'],
  ['/dev/nvme1n1', 'xfs', '/data'],
];
const LE = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/**
 * Label sets of node_exporter-like series (415 per host: 100k is 241 hosts), sorted flat [name, value, …]: per host CPU, network,
 * disk and filesystem families, ~100 single gauges (144 metric names in all) and one classic
 * histogram, with the job/instance labels a scrape adds.
 */
export function nodeExporterSeries(n = SERIES): string[][] {
  const out: string[][] = [];
  const sorted = (rec: Record<string, string>): string[] => {
    const flat: string[] = [];
    for (const k of Object.keys(rec).sort()) flat.push(k, rec[k]!);
    return flat;
  };
  for (let h = 0; out.length < n; h++) {
    const base = { instance: `ip-10-0-${h % 256}-${(h * 7) % 256}.ec2.internal:9100`, job: 'node-exporter' };
    const host: Record<string, string>[] = [];
    for (let cpu = 0; cpu < 16; cpu++) for (const mode of CPU_MODES) host.push({ __name__: 'node_cpu_seconds_total', cpu: String(cpu), mode });
    for (const m of NET) for (const device of ['eth0', 'eth1', 'eth2', 'eth3', 'lo', 'docker0']) host.push({ __name__: `node_network_${m}_total`, device });
    for (const m of DISK) for (const device of ['nvme0n1', 'nvme1n1']) host.push({ __name__: `node_disk_${m}_total`, device });
    for (const m of FS) for (const [device, fstype, mountpoint] of MOUNTS) host.push({ __name__: `node_filesystem_${m}`, device, fstype, mountpoint });
    for (let g = 0; g < 125; g++) host.push({ __name__: `node_gauge_metric_number_${g}` });
    for (const handler of ['/metrics', '/api/v1/query', '/api/v1/push', '/ready', '/']) {
      for (const le of LE) host.push({ __name__: 'http_request_duration_seconds_bucket', handler, le });
      host.push({ __name__: 'http_request_duration_seconds_sum', handler });
      host.push({ __name__: 'http_request_duration_seconds_count', handler });
    }
    for (const rec of host) {
      if (out.length === n) break;
      out.push(sorted({ ...base, ...rec }));
    }
  }
  return out;
}

/** Pre-encoded request bodies (uncompressed and snappy) covering every series once, 1 sample each. */
export function encodeBodies(series: readonly string[][], t: number): { raw: Uint8Array[]; compressed: Uint8Array[] } {
  const r = rng(7);
  const enc = new WriteRequestEncoder();
  const raw: Uint8Array[] = [];
  for (let i = 0; i < series.length; i += PER_REQUEST) {
    enc.reset();
    for (let j = i; j < Math.min(series.length, i + PER_REQUEST); j++) {
      // Counters with two decimals and integer gauges, as node_exporter's values look.
      const v = j % 3 === 0 ? Math.round(r() * 1e8) / 100 : Math.floor(r() * 1e9);
      enc.sampleSeries(encodeLabels(series[j]!), t + Math.floor(r() * 15_000), v);
    }
    raw.push(enc.finish());
  }
  return { raw, compressed: raw.map(snappyEncode) };
}

let sink = 0;

function shuffle<T>(a: readonly T[], r: () => number): T[] {
  const out = a.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Best-of-rounds ns per sample of `fn`, which handles `samples` samples per call. */
function nsPerSample(samples: number, fn: () => void, seconds = 0.3): number {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = Number(process.hrtime.bigint() - start);
    } while (elapsed < seconds * 1e9);
    best = Math.min(best, elapsed / (calls * samples));
  }
  return best;
}

type Uncompress = (b: Uint8Array) => Uint8Array;

async function optionalSnappies(): Promise<[string, Uncompress][]> {
  const out: [string, Uncompress][] = [];
  try {
    const napi = await import('snappy');
    out.push(['snappy (napi)', (b) => napi.uncompressSync(b) as Uint8Array]);
  } catch {
    // not installed: skipped
  }
  try {
    const js = createRequire(import.meta.url)('snappyjs') as { uncompress(b: Uint8Array): Uint8Array };
    out.push(['snappyjs', (b) => js.uncompress(b)]);
  } catch {
    // not installed: skipped
  }
  return out;
}

async function protobufjsDecode(): Promise<((b: Uint8Array) => unknown) | undefined> {
  try {
    const protobuf = (await import('protobufjs')).default;
    const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/prometheus/remote.proto', import.meta.url)));
    const wr = root.lookupType('prometheus.WriteRequest');
    return (b) => wr.decode(b);
  } catch {
    return undefined;
  }
}

export async function runDecodeBench(opts: { series?: number } = {}): Promise<BenchResult[]> {
  const series = nodeExporterSeries(opts.series ?? SERIES);
  const { raw, compressed } = encodeBodies(series, 1_717_000_000_000);
  const samples = series.length;
  const rawBytes = raw.reduce((a, b) => a + b.length, 0);
  const snappyBytes = compressed.reduce((a, b) => a + b.length, 0);
  const rows: BenchResult[] = [
    { name: 'rw_raw_bytes_per_sample', value: +(rawBytes / samples).toFixed(1), unit: 'bytes' },
    { name: 'rw_snappy_bytes_per_sample', value: +(snappyBytes / samples).toFixed(1), unit: 'bytes' },
  ];
  const ns = (name: string, v: number) => rows.push({ name, value: +v.toFixed(1), unit: 'ns/sample' });

  // Snappy: every body once per call; ours decodes into one scratch buffer, as a receiver would.
  const scratch = new Uint8Array(1 << 20);
  const ours = nsPerSample(samples, () => {
    for (const c of compressed) sink += snappyDecode(c, { into: scratch }).length;
  });
  ns('rw_snappy_decode_strata', ours);
  for (const [name, un] of await optionalSnappies()) {
    ns(`rw_snappy_decode_${name.replace(/\W+/g, '_').replace(/_$/, '')}`, nsPerSample(samples, () => {
      for (const c of compressed) sink += un(c).length;
    }));
  }

  // Protobuf, warm: the decoder has seen every series (the steady state of a distributor).
  const dec = new WriteRequestDecoder();
  const decodeAll = (d: WriteRequestDecoder) => () => {
    for (const b of raw) {
      const r = d.decode(b);
      sink += r.sampleCount + r.seriesHashLo[0]!;
    }
  };
  const warm = nsPerSample(samples, decodeAll(dec));
  ns('rw_decode_strata_warm', warm);
  // The same series in another order in every request: the decoder's next-series prediction
  // misses and each label set is found by hash (the worst case for a warm decoder).
  const shuffled = encodeBodies(shuffle(series, rng(3)), 1_717_000_015_000).raw;
  ns('rw_decode_strata_warm_shuffled', nsPerSample(samples, () => {
    for (const b of shuffled) sink += dec.decode(b).sampleCount;
  }));
  // No series cache: labels through the string interner, hash over the strings, per series.
  ns('rw_decode_strata_no_series_cache', nsPerSample(samples, decodeAll(new WriteRequestDecoder({ seriesCacheEntries: 0 }))));
  // Cold: a new decoder per pass (every label set decoded and hashed; includes building the cache).
  ns('rw_decode_strata_cold', nsPerSample(samples, () => decodeAll(new WriteRequestDecoder())(), 0.6));
  ns('rw_snappy_plus_decode_strata', nsPerSample(samples, () => {
    for (const c of compressed) {
      const r = dec.decode(snappyDecode(c, { into: scratch }));
      sink += r.sampleCount;
    }
  }));
  // An HA Prometheus' requests (cluster and __replica__ external labels on every series), as the
  // distributor takes them from the elected replica: decoded, then the replica label dropped.
  const ha = encodeBodies(series.map((l) => [...l, 'cluster', 'prom-1', '__replica__', 'prom-1-a']), 1_717_000_030_000).raw;
  const haDec = new WriteRequestDecoder();
  ns('rw_decode_strata_warm_ha', nsPerSample(samples, () => {
    for (const b of ha) sink += haDec.decode(b).sampleCount;
  }));
  ns('rw_decode_strata_warm_ha_drop_replica', nsPerSample(samples, () => {
    for (const b of ha) {
      const r = haDec.decode(b);
      sink += haDec.dropLabel('__replica__') + r.seriesHashLo[0]!;
    }
  }));
  const pbjs = await protobufjsDecode();
  if (pbjs !== undefined) {
    const pb = nsPerSample(samples, () => {
      for (const b of raw) sink += (pbjs(b) as { timeseries: unknown[] }).timeseries.length;
    });
    ns('rw_decode_protobufjs', pb);
    rows.push({ name: 'rw_decode_protobufjs_over_strata', value: +(pb / warm).toFixed(1), unit: 'x' });
  }
  if (sink === 42) console.log(sink); // keep the work observable
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await runDecodeBench()) console.log(`${r.name.padEnd(36)} ${String(r.value).padStart(10)} ${r.unit}`);
}
