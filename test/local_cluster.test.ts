// The cluster as separate OS processes (`strata tool local-cluster`): nats-server, 3 ingesters
// (RF=3), 2 distributors and a querier. Writes reach every replica, survive an ingester's SIGKILL
// (quorum) and a NATS restart (cached ring), the killed ingester comes back from its WAL, and the
// querier returns every acknowledged sample once.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeWriteRequest, snappyEncode } from '../libs/remotewrite/index.ts';
import { exitOf, startCluster, type RunningCluster } from './cluster.ts';

const SERIES = 20;

// Sample timestamps, increasing across all tests (an older one would be out of order).
let lastT = 0;
const nextT = (): number => (lastT = Math.max(lastT + 1, Date.now()));

function body(t: number): Uint8Array {
  const timeseries = [];
  for (let i = 0; i < SERIES; i++) timeseries.push({ labels: ['__name__', 'lc_test', 'i', String(i)], samples: [{ value: t / 1000, timestamp: t }] });
  return snappyEncode(encodeWriteRequest({ timeseries }));
}

async function push(url: string, t: number): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    body: body(t),
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

async function memorySeries(http: string): Promise<number> {
  const text = await (await fetch(`http://${http}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('strata_ingester_memory_series '));
  return line ? Number(line.split(' ')[1]) : -1;
}

async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`http://${http}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : -1;
}

/** The timestamps (ms) of series i's samples in the last `range`, through the querier. */
async function storedTimestamps(queryUrl: string, i: number, at: number, range = '10m'): Promise<number[]> {
  const q = encodeURIComponent(`lc_test{i="${i}"}[${range}]`);
  const res = await fetch(`${queryUrl}/api/v1/query?query=${q}&time=${at / 1000}`, { signal: AbortSignal.timeout(10_000) });
  const doc = (await res.json()) as { status: string; data: { result: { values: [number, string][] }[] } };
  assert.equal(doc.status, 'success', JSON.stringify(doc));
  return (doc.data.result[0]?.values ?? []).map(([t]) => Math.round(t * 1000));
}

async function waitReady(http: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://${http}/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${http} not ready within ${timeoutMs} ms`);
}

/** Pushes one request every few ms with increasing timestamps until stopped; records every answer. */
function loadGenerator(urls: readonly string[]): { stop(): Promise<{ acked: number[]; failures: string[] }> } {
  let running = true;
  const acked: number[] = [];
  const failures: string[] = [];
  const loop = (async () => {
    for (let k = 0; running; k++) {
      const ts = nextT();
      try {
        const r = await push(urls[k % urls.length]!, ts);
        if (r.status === 200) acked.push(ts);
        else failures.push(`${r.status} ${r.text}`);
      } catch (err) {
        failures.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { acked, failures };
    },
  };
}

describe('local cluster (separate processes)', { timeout: 240_000 }, () => {
  let c: RunningCluster;
  before(async () => {
    c = await startCluster({ ingesters: 3, distributors: 2, queriers: 1, flags: ['--ingester.ring.heartbeat-period=1s'] });
  });
  after(async () => c?.stop());

  it('writes cluster.json with every process, its pid and ports', () => {
    const names = c.info.processes.map((p) => [p.name, p.target]);
    assert.deepEqual(names, [
      ['ingester-1', 'ingester'], ['ingester-2', 'ingester'], ['ingester-3', 'ingester'],
      ['distributor-1', 'distributor'], ['distributor-2', 'distributor'], ['querier-1', 'querier'],
    ]);
    const base = Number(c.info.nats.url.split(':').pop());
    c.info.processes.forEach((p, k) => {
      assert.equal(p.http, `127.0.0.1:${base + 1 + k}`);
      assert.equal(p.grpc, `127.0.0.1:${base + 501 + k}`);
      assert.doesNotThrow(() => process.kill(p.pid, 0), `${p.name} (pid ${p.pid}) is running`);
    });
    assert.equal(c.info.pushUrl, `http://${c.process('distributor-1').http}/api/v1/push`);
    assert.equal(c.info.queryUrl, `http://${c.process('querier-1').http}/prometheus`);
  });

  it('replicates writes through either distributor to all three ingesters', async () => {
    assert.deepEqual(await push(c.info.pushUrl, nextT()), { status: 200, text: '' });
    assert.deepEqual(await push(`http://${c.process('distributor-2').http}/api/v1/push`, nextT()), { status: 200, text: '' });
    for (const n of ['ingester-1', 'ingester-2', 'ingester-3']) assert.equal(await memorySeries(c.process(n).http), SERIES, c.logs());
  });

  it('loses no write when an ingester is SIGKILLed under load, and the ingester comes back from its WAL', async () => {
    const urls = [c.info.pushUrl, `http://${c.process('distributor-2').http}/api/v1/push`];
    const load = loadGenerator(urls);
    await new Promise((r) => setTimeout(r, 500));
    const victim = c.process('ingester-2');
    process.kill(victim.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1_500));
    const { acked, failures } = await load.stop();
    assert.deepEqual(failures, [], 'every write succeeds with one of three replicas down');
    assert.ok(acked.length > 10, `the load generator wrote (${acked.length} requests)`);

    // Every acknowledged sample is queryable, once per timestamp, with one ingester down.
    for (const i of [0, SERIES - 1]) {
      const stored = await storedTimestamps(c.info.queryUrl, i, lastT);
      assert.equal(new Set(stored).size, stored.length, 'no timestamp twice');
      const missing = acked.filter((t) => !stored.includes(t));
      assert.deepEqual(missing, [], `series ${i}: every acknowledged sample is there`);
    }

    const back = c.restart('ingester-2');
    await waitReady(victim.http);
    // Its WAL still holds what it had acknowledged before the kill; new writes reach it again.
    assert.equal(await memorySeries(victim.http), SERIES);
    // The distributors reconnect within their gRPC backoff (at most 5 s).
    const deadline = Date.now() + 20_000;
    let ingested = 0;
    while (Date.now() < deadline && ingested === 0) {
      assert.deepEqual(await push(c.info.pushUrl, nextT()), { status: 200, text: '' });
      ingested = await metric(victim.http, 'strata_ingester_ingested_samples_total');
      if (ingested === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(ingested % SERIES, 0);
    assert.ok(ingested > 0, 'the restarted ingester receives new writes');
    assert.ok(back.pid);
  });

  it('keeps writing from the cached ring while NATS restarts', async () => {
    const load = loadGenerator([c.info.pushUrl]);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(c.info.nats.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 2_000));
    const nats = c.restartNats();
    await new Promise((r) => setTimeout(r, 1_000));
    const { acked, failures } = await load.stop();
    assert.deepEqual(failures, []);
    assert.ok(acked.length > 10);
    const stored = await storedTimestamps(c.info.queryUrl, 3, lastT);
    assert.deepEqual(acked.filter((t) => !stored.includes(t)), [], 'every write acknowledged during the NATS restart is queryable');
    // Heartbeats resume against the restarted server: the distributor sees all three fresh again.
    const deadline = Date.now() + 30_000;
    let fresh = 0;
    while (Date.now() < deadline) {
      const doc = (await (await fetch(`http://${c.process('distributor-1').http}/ingester/ring`, { headers: { accept: 'application/json' } })).json()) as {
        shards: { heartbeat_age_seconds: number; state: string }[];
      };
      fresh = doc.shards.filter((s) => s.state === 'ACTIVE' && s.heartbeat_age_seconds <= 2).length;
      if (fresh === 3) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(fresh, 3, c.logs());
    assert.ok(nats.pid);
  });

  it('stops every process on SIGTERM and removes cluster.json', async () => {
    const pids = c.info.processes.filter((p) => p.name !== 'ingester-2').map((p) => p.pid);
    c.tool.kill('SIGTERM');
    await exitOf(c.tool, 60_000);
    assert.equal(c.tool.exitCode, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `pid ${pid} is gone`);
    assert.ok(!existsSync(join(c.dir, 'cluster.json')));
  });
});
