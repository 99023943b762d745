import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { fastify } from 'fastify';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Labels } from '../../libs/model/index.ts';
import type { Matcher } from '../../libs/model/index.ts';
import type { Querier, Queryable, QueryOptions as StorageQueryOptions, SelectHints, SeriesSet } from '../../libs/storage/index.ts';
import { Head } from '../../libs/tsdb/index.ts';
import { QuerierAPI } from './api.ts';
import { MAX_TIME_MS, MIN_TIME_MS } from './params.ts';
import { Annotations, Engine } from './promql.ts';
import type { Query, QueryEngine, QueryOptions, QueryResult } from './promql.ts';

const HOUR = 3_600_000;
const NOW = 1_700_000_000_123;

interface Call {
  kind: 'instant' | 'range';
  qs: string;
  t?: number;
  start?: number;
  end?: number;
  step?: number;
  opts: QueryOptions | undefined;
}

/** An engine that records its calls and answers what a test sets; queries named "bad(" fail to parse. */
class FakeEngine implements QueryEngine {
  calls: Call[] = [];
  result: QueryResult = { value: { type: 'vector', value: [] } };
  /** Replaces exec when set. */
  exec: ((opts: QueryOptions | undefined) => Promise<QueryResult>) | undefined;

  #query(call: Call): Query {
    this.calls.push(call);
    if (call.qs === 'bad(') throw new Error('1:5: parse error: unexpected end of input inside parentheses');
    return { exec: () => (this.exec ? this.exec(call.opts) : Promise.resolve(this.result)) };
  }

  instantQuery(_q: Queryable, qs: string, t: number, opts?: QueryOptions): Query {
    return this.#query({ kind: 'instant', qs, t, opts });
  }

  rangeQuery(_q: Queryable, qs: string, start: number, end: number, step: number, opts?: QueryOptions): Query {
    return this.#query({ kind: 'range', qs, start, end, step, opts });
  }
}

/** A queryable over a head that records each querier's range and each select's hints. */
class SpyQueryable implements Queryable {
  ranges: Array<[number, number]> = [];
  hints: Array<SelectHints | undefined> = [];
  closed = 0;
  constructor(readonly head: Head) {}
  querier(mint: number, maxt: number): Querier {
    this.ranges.push([mint, maxt]);
    const q = this.head.querier(mint, maxt);
    return {
      select: (sorted: boolean, hints: SelectHints | undefined, ms: readonly Matcher[], opts?: StorageQueryOptions): SeriesSet => {
        this.hints.push(hints);
        return q.select(sorted, hints, ms, opts);
      },
      labelNames: (ms, opts) => q.labelNames(ms, opts),
      labelValues: (n, ms, opts) => q.labelValues(n, ms, opts),
      close: () => {
        this.closed++;
        q.close();
      },
    };
  }
}

const engine = new FakeEngine();
let queryable: SpyQueryable;
let app: FastifyInstance;

async function seed(): Promise<Head> {
  const head = new Head({ chunkRange: 2 * HOUR });
  const a = head.appender();
  const add = (t: number, v: number, ...nv: string[]) => a.append(0, Labels.fromStrings(...nv), t, v);
  add(1000, 1, '__name__', 'up', 'job', 'api', 'instance', 'a');
  add(1000, 0, '__name__', 'up', 'job', 'api', 'instance', 'b');
  add(1000, 1, '__name__', 'up', 'job', 'db', 'instance', 'c');
  add(1000, 5, '__name__', 'http_requests_total', 'job', 'api', 'code', '200');
  add(1000, 7, '__name__', 'odd', 'a.b', 'x<y');
  await a.commit();
  return head;
}

before(async () => {
  queryable = new SpyQueryable(await seed());
  const api = new QuerierAPI({ engine, queryableFor: () => queryable, build: { version: '1.2.3', revision: 'abc', branch: 'main' }, now: () => NOW });
  app = fastify();
  await app.register(api.plugin, { prefix: '/api/v1' });
  await app.register(api.plugin, { prefix: '/prometheus/api/v1' });
  await app.ready();
});
after(() => app.close());

function reset(): void {
  engine.calls = [];
  engine.result = { value: { type: 'vector', value: [] } };
  engine.exec = undefined;
  queryable.ranges = [];
  queryable.hints = [];
}

async function call(url: string, opts: Omit<InjectOptions, 'url'> = {}): Promise<{ status: number; body: string; json: Record<string, unknown>; headers: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url, ...opts });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    // 204s have no body.
  }
  return { status: res.statusCode, body: res.body, json, headers: res.headers };
}

function post(url: string, form: string): Promise<Awaited<ReturnType<typeof call>>> {
  return call(url, { method: 'POST', payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

function assertError(r: { status: number; body: string }, status: number, errorType: string, error: string): void {
  assert.equal(r.body, JSON.stringify({ status: 'error', errorType, error }));
  assert.equal(r.status, status);
}

describe('/api/v1/query', () => {
  it('runs an instant query at the given time and writes Prometheus\' JSON', async () => {
    reset();
    engine.result = {
      value: { type: 'vector', value: [{ metric: Labels.fromStrings('__name__', 'up', 'job', 'a<b'), t: 1435781451781, f: 1 }] },
    };
    const r = await call('/api/v1/query?query=up&time=1435781451.781');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a<b"},"value":[1435781451.781,"1"]}]}}');
    assert.equal(engine.calls.length, 1);
    assert.equal(engine.calls[0]!.qs, 'up');
    assert.equal(engine.calls[0]!.t, 1435781451781);
    assert.ok(engine.calls[0]!.opts?.signal instanceof AbortSignal);
    assert.equal(engine.calls[0]!.opts?.lookbackDelta, undefined);
  });

  it('defaults the time to now and serves GET, POST and the /prometheus prefix alike', async () => {
    reset();
    engine.result = { value: { type: 'scalar', value: { t: NOW, v: 2 } } };
    const want = `{"status":"success","data":{"resultType":"scalar","result":[${NOW / 1000},"2"]}}`;
    assert.equal((await call('/api/v1/query?query=1%2B1')).body, want);
    assert.equal((await post('/prometheus/api/v1/query', 'query=1%2B1')).body, want);
    // Form values come before URL values, as in Go's Request.Form.
    assert.equal((await post('/api/v1/query?query=ignored&time=5', 'query=1%2B1')).status, 200);
    assert.deepEqual(engine.calls.map((c) => [c.qs, c.t]), [['1+1', NOW], ['1+1', NOW], ['1+1', 5000]]);
  });

  it('reads RFC3339 times and lookback_delta', async () => {
    reset();
    await call('/api/v1/query?query=up&time=2015-07-01T20:10:51.781Z&lookback_delta=1m');
    assert.equal(engine.calls[0]!.t, 1435781451781);
    assert.equal(engine.calls[0]!.opts?.lookbackDelta, 60_000);
  });

  it('answers bad parameters with bad_data and Prometheus\' messages', async () => {
    reset();
    assertError(await call('/api/v1/query?query=up&time=abc'), 400, 'bad_data', `invalid parameter "time": invalid time value for 'time': cannot parse "abc" to a valid timestamp`);
    assertError(await call('/api/v1/query?query=up&limit=-1'), 400, 'bad_data', 'invalid parameter "limit": limit must be non-negative');
    assertError(await call('/api/v1/query?query=up&limit=x'), 400, 'bad_data', 'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax');
    assertError(await call('/api/v1/query?query=up&timeout=soon'), 400, 'bad_data', 'invalid parameter "timeout": cannot parse "soon" to a valid duration');
    assertError(await call('/api/v1/query?query=up&lookback_delta=x'), 400, 'bad_data', 'error parsing lookback delta duration: cannot parse "x" to a valid duration');
    assertError(await call('/api/v1/query?query=bad('), 400, 'bad_data', 'invalid parameter "query": 1:5: parse error: unexpected end of input inside parentheses');
    assert.deepEqual(engine.calls.map((c) => c.qs), ['bad(']);
  });

  it('maps execution errors to their type and status', async () => {
    reset();
    const cases: Array<[unknown, number, string, string]> = [
      [Object.assign(new Error('query processing would load too many samples into memory in query execution'), { type: 'execution' }), 422, 'execution', 'query processing would load too many samples into memory in query execution'],
      [Object.assign(new Error('query timed out in expression evaluation'), { type: 'timeout' }), 503, 'timeout', 'query timed out in expression evaluation'],
      [Object.assign(new Error('query was canceled in expression evaluation'), { type: 'canceled' }), 499, 'canceled', 'query was canceled in expression evaluation'],
      [Object.assign(new Error('disk on fire'), { type: 'internal' }), 500, 'internal', 'disk on fire'],
      [Object.assign(new Error('TSDB not ready'), { type: 'unavailable' }), 500, 'unavailable', 'TSDB not ready'],
      [new Error('vector cannot contain metrics with the same labelset'), 422, 'execution', 'vector cannot contain metrics with the same labelset'],
    ];
    for (const [err, status, type, msg] of cases) {
      engine.exec = () => Promise.reject(err);
      assertError(await call('/api/v1/query?query=up'), status, type, msg);
    }
  });

  it('times out with the timeout parameter', async () => {
    reset();
    // Like the engine: wait for the signal, then report what aborted it.
    engine.exec = (opts) =>
      new Promise((_, reject) => {
        opts!.signal!.addEventListener('abort', () => {
          const timedOut = (opts!.signal!.reason as Error).name === 'TimeoutError';
          reject(Object.assign(new Error(`query ${timedOut ? 'timed out' : 'was canceled'} in expression evaluation`), { type: timedOut ? 'timeout' : 'canceled' }));
        });
      });
    assertError(await call('/api/v1/query?query=up&timeout=0.01'), 503, 'timeout', 'query timed out in expression evaluation');
    // An engine that just rejects with the signal's reason is classified the same way.
    engine.exec = (opts) => new Promise((_, reject) => opts!.signal!.addEventListener('abort', () => reject(opts!.signal!.reason)));
    assertError(await call('/api/v1/query_range?query=up&start=0&end=10&step=1&timeout=10ms'), 503, 'timeout', 'query timed out in expression evaluation');
  });

  it('cancels the query when the client goes away', async () => {
    reset();
    let sawAbort!: (reason: unknown) => void;
    const aborted = new Promise<unknown>((resolve) => (sawAbort = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    engine.exec = (opts) =>
      new Promise((_, reject) => {
        opts!.signal!.addEventListener('abort', () => {
          sawAbort(opts!.signal!.reason);
          reject(Object.assign(new Error('query was canceled in expression evaluation'), { type: 'canceled' }));
        });
        started();
      });
    const server = fastify();
    const api = new QuerierAPI({ engine, queryableFor: () => queryable, build: { version: 'v', revision: 'r', branch: 'b' } });
    await server.register(api.plugin, { prefix: '/api/v1' });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (server.server.address() as AddressInfo).port;
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/query?query=slow' });
      req.on('error', () => {});
      req.end();
      await running;
      req.destroy();
      const reason = await aborted;
      assert.equal((reason as Error).name, 'AbortError');
    } finally {
      await server.close();
    }
  });

  it('truncates to limit with a warning and renders annotations', async () => {
    reset();
    const annos = new Annotations();
    annos.warn('metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up"', { start: 5, end: 7 });
    annos.info('ignored', { start: 0, end: 1 });
    const up = (i: number) => ({ metric: Labels.fromStrings('i', String(i)), floats: [{ t: 0, f: i }] });
    engine.result = { value: { type: 'matrix', value: [up(1), up(2), up(3)] }, annotations: annos };
    const r = await call('/api/v1/query?query=rate(up%5B5m%5D)&limit=2');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { i: '1' }, values: [[0, '1']] }, { metric: { i: '2' }, values: [[0, '2']] }] },
      warnings: [
        'PromQL warning: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "up" (1:6)',
        'results truncated due to limit',
      ],
      infos: ['PromQL info: ignored (1:1)'],
    });
    // Exactly at the limit: nothing is cut, nothing is said.
    engine.result = { value: { type: 'matrix', value: [up(1), up(2)] } };
    assert.equal((await call('/api/v1/query?query=x&limit=2')).json.warnings, undefined);
  });

  it('caps warnings at ten, saying how many were left out', async () => {
    reset();
    const annos = new Annotations();
    for (let i = 0; i < 13; i++) annos.warn(`w${i}`);
    engine.result = { value: { type: 'vector', value: [] }, annotations: annos };
    const w = (await call('/api/v1/query?query=x')).json.warnings as string[];
    assert.equal(w.length, 11);
    assert.equal(w[10], '3 more warning annotations omitted');
  });

  it('adds stats when asked, and warns about deprecated stats values', async () => {
    reset();
    engine.result = { value: { type: 'vector', value: [] }, stats: { totalQueryableSamples: 12, peakSamples: 4, samplesRead: 12, totalQueryableSamplesPerStep: [[1000, 12]] } };
    const all = (await call('/api/v1/query?query=x&stats=all')).json.data as { stats: { timings: Record<string, number>; samples: Record<string, unknown> } };
    assert.deepEqual(Object.keys(all.stats.timings), ['evalTotalTime', 'resultSortTime', 'queryPreparationTime', 'innerEvalTime', 'execQueueTime', 'execTotalTime']);
    for (const v of Object.values(all.stats.timings)) assert.ok(typeof v === 'number' && v >= 0);
    assert.deepEqual(all.stats.samples, { totalQueryableSamplesPerStep: [[1, 12]], totalQueryableSamples: 12, samplesRead: 12, peakSamples: 4 });
    const yes = (await call('/api/v1/query?query=x&stats=true')).json.data as { stats: { samples: Record<string, unknown> } };
    assert.deepEqual(yes.stats.samples, { totalQueryableSamples: 12, samplesRead: 12, peakSamples: 4 });
    const odd = await call('/api/v1/query?query=x&stats=1');
    assert.ok((odd.json.data as Record<string, unknown>).stats);
    assert.deepEqual(odd.json.warnings, ['value "1" for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"']);
    assert.equal(((await call('/api/v1/query?query=x')).json.data as Record<string, unknown>).stats, undefined);
  });

  it('gzips large responses for clients that accept it', async () => {
    reset();
    const v = Array.from({ length: 100 }, (_, i) => ({ metric: Labels.fromStrings('i', String(i)), t: 0, f: i }));
    engine.result = { value: { type: 'vector', value: v } };
    const res = await app.inject({ method: 'GET', url: '/api/v1/query?query=x', headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(res.headers['content-encoding'], 'gzip');
    const body = JSON.parse(gunzipSync(res.rawPayload).toString()) as { data: { result: unknown[] } };
    assert.equal(body.data.result.length, 100);
    const plain = await app.inject({ method: 'GET', url: '/api/v1/query?query=x' });
    assert.equal(plain.headers['content-encoding'], undefined);
  });
});

describe('/api/v1/query_range', () => {
  it('passes start, end and step in ms', async () => {
    reset();
    engine.result = { value: { type: 'matrix', value: [] } };
    const r = await post('/api/v1/query_range', 'query=up&start=2015-07-01T20:10:30.781Z&end=2015-07-01T20:11:00.781Z&step=15s');
    assert.equal(r.body, '{"status":"success","data":{"resultType":"matrix","result":[]}}');
    assert.deepEqual(engine.calls.map((c) => [c.kind, c.qs, c.start, c.end, c.step]), [['range', 'up', 1435781430781, 1435781460781, 15_000]]);
    await call('/prometheus/api/v1/query_range?query=up&start=0&end=100&step=0.5');
    assert.equal(engine.calls[1]!.step, 500);
  });

  it('validates the range like Prometheus', async () => {
    reset();
    assertError(await call('/api/v1/query_range?query=up&end=1&step=1'), 400, 'bad_data', 'invalid parameter "start": cannot parse "" to a valid timestamp');
    assertError(await call('/api/v1/query_range?query=up&start=1&step=1'), 400, 'bad_data', 'invalid parameter "end": cannot parse "" to a valid timestamp');
    assertError(await call('/api/v1/query_range?query=up&start=2&end=1&step=1'), 400, 'bad_data', 'invalid parameter "end": end timestamp must not be before start time');
    assertError(await call('/api/v1/query_range?query=up&start=1&end=2'), 400, 'bad_data', 'invalid parameter "step": cannot parse "" to a valid duration');
    for (const step of ['0', '-1', '0s', '0.0001']) {
      assertError(await call(`/api/v1/query_range?query=up&start=1&end=2&step=${step}`), 400, 'bad_data',
        'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
    }
    assertError(await call('/api/v1/query_range?query=up&start=0&end=11001&step=1'), 400, 'bad_data',
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    assert.equal((await call('/api/v1/query_range?query=up&start=0&end=11000&step=1')).status, 200);
    assert.equal((await call('/api/v1/query_range?query=up&start=0&end=11000.999&step=1')).status, 200);
    assertError(await call('/api/v1/query_range?query=bad(&start=0&end=1&step=1'), 400, 'bad_data', 'invalid parameter "query": 1:5: parse error: unexpected end of input inside parentheses');
    assert.equal(engine.calls.length, 3);
  });
});

describe('/api/v1/series', () => {
  it('lists the series of one or several selectors, merged and sorted', async () => {
    reset();
    const r = await call('/api/v1/series?match[]=up{job="api"}');
    assert.deepEqual(r.json, {
      status: 'success',
      data: [{ __name__: 'up', instance: 'a', job: 'api' }, { __name__: 'up', instance: 'b', job: 'api' }],
    });
    assert.deepEqual(queryable.ranges, [[MIN_TIME_MS, MAX_TIME_MS]]);
    assert.equal(queryable.hints[0]?.func, 'series');
    const many = await post('/api/v1/series?match[]=up{instance="c"}', `match[]=${encodeURIComponent('{job="api"}')}&match[]=up&start=0&end=2`);
    assert.deepEqual((many.json.data as Array<Record<string, string>>).map((l) => `${l.__name__}/${l.instance ?? ''}`), [
      'http_requests_total/', 'up/a', 'up/b', 'up/c',
    ]);
    assert.deepEqual(queryable.ranges[1], [0, 2000]);
    // Label sets in results are written without HTML escaping, as Prometheus writes them.
    assert.equal((await call('/api/v1/series?match[]=odd')).body, '{"status":"success","data":[{"__name__":"odd","a.b":"x<y"}]}');
  });

  it('truncates to limit with a warning', async () => {
    reset();
    const r = await call('/api/v1/series?match[]=up&limit=2');
    assert.equal((r.json.data as unknown[]).length, 2);
    assert.deepEqual(r.json.warnings, ['results truncated due to limit']);
    const exact = await call('/api/v1/series?match[]=up&limit=3');
    assert.equal((exact.json.data as unknown[]).length, 3);
    assert.equal(exact.json.warnings, undefined);
  });

  it('checks match[], limit, start and end', async () => {
    reset();
    assertError(await call('/api/v1/series'), 400, 'bad_data', 'no match[] parameter provided');
    assertError(await call('/api/v1/series?match[]={a=""}'), 400, 'bad_data', 'invalid parameter "match[]": match[] must contain at least one non-empty matcher');
    assertError(await call('/api/v1/series?match[]=up&match[]={a=~".*"}'), 400, 'bad_data', 'invalid parameter "match[]": match[] must contain at least one non-empty matcher');
    const bad = await call('/api/v1/series?match[]=up{');
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /^invalid parameter "match\[\]": 1:4: parse error: /);
    assertError(await call('/api/v1/series?match[]=up&start=x'), 400, 'bad_data', `invalid parameter "start": invalid time value for 'start': cannot parse "x" to a valid timestamp`);
    assertError(await call('/api/v1/series?match[]=up&limit=a'), 400, 'bad_data', 'invalid parameter "limit": strconv.Atoi: parsing "a": invalid syntax');
  });
});

describe('/api/v1/labels and /api/v1/label/<name>/values', () => {
  it('lists label names, optionally of matching series', async () => {
    reset();
    assert.deepEqual((await call('/api/v1/labels')).json, { status: 'success', data: ['__name__', 'a.b', 'code', 'instance', 'job'] });
    assert.deepEqual((await post('/prometheus/api/v1/labels', 'match[]=http_requests_total')).json.data, ['__name__', 'code', 'job']);
    assert.deepEqual((await call('/api/v1/labels?match[]=odd&match[]=http_requests_total')).json.data, ['__name__', 'a.b', 'code', 'job']);
    const lim = await call('/api/v1/labels?limit=2');
    assert.deepEqual(lim.json, { status: 'success', data: ['__name__', 'a.b'], warnings: ['results truncated due to limit'] });
    const bad = await call('/api/v1/labels?match[]={a=""}');
    assertError(bad, 400, 'bad_data', 'match[] must contain at least one non-empty matcher');
  });

  it('lists label values, optionally of matching series', async () => {
    reset();
    assert.deepEqual((await call('/api/v1/label/job/values')).json, { status: 'success', data: ['api', 'db'] });
    assert.deepEqual((await call('/api/v1/label/instance/values?match[]=up{job="api"}')).json.data, ['a', 'b']);
    assert.deepEqual((await call('/prometheus/api/v1/label/__name__/values?match[]={job="db"}&match[]=odd')).json.data, ['odd', 'up']);
    assert.deepEqual((await call('/api/v1/label/nope/values')).json, { status: 'success', data: [] });
    // UTF-8 names travel escaped as U__…: "a.b" is U__a_2e_b.
    assert.deepEqual((await call('/api/v1/label/U__a_2e_b/values')).json.data, ['x<y']);
    const lim = await call('/api/v1/label/instance/values?limit=1');
    assert.deepEqual(lim.json, { status: 'success', data: ['a'], warnings: ['results truncated due to limit'] });
    assertError(await call('/api/v1/label/U__/values'), 400, 'bad_data', 'invalid label name: ""');
    assert.equal((await call('/api/v1/label/job/values', { method: 'POST' })).status, 404);
  });
});

describe('the other endpoints', () => {
  it('/metadata is empty and validates its numbers', async () => {
    assert.equal((await call('/api/v1/metadata?metric=up&limit=5')).body, '{"status":"success","data":{}}');
    assertError(await call('/api/v1/metadata?limit=x'), 400, 'bad_data', 'limit must be a number');
    assertError(await call('/api/v1/metadata?limit_per_metric=1.5'), 400, 'bad_data', 'limit_per_metric must be a number');
  });

  it('/query_exemplars is empty for selectors, 204 without any', async () => {
    assert.equal((await call('/api/v1/query_exemplars?query=sum(rate(foo%5B1m%5D))&start=0&end=10')).body, '{"status":"success","data":[]}');
    assert.equal((await post('/api/v1/query_exemplars', 'query=1%2B2')).status, 204);
    assertError(await call('/api/v1/query_exemplars?query=up&start=10&end=1'), 400, 'bad_data', 'end timestamp must not be before start timestamp');
    const bad = await call('/api/v1/query_exemplars?query=up{');
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /^1:4: parse error: /);
  });

  it('/format_query pretty-prints and /parse_query returns the tree', async () => {
    const f = await call('/api/v1/format_query?query=sum(rate(foo%7Ba%3D%22b%22%7D%5B5m%5D))by(job)');
    assert.equal(f.body, '{"status":"success","data":"sum by (job) (rate(foo{a=\\"b\\"}[5m]))"}');
    const p = await post('/prometheus/api/v1/parse_query', 'query=foo offset 1m');
    assert.equal(
      p.body,
      '{"status":"success","data":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":60000,' +
        '"offsetExpr":null,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}}',
    );
    const bad = await call('/api/v1/parse_query?query=sum(');
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /^invalid parameter "query": 1:5: parse error: /);
    assert.match(String((await call('/api/v1/format_query')).json.error), /^invalid parameter "query": /);
  });

  it('/status/buildinfo reports our version in Prometheus\' shape', async () => {
    const r = await call('/api/v1/status/buildinfo');
    assert.deepEqual(r.json, {
      status: 'success',
      data: { version: '1.2.3', revision: 'abc', branch: 'main', buildUser: '', buildDate: '', goVersion: `node${process.version.slice(1)}` },
    });
  });

  it('answers OPTIONS with 204 and unknown paths with 404', async () => {
    assert.equal((await call('/api/v1/query', { method: 'OPTIONS' })).status, 204);
    assert.equal((await call('/api/v1/nope')).status, 404);
  });

  it('ignores bodies that are not forms', async () => {
    reset();
    const r = await call('/api/v1/query?query=up', { method: 'POST', payload: '{"query":"x"}', headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 200);
    assert.equal(engine.calls[0]!.qs, 'up');
  });
});

describe('with the PromQL engine', () => {
  let real: FastifyInstance;
  /** Series whose samples never come: selecting them waits until the query is aborted. */
  const stuck: Queryable = {
    querier: () => ({
      select: (_s, _h, _m, opts): SeriesSet => ({
        async *[Symbol.asyncIterator]() {
          await new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(opts.signal!.reason as Error)));
        },
        warnings: () => [],
      }),
      labelNames: async () => [],
      labelValues: async () => [],
      close: () => {},
    }),
  };

  before(async () => {
    const head = await seed();
    const api = new QuerierAPI({
      engine: new Engine(),
      queryableFor: () => head,
      build: { version: 'v', revision: 'r', branch: 'b' },
      now: () => 2000,
    });
    const slow = new QuerierAPI({ engine: new Engine(), queryableFor: () => stuck, build: { version: 'v', revision: 'r', branch: 'b' } });
    real = fastify();
    await real.register(api.plugin, { prefix: '/api/v1' });
    await real.register(slow.plugin, { prefix: '/slow/api/v1' });
    await real.ready();
  });
  after(() => real.close());

  const get = async (url: string) => {
    const res = await real.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.body };
  };

  it('answers instant and range queries over the storage', async () => {
    assert.equal(
      (await get('/api/v1/query?query=up%7Bjob%3D%22api%22%7D')).body,
      '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"a","job":"api"},"value":[2,"1"]},' +
        '{"metric":{"__name__":"up","instance":"b","job":"api"},"value":[2,"0"]}]}}',
    );
    assert.equal(
      (await get('/api/v1/query_range?query=sum(up)&start=0&end=2&step=1')).body,
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"],[2,"2"]]}]}}',
    );
    assert.equal((await get('/api/v1/query?query=%22a%3Cb%22&time=1.5')).body, '{"status":"success","data":{"resultType":"string","result":[1.5,"a\\u003cb"]}}');
  });

  it('reports the engine\'s errors as Prometheus does', async () => {
    const empty = await get('/api/v1/query?query=');
    assert.equal(empty.status, 400);
    // Prometheus has no position for an empty query.
    assert.match(empty.body, /"error":"invalid parameter \\"query\\": unknown position: parse error: no expression found in input"/);
    const matrix = await get('/api/v1/query_range?query=up%5B5m%5D&start=0&end=2&step=1');
    assertError(matrix, 400, 'bad_data', 'invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });

  it('turns an expired timeout into a timeout error', async () => {
    assertError(await get('/slow/api/v1/query?query=up&timeout=0.05'), 503, 'timeout', 'query timed out in expression evaluation');
  });
});
