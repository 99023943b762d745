// Drives a real Prometheus (the Debian 2.42 binary) for the PromQL bench: starts it on a free
// loopback port with an empty config, feeds it samples by remote write 1.0 and runs queries
// through its HTTP API with `stats=all`, whose evalTotalTime is the engine's own time.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snappyEncode } from '../../remotewrite/index.ts';

export interface PromSample {
  metric: Record<string, string>;
  /** [seconds, value] pairs; one for vectors. */
  values: [number, string][];
}

export interface PromQueryResult {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: PromSample[];
  /** stats.timings.evalTotalTime, ms. */
  evalMs: number;
  /** Client-side round trip (HTTP + JSON both ways), ms. */
  roundTripMs: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Prometheus {
  private stderr = '';
  private exited = false;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly url: string,
  ) {
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    proc.once('exit', () => {
      this.exited = true;
    });
  }

  /** Starts Prometheus and waits until /-/ready answers 200. */
  static async start(binary = 'prometheus'): Promise<Prometheus> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-bench-prom-'));
    const config = join(dir, 'prometheus.yml');
    await writeFile(config, 'global:\n  scrape_interval: 15s\n');
    const port = await freePort();
    const proc = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
    const p = new Prometheus(proc, dir, `http://127.0.0.1:${port}`);
    try {
      await Promise.race([p.waitReady(), spawnError]);
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`prometheus exited: ${this.stderr}`);
      try {
        const res = await fetch(`${this.url}/-/ready`);
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`prometheus not ready after 30s: ${this.stderr}`);
  }

  /** POSTs one protobuf WriteRequest (uncompressed bytes); throws on any non-2xx answer. */
  async remoteWrite(writeRequest: Uint8Array): Promise<void> {
    const res = await fetch(`${this.url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      },
      body: snappyEncode(writeRequest),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`prometheus remote write: ${res.status} ${body}`);
  }

  /** An instant query (t in ms) or, with a range, a range query. */
  async query(q: string, t: number, range?: { start: number; end: number; step: number }): Promise<PromQueryResult> {
    const params = new URLSearchParams({ query: q, stats: 'all' });
    let path = '/api/v1/query';
    if (range) {
      path = '/api/v1/query_range';
      params.set('start', (range.start / 1000).toFixed(3));
      params.set('end', (range.end / 1000).toFixed(3));
      params.set('step', `${range.step / 1000}`);
    } else {
      params.set('time', (t / 1000).toFixed(3));
    }
    const start = performance.now();
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    });
    const text = await res.text();
    const roundTripMs = performance.now() - start;
    if (!res.ok) throw new Error(`prometheus query ${q}: ${res.status} ${text}`);
    const body = JSON.parse(text) as {
      data: {
        resultType: PromQueryResult['resultType'];
        result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
        stats?: { timings?: { evalTotalTime?: number } };
      };
    };
    const evalTotal = body.data.stats?.timings?.evalTotalTime;
    if (evalTotal === undefined) throw new Error('prometheus answered without stats.timings.evalTotalTime');
    return {
      resultType: body.data.resultType,
      result: body.data.result.map((r) => ({ metric: r.metric, values: r.values ?? (r.value ? [r.value] : []) })),
      evalMs: evalTotal * 1000,
      roundTripMs,
    };
  }

  /** Stops Prometheus (SIGTERM, then SIGKILL after 10s) and removes its data. */
  async stop(): Promise<void> {
    if (!this.exited && this.proc.pid !== undefined) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
