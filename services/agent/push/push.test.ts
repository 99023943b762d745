import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { nopLogger } from '../../../libs/log/index.ts';
import { Labels, isStaleNaN } from '../../../libs/model/index.ts';
import { Server, createMetricsRegistry, serverConfigSchema } from '../../../libs/server/index.ts';
import { validateConfig } from '../../../libs/services/index.ts';
import type { Appendable, Appender } from '../../../libs/storage/index.ts';
import { PushStore, parseGroupingKey, pushConfigSchema, registerPushRoutes } from './index.ts';

/** Samples appended and committed, as `name{labels}` → value (NaN-stale as the string "stale"). */
class Collector implements Appendable {
  commits: Map<string, number | 'stale'>[] = [];
  times: number[] = [];
  appender(): Appender {
    const batch = new Map<string, number | 'stale'>();
    let t = -1;
    let refs = 0;
    return {
      append: (_ref: number, labels: Labels, ts: number, v: number) => {
        t = ts;
        const k = labels.toString();
        assert.ok(!batch.has(k), `series ${k} appended twice in one commit`);
        batch.set(k, isStaleNaN(v) ? 'stale' : v);
        return ++refs;
      },
      appendHistogram: () => {
        throw new Error('no histograms here');
      },
      commit: () => {
        this.commits.push(batch);
        this.times.push(t);
        return Promise.resolve();
      },
      rollback: () => {},
    };
  }

  last(): Record<string, number | 'stale'> {
    return Object.fromEntries([...(this.commits.at(-1) ?? new Map<string, number | 'stale'>())].sort());
  }
}

const pushCfg = (extra: Record<string, unknown> = {}) =>
  validateConfig(pushConfigSchema, { expiry: '5m', max_groups: 5, max_body_bytes: 4096, ...extra });

let clock = 1_700_000_000_000;
let store: PushStore;
let server: Server;
let registry: ReturnType<typeof createMetricsRegistry>;
let port = 0;

async function req(method: string, path: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, body, headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

async function emit(app: Collector): Promise<Record<string, number | 'stale'>> {
  await store.emit(app, clock);
  return app.last();
}

const J = (name: string, extra: Record<string, string> = {}) => Labels.fromRecord({ __name__: name, job: 'j', ...extra }).toString();

describe('push API (real HTTP server)', () => {
  before(async () => {
    const config = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0 });
    registry = createMetricsRegistry({ version: 't', revision: 't', branch: 't' });
    server = new Server(config, { logger: nopLogger, registry, readiness: () => ({ ready: true, reason: '' }) });
    // The routes read the store through this indirection so each test gets a fresh one.
    const proxy = new Proxy({} as PushStore, {
      get: (_t, p) => {
        const v = (store as unknown as Record<string | symbol, unknown>)[p];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(store) : v;
      },
    });
    registerPushRoutes(server, proxy, { registry, maxBodyBytes: 4096 });
    await server.start();
    port = server.address()!.port;
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => {
    store = new PushStore(pushCfg(), { now: () => clock });
  });

  it('PUT replaces the group, POST the named families, DELETE removes it (stale markers once)', async () => {
    const app = new Collector();
    assert.deepEqual(await req('PUT', '/metrics/job/j', 'a 1\n# TYPE b gauge\nb{x="1"} 2\n'), { status: 200, text: '' });
    const t1 = clock;
    assert.deepEqual(await emit(app), {
      [J('a')]: 1, [J('b', { x: '1' })]: 2, [J('push_failure_time_seconds')]: 0, [J('push_time_seconds')]: t1 / 1000,
    });
    assert.equal(app.times.at(-1), clock, 'samples carry the emit time');

    clock += 1000;
    assert.equal((await req('POST', '/metrics/job/j', 'a 3\nc 4\n')).status, 200);
    assert.deepEqual(await emit(app), {
      [J('a')]: 3, [J('b', { x: '1' })]: 2, [J('c')]: 4, [J('push_failure_time_seconds')]: 0, [J('push_time_seconds')]: clock / 1000,
    });

    clock += 1000;
    assert.equal((await req('PUT', '/metrics/job/j', 'a 5\n')).status, 200);
    assert.deepEqual(await emit(app), {
      [J('a')]: 5, [J('b', { x: '1' })]: 'stale', [J('c')]: 'stale', [J('push_failure_time_seconds')]: 0, [J('push_time_seconds')]: clock / 1000,
    });

    clock += 1000;
    assert.equal((await req('POST', '/metrics/job/j', '')).status, 200, 'empty POST: only the push time changes');
    assert.deepEqual(await emit(app), { [J('a')]: 5, [J('push_failure_time_seconds')]: 0, [J('push_time_seconds')]: clock / 1000 });

    // Another group with the same job is separate.
    assert.equal((await req('PUT', '/metrics/job/j/instance/i', 'a 7\n')).status, 200);
    const tInstance = clock;
    clock += 1000;
    assert.equal((await req('PUT', '/metrics/job/j', '')).status, 200, 'empty PUT: no metrics, push time kept');
    const afterEmptyPut = await emit(app);
    assert.equal(afterEmptyPut[J('a')], 'stale');
    assert.equal(afterEmptyPut[J('push_time_seconds')], clock / 1000);
    assert.equal(afterEmptyPut['{__name__="a", instance="i", job="j"}'], 7);

    assert.deepEqual(await req('DELETE', '/metrics/job/j'), { status: 202, text: '' });
    assert.deepEqual(await emit(app), {
      '{__name__="a", instance="i", job="j"}': 7,
      '{__name__="push_failure_time_seconds", instance="i", job="j"}': 0,
      '{__name__="push_time_seconds", instance="i", job="j"}': tInstance / 1000,
      [J('push_failure_time_seconds')]: 'stale', [J('push_time_seconds')]: 'stale',
    });
    assert.equal(Object.keys(await emit(app)).length, 3, 'no stale markers the second time');
    assert.equal((await req('DELETE', '/metrics/job/nothing/here/x')).status, 202, 'deleting a missing group is fine');
  });

  it('reads @base64 and URL-encoded grouping keys, and refuses bad ones with 400', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const app = new Collector();
    const path = `/metrics/job@base64/${b64('a/b')}/path@base64/L3Zhci90bXA/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82/first@base64/=`;
    assert.equal((await req('PUT', path, 'm 1\n')).status, 200);
    const got = await emit(app);
    assert.equal(got['{__name__="m", job="a/b", name="Προμηθεύς", path="/var/tmp"}'], 1);
    // The empty value is part of the grouping key (its own group), though the series lack the label.
    assert.deepEqual(store.groups()[0]!.labels, { first: '', job: 'a/b', name: 'Προμηθεύς', path: '/var/tmp' });
    assert.equal(parseGroupingKey('job/x/a@base64/YQ==').labels[0]![1], 'a', 'padding is optional but allowed');

    const bad: [string, RegExp][] = [
      ['/metrics/job/', /job name is required/],
      ['/metrics/job/x/a', /odd number of components/],
      ['/metrics/job/x/__a/1', /improper label name "__a"/],
      ['/metrics/job/x/a-b/1', /improper label name "a-b"/],
      ['/metrics/job/x/a@base64/!!', /invalid base64/],
      ['/metrics/job/x/a//b/1', /improper label name ""|empty value/],
      [`/metrics/job@base64/${b64('')}=`, /job name is required/],
    ];
    for (const [p, msg] of bad) {
      const res = await req('PUT', p, 'm 1\n');
      assert.equal(res.status, 400, p);
      assert.match(res.text, msg, p);
    }
    assert.equal(store.groupCount(), 1, 'nothing stored by refused pushes');
  });

  it('lets the grouping key win over body labels, and refuses duplicates and type conflicts', async () => {
    const app = new Collector();
    assert.equal((await req('PUT', '/metrics/job/j', 'a{job="other",x="1"} 1\n')).status, 200);
    assert.equal((await emit(app))[J('a', { x: '1' })], 1);

    // Both lines become a{job="j"}.
    let res = await req('PUT', '/metrics/job/j', 'a{job="other"} 1\na 2\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /inconsistent with existing metrics: series \{__name__="a", job="j"\} is twice in this group/);
    assert.equal((await emit(app))[J('a', { x: '1' })], 1, 'a refused push changes nothing');

    // Same series from two groups.
    res = await req('PUT', '/metrics/job/j/x/1', 'a 1\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /already in group/);

    assert.equal((await req('PUT', '/metrics/job/k', '# TYPE m counter\nm 1\n')).status, 200);
    res = await req('PUT', '/metrics/job/l', '# TYPE m gauge\nm 1\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /metric m is of type gauge here but of type counter in group/);
    // The failed group exists now, with its failure time (as the Pushgateway records it).
    clock += 1000;
    const got = await emit(app);
    assert.equal(got['{__name__="push_failure_time_seconds", job="l"}'], (clock - 1000) / 1000);
    assert.equal(got['{__name__="push_time_seconds", job="l"}'], 0);
    assert.equal(got['{__name__="m", job="l"}'], undefined);

    const metrics = await req('GET', '/metrics');
    assert.match(metrics.text, /^strata_agent_push_invalid_total\{reason="duplicate_series"\} 2$/m);
    assert.match(metrics.text, /^strata_agent_push_invalid_total\{reason="type_conflict"\} 1$/m);
    assert.match(metrics.text, /^strata_agent_push_requests_total\{method="PUT",result="success"\} \d+$/m);
  });

  it('refuses timestamps, malformed bodies and invalid names with 400, storing nothing', async () => {
    let res = await req('PUT', '/metrics/job/j', 'a 1 1700000000000\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /pushed metrics must not have timestamps/);

    res = await req('PUT', '/metrics/job/p', 'a 1\nb{x="1" 2\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /^line 2: /);
    assert.equal(store.groups().some((g) => g.labels.job === 'p'), false, 'a parse error creates no group');

    res = await req('POST', '/metrics/job/p', '{"my.metric"} 1\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /line 1: invalid metric name "my.metric"/);
    res = await req('POST', '/metrics/job/p', 'a{"my.label"="x"} 1\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /invalid label name "my.label"/);

    const app = new Collector();
    const got = await emit(app);
    // Only the timestamp push left a trace: its group's failure time.
    assert.deepEqual(Object.keys(got).sort(), [J('push_failure_time_seconds'), J('push_time_seconds')]);
    const metrics = await req('GET', '/metrics');
    assert.match(metrics.text, /^strata_agent_push_invalid_total\{reason="timestamp"\} 1$/m);
    assert.match(metrics.text, /^strata_agent_push_invalid_total\{reason="parse_error"\} \d+$/m);
  });

  it('bounds groups (400) and body size (413), reads gzip bodies', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await req('PUT', `/metrics/job/g${i}`, 'a 1\n')).status, 200);
    let res = await req('PUT', '/metrics/job/g5', 'a 1\n');
    assert.equal(res.status, 400);
    assert.match(res.text, /too many push groups \(limit 5\)/);
    assert.equal((await req('PUT', '/metrics/job/g4', 'a 2\n')).status, 200, 'an existing group may still be pushed');
    assert.equal((await req('DELETE', '/metrics/job/g4')).status, 202);

    res = await req('PUT', '/metrics/job/big', `a ${'1'.repeat(5000)}\n`);
    assert.equal(res.status, 413);
    const bomb = gzipSync(Buffer.from(`# ${' '.repeat(10_000)}\na 1\n`));
    res = await req('PUT', '/metrics/job/big', bomb, { 'content-encoding': 'gzip' });
    assert.equal(res.status, 413, 'the limit applies after decompression too');

    assert.equal((await req('PUT', '/metrics/job/gz', gzipSync('z 9\n'), { 'content-encoding': 'gzip' })).status, 200);
    assert.equal((await emit(new Collector()))['{__name__="z", job="gz"}'], 9);
    assert.equal((await req('PUT', '/metrics/job/gz', 'z 9\n', { 'content-encoding': 'br' })).status, 415);
  });

  it('reads delimited protobuf MetricFamily bodies (client_golang\'s default)', async () => {
    const body = Buffer.concat([
      delimited(family('jobs_total', 0, [metric([label('kind', 'x')], ld(3, dbl(1, 7)))])),
      delimited(family('lat_seconds', 4, [
        metric([], ld(7, Buffer.concat([vint(1, 3), dbl(2, 1.5), ld(3, Buffer.concat([vint(1, 1), dbl(2, 0.1)])), ld(3, Buffer.concat([vint(1, 2), dbl(2, 1)]))]))),
      ])),
      delimited(family('q', 2, [metric([], ld(4, Buffer.concat([vint(1, 4), dbl(2, 2), ld(3, Buffer.concat([dbl(1, 0.5), dbl(2, 0.25)]))])))])),
    ]);
    const ct = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
    assert.deepEqual(await req('PUT', '/metrics/job/pb', body, { 'content-type': ct }), { status: 200, text: '' });
    const got = await emit(new Collector());
    assert.equal(got['{__name__="jobs_total", job="pb", kind="x"}'], 7);
    assert.equal(got['{__name__="lat_seconds_bucket", job="pb", le="0.1"}'], 1);
    assert.equal(got['{__name__="lat_seconds_bucket", job="pb", le="1.0"}'], 2);
    assert.equal(got['{__name__="lat_seconds_bucket", job="pb", le="+Inf"}'], 3);
    assert.equal(got['{__name__="lat_seconds_sum", job="pb"}'], 1.5);
    assert.equal(got['{__name__="lat_seconds_count", job="pb"}'], 3);
    assert.equal(got['{__name__="q", job="pb", quantile="0.5"}'], 0.25);
    assert.equal(got['{__name__="q_count", job="pb"}'], 4);
    assert.equal(store.groups()[0]!.families.find((f) => f.name === 'lat_seconds')?.type, 'histogram');

    const withTs = delimited(family('t', 1, [metric([], Buffer.concat([ld(2, dbl(1, 1)), vint(6, 1_700_000_000_000)]))]));
    const res = await req('PUT', '/metrics/job/pb', withTs, { 'content-type': ct });
    assert.equal(res.status, 400);
    assert.match(res.text, /must not have timestamps/);
    assert.equal((await req('PUT', '/metrics/job/pb', Buffer.from([0x05, 0x0a]), { 'content-type': ct })).status, 400, 'truncated');
  });

  it('lists groups at /api/v1/metrics', async () => {
    assert.equal((await req('PUT', '/metrics/job/j/instance/i', '# HELP a Help.\n# TYPE a gauge\na 1\n')).status, 200);
    const res = await req('GET', '/api/v1/metrics');
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.text) as { status: string; data: { labels: Record<string, string>; families: { name: string; help: string }[] }[] };
    assert.equal(doc.status, 'success');
    assert.deepEqual(doc.data[0]!.labels, { instance: 'i', job: 'j' });
    assert.deepEqual(doc.data[0]!.families.map((f) => [f.name, f.help]), [['a', 'Help.']]);
  });
});

describe('PushStore expiry', () => {
  it('expires a group not pushed within push.expiry: stale markers once, then nothing', async () => {
    let now = 1_000_000;
    const s = new PushStore(pushCfg({ expiry: '1m' }), { now: () => now });
    const key = parseGroupingKey('job/batch');
    s.push(key, { families: new Map([['a', { name: 'a', type: 'gauge', help: '', samples: [{ labels: Labels.fromStrings('__name__', 'a'), value: 1 }] }]]), hasTimestamps: false }, true);
    const app = new Collector();
    await s.emit(app, now + 30_000);
    assert.equal(app.last()['{__name__="a", job="batch"}'], 1);
    now += 59_000;
    await s.emit(app, now);
    assert.equal(app.last()['{__name__="a", job="batch"}'], 1, 'not yet expired');
    await s.emit(app, 1_000_000 + 60_000);
    assert.deepEqual(app.last(), {
      '{__name__="a", job="batch"}': 'stale',
      '{__name__="push_failure_time_seconds", job="batch"}': 'stale',
      '{__name__="push_time_seconds", job="batch"}': 'stale',
    });
    assert.equal(s.groupCount(), 0);
    await s.emit(app, 1_000_000 + 75_000);
    assert.deepEqual(app.last(), {});
  });

  it('writes stale markers for everything at shutdown and refuses pushes after stop', async () => {
    const s = new PushStore(pushCfg(), { now: () => 5 });
    const key = parseGroupingKey('job/x');
    s.push(key, { families: new Map(), hasTimestamps: false }, true);
    const app = new Collector();
    await s.emit(app, 10);
    assert.equal(Object.keys(app.last()).length, 2);
    assert.equal(await s.emitStale(app, 20), 2);
    assert.ok(Object.values(app.last()).every((v) => v === 'stale'));
    s.stop();
    assert.throws(() => s.push(key, { families: new Map(), hasTimestamps: false }, true), /shutting down/);
  });
});

// A tiny protobuf writer for the test bodies.
function varint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}
function vint(field: number, v: number): Buffer {
  return Buffer.concat([varint(field * 8), varint(v)]);
}
function dbl(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([varint(field * 8 + 1), b]);
}
function ld(field: number, body: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(body.length), body]);
}
function str(field: number, s: string): Buffer {
  return ld(field, Buffer.from(s));
}
function label(name: string, value: string): Buffer {
  return ld(1, Buffer.concat([str(1, name), str(2, value)]));
}
function metric(labels: Buffer[], value: Buffer): Buffer {
  return Buffer.concat([...labels, value]);
}
function family(name: string, type: number, metrics: Buffer[]): Buffer {
  return Buffer.concat([str(1, name), vint(3, type), ...metrics.map((m) => ld(4, m))]);
}
function delimited(msg: Buffer): Buffer {
  return Buffer.concat([varint(msg.length), msg]);
}
