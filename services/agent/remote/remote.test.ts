// The agent's write path end to end on one machine: AgentStorage (a real WAL on disk) → queue
// managers → a real HTTP receiver on loopback that decodes every request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Labels } from '../../../libs/model/index.ts';
import { listSegments } from '../../../libs/tsdb/wal/index.ts';
import { parseAgentConfig, type RemoteWriteConfig } from '../config.ts';
import { AgentStorage } from '../wal_storage.ts';
import { RemoteStorage } from './remote_storage.ts';
import type { MetadataOptions } from './queue_manager.ts';
import { TestReceiver, waitFor, type Received } from './testing.ts';

function rwConfig(url: string, extra = '', queue = ''): RemoteWriteConfig {
  const yaml = `
remote_write:
  - url: ${url}
${extra}
    queue_config:
      batch_send_deadline: 20ms
      min_backoff: 5ms
      max_backoff: 40ms
      max_samples_per_send: 100
      capacity: 500
${queue}
`;
  return parseAgentConfig(yaml).remoteWrite[0]!;
}

interface Agent {
  storage: AgentStorage;
  remote: RemoteStorage;
  registry: Registry;
  stop(flushDeadline?: number): Promise<void>;
}

async function startAgent(
  dir: string,
  configs: RemoteWriteConfig[],
  opts: { external?: Record<string, string>; segmentSize?: number; flushDeadline?: number; metadata?: MetadataOptions } = {},
): Promise<Agent> {
  const registry = new Registry();
  let remote: RemoteStorage | undefined;
  const storage = new AgentStorage({
    dataDir: dir,
    truncateInterval: 0,
    fsync: 'never',
    registry,
    retainFrom: () => remote?.retainFrom(),
    ...(opts.segmentSize ? { segmentSize: opts.segmentSize } : {}),
  });
  remote = new RemoteStorage({
    dataDir: dir,
    subscribe: (fn) => storage.onWrite(fn),
    registry,
    pollInterval: 50,
    flushDeadline: opts.flushDeadline ?? 10_000,
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
  });
  await storage.start();
  await remote.applyConfig(configs, opts.external ?? {});
  await remote.start();
  const r = remote;
  return {
    storage,
    remote: r,
    registry,
    async stop() {
      await r.stop();
      await storage.stop();
    },
  };
}

/** Appends `rounds` commits of `series` series (`m{i="k"}`), timestamps round*1000 from `from`. */
async function write(storage: AgentStorage, series: number, from: number, rounds: number, name = 'm'): Promise<void> {
  for (let r = from; r < from + rounds; r++) {
    const app = storage.appender();
    for (let i = 0; i < series; i++) app.append(0, Labels.fromStrings('__name__', name, 'i', String(i)), r * 1000, r);
    await app.commit();
  }
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'agent-remote-'));
}

/** Every series got exactly rounds [0, n), in order; with `dups`, repeats of already-seen samples are allowed. */
function checkAll(rx: TestReceiver, series: number, n: number, opts: { dups?: boolean; extraLabels?: string } = {}): void {
  for (let i = 0; i < series; i++) {
    const key = `{__name__="m", ${opts.extraLabels ?? ''}i="${i}"}`;
    const got: Received[] = rx.series.get(key) ?? [];
    let ts = got.map((s) => s.t);
    if (opts.dups) {
      const seen = new Set<number>();
      ts = ts.filter((t) => (seen.has(t) ? false : (seen.add(t), true)));
    }
    assert.deepEqual(ts, Array.from({ length: n }, (_, k) => k * 1000), `series ${key}`);
  }
}

async function metric(reg: Registry, name: string): Promise<number> {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await reg.metrics());
  return m ? Number(m[1]) : 0;
}

test('samples arrive in order per series with the protocol and configured headers, external labels and write relabelling', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  const cfg = rwConfig(
    rx.url,
    `    name: cluster
    headers: { X-Scope-OrgID: tenant-1 }
    basic_auth: { username: u, password: p }
    write_relabel_configs:
      - source_labels: [__name__]
        regex: dropped
        action: drop`,
  );
  const a = await startAgent(dir, [cfg], { external: { cluster: 'eu', i: 'never-overrides' } });
  try {
    await write(a.storage, 20, 0, 30);
    await write(a.storage, 3, 0, 5, 'dropped');
    await waitFor(() => rx.total() >= 600, 'all samples');
    checkAll(rx, 20, 30, { extraLabels: 'cluster="eu", ' });
    assert.equal([...rx.series.keys()].some((k) => k.includes('dropped')), false);
    const h = rx.requests[0]!;
    assert.equal(h['x-scope-orgid'], 'tenant-1');
    assert.equal(h['authorization'], 'Basic ' + Buffer.from('u:p').toString('base64'));
    assert.equal(h['content-encoding'], 'snappy');
    assert.equal(h['content-type'], 'application/x-protobuf');
    assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
    assert.match(h['user-agent'] ?? '', /Strata/);
    assert.ok(rx.requestSamples.every((n) => n <= 100), 'max_samples_per_send');
    await waitFor(() => a.remote.queueManagers()[0]!.pending() === 0, 'acknowledged sends');
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_samples_total'), 600);
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_samples_dropped_total'), 15);
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_queue_highest_sent_timestamp_seconds'), 29);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('5xx answers are retried until they succeed: nothing lost, retried counter moves', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  rx.reply = (n) => (n < 6 ? { status: n % 2 ? 500 : 503, body: 'overloaded' } : { status: 200 });
  const a = await startAgent(dir, [rwConfig(rx.url)]);
  try {
    await write(a.storage, 10, 0, 40);
    await waitFor(() => rx.total() >= 400, 'all samples');
    checkAll(rx, 10, 40);
    assert.ok((await metric(a.registry, 'prometheus_remote_storage_samples_retried_total')) > 0);
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_samples_failed_total'), 0);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('429 is retried after Retry-After when retry_on_http_429; otherwise the batch is dropped', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  const stamps: number[] = [];
  rx.reply = (n) => {
    stamps.push(n);
    return n === 0 ? { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' } : { status: 200 };
  };
  const a = await startAgent(dir, [rwConfig(rx.url, '', '      retry_on_http_429: true')]);
  try {
    await write(a.storage, 5, 0, 2);
    await waitFor(() => rx.total() >= 10, 'retried samples');
    checkAll(rx, 5, 2);
    assert.ok((await metric(a.registry, 'prometheus_remote_storage_samples_retried_total')) > 0);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const dir2 = tmp();
  const rx2 = new TestReceiver();
  await rx2.start();
  rx2.reply = () => ({ status: 429, body: 'slow down' });
  const b = await startAgent(dir2, [rwConfig(rx2.url, '', '      retry_on_http_429: false')]);
  try {
    await write(b.storage, 5, 0, 1);
    await waitFor(() => rx2.requests.length >= 1, 'a request');
    await b.remote.queueManagers()[0]!.stop(1000); // flushes: nothing left to retry
    assert.equal(rx2.requests.length, 1);
    assert.equal(await metric(b.registry, 'prometheus_remote_storage_samples_failed_total'), 5);
  } finally {
    await b.stop();
    await rx2.close();
    rmSync(dir2, { recursive: true, force: true });
  }
});

test('400 drops the batch, counts it failed and never retries it; later batches still go', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  rx.reply = (n) => (n === 0 ? { status: 400, body: 'out of order sample' } : { status: 200 });
  const a = await startAgent(dir, [rwConfig(rx.url)]);
  try {
    await write(a.storage, 4, 0, 1);
    await waitFor(() => rx.requests.length >= 1, 'first request');
    await waitFor(() => a.remote.queueManagers()[0]!.position() !== undefined, 'position moves past the dropped batch');
    await write(a.storage, 4, 1, 1);
    await waitFor(() => rx.total() >= 4, 'second batch');
    assert.equal(rx.requests.length, 2);
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_samples_failed_total'), 4);
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_samples_retried_total'), 0);
    assert.deepEqual(rx.series.get('{__name__="m", i="0"}')!.map((s) => s.t), [1000]);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('receiver down for a while (closed, reopened on the same port) while samples keep coming: all arrive in order', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  const port = rx.port;
  const a = await startAgent(dir, [rwConfig(rx.url, '', '      max_shards: 1')]);
  try {
    await write(a.storage, 10, 0, 10);
    await waitFor(() => rx.total() >= 100, 'first samples');
    await rx.close();
    // More than a shard's capacity (500) while down: the watcher must stop reading, not buffer.
    await write(a.storage, 10, 10, 100);
    await waitFor(() => a.remote.queueManagers()[0]!.pending() === 500, 'a full shard');
    await rx.start(port);
    await write(a.storage, 10, 110, 10);
    await waitFor(() => rx.total() >= 1200, 'all samples after the outage', 30_000);
    checkAll(rx, 10, 120);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('agent restart mid-stream resumes from the persisted position: nothing missing', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  const cfg = rwConfig(rx.url, '    name: main');
  let a = await startAgent(dir, [cfg], { flushDeadline: 200 });
  try {
    await write(a.storage, 10, 0, 20);
    await waitFor(() => rx.total() >= 200, 'first samples');
    // The receiver fails: what is queued cannot be flushed before the deadline.
    rx.reply = () => ({ status: 503 });
    await write(a.storage, 10, 20, 20);
    await waitFor(() => rx.requests.length > 3, 'failing requests');
    await a.stop();
    const pos = JSON.parse(readFileSync(join(dir, 'remote', 'main.json'), 'utf8')) as { version: number; segment: number };
    assert.equal(pos.version, 1);

    rx.reply = () => ({ status: 200 });
    a = await startAgent(dir, [cfg]);
    await write(a.storage, 10, 40, 20);
    await waitFor(() => (rx.series.get('{__name__="m", i="9"}') ?? []).some((s) => s.t === 59_000), 'all samples after the restart');
    checkAll(rx, 10, 60, { dups: true });
    // Duplicates only from the batches that were not acknowledged.
    const dups = rx.total() - 600;
    assert.ok(dups <= 200, `duplicates: ${dups}`);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WAL truncation removes the segments every queue has sent; a restart keeps refs and sends nothing twice', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  const cfg = rwConfig(rx.url, '    name: main');
  let a = await startAgent(dir, [cfg], { segmentSize: 32 * 1024 });
  try {
    await write(a.storage, 50, 0, 300);
    await waitFor(() => rx.total() >= 15000, 'all samples');
    const walDir = join(dir, 'wal');
    const before = listSegments(walDir);
    assert.ok(before.length > 3, `segments: ${before}`);
    await waitFor(() => a.remote.retainFrom()! >= before[before.length - 2]!, 'position in the last segments');
    await a.storage.truncate();
    const after = listSegments(walDir);
    assert.ok(after[0]! >= a.remote.retainFrom()! - 0 && after.length < before.length, `${before} → ${after}`);
    const ref = a.storage.refOf(Labels.fromStrings('__name__', 'm', 'i', '7'));
    await a.stop();

    const requestsBefore = rx.requests.length;
    a = await startAgent(dir, [cfg], { segmentSize: 32 * 1024 });
    assert.equal(a.storage.refOf(Labels.fromStrings('__name__', 'm', 'i', '7')), ref);
    await write(a.storage, 50, 300, 2);
    await waitFor(() => rx.total() >= 15100, 'samples after the restart');
    checkAll(rx, 50, 302);
    assert.ok(rx.requests.length > requestsBefore);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resharding up and down while sending keeps every series in order', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  const a = await startAgent(dir, [rwConfig(rx.url, '', '      max_shards: 8')]);
  try {
    const qm = a.remote.queueManagers()[0]!;
    const writing = write(a.storage, 30, 0, 60);
    await waitFor(() => rx.total() >= 100, 'some samples');
    await qm.reshard(4);
    assert.equal(qm.numShards(), 4);
    await waitFor(() => rx.total() >= 600, 'more samples');
    await qm.reshard(2);
    assert.equal(qm.numShards(), 2);
    await writing;
    await waitFor(() => rx.total() >= 1800, 'all samples');
    checkAll(rx, 30, 60);
    assert.equal(await metric(a.registry, 'prometheus_remote_storage_shards'), 2);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('applyConfig: an unchanged queue keeps running, a changed one restarts from its position, a removed one stops', async () => {
  const dir = tmp();
  const rx1 = new TestReceiver();
  const rx2 = new TestReceiver();
  await rx1.start();
  await rx2.start();
  const c1 = rwConfig(rx1.url, '    name: one');
  const c2 = rwConfig(rx2.url, '    name: two');
  const a = await startAgent(dir, [c1, c2]);
  try {
    await write(a.storage, 5, 0, 10);
    await waitFor(() => rx1.total() >= 50 && rx2.total() >= 50, 'both endpoints');
    const [q1] = a.remote.queueManagers();
    const c2b = rwConfig(rx2.url, '    name: two\n    headers: { X-Scope-OrgID: t2 }');
    await a.remote.applyConfig([c1, c2b]);
    const [q1b, q2b] = a.remote.queueManagers();
    assert.equal(q1b, q1);
    await write(a.storage, 5, 10, 10);
    await waitFor(() => rx1.total() >= 100 && rx2.total() >= 100, 'both endpoints after reload');
    checkAll(rx2, 5, 20, { dups: true });
    assert.equal(rx2.requests[rx2.requests.length - 1]!['x-scope-orgid'], 't2');
    assert.equal(rx2.total(), 100, 'the restarted queue resumed where it stopped');
    await a.remote.applyConfig([c2b]);
    assert.deepEqual(a.remote.queueManagers(), [q2b]);
    assert.throws(() => a.remote.applyConfig([c1, c1]), /duplicate/);
  } finally {
    await a.stop();
    await rx1.close();
    await rx2.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metadata is sent every send_interval in requests of at most max_samples_per_send entries', async () => {
  const dir = tmp();
  const rx = new TestReceiver();
  await rx.start();
  let first = true;
  rx.reply = () => {
    if (first) {
      first = false;
      return { status: 503 }; // retried like samples
    }
    return { status: 200 };
  };
  const families = Array.from({ length: 7 }, (_, i) => ({ metricFamily: `fam_${i}`, type: i % 2 ? 'counter' : 'gauge', help: `help ${i}`, unit: i === 0 ? 'seconds' : '' }));
  const a = await startAgent(dir, [rwConfig(rx.url)], { metadata: { provider: () => families, sendInterval: 30, maxPerSend: 3 } });
  try {
    await waitFor(() => rx.metadata.length >= 7, 'metadata');
    assert.deepEqual(rx.metadata.slice(0, 7).map((m) => m.family), families.map((f) => f.metricFamily));
    assert.deepEqual(rx.metadata[0], { type: 2, family: 'fam_0', help: 'help 0', unit: 'seconds' });
    assert.equal(rx.metadata[1]!.type, 1);
    assert.ok(rx.requests.length >= 4, 'ceil(7 / 3) requests plus the retried one');
    assert.ok((await metric(a.registry, 'prometheus_remote_storage_metadata_total')) >= 7);
  } finally {
    await a.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
