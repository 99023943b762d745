// Parser throughput on node_exporter-like exposition text (metadata lines, counters and gauges
// with 0–4 labels, a summary, a histogram). Run: node --import tsx <this file>

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EntryType, ExpositionParser } from './index.ts';
import type { ExpositionFormat } from './index.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** promtool's rate on the same page, where there is one. */
  reference?: number;
}

/** A node_exporter-like scrape; OpenMetrics adds float-second timestamps and # EOF. */
export function nodeExporterText(format: ExpositionFormat): { text: string; samples: number } {
  const lines: string[] = [];
  let samples = 0;
  const ts = format === 'openmetrics' ? ' 1700000000.123' : '';
  const family = (name: string, type: string, help: string) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const sample = (s: string, v: string) => {
    lines.push(`${s} ${v}${ts}`);
    samples++;
  };
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.');
  for (let cpu = 0; cpu < 16; cpu++) for (const [i, m] of modes.entries()) sample(`node_cpu_seconds_total{cpu="${cpu}",mode="${m}"}`, `${(123456.78 + cpu * 1000 + i * 17.31).toFixed(2)}`);
  const mounts = ['/', '/boot', '/home', '/var', '/run', '/run/lock', '/run/user/1000', '/snap/core/1'];
  for (const metric of ['avail_bytes', 'free_bytes', 'size_bytes', 'files', 'files_free', 'readonly']) {
    family(`node_filesystem_${metric}`, 'gauge', `Filesystem ${metric.replace('_', ' ')}.`);
    for (const [i, m] of mounts.entries()) sample(`node_filesystem_${metric}{device="/dev/sda${i}",fstype="ext4",mountpoint="${m}"}`, `${(i + 1) * 1.073741824e9}`);
  }
  const devices = ['eth0', 'eth1', 'lo', 'docker0', 'veth1a2b3c', 'wlan0'];
  for (const metric of ['receive_bytes_total', 'transmit_bytes_total', 'receive_packets_total', 'transmit_packets_total', 'receive_errs_total', 'transmit_drop_total']) {
    family(`node_network_${metric}`, 'counter', `Network device statistic ${metric}.`);
    for (const [i, d] of devices.entries()) sample(`node_network_${metric}{device="${d}"}`, `${9876543 * (i + 1)}`);
  }
  const mem = ['Active', 'Buffers', 'Cached', 'Dirty', 'MemAvailable', 'MemFree', 'MemTotal', 'Shmem', 'SwapFree', 'SwapTotal', 'Slab', 'Mapped'];
  for (const m of mem) {
    family(`node_memory_${m}_bytes`, 'gauge', `Memory information field ${m}_bytes.`);
    sample(`node_memory_${m}_bytes`, `${8.589934592e9 - m.length * 1e6}`);
  }
  family('node_load1', 'gauge', '1m load average.');
  sample('node_load1', '0.42');
  family('go_gc_duration_seconds', 'summary', 'A summary of the pause duration of garbage collection cycles.');
  for (const q of ['0', '0.25', '0.5', '0.75', '1']) sample(`go_gc_duration_seconds{quantile="${q}"}`, '4.9351e-05');
  sample('go_gc_duration_seconds_sum', '0.123456');
  sample('go_gc_duration_seconds_count', '1234');
  family('node_scrape_collector_duration_seconds', 'gauge', 'node_exporter: Duration of a collector scrape.');
  for (const c of ['arp', 'bcache', 'bonding', 'cpu', 'diskstats', 'edac', 'filefd', 'filesystem', 'hwmon', 'loadavg', 'meminfo', 'netdev', 'netstat', 'stat', 'time', 'uname', 'vmstat']) {
    sample(`node_scrape_collector_duration_seconds{collector="${c}"}`, '0.000123456');
  }
  family('http_request_duration_seconds', 'histogram', 'Request latency.');
  for (const h of ['/api/v1/query', '/metrics']) {
    for (const le of ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']) sample(`http_request_duration_seconds_bucket{handler="${h}",le="${le}"}`, '42');
    sample(`http_request_duration_seconds_sum{handler="${h}"}`, '12.5');
    sample(`http_request_duration_seconds_count{handler="${h}"}`, '42');
  }
  family('node_uname_info', 'gauge', 'Labeled system information as provided by the uname system call.');
  sample('node_uname_info{domainname="(none)",machine="x86_64",nodename="host-1",release="6.1.0-13-amd64",sysname="Linux",version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"}', '1');
  let text = `${lines.join('\n')}\n`;
  if (format === 'openmetrics') text += '# EOF\n';
  return { text, samples };
}

let sink = 0;

function parse(input: Uint8Array, format: ExpositionFormat, withLabels: boolean): void {
  const p = new ExpositionParser(input, format);
  let acc = 0;
  for (let e = p.next(); e !== undefined; e = p.next()) {
    if (e !== EntryType.Series) continue;
    acc += p.value() + (p.timestamp() ?? 0);
    if (withLabels) acc += p.labels().length;
  }
  sink += acc;
}

/** Best-of-rounds rate of `fn`, which processes `units` items per call. */
function measure(units: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT
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
    best = Math.max(best, (calls * units) / elapsed);
  }
  return best;
}

const PROMTOOL = '/usr/bin/promtool';

/**
 * The reference: Prometheus' own text parser (Go's expfmt, plus promtool's lint) reading `copies`
 * renamed copies of the page from stdin, less promtool's start-up (one copy); samples/s.
 */
function promtoolRate(text: string, samples: number, copies = 40): number | undefined {
  if (!existsSync(PROMTOOL)) return undefined;
  const doc = (n: number) => Array.from({ length: n }, (_, k) => text.replace(/^(# (?:HELP|TYPE) )?([a-z_]+)/gm, `$1c${k}_$2`)).join('');
  const time = (input: string) => {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      spawnSync(PROMTOOL, ['check', 'metrics'], { input, stdio: ['pipe', 'ignore', 'ignore'] });
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return best;
  };
  const one = time(doc(1));
  const many = time(doc(copies));
  return many > one ? ((copies - 1) * samples) / (many - one) : undefined;
}

export function runParserBench(): BenchResult[] {
  const out: BenchResult[] = [];
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const { text, samples } = nodeExporterText(format);
    const input = Buffer.from(text);
    const lines = text.split('\n').length - 1;
    const short = format === 'prometheus' ? 'prom' : 'om';
    const bare = measure(samples, () => parse(input, format, false));
    const full = measure(samples, () => parse(input, format, true));
    const reference = format === 'prometheus' ? promtoolRate(text, samples) : undefined;
    out.push(
      { name: `exposition_${short}_parse`, value: Math.round(bare), unit: 'samples/s' },
      { name: `exposition_${short}_parse_labels`, value: Math.round(full), unit: 'samples/s', ...(reference !== undefined ? { reference: Math.round(reference) } : {}) },
      { name: `exposition_${short}_parse_labels_lines`, value: Math.round((full / samples) * lines), unit: 'lines/s' },
      { name: `exposition_${short}_parse_mb`, value: Math.round(((bare / samples) * input.length) / 1e4) / 100, unit: 'MB/s' },
    );
  }
  if (sink === 42) console.log(sink); // keep the work observable
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of runParserBench()) console.log(`${r.name}\t${r.value.toLocaleString('en-US')} ${r.unit}`);
}
