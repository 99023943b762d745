// A real Prometheus scrapes itself and remote-writes to Strata (no headers, as a newcomer would
// configure it), once into one process and once into a 3-ingester RF=3 cluster of separate
// processes: the same PromQL over both gives the same series and values, and the same metric
// metadata (which Prometheus sends in requests of their own).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type RunningCluster } from './cluster.ts';
import { startStrata, type StrataProcess } from './harness.ts';
import { hasPrometheus, startPrometheus, type PrometheusProcess } from './prometheus.ts';

interface Result {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

async function query(base: string, q: string, t: number): Promise<Result[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${t}`, { signal: AbortSignal.timeout(10_000) });
  const j = (await res.json()) as { status: string; data: { result: Result[] } };
  assert.equal(j.status, 'success', JSON.stringify(j));
  return j.data.result.map((r) => ({ metric: r.metric, ...(r.value ? { value: r.value } : { values: r.values }) })).sort((a, b) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1));
}

const promConfig = (pushUrl: string): string => `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs: [{ targets: ['127.0.0.1:{{PORT}}'] }]
remote_write:
  - url: ${pushUrl}
    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 500ms }
    metadata_config: { send: true, send_interval: 1s }
`;

async function metadata(base: string, metric: string): Promise<unknown> {
  const res = await fetch(`${base}/api/v1/metadata?metric=${encodeURIComponent(metric)}`, { signal: AbortSignal.timeout(10_000) });
  const j = (await res.json()) as { status: string; data: Record<string, unknown> };
  assert.equal(j.status, 'success', JSON.stringify(j));
  return j.data;
}

/** Prometheus' own metrics of each type: Strata's /api/v1/metadata answers as Prometheus' does. */
async function compareMetadata(strata: string, prom: string): Promise<void> {
  const metrics = ['prometheus_http_requests_total', 'go_goroutines', 'prometheus_http_request_duration_seconds', 'go_gc_duration_seconds', 'prometheus_build_info'];
  for (const m of metrics) {
    let got: unknown = {};
    for (let i = 0; i < 100 && Object.keys(got as object).length === 0; i++) {
      got = await metadata(strata, m);
      if (Object.keys(got as object).length === 0) await new Promise((res) => setTimeout(res, 200));
    }
    const want = await metadata(prom, m);
    assert.ok(Object.keys(want as object).length === 1, `Prometheus has ${m}'s metadata`);
    assert.deepEqual(got, want, m);
  }
}

/** Waits until Strata (at `strata`, the API base) holds Prometheus' samples up to some t, then compares. */
async function compareWithPrometheus(strata: string, prom: string): Promise<void> {
  // Wait for several scrapes, then until every series has a sample after t in strata, so both
  // hold the same samples up to t whatever the remote-write lag.
  let t = 0;
  for (let i = 0; i < 150 && t === 0; i++) {
    const r = await query(strata, 'count_over_time(up[1m])', Date.now() / 1000);
    if (r.length === 1 && Number(r[0]!.value![1]) >= 6) t = Math.floor(Date.now() / 1000) - 1;
    else await new Promise((res) => setTimeout(res, 200));
  }
  assert.ok(t > 0, 'samples arrived in strata');
  let caughtUp = false;
  for (let i = 0; i < 150 && !caughtUp; i++) {
    const r = await query(strata, 'min(timestamp({job="prometheus"}))', Date.now() / 1000);
    caughtUp = r.length === 1 && Number(r[0]!.value![1]) > t;
    if (!caughtUp) await new Promise((res) => setTimeout(res, 200));
  }
  assert.ok(caughtUp, 'every series has a sample after t');
  for (const q of [
    'up',
    'prometheus_build_info',
    'count by (__name__) ({job="prometheus"})',
    'sum(prometheus_tsdb_head_series)',
    'prometheus_http_requests_total',
    // Raw windows, not rate(): Strata follows Prometheus 3.x, whose rate() answers differ from
    // Debian's 2.42 on the same samples.
    'prometheus_http_requests_total[30s]',
  ]) {
    const [a, b] = await Promise.all([query(strata, q, t), query(prom, q, t)]);
    assert.deepEqual(a, b, q);
  }
  assert.ok((await query(strata, 'count by (__name__) ({job="prometheus"})', t)).length > 50, 'many metrics arrived');
}

describe('Prometheus remote write into strata', { skip: !hasPrometheus() && 'prometheus is not installed' }, () => {
  let strata: StrataProcess;
  let prom: PrometheusProcess;
  before(async () => {
    strata = await startStrata();
    prom = await startPrometheus(promConfig(`${strata.url}/api/v1/push`));
  });
  after(async () => {
    await prom?.stop();
    await strata?.cleanup();
  });

  it('answers PromQL over Prometheus\' own series as Prometheus does', async () => {
    await compareWithPrometheus(strata.url, prom.url);
  });

  it('answers /api/v1/metadata for Prometheus\' own metrics as Prometheus does', async () => {
    await compareMetadata(strata.url, prom.url);
  });
});

describe('Prometheus remote write into a 3-ingester RF=3 cluster', { skip: !hasPrometheus() && 'prometheus is not installed', timeout: 240_000 }, () => {
  let cluster: RunningCluster;
  let prom: PrometheusProcess;
  before(async () => {
    cluster = await startCluster({ ingesters: 3, distributors: 2, queriers: 1, rf: 3 });
    prom = await startPrometheus(promConfig(cluster.info.pushUrl));
  });
  after(async () => {
    await prom?.stop();
    await cluster?.stop();
  });

  it('answers PromQL over Prometheus\' own series as Prometheus does, through the querier', async () => {
    await compareWithPrometheus(cluster.info.queryUrl, prom.url);
  });

  it('answers /api/v1/metadata for Prometheus\' own metrics as Prometheus does, through the querier', async () => {
    await compareMetadata(cluster.info.queryUrl, prom.url);
  });
});
