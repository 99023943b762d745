// The agent's whole hot path, side by side with Prometheus 2.42 in agent mode in the same run:
// 1k targets × 1k series scraped every 15s (one loopback server, targets told apart by a label, as
// static groups with distinct labels are distinct targets in both), remote-written to a sink that
// answers 204. Reports each process' CPU (cores busy) and CPU per sample over whole intervals, after
// two intervals of warm-up (the first creates every series).
// Run: node --import tsx services/agent/agent.bench.ts [--targets=N] [--series=N]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../test/daemon.ts';
import { startStrata } from '../../test/harness.ts';
import { cpuSeconds } from '../../test/procstat.ts';
import { PROMETHEUS, hasPrometheus } from '../../test/prometheus.ts';

export interface AgentBenchOptions {
  targets?: number;
  series?: number;
  /** Scrape interval, ms (default 15s). */
  interval?: number;
  /** Intervals measured after two of warm-up (the first round creates every series; default 2). */
  intervals?: number;
}

interface Row {
  name: string;
  value: number;
  unit: string;
  reference?: number;
}

/** The targets' page and the remote-write sink, in a child process so its CPU is not counted. */
const SERVER = `
import { createServer } from 'node:http';
const [series, targetPort, sinkPort] = process.argv.slice(2).map(Number);
const lines = ['# HELP bench_metric A node_exporter-sized page.', '# TYPE bench_metric gauge'];
for (let i = 0; i < series; i++) lines.push('bench_metric{device="dev' + (i % 16) + '",idx="' + i + '"} ' + (i * 1.5));
const body = lines.join('\\n') + '\\n';
createServer((req, res) => { res.setHeader('Content-Type', 'text/plain; version=0.0.4'); res.end(body); }).listen(targetPort, '127.0.0.1');
createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 204; res.end(); }); }).listen(sinkPort, '127.0.0.1', () => console.log('ready'));
`;

function config(targets: number, targetAddr: string, sinkUrl: string, intervalS: number): string {
  const groups: string[] = [];
  for (let i = 0; i < targets; i++) groups.push(`      - targets: ['${targetAddr}']\n        labels: {t: '${i}'}`);
  return `global:\n  scrape_interval: ${intervalS}s\n  scrape_timeout: ${Math.min(10, intervalS)}s\nscrape_configs:\n  - job_name: bench\n    static_configs:\n${groups.join('\n')}\nremote_write:\n  - url: ${sinkUrl}\n`;
}

async function measure(pid: number, warmMs: number, timedMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, warmMs));
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, timedMs));
  return (cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export async function runAgentBench(opts: AgentBenchOptions = {}): Promise<Row[]> {
  const targets = opts.targets ?? 1000;
  const series = opts.series ?? 1000;
  const interval = opts.interval ?? 15_000;
  const intervals = opts.intervals ?? 2;
  const dir = mkdtempSync(join(tmpdir(), 'strata-agent-bench-'));
  const [targetPort, sinkPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'server.mjs'), SERVER);
  const server = spawn(process.execPath, [join(dir, 'server.mjs'), String(series), String(targetPort), String(sinkPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
  const cfgFile = join(dir, 'prometheus.yml');
  writeFileSync(cfgFile, config(targets, `127.0.0.1:${targetPort}`, `http://127.0.0.1:${sinkPort}/api/v1/write`, interval / 1000));
  const samplesPerSecond = (targets * (series + 5)) / (interval / 1000);
  const label = `agent CPU, ${targets} targets × ${series} series @${interval / 1000}s`;
  try {
    const agent = await startStrata(['--target=agent', `--agent.config-file=${cfgFile}`], { timeoutMs: 60_000 });
    let ours: number;
    try {
      ours = await measure(agent.child.pid!, 2 * interval, intervals * interval);
    } finally {
      await agent.cleanup();
    }
    let theirs: number | undefined;
    if (hasPrometheus()) {
      const port = await freePort();
      const prom = spawn(PROMETHEUS, ['--enable-feature=agent', `--config.file=${cfgFile}`, `--storage.agent.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
      try {
        theirs = await measure(prom.pid!, 2 * interval, intervals * interval);
      } finally {
        prom.kill('SIGKILL');
        await exited(prom);
      }
    }
    const ref = (v: number | undefined) => (v !== undefined ? { reference: v } : {});
    return [
      { name: `${label}: cores busy`, value: ours, unit: 'cores', ...ref(theirs) },
      { name: `${label}: CPU per sample`, value: (ours / samplesPerSecond) * 1e6, unit: 'µs/sample', ...ref(theirs !== undefined ? (theirs / samplesPerSecond) * 1e6 : undefined) },
    ];
  } finally {
    server.kill('SIGKILL');
    await exited(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const a = process.argv.find((x) => x.startsWith(`--${name}=`));
    return a ? Number(a.split('=')[1]) : undefined;
  };
  const rows = await runAgentBench({
    ...(arg('targets') !== undefined ? { targets: arg('targets')! } : {}),
    ...(arg('series') !== undefined ? { series: arg('series')! } : {}),
    ...(arg('interval') !== undefined ? { interval: arg('interval')! } : {}),
  });
  for (const r of rows) console.log(`${r.name.padEnd(64)} ${r.value.toFixed(3).padStart(10)} ${r.unit.padEnd(10)} ${r.reference !== undefined ? `prometheus ${r.reference.toFixed(3)}  ratio ${(r.value / r.reference).toFixed(2)}` : ''}`);
}
