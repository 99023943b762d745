// End-to-end remote-write ingest: a load generator (pre-encoded snappy bodies, node_exporter-like
// series, 2,000 series × 1 sample per request, 8 in flight) against `strata` (target all, as
// `npm start` runs it) and against Prometheus 2.42 (--web.enable-remote-write-receiver) in the
// same run. Reports samples/s, server CPU per million samples and peak RSS of each.
// Run: node --no-allocation-site-pretenuring --import tsx services/distributor/ingest.bench.ts [--series=N] [--rounds=N]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { encodeWriteRequest, snappyEncode } from '../../libs/remotewrite/index.ts';
import { nextValue, nodeSeries, rng, type GeneratedSeries } from '../../libs/tsdb/bench/nodegen.ts';
import { startStrata } from '../../test/harness.ts';
import { cpuSeconds } from '../../test/procstat.ts';
import { hasPrometheus, startPrometheus } from '../../test/prometheus.ts';

export interface IngestBenchOptions {
  /** Series (default 100,000). */
  series?: number;
  /** Scrape rounds sent (default 10). */
  rounds?: number;
  concurrency?: number;
}

interface Row {
  name: string;
  value: number;
  unit: string;
  reference?: number;
}

const BATCH = 2_000;
const INTERVAL = 15_000;

/** Pre-encoded request bodies, round by round: each round one sample per series. */
function bodies(series: readonly GeneratedSeries[], rounds: number, end: number): Uint8Array[][] {
  const r = rng(42);
  const values = series.map(() => r() * 1000);
  const out: Uint8Array[][] = [];
  for (let round = 0; round < rounds; round++) {
    const t = end - (rounds - 1 - round) * INTERVAL;
    const reqs: Uint8Array[] = [];
    for (let b = 0; b < series.length; b += BATCH) {
      const timeseries = [];
      for (let i = b; i < Math.min(series.length, b + BATCH); i++) {
        values[i] = nextValue(series[i]!.kind, values[i]!, r);
        timeseries.push({ labels: series[i]!.labels, samples: [{ value: values[i]!, timestamp: t }] });
      }
      reqs.push(snappyEncode(encodeWriteRequest({ timeseries })));
    }
    out.push(reqs);
  }
  return out;
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function load(url: string, all: Uint8Array[][], concurrency: number): Promise<number> {
  const queue = all.flat();
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < queue.length) {
      const body = queue[next++]!;
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - start) / 1000;
}

async function measure(name: string, url: string, pid: number, warm: Uint8Array[][], timed: Uint8Array[][], concurrency: number) {
  await load(url, warm, concurrency);
  const cpu0 = cpuSeconds(pid);
  const secs = await load(url, timed, concurrency);
  const cpu = cpuSeconds(pid) - cpu0;
  return { name, secs, cpu, rss: peakRssMiB(pid) };
}

export async function runIngestBench(opts: IngestBenchOptions = {}): Promise<Row[]> {
  const n = opts.series ?? 100_000;
  const rounds = opts.rounds ?? 10;
  const concurrency = opts.concurrency ?? 8;
  const series = nodeSeries(n);
  const end = Math.floor(Date.now() / INTERVAL) * INTERVAL;
  // The first round creates the series (warm-up); the timed rounds append to existing series.
  const all = bodies(series, rounds + 1, end);
  const warm = all.slice(0, 1);
  const timed = all.slice(1);
  const samples = n * rounds;
  const bytes = timed.flat().reduce((a, b) => a + b.length, 0);
  process.stderr.write(`  ingest: ${n} series, ${rounds} timed rounds, ${timed.flat().length} requests, ${(bytes / samples).toFixed(1)} B/sample compressed\n`);

  const strata = await startStrata(['--limits.ingestion-rate=1000000000', '--limits.ingestion-burst-size=1000000000', '--limits.max-global-series-per-user=0'], { timeoutMs: 60_000 });
  let s;
  try {
    s = await measure('strata', `${strata.url}/api/v1/push`, strata.child.pid!, warm, timed, concurrency);
  } finally {
    await strata.cleanup();
  }
  let p: Awaited<ReturnType<typeof measure>> | undefined;
  if (hasPrometheus()) {
    const prom = await startPrometheus('global:\n  scrape_interval: 15s\n', 30_000, ['--web.enable-remote-write-receiver']);
    try {
      p = await measure('prometheus', `${prom.url}/api/v1/write`, prom.pid, warm, timed, concurrency);
    } finally {
      await prom.stop();
    }
  }
  const rows: Row[] = [
    { name: `remote-write ingest, ${n / 1000}k series, 2000/request, ${concurrency} in flight`, value: Math.round(samples / s.secs), unit: 'samples/s', ...(p ? { reference: Math.round(samples / p.secs) } : {}) },
    { name: 'remote-write ingest, server CPU per 1M samples', value: +((s.cpu / samples) * 1e6).toFixed(2), unit: 'CPU s', ...(p ? { reference: +((p.cpu / samples) * 1e6).toFixed(2) } : {}) },
    { name: 'remote-write ingest, server peak RSS', value: Math.round(s.rss), unit: 'MiB', ...(p ? { reference: Math.round(p.rss) } : {}) },
  ];
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
  const rows = await runIngestBench({ series: arg('series') ? Number(arg('series')) : undefined, rounds: arg('rounds') ? Number(arg('rounds')) : undefined });
  for (const r of rows) console.log(`${r.name.padEnd(70)} ${String(r.value).padStart(12)} ${r.unit.padEnd(10)} ${r.reference !== undefined ? `prometheus ${r.reference}  ratio ${(r.value / r.reference).toFixed(2)}` : ''}`);
}
