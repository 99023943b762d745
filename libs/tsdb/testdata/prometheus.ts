// Test helper: a real Prometheus (the Debian 2.42 binary) on a free loopback port with its own
// TSDB directory, fed native histograms by remote write 1.0 (a minimal hand-written encoder of
// prometheus.WriteRequest with TimeSeries.histograms, literal-only snappy), and read through its
// HTTP API (query_range, the admin snapshot). Used by the interop tests only.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FloatHistogram, Labels } from '../../model/index.ts';

export const HAS_PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0;

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

/** A histogram as sent: integer (deltas on the wire) or float (absolute counts on the wire). */
export interface SentHistogram {
  t: number;
  h: FloatHistogram;
  float: boolean;
}

// ---- protobuf ----

class Proto {
  private parts: number[] = [];

  varint(n: number): this {
    // Non-negative integers below 2^53.
    while (n >= 0x80) {
      this.parts.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.parts.push(n);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  zigzag(n: number): this {
    return this.varint(n >= 0 ? 2 * n : -2 * n - 1);
  }

  double(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    for (const x of b) this.parts.push(x);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const RESET_HINT = { unknown: 0, reset: 1, not_reset: 2, gauge: 3 } as const;

function encodeHistogram(s: SentHistogram): Uint8Array {
  const { h } = s;
  const p = new Proto();
  if (s.float) p.tag(2, 1).double(h.count);
  else p.tag(1, 0).varint(h.count);
  p.tag(3, 1).double(h.sum);
  p.tag(4, 0).zigzag(h.schema);
  p.tag(5, 1).double(h.zeroThreshold);
  if (s.float) p.tag(7, 1).double(h.zeroCount);
  else p.tag(6, 0).varint(h.zeroCount);
  const side = (spansField: number, spans: FloatHistogram['positiveSpans'], buckets: number[]) => {
    for (const sp of spans) p.bytes(spansField, new Proto().tag(1, 0).zigzag(sp.offset).tag(2, 0).varint(sp.length).finish());
    if (buckets.length === 0) return;
    const packed = new Proto();
    let prev = 0;
    for (const c of buckets) {
      if (s.float) packed.double(c);
      else packed.zigzag(c - prev);
      prev = c;
    }
    p.bytes(s.float ? spansField + 2 : spansField + 1, packed.finish());
  };
  side(8, h.negativeSpans, h.negativeBuckets);
  side(11, h.positiveSpans, h.positiveBuckets);
  p.tag(14, 0).varint(RESET_HINT[h.counterResetHint]);
  p.tag(15, 0).varint(s.t);
  return p.finish();
}

/** A WriteRequest with one TimeSeries per series, each carrying histograms only. */
export function encodeHistogramWriteRequest(series: readonly { labels: Labels; histograms: readonly SentHistogram[] }[]): Uint8Array {
  const req = new Proto();
  for (const s of series) {
    const ts = new Proto();
    s.labels.forEach((name, value) => ts.bytes(1, new Proto().bytes(1, Buffer.from(name)).bytes(2, Buffer.from(value)).finish()));
    for (const h of s.histograms) ts.bytes(4, encodeHistogram(h));
    req.bytes(1, ts.finish());
  }
  return req.finish();
}

/** One snappy block made of literals only (valid snappy; no compression needed on loopback). */
function snappyEncode(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let n = src.length; ; ) {
    if (n < 0x80) {
      out.push(n);
      break;
    }
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  for (let i = 0; i < src.length; i += 65536) {
    const len = Math.min(65536, src.length - i);
    const l = len - 1;
    if (l < 60) out.push(l << 2);
    else if (l < 256) out.push(60 << 2, l);
    else out.push(61 << 2, l & 0xff, l >>> 8);
    for (let k = 0; k < len; k++) out.push(src[i + k]!);
  }
  return Uint8Array.from(out);
}

// ---- the server ----

/** A bucket as Prometheus' JSON API shows it: [boundary rule, lower, upper, count]. */
export type ApiBucket = [number, string, string, string];
export interface ApiHistogram {
  count: string;
  sum: string;
  buckets?: ApiBucket[];
}

export class PrometheusServer {
  private stderr = '';
  private exited = false;

  private constructor(
    private readonly proc: ChildProcess,
    readonly root: string,
    readonly url: string,
  ) {
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    proc.once('exit', () => {
      this.exited = true;
    });
  }

  /** The TSDB directory. */
  get dataDir(): string {
    return join(this.root, 'data');
  }

  /**
   * Starts Prometheus with native histograms, the remote-write receiver and the admin API, an
   * uncompressed WAL, on `root/data` (prepared by `prepare`, e.g. with blocks or a WAL of ours).
   */
  static async start(prepare?: (dataDir: string) => Promise<void>): Promise<PrometheusServer> {
    const root = await mkdtemp(join(tmpdir(), 'strata-prom-'));
    const config = join(root, 'prometheus.yml');
    await writeFile(config, 'global:\n  scrape_interval: 15s\n');
    if (prepare) await prepare(join(root, 'data'));
    const port = await freePort();
    const proc = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(root, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=native-histograms',
        '--web.enable-remote-write-receiver',
        '--web.enable-admin-api',
        '--no-storage.tsdb.wal-compression',
        '--storage.tsdb.retention.time=3650d',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
    const p = new PrometheusServer(proc, root, `http://127.0.0.1:${port}`);
    try {
      await Promise.race([p.waitReady(), spawnError]);
    } catch (err) {
      await p.stop();
      throw err;
    }
    return p;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
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
    throw new Error(`prometheus not ready after 60s: ${this.stderr}`);
  }

  /** POSTs a WriteRequest; throws on a non-2xx answer. */
  async remoteWrite(writeRequest: Uint8Array): Promise<void> {
    const res = await fetch(`${this.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      body: snappyEncode(writeRequest),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`prometheus remote write: ${res.status} ${body}`);
  }

  /** A range query (ms); the matrix as Prometheus returns it. */
  async queryRange(
    q: string,
    start: number,
    end: number,
    step: number,
  ): Promise<{ metric: Record<string, string>; values?: [number, string][]; histograms?: [number, ApiHistogram][] }[]> {
    const params = new URLSearchParams({ query: q, start: (start / 1000).toFixed(3), end: (end / 1000).toFixed(3), step: `${step / 1000}` });
    const res = await fetch(`${this.url}/api/v1/query_range`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString() });
    const text = await res.text();
    if (!res.ok) throw new Error(`prometheus query ${q}: ${res.status} ${text}`);
    return (JSON.parse(text) as { data: { result: [] } }).data.result;
  }

  /** An instant query at t (ms); the result as Prometheus returns it. */
  async query(q: string, t: number): Promise<{ metric: Record<string, string>; values?: [number, string][]; histograms?: [number, ApiHistogram][] }[]> {
    const params = new URLSearchParams({ query: q, time: (t / 1000).toFixed(3) });
    const res = await fetch(`${this.url}/api/v1/query`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: params.toString() });
    const text = await res.text();
    if (!res.ok) throw new Error(`prometheus query ${q}: ${res.status} ${text}`);
    return (JSON.parse(text) as { data: { result: [] } }).data.result;
  }

  /** Writes the head (and blocks) into a snapshot (admin API); returns its directory. */
  async snapshot(): Promise<string> {
    const res = await fetch(`${this.url}/api/v1/admin/tsdb/snapshot`, { method: 'POST' });
    const text = await res.text();
    if (!res.ok) throw new Error(`prometheus snapshot: ${res.status} ${text}`);
    return join(this.dataDir, 'snapshots', (JSON.parse(text) as { data: { name: string } }).data.name);
  }

  /** Stops Prometheus (SIGTERM; SIGKILL after 10s, or at once with `kill`); `keep` leaves the files. */
  async stop(opts: { kill?: boolean; keep?: boolean } = {}): Promise<void> {
    if (!this.exited && this.proc.pid !== undefined) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      this.proc.kill(opts.kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!opts.keep) await rm(this.root, { recursive: true, force: true });
  }
}
