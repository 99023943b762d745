// `strata tool local-cluster`: a real multi-process cluster on one machine, without Docker. It
// starts `nats-server -js` for the rings, then every Strata process as its own OS process on its
// own ports, writes DIR/cluster.json once all are ready, and stops everything on SIGTERM/SIGINT.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { S3Server } from './s3server.ts';
import type { ToolCommand, ToolIO } from './types.ts';

/** The bucket of `--s3`. */
const S3_BUCKET = 'strata';

const USAGE =
  'strata tool local-cluster --dir DIR [--ingesters 3] [--distributors 2] [--queriers 1] [--compactors 0] [--store-gateways 0] [--s3] [--replication-factor 3] [--base-port 19000] [-- extra flags]';

/** bin/strata.mjs of this checkout. */
const STRATA_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/strata.mjs');

/** How long one process may take to become ready. */
const READY_TIMEOUT_MS = 60_000;
/** How long a process may take to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface LocalClusterOptions {
  readonly dir: string;
  readonly ingesters: number;
  readonly distributors: number;
  readonly queriers: number;
  readonly compactors: number;
  readonly storeGateways: number;
  /** Start an S3-compatible server (s3rver) on base+999 and keep the blocks there. */
  readonly s3: boolean;
  readonly replicationFactor: number;
  /** NATS listens here; process i (1-based) serves HTTP on base+i and gRPC on base+500+i. */
  readonly basePort: number;
  /** Flags given to every Strata process after the cluster's own. */
  readonly extraFlags: readonly string[];
}

/** One entry of cluster.json's `processes` (a contract: scripts outside the project read it). */
export interface ClusterProcess {
  name: string;
  target: string;
  pid: number;
  http: string;
  grpc: string;
  /** The command line (after `node`), so a test can restart a process it killed. */
  args: string[];
  log: string;
}

export interface ClusterFile {
  pushUrl: string;
  queryUrl: string;
  processes: ClusterProcess[];
  nats: { url: string; pid: number; cmd: string; args: string[]; log: string };
  /** With --s3: the S3 endpoint (http, path-style), bucket and credentials. */
  s3?: { endpoint: string; bucket: string; pid: number; dataDir: string };
}

/** nats-server from PATH, else Debian's /usr/sbin/nats-server (not on every PATH). */
function natsServerBin(env: ToolIO['env']): string {
  if (env.NATS_SERVER) return env.NATS_SERVER;
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return dirs.some((d) => existsSync(join(d, 'nats-server'))) ? 'nats-server' : '/usr/sbin/nats-server';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
export function stopProcess(child: ChildProcess, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

async function waitReady(url: string, child: ChildProcess, what: string, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`${what} exited (code ${child.exitCode ?? child.signalCode}) before it was ready; see ${logFile}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS} ms; see ${logFile}`);
}

/** Resolves once `http`'s view of the ingester ring has `n` healthy ACTIVE ingesters. */
async function waitRing(http: string, n: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let seen = 0;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${http}/ingester/ring`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(2_000) });
      const doc = (await res.json()) as { shards: { state: string; healthy: boolean }[] };
      seen = doc.shards.filter((s) => s.state === 'ACTIVE' && s.healthy).length;
      if (seen >= n) return;
    } catch {
      // Retried below.
    }
    await sleep(100);
  }
  throw new Error(`the ring seen by ${http} has ${seen} of ${n} ingesters ACTIVE after ${READY_TIMEOUT_MS} ms`);
}

export class LocalCluster {
  private readonly children: { name: string; child: ChildProcess }[] = [];
  private nats: ChildProcess | undefined;
  private s3: S3Server | undefined;
  private stopping = false;
  readonly file: string;

  constructor(
    readonly opts: LocalClusterOptions,
    private readonly io: ToolIO,
  ) {
    this.file = join(opts.dir, 'cluster.json');
  }

  /** Starts NATS and every process, waits until all are ready, writes cluster.json. */
  async start(): Promise<ClusterFile> {
    const o = this.opts;
    mkdirSync(o.dir, { recursive: true });
    rmSync(this.file, { force: true });
    const natsUrl = `nats://127.0.0.1:${o.basePort}`;
    const natsLog = join(o.dir, 'nats.log');
    const natsDir = join(o.dir, 'nats');
    mkdirSync(natsDir, { recursive: true });
    const natsCmd = natsServerBin(this.io.env);
    const natsArgs = ['-js', '-a', '127.0.0.1', '-p', String(o.basePort), '-sd', natsDir];
    this.nats = this.spawnLogged('nats-server', natsCmd, natsArgs, natsLog);
    await this.waitNats(natsLog);
    let bucketFlags = [`--blocks-storage.filesystem.dir=${join(o.dir, 'bucket')}`];
    if (o.s3) {
      const { startS3Server, S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY } = await import('./s3server.ts');
      this.s3 = await startS3Server({ port: o.basePort + 999, dataDir: join(o.dir, 's3') });
      await this.s3.createBucket(S3_BUCKET);
      bucketFlags = [
        '--blocks-storage.backend=s3', `--blocks-storage.s3.endpoint=${this.s3.endpoint}`, `--blocks-storage.s3.bucket-name=${S3_BUCKET}`,
        '--blocks-storage.s3.insecure', '--blocks-storage.s3.bucket-lookup-type=path', `--blocks-storage.s3.access-key-id=${S3RVER_ACCESS_KEY_ID}`,
        `--blocks-storage.s3.secret-access-key=${S3RVER_SECRET_ACCESS_KEY}`, '--blocks-storage.s3.region=us-east-1',
      ];
    }

    const plan: { name: string; target: string }[] = [];
    for (let i = 1; i <= o.ingesters; i++) plan.push({ name: `ingester-${i}`, target: 'ingester' });
    for (let i = 1; i <= o.distributors; i++) plan.push({ name: `distributor-${i}`, target: 'distributor' });
    for (let i = 1; i <= o.queriers; i++) plan.push({ name: `querier-${i}`, target: 'querier' });
    for (let i = 1; i <= o.compactors; i++) plan.push({ name: `compactor-${i}`, target: 'compactor' });
    for (let i = 1; i <= o.storeGateways; i++) plan.push({ name: `store-gateway-${i}`, target: 'store-gateway' });

    const processes: ClusterProcess[] = plan.map((p, k) => {
      const http = `127.0.0.1:${o.basePort + 1 + k}`;
      const grpc = `127.0.0.1:${o.basePort + 501 + k}`;
      const args = [
        STRATA_BIN,
        `--target=${p.target}`,
        '--server.http-listen-address=127.0.0.1',
        `--server.http-listen-port=${o.basePort + 1 + k}`,
        '--server.grpc-listen-address=127.0.0.1',
        `--server.grpc-listen-port=${o.basePort + 501 + k}`,
        `--storage.dir=${join(o.dir, p.name)}`,
        '--ingester.ring.kvstore.store=nats',
        `--ingester.ring.kvstore.nats.url=${natsUrl}`,
        `--ingester.ring.replication-factor=${o.replicationFactor}`,
        `--ingester.ring.instance-id=${p.name}`,
        // One bucket for the whole cluster (each process has its own storage.dir).
        ...bucketFlags,
        '--compactor.sharding-ring.kvstore.store=nats',
        `--compactor.sharding-ring.kvstore.nats.url=${natsUrl}`,
        `--compactor.sharding-ring.instance-id=${p.name}`,
        '--store-gateway.sharding-ring.kvstore.store=nats',
        `--store-gateway.sharding-ring.kvstore.nats.url=${natsUrl}`,
        `--store-gateway.sharding-ring.instance-id=${p.name}`,
        '--store-gateway.sharding-ring.instance-addr=127.0.0.1',
        `--store-gateway.sharding-ring.replication-factor=${Math.max(1, Math.min(o.replicationFactor, o.storeGateways))}`,
        // Used only when the HA tracker is enabled (e.g. `-- --distributor.ha-tracker.enable-ha-tracker`).
        '--distributor.ha-tracker.kvstore.store=nats',
        `--distributor.ha-tracker.kvstore.nats.url=${natsUrl}`,
        '--ingester.ring.instance-addr=127.0.0.1',
        ...o.extraFlags,
      ];
      return { name: p.name, target: p.target, pid: 0, http, grpc, args, log: join(o.dir, `${p.name}.log`) };
    });
    // Ingesters first, so that distributors and queriers find them in the ring.
    for (const group of ['ingester', 'store-gateway', 'distributor', 'querier', 'compactor']) {
      const batch = processes.filter((p) => p.target === group);
      for (const p of batch) {
        const child = this.spawnLogged(p.name, process.execPath, p.args, p.log);
        this.children.push({ name: p.name, child });
        p.pid = child.pid ?? 0;
      }
      await Promise.all(batch.map((p) => waitReady(`http://${p.http}/ready`, this.childOf(p.name), p.name, p.log)));
    }
    await Promise.all(processes.filter((p) => p.target === 'distributor' || p.target === 'querier').map((p) => waitRing(p.http, o.ingesters)));

    const distributor = processes.find((p) => p.target === 'distributor');
    const querier = processes.find((p) => p.target === 'querier');
    const doc: ClusterFile = {
      pushUrl: distributor ? `http://${distributor.http}/api/v1/push` : '',
      queryUrl: querier ? `http://${querier.http}/prometheus` : '',
      processes,
      nats: { url: natsUrl, pid: this.nats.pid ?? 0, cmd: natsCmd, args: natsArgs, log: natsLog },
      ...(this.s3 ? { s3: { endpoint: this.s3.endpoint, bucket: S3_BUCKET, pid: this.s3.pid, dataDir: this.s3.dataDir } } : {}),
    };
    // Written whole or not at all: a script polling for the file never reads half of it.
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
    renameSync(`${this.file}.tmp`, this.file);
    return doc;
  }

  private childOf(name: string): ChildProcess {
    return this.children.find((c) => c.name === name)!.child;
  }

  private spawnLogged(name: string, cmd: string, args: readonly string[], logFile: string): ChildProcess {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
      child.on('error', (err) => this.io.stderr(`error: cannot run ${cmd}: ${err.message}\n`));
      child.on('exit', (code, signal) => {
        if (!this.stopping) this.io.stderr(`${name} (pid ${child.pid}) exited: ${signal ?? code}\n`);
      });
      return child;
    } finally {
      closeSync(fd);
    }
  }

  private async waitNats(logFile: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.nats && exited(this.nats)) throw new Error(`nats-server exited before it was ready; see ${logFile}`);
      if (readFileSync(logFile, 'utf8').includes('Server is ready')) return;
      await sleep(50);
    }
    throw new Error(`nats-server was not ready within ${READY_TIMEOUT_MS} ms; see ${logFile}`);
  }

  /** Stops every Strata process (queriers and distributors first), then NATS; removes cluster.json. */
  async stop(): Promise<void> {
    this.stopping = true;
    rmSync(this.file, { force: true });
    const order = [...this.children].reverse();
    await Promise.all(order.filter((c) => !c.name.startsWith('ingester-')).map((c) => stopProcess(c.child)));
    // Ingesters last: the others may still be reading from or writing to them.
    await Promise.all(order.filter((c) => c.name.startsWith('ingester-')).map((c) => stopProcess(c.child)));
    if (this.nats) await stopProcess(this.nats);
    // The S3 data stays in DIR/s3, like the other processes' state.
    if (this.s3) await this.s3.stop();
  }
}

function parseOptions(args: readonly string[]): LocalClusterOptions | string {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const extraFlags = dash >= 0 ? args.slice(dash + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({
      args: [...own],
      options: {
        dir: { type: 'string' },
        ingesters: { type: 'string', default: '3' },
        distributors: { type: 'string', default: '2' },
        queriers: { type: 'string', default: '1' },
        compactors: { type: 'string', default: '0' },
        'store-gateways': { type: 'string', default: '0' },
        s3: { type: 'boolean', default: false },
        'replication-factor': { type: 'string', default: '3' },
        'base-port': { type: 'string', default: '19000' },
      },
      strict: true,
    });
  } catch (e) {
    return (e as Error).message;
  }
  const v = parsed.values;
  if (!v.dir) return 'missing --dir';
  const int = (name: string, s: string, min: number, max: number): number | string => {
    const n = Number(s);
    return Number.isInteger(n) && n >= min && n <= max ? n : `--${name} must be an integer in [${min}, ${max}], got "${s}"`;
  };
  const ingesters = int('ingesters', v.ingesters, 1, 100);
  const distributors = int('distributors', v.distributors, 1, 100);
  const queriers = int('queriers', v.queriers, 0, 100);
  const compactors = int('compactors', v.compactors, 0, 100);
  const storeGateways = int('store-gateways', v['store-gateways'], 0, 100);
  const rf = int('replication-factor', v['replication-factor'], 1, 100);
  const base = int('base-port', v['base-port'], 1024, 65535 - 1000);
  for (const x of [ingesters, distributors, queriers, compactors, storeGateways, rf, base]) if (typeof x === 'string') return x;
  return {
    dir: resolve(v.dir),
    ingesters: ingesters as number,
    distributors: distributors as number,
    queriers: queriers as number,
    compactors: compactors as number,
    storeGateways: storeGateways as number,
    s3: v.s3 === true,
    replicationFactor: rf as number,
    basePort: base as number,
    extraFlags,
  };
}

export async function runLocalCluster(args: readonly string[], io: ToolIO): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`usage: ${USAGE}\n\nRuns nats-server and each Strata process as its own OS process; writes DIR/cluster.json once all are ready; stops on SIGTERM.\n`);
    return 0;
  }
  const opts = parseOptions(args);
  if (typeof opts === 'string') {
    io.stderr(`error: ${opts}\nusage: ${USAGE}\n`);
    return 1;
  }
  const cluster = new LocalCluster(opts, io);
  let stopped: () => void = () => {};
  const done = new Promise<void>((r) => (stopped = r));
  const onSignal = (): void => stopped();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const doc = await Promise.race([cluster.start(), done.then(() => undefined)]);
    if (doc) {
      io.stdout(`cluster ready: push ${doc.pushUrl}, query ${doc.queryUrl}; ${cluster.file}\n`);
      await done;
    }
    await cluster.stop();
    return 0;
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    await cluster.stop();
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

export const localCluster: ToolCommand = {
  name: 'local-cluster',
  summary: 'run a multi-process cluster (nats-server + Strata processes) on this machine',
  run: runLocalCluster,
};
