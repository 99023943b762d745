// The engine's contract: query creation errors, result types and order, one querier per query
// over the time range the query needs, limits, timeout, cancellation and storage failures.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Matcher } from '../../model/index.ts';
import type { Querier, Queryable, SelectHints, Series, SeriesSet } from '../../storage/index.ts';
import { Engine } from './engine.ts';
import { STUB_FUNCTIONS, instant, load, matrixLines, newHead, vectorLines } from './engine_test_util.ts';
import { PromQLError, QueryCanceledError, TooManySamplesError } from './errors.ts';

const ng = new Engine({ functions: STUB_FUNCTIONS });
const head = newHead();

before(async () => {
  await load(head, 60_000, {
    'm{i="b"}': '1+1x20',
    'm{i="a"}': '10+10x20',
    'm{i="c"}': '5x20',
  });
});

/** Records the querier range and select hints, and can fail or block series iteration. */
class SpyQueryable implements Queryable {
  ranges: [number, number][] = [];
  hints: (SelectHints | undefined)[] = [];
  closed = 0;
  onSeries?: () => void;
  failWith?: Error;

  constructor(private readonly inner: Queryable) {}

  querier(mint: number, maxt: number): Querier {
    this.ranges.push([mint, maxt]);
    const q = this.inner.querier(mint, maxt);
    return {
      select: (sorted: boolean, hints: SelectHints | undefined, matchers: readonly Matcher[]): SeriesSet => {
        this.hints.push(hints);
        const set = q.select(sorted, hints, matchers);
        const onSeries = () => this.onSeries?.();
        const failWith = this.failWith;
        return {
          async *[Symbol.asyncIterator](): AsyncIterator<Series> {
            for await (const s of set) {
              onSeries();
              if (failWith) throw failWith;
              yield s;
            }
          },
          warnings: () => ['partial data from a store'],
        };
      },
      labelNames: (m) => q.labelNames(m),
      labelValues: (n, m) => q.labelValues(n, m),
      close: () => {
        this.closed++;
        q.close();
      },
    };
  }
}

describe('query creation', () => {
  it('reports parse errors as bad_data with the parser message', () => {
    assert.throws(() => ng.instantQuery(head, 'sum(', 0), (e: unknown) => {
      assert.ok(e instanceof PromQLError);
      assert.equal(e.type, 'bad_data');
      assert.match(e.message, /^1:5: parse error: /);
      return true;
    });
  });

  it('accepts only instant vectors and scalars for range queries', () => {
    assert.throws(() => ng.rangeQuery(head, 'm[5m]', 0, 60_000, 60_000), {
      type: 'bad_data',
      message: 'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
    });
    assert.throws(() => ng.rangeQuery(head, '"x"', 0, 60_000, 60_000), { message: /invalid expression type "string"/ });
    assert.throws(() => ng.rangeQuery(head, 'm', 0, 60_000, 0), { type: 'bad_data' });
  });
});

describe('results', () => {
  it('instant queries return vectors, scalars, strings and matrices', async () => {
    assert.deepEqual((await ng.instantQuery(head, '"hello"', 5000).exec()).value, { type: 'string', value: { t: 5000, v: 'hello' } });
    assert.deepEqual((await ng.instantQuery(head, '1 + 2', 5000).exec()).value, { type: 'scalar', value: { t: 5000, v: 3 } });
    const v = (await ng.instantQuery(head, 'm{i="a"}', 90_000).exec()).value;
    assert.equal(v.type, 'vector');
    assert.equal(v.value[0]!.t, 90_000);
    assert.deepEqual(matrixLines(await instant(ng, head, 'm[2m]', 120)), ['m{i="a"} 20@60 30@120', 'm{i="b"} 2@60 3@120', 'm{i="c"} 5@60 5@120']);
  });

  it('range queries return matrices sorted by labels', async () => {
    const r = await ng.rangeQuery(head, 'm', 0, 120_000, 60_000).exec();
    assert.deepEqual(matrixLines(r.value), ['m{i="a"} 10@0 20@60 30@120', 'm{i="b"} 1@0 2@60 3@120', 'm{i="c"} 5@0 5@60 5@120']);
  });

  it('instant queries keep the order sort functions give', async () => {
    const r = await ng.instantQuery(head, 'sort_desc(m)', 60_000).exec();
    assert.deepEqual(vectorLines(r.value, true), ['m{i="a"} 20', 'm{i="c"} 5', 'm{i="b"} 2']);
  });

  it('warns that sorting a range query has no effect', async () => {
    const r = await ng.rangeQuery(head, 'sort_desc(m)', 0, 60_000, 60_000).exec();
    assert.deepEqual(r.annotations.all(), [
      { level: 'warning', message: 'sort is ineffective for range queries since results are always ordered by labels', pos: { start: 0, end: 12 } },
    ]);
  });

  it('reports that a rate input might not be a counter, at the argument', async () => {
    const r = await ng.instantQuery(head, 'rate(m[5m])', 300_000).exec();
    assert.deepEqual(r.annotations.all(), [
      { level: 'info', message: 'metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "m"', pos: { start: 5, end: 10 } },
    ]);
  });
});

describe('storage access', () => {
  it('uses one querier over the range the query needs, and closes it', async () => {
    const spy = new SpyQueryable(head);
    // Evaluated 10m..20m; offset 1m, range 5m, a subquery of 10m, look-back 5m.
    await ng.rangeQuery(spy, 'rate(m[5m] offset 1m) + count_over_time(m[10m:1m])', 600_000, 1_200_000, 60_000).exec();
    assert.deepEqual(spy.ranges, [[600_000 - 10 * 60_000 - 5 * 60_000 + 1, 1_200_000]]);
    assert.equal(spy.closed, 1);
    assert.deepEqual(spy.hints, [
      { start: 600_000 - 60_000 - 5 * 60_000 + 1, end: 1_200_000 - 60_000, step: 60_000, func: 'rate' },
      { start: 600_000 - 10 * 60_000 - 5 * 60_000 + 1, end: 1_200_000, step: 60_000, func: 'count_over_time' },
    ]);
  });

  it('pins the time range of @ selectors', async () => {
    const spy = new SpyQueryable(head);
    await ng.instantQuery(spy, 'm @ 100', 1_000_000).exec();
    assert.deepEqual(spy.ranges, [[100_000 - 300_000 + 1, 100_000]]);
  });

  it('passes storage warnings on as annotations', async () => {
    const spy = new SpyQueryable(head);
    const r = await ng.instantQuery(spy, 'm', 60_000).exec();
    assert.deepEqual(r.annotations.all(), [{ level: 'warning', message: 'partial data from a store' }]);
  });

  it('fails the query when storage fails', async () => {
    const spy = new SpyQueryable(head);
    spy.failWith = new Error('store unreachable');
    await assert.rejects(ng.instantQuery(spy, 'm', 60_000).exec(), { type: 'execution', message: 'expanding series: store unreachable' });
    assert.equal(spy.closed, 1);
  });
});

describe('limits', () => {
  it('fails a query that would hold too many samples', async () => {
    const small = new Engine({ functions: STUB_FUNCTIONS, maxSamples: 5 });
    await assert.rejects(small.rangeQuery(head, 'm', 0, 120_000, 60_000).exec(), (e: unknown) => {
      assert.ok(e instanceof TooManySamplesError);
      assert.equal(e.type, 'execution');
      assert.equal(e.message, 'query processing would load too many samples into memory in query execution');
      return true;
    });
    // The same query fits a larger limit, and an aggregation only keeps its result.
    const ok = new Engine({ functions: STUB_FUNCTIONS, maxSamples: 9 });
    await ok.rangeQuery(head, 'm', 0, 120_000, 60_000).exec();
    await assert.rejects(small.instantQuery(head, 'm[5m]', 300_000).exec(), TooManySamplesError);
  });

  it('times out', async () => {
    const slow = new Engine({ functions: STUB_FUNCTIONS, timeout: -1 });
    await assert.rejects(slow.instantQuery(head, 'm', 0).exec(), { type: 'timeout', message: 'query timed out in query execution' });
  });

  it('times out during evaluation', async () => {
    const slow = new Engine({ functions: STUB_FUNCTIONS, timeout: 20 });
    const spy = new SpyQueryable(head);
    spy.onSeries = () => {
      // Storage that takes longer than the timeout.
      const until = performance.now() + 40;
      while (performance.now() < until);
    };
    await assert.rejects(slow.instantQuery(spy, 'sum(m)', 60_000).exec(), {
      type: 'timeout',
      message: 'query timed out in expression evaluation',
    });
  });

  it('is canceled by an aborted signal or cancel()', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(ng.instantQuery(head, 'm', 0, { signal: ac.signal }).exec(), {
      type: 'canceled',
      message: 'query was canceled in query execution',
    });
    const spy = new SpyQueryable(head);
    const q = ng.instantQuery(spy, 'sum(m)', 60_000);
    spy.onSeries = () => q.cancel();
    await assert.rejects(q.exec(), (e: unknown) => {
      assert.ok(e instanceof QueryCanceledError);
      assert.equal(e.message, 'query was canceled in expression evaluation');
      return true;
    });
  });

  it('runs a query once', async () => {
    const q = ng.instantQuery(head, 'm', 0);
    await q.exec();
    await assert.rejects(q.exec(), { type: 'internal' });
  });
});
