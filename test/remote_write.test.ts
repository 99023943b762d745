// Remote write into one strata process: good and bad requests as the remote-write spec and Mimir
// answer them (status, message, counted reason), the valid part of every request stored, queries
// seeing exactly what was acknowledged, and the data still there after a SIGKILL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeWriteRequest, snappyEncode } from '../libs/remotewrite/index.ts';
import { get, startStrata, type StrataProcess } from './harness.ts';

const NOW = Math.floor(Date.now() / 1000) * 1000;

function push(p: StrataProcess, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${p.url}/api/v1/push`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', ...headers },
    signal: AbortSignal.timeout(10_000),
  });
}

const series = (job: string, value: number, t = NOW) => ({ labels: ['__name__', 'rw_test', 'job', job], samples: [{ value, timestamp: t }] });
const body = (...ts: ReturnType<typeof series>[]) => snappyEncode(encodeWriteRequest({ timeseries: ts }));

async function instant(p: StrataProcess, q: string, tenant?: string): Promise<[string, string][]> {
  const res = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(q)}&time=${NOW / 1000}`, {
    headers: tenant ? { 'X-Scope-OrgID': tenant } : {},
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const j = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return j.data.result.map((r) => [r.metric.job ?? '', r.value[1]]).sort() as [string, string][];
}

async function metadata(p: StrataProcess, params: string, tenant: string): Promise<unknown> {
  const res = await fetch(`${p.url}/api/v1/metadata?${params}`, { headers: { 'X-Scope-OrgID': tenant }, signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, await res.clone().text());
  const j = (await res.json()) as { status: string; data: unknown };
  assert.equal(j.status, 'success');
  return j.data;
}

async function metric(p: StrataProcess, line: string): Promise<number> {
  const text = await (await get(`${p.url}/metrics`)).text();
  const m = text.split('\n').find((l) => l.startsWith(line + ' '));
  return m ? Number(m.slice(line.length + 1)) : 0;
}

describe('remote write into one process', () => {
  let p: StrataProcess;
  before(async () => {
    p = await startStrata(['--auth.multitenancy-enabled', '--distributor.max-recv-msg-size=1048576']);
  });
  after(async () => p.cleanup());

  it('stores a good request and answers 200 with an empty body', async () => {
    const res = await push(p, body(series('a', 1), series('b', 2)), { 'X-Scope-OrgID': 'team-1' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.deepEqual(await instant(p, 'rw_test', 'team-1'), [['a', '1'], ['b', '2']]);
    assert.deepEqual(await instant(p, 'rw_test', 'team-2'), [], 'another tenant sees nothing');
  });

  it('refuses missing and invalid tenants with 401/400 and dskit\'s message', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{}, 401, 'no org id'],
      [{ 'X-Scope-OrgID': '../x' }, 400, "tenant ID '../x' contains unsupported character '/'"],
      [{ 'X-Scope-OrgID': 'a'.repeat(200) }, 400, 'tenant ID is too long: max 150 characters'],
      [{ 'X-Scope-OrgID': 'a|b' }, 400, 'multiple org IDs present'],
    ];
    for (const [headers, status, msg] of cases) {
      const res = await push(p, body(series('x', 1)), headers);
      assert.equal(res.status, status, JSON.stringify(headers));
      assert.equal(await res.text(), msg);
    }
  });

  it('answers garbage, bad snappy and truncated protobuf with 400 and the reason, counted', async () => {
    const tenant = { 'X-Scope-OrgID': 'team-bad' };
    const good = encodeWriteRequest({ timeseries: [series('a', 1)] });
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /snappy/],
      [Buffer.from('hello, world'), /snappy/],
      [snappyEncode(good.subarray(0, good.length - 3)), /truncated|past the end|overrun/i],
      [new Uint8Array(0), /snappy/],
    ];
    for (const [b, msg] of cases) {
      const res = await push(p, b, tenant);
      assert.equal(res.status, 400);
      assert.match(await res.text(), msg);
    }
    assert.ok((await metric(p, 'strata_distributor_rejected_requests_total{tenant="team-bad",reason="snappy_corrupt"}')) >= 1);
  });

  it('answers a body over the limit with 413', async () => {
    const big = new Uint8Array(2 * 1024 * 1024);
    const res = await push(p, big, { 'X-Scope-OrgID': 'team-big' });
    assert.equal(res.status, 413);
    // A snappy body that would decompress beyond the limit: refused from its preamble.
    const bomb = snappyEncode(encodeWriteRequest({ timeseries: [{ labels: ['__name__', 'x', 'pad', 'p'.repeat(1_500_000)], samples: [{ value: 1, timestamp: NOW }] }] }));
    const res2 = await push(p, bomb, { 'X-Scope-OrgID': 'team-big' });
    assert.equal(res2.status, 413);
  });

  it('stores the samples and metadata of a request with exemplars, and counts the exemplars it does not store', async () => {
    const req = snappyEncode(encodeWriteRequest({
      timeseries: [{
        labels: ['__name__', 'rw_test', 'job', 'ex'],
        samples: [{ value: 7, timestamp: NOW }],
        exemplars: [{ labels: ['trace_id', 'abc'], value: 7, timestamp: NOW }, { labels: ['trace_id', 'def'], value: 8, timestamp: NOW }],
      }],
      metadata: [{ type: 1, metricFamilyName: 'rw_test', help: 'A test counter.', unit: '' }],
    }));
    const res = await push(p, req, { 'X-Scope-OrgID': 'team-ex' });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await instant(p, 'rw_test', 'team-ex'), [['ex', '7']]);
    assert.equal(await metric(p, 'strata_distributor_received_exemplars_total{tenant="team-ex"}'), 2);
    assert.equal(await metric(p, 'strata_discarded_exemplars_total{tenant="team-ex",reason="exemplars_not_stored"}'), 2);
    assert.equal(await metric(p, 'strata_distributor_received_metadata_total{tenant="team-ex"}'), 1);
    assert.equal(await metric(p, 'strata_discarded_metadata_total{tenant="team-ex",reason="metadata_not_stored"}'), 0);
    assert.deepEqual(await metadata(p, '', 'team-ex'), { rw_test: [{ type: 'counter', help: 'A test counter.', unit: '' }] });
  });

  it('serves metadata sent alone on /api/v1/metadata in Prometheus\' shape, with limit, limit_per_metric and metric', async () => {
    const tenant = { 'X-Scope-OrgID': 'team-md' };
    const md = (type: number, metricFamilyName: string, help: string, unit = '') => ({ type, metricFamilyName, help, unit });
    const req = snappyEncode(encodeWriteRequest({
      metadata: [
        md(1, 'http_requests_total', 'Requests served.'),
        md(1, 'http_requests_total', 'Requests served, from another target.'),
        md(3, 'latency_seconds', 'Latency <of> "requests".', 'seconds'),
        md(2, 'go_goroutines', 'Goroutines.'),
        md(2, 'go_goroutines', 'Goroutines.'),
        md(0, 'untyped', ''),
      ],
    }));
    const res = await push(p, req, tenant);
    assert.equal(res.status, 200, await res.text());
    const all = {
      go_goroutines: [{ type: 'gauge', help: 'Goroutines.', unit: '' }],
      http_requests_total: [{ type: 'counter', help: 'Requests served, from another target.', unit: '' }, { type: 'counter', help: 'Requests served.', unit: '' }],
      latency_seconds: [{ type: 'histogram', help: 'Latency <of> "requests".', unit: 'seconds' }],
      untyped: [{ type: 'unknown', help: '', unit: '' }],
    };
    assert.deepEqual(await metadata(p, '', 'team-md'), all);
    assert.deepEqual(await metadata(p, 'metric=http_requests_total&limit_per_metric=1', 'team-md'), { http_requests_total: [all.http_requests_total[0]] });
    assert.deepEqual(await metadata(p, 'limit=2', 'team-md'), { go_goroutines: all.go_goroutines, http_requests_total: all.http_requests_total });
    assert.deepEqual(await metadata(p, 'limit=0', 'team-md'), {});
    assert.deepEqual(await metadata(p, 'limit=-1&metric=nope', 'team-md'), {});
    assert.deepEqual(await metadata(p, '', 'team-other'), {}, 'another tenant sees nothing');
    // Go's encoding: HTML characters escaped, as Prometheus writes them.
    const raw = await (await fetch(`${p.url}/api/v1/metadata?metric=latency_seconds`, { headers: tenant })).text();
    assert.equal(raw, '{"status":"success","data":{"latency_seconds":[{"type":"histogram","help":"Latency \\u003cof\\u003e \\"requests\\".","unit":"seconds"}]}}');

    // A bad entry is refused with Mimir's message; the good one of the same request is stored.
    const bad = await push(p, snappyEncode(encodeWriteRequest({ metadata: [md(2, '', 'No name.'), md(2, 'later', 'Later.')] })), tenant);
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), 'received a metric metadata with no metric name (err-mimir-metadata-missing-metric-name)');
    assert.deepEqual(await metadata(p, 'metric=later', 'team-md'), { later: [{ type: 'gauge', help: 'Later.', unit: '' }] });
    assert.equal(await metric(p, 'strata_discarded_metadata_total{tenant="team-md",reason="missing_metric_name"}'), 1);
    assert.equal(await metric(p, 'strata_distributor_received_metadata_total{tenant="team-md"}'), 8);
  });

  it('keeps the valid series of a request with bad ones, and names what it refused', async () => {
    const tenant = { 'X-Scope-OrgID': 'team-mixed' };
    const b = snappyEncode(encodeWriteRequest({
      timeseries: [
        series('ok', 7),
        { labels: ['job', 'unsorted', '__name__', 'rw_test'], samples: [{ value: 1, timestamp: NOW }] },
        { labels: ['__name__', 'rw_test', 'job', 'dup', 'job', 'dup2'], samples: [{ value: 1, timestamp: NOW }] },
        { labels: ['__name__', 'rw_test', 'job', 'future'], samples: [{ value: 1, timestamp: NOW + 3_600_000 }] },
        { labels: ['job', 'noname'], samples: [{ value: 1, timestamp: NOW }] },
      ],
    }));
    const res = await push(p, b, tenant);
    assert.equal(res.status, 400);
    const lines = (await res.text()).split('\n');
    assert.deepEqual(lines.map((l) => /\(err-mimir-([a-z-]+)\)/.exec(l)?.[1]), ['labels-not-sorted', 'duplicate-label-names', 'missing-metric-name', 'too-far-in-future']);
    assert.deepEqual(await instant(p, 'rw_test', 'team-mixed'), [['ok', '7']]);
    assert.equal(await metric(p, 'strata_discarded_samples_total{tenant="team-mixed",reason="labels_not_sorted"}'), 1);
    assert.equal(await metric(p, 'strata_ingester_rejected_samples_total{tenant="team-mixed",reason="sample_too_far_in_future"}'), 1);
  });

  it('keeps every acknowledged sample through a SIGKILL (WAL replay)', async () => {
    const tenant = { 'X-Scope-OrgID': 'team-crash' };
    for (let i = 0; i < 20; i++) {
      const res = await push(p, body(series(`j${i}`, i)), tenant);
      assert.equal(res.status, 200);
    }
    const dir = p.dir;
    p.child.kill('SIGKILL');
    await p.exited();
    const again = await startStrata(['--auth.multitenancy-enabled', `--storage.dir=${dir}`]);
    try {
      const got = await instant(again, 'count(rw_test)', 'team-crash');
      assert.deepEqual(got, [['', '20']]);
      assert.deepEqual(await instant(again, 'rw_test', 'team-1'), [['a', '1'], ['b', '2']]);
    } finally {
      await again.cleanup();
    }
  });
});
