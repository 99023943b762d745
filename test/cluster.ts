// Runs `strata tool local-cluster` for end-to-end tests, as developers and outside scripts do:
// free ports, cluster.json read once it appears, and every process stopped afterwards.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterFile, ClusterProcess } from '../services/strata/index.ts';
import { REPO_ROOT, STRATA_BIN } from './harness.ts';

export type ClusterProcessInfo = ClusterProcess;
export type ClusterInfo = ClusterFile;

export interface RunningCluster {
  readonly dir: string;
  readonly info: ClusterInfo;
  readonly tool: ChildProcess;
  process(name: string): ClusterProcessInfo;
  /** Starts a process again from its cluster.json command line (after the test killed it). */
  restart(name: string): ChildProcess;
  /** Starts nats-server again on the same port and store (after the test killed it). */
  restartNats(): ChildProcess;
  /** The tool's output and every process' log, for failure messages. */
  logs(): string;
  /** SIGTERM to the tool (which stops its processes), processes the test restarted, then cleanup. */
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A base port whose NATS, HTTP (base+1…) and gRPC (base+501…) ports are all free now. */
async function freeBasePort(processes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = [base];
    for (let i = 1; i <= processes; i++) ports.push(base + i, base + 500 + i);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

export function exitOf(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export async function startCluster(
  opts: {
    ingesters?: number; distributors?: number; queriers?: number; compactors?: number; storeGateways?: number; s3?: boolean; rf?: number; flags?: string[];
  } = {},
): Promise<RunningCluster> {
  const ingesters = opts.ingesters ?? 3;
  const distributors = opts.distributors ?? 1;
  const queriers = opts.queriers ?? 1;
  const compactors = opts.compactors ?? 0;
  const storeGateways = opts.storeGateways ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'strata-cluster-'));
  const base = await freeBasePort(ingesters + distributors + queriers + compactors + storeGateways);
  const args = [
    STRATA_BIN, 'tool', 'local-cluster', '--dir', dir, '--ingesters', String(ingesters), '--distributors', String(distributors),
    '--queriers', String(queriers), '--compactors', String(compactors), '--store-gateways', String(storeGateways), '--replication-factor', String(opts.rf ?? 3), '--base-port', String(base),
    ...(opts.s3 ? ['--s3'] : []),
    ...(opts.flags && opts.flags.length > 0 ? ['--', ...opts.flags] : []),
  ];
  let out = '';
  const tool = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  tool.stdout.on('data', (d: Buffer) => (out += d.toString()));
  tool.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const restarted: ChildProcess[] = [];
  const file = join(dir, 'cluster.json');

  const logs = (): string => {
    let text = `--- local-cluster\n${out}`;
    for (const f of ['nats.log', ...(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo).processes.map((p) => `${p.name}.log`) : [])]) {
      const p = join(dir, f);
      if (existsSync(p)) text += `\n--- ${f}\n${readFileSync(p, 'utf8').slice(-4000)}`;
    }
    return text;
  };
  const stop = async (): Promise<void> => {
    if (tool.exitCode === null && tool.signalCode === null) {
      tool.kill('SIGTERM');
      await exitOf(tool, 60_000).catch(() => tool.kill('SIGKILL'));
    }
    for (const c of restarted) {
      c.kill('SIGTERM');
      await exitOf(c, 20_000).catch(() => c.kill('SIGKILL'));
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 120_000;
  while (!existsSync(file)) {
    if (tool.exitCode !== null || Date.now() > deadline) {
      const why = tool.exitCode !== null ? `exited with ${tool.exitCode}` : 'timed out';
      const text = logs();
      await stop();
      throw new Error(`local-cluster ${why}\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
  const spawnLogged = (cmd: string, a: readonly string[], log: string): ChildProcess => {
    const fd = openSync(log, 'a');
    try {
      const c = spawn(cmd, a, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
      restarted.push(c);
      return c;
    } finally {
      closeSync(fd);
    }
  };
  const find = (name: string): ClusterProcessInfo => {
    const p = info.processes.find((x) => x.name === name);
    if (!p) throw new Error(`no process ${name} in cluster.json`);
    return p;
  };
  return {
    dir,
    info,
    tool,
    process: find,
    restart: (name) => spawnLogged(process.execPath, find(name).args, find(name).log),
    restartNats: () => spawnLogged(info.nats.cmd, info.nats.args, info.nats.log),
    logs,
    stop,
  };
}
