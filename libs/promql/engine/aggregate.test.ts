// Aggregation operators: grouping, compensated sums and means, statistics, k-selection order,
// count_values, limitk/limit_ratio, and parameter checks.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine } from './engine.ts';
import { STUB_FUNCTIONS, instant, load, newHead, rangeLines, vectorLines } from './engine_test_util.ts';
import fc from 'fast-check';
import { Labels } from '../../model/index.ts';
import type { AggregateExpr } from '../parser/ast.ts';
import { FParams, quantile, rangeEvalAgg } from './aggregate.ts';
import { Annotations } from './annotations.ts';
import type { Matrix } from './value.ts';

const ng = new Engine({ functions: STUB_FUNCTIONS, enableExperimental: true });
const head = newHead();
const T = 3000;

before(async () => {
  await load(head, 300_000, {
    'http_requests{job="api", instance="0"}': '0+10x10',
    'http_requests{job="api", instance="1"}': '0+20x10',
    'http_requests{job="db", instance="0"}': '0+30x10',
    'http_requests{job="db", instance="1"}': '0+40x10',
    'big{i="1"}': '1e100x10',
    'big{i="2"}': '1x10',
    'big{i="3"}': '-1e100x10',
    'huge{i="1"}': '1e308x10',
    'huge{i="2"}': '1e308x10',
    'huge{i="3"}': '-1e308x10',
    'ties{i="a"}': '1x10',
    'ties{i="b"}': '1x10',
    'ties{i="c"}': '2x10',
    'ties{i="d"}': 'NaNx10',
  });
});

describe('grouping', () => {
  it('by and without', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum by (job) (http_requests)', T)), ['{job="api"} 300', '{job="db"} 700']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum without (instance) (http_requests)', T)), ['{job="api"} 300', '{job="db"} 700']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum(http_requests)', T)), ['{} 1000']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum by (nonexistent) (http_requests)', T)), ['{} 1000']);
  });
});

describe('float aggregations', () => {
  it('count, min, max, group, avg', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'count by (job) (http_requests)', T)), ['{job="api"} 2', '{job="db"} 2']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'min by (job) (http_requests)', T)), ['{job="api"} 100', '{job="db"} 300']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'max by (job) (http_requests)', T)), ['{job="api"} 200', '{job="db"} 400']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'group by (job) (http_requests)', T)), ['{job="api"} 1', '{job="db"} 1']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'avg by (job) (http_requests)', T)), ['{job="api"} 150', '{job="db"} 350']);
  });

  it('min and max skip NaN unless only NaN is there', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'max(ties)', T)), ['{} 2']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'min(ties{i="d"})', T)), ['{} NaN']);
  });

  it('sum and avg are compensated (Kahan–Neumaier)', async () => {
    // Plain summation gives 0 in any order.
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum(big)', T)), ['{} 1']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'avg(big)', T)), [`{} ${1 / 3}`]);
  });

  it('avg switches to an incremental mean instead of overflowing', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'avg(huge)', T)), [`{} ${1e308 / 3}`]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum(huge)', T)), ['{} Infinity']);
  });

  it('stddev, stdvar, quantile', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'stdvar by (job) (http_requests)', T)), ['{job="api"} 2500', '{job="db"} 2500']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'stddev(http_requests)', T)), [`{} ${Math.sqrt(12500)}`]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'stddev(ties{i="d"})', T)), ['{} NaN']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'quantile(0.5, http_requests)', T)), ['{} 250']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'quantile by (job) (0.25, http_requests)', T)), ['{job="api"} 125', '{job="db"} 325']);
  });

  it('quantile warns about parameters outside [0, 1]', async () => {
    const r = await ng.instantQuery(head, 'quantile(2, http_requests)', T * 1000).exec();
    assert.deepEqual(vectorLines(r.value), ['{} Infinity']);
    assert.deepEqual(r.annotations.all(), [
      { level: 'warning', message: 'quantile value should be between 0 and 1, got 2', pos: { start: 9, end: 10 } },
    ]);
  });

  it('quantile() of values', () => {
    assert.equal(quantile(0.5, [3, 1, 2]), 2);
    assert.equal(quantile(0, [3, NaN, 1]), NaN);
    assert.equal(quantile(-1, [1]), -Infinity);
    assert.ok(Number.isNaN(quantile(0.5, [])));
  });
});

describe('topk and bottomk', () => {
  it('order instant results by value', async () => {
    const r = await ng.instantQuery(head, 'topk(3, http_requests)', T * 1000).exec();
    assert.deepEqual(vectorLines(r.value, true), [
      'http_requests{instance="1", job="db"} 400',
      'http_requests{instance="0", job="db"} 300',
      'http_requests{instance="1", job="api"} 200',
    ]);
    const b = await ng.instantQuery(head, 'bottomk by (job) (1, http_requests)', T * 1000).exec();
    assert.deepEqual(vectorLines(b.value), ['http_requests{instance="0", job="api"} 100', 'http_requests{instance="0", job="db"} 300']);
  });

  it('rank NaN last', async () => {
    const r = await ng.instantQuery(head, 'topk(1, ties)', T * 1000).exec();
    assert.deepEqual(vectorLines(r.value), ['ties{i="c"} 2']);
    const b = await ng.instantQuery(head, 'bottomk(4, ties)', T * 1000).exec();
    assert.equal(vectorLines(b.value, true).at(-1), 'ties{i="d"} NaN');
  });

  it('collect per-step winners into series over a range', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'topk(1, http_requests{job="api"} or vector(15))', 0, 600, 300), [
      '{} 15@0',
      'http_requests{instance="1", job="api"} 20@300 40@600',
    ]);
  });

  it('check their parameter', async () => {
    await assert.rejects(ng.instantQuery(head, 'topk(scalar(nonexistent), http_requests)', T * 1000).exec(), { message: 'Parameter value is NaN' });
    await assert.rejects(ng.instantQuery(head, 'topk(1e20, http_requests)', T * 1000).exec(), { message: 'Scalar value 1e+20 overflows int64' });
    await assert.rejects(ng.rangeQuery(head, 'topk(time() - 1e98 * (300 - time()), http_requests)', 0, 300_000, 300_000).exec(), {
      message: 'Scalar value -3e+100 underflows int64',
    });
    // Nothing to select at any step: no error.
    assert.deepEqual(vectorLines(await instant(ng, head, 'topk(-1e100, http_requests)', T)), []);
    assert.deepEqual(vectorLines(await instant(ng, head, 'topk(0, http_requests)', T)), []);
  });
});

describe('count_values', () => {
  it('counts each distinct value, formatted like Go', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'count_values("v", ties)', T)), ['{v="1"} 2', '{v="2"} 1', '{v="NaN"} 1']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'count_values by (i) ("v", big)', T)), [
      `{i="1", v="1${'0'.repeat(100)}"} 1`,
      '{i="2", v="1"} 1',
      `{i="3", v="-1${'0'.repeat(100)}"} 1`,
    ]);
  });

  it('rejects an invalid label name', async () => {
    await assert.rejects(ng.instantQuery(head, 'count_values("", ties)', T * 1000).exec(), { type: 'execution', message: 'invalid label name ""' });
  });
});

describe('limitk and limit_ratio', () => {
  it('limitk keeps k series per group', async () => {
    assert.equal(vectorLines(await instant(ng, head, 'limitk by (job) (1, http_requests)', T)).length, 2);
    assert.equal(vectorLines(await instant(ng, head, 'limitk(10, http_requests)', T)).length, 4);
  });

  it('limit_ratio picks series by their label hash, complementary for r and r - 1', async () => {
    for (const r of [0.1, 0.3, 0.5, 0.9]) {
      const a = vectorLines(await instant(ng, head, `limit_ratio(${r}, http_requests)`, T));
      const b = vectorLines(await instant(ng, head, `limit_ratio(${-(1 - r)}, http_requests)`, T));
      assert.equal(a.length + b.length, 4);
      assert.deepEqual([...a, ...b].sort(), vectorLines(await instant(ng, head, 'http_requests', T)));
    }
    const w = await ng.instantQuery(head, 'limit_ratio(1.5, http_requests)', T * 1000).exec();
    assert.equal(vectorLines(w.value).length, 4);
    assert.equal(w.annotations.all()[0]!.message, 'ratio value should be between -1 and 1, got 1.5, capping to 1');
  });

  it('are experimental', async () => {
    const plain = new Engine({ functions: STUB_FUNCTIONS });
    assert.throws(() => plain.instantQuery(head, 'limitk(1, http_requests)', 0), { name: 'PromQLError', type: 'bad_data' });
  });
});

describe('series-by-series aggregation', () => {
  it('gives the step walk’s results bit for bit', () => {
    const ops = ['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar'] as const;
    const value = fc.oneof(
      fc.double(),
      fc.constantFrom(1e308, -1e308, 1e100, -1e100, 0.1, 3),
      fc.integer({ min: -5, max: 5 }),
    );
    // Up to 6 steps of 10 ms from 100; some points off the grid or outside the range.
    const series = fc.record({
      group: fc.integer({ min: 0, max: 2 }),
      dropName: fc.boolean(),
      points: fc.uniqueArray(fc.tuple(fc.integer({ min: 9, max: 17 }), value), { selector: ([k]) => k, maxLength: 9 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...ops), fc.array(series, { maxLength: 8 }), fc.boolean(), (op, specs, instant) => {
        const start = 100;
        const end = instant ? 100 : 150;
        const input: Matrix = specs.map((s, i) => ({
          metric: Labels.fromStrings('g', String(s.group), 'i', String(i)),
          dropName: s.dropName,
          floats: [...s.points].sort((a, b) => a[0] - b[0]).map(([k, f]) => ({ t: k === 16 ? 157 : k * 10, f })),
        }));
        const ev = { startTimestamp: start, endTimestamp: end, interval: instant ? 1 : 10, annos: new Annotations(), check() {} };
        const expr = { kind: 'NumberLiteral', val: 0, posRange: { start: 0, end: 1 } };
        const e = { kind: 'AggregateExpr', op, without: false, grouping: ['g'], expr, posRange: { start: 0, end: 1 } } as unknown as AggregateExpr;
        const copy = (): Matrix => input.map((s) => ({ ...s, floats: s.floats.map((p) => ({ ...p })) }));
        const bySeries = rangeEvalAgg(ev, e, ['g'], copy(), FParams.none());
        const byStep = rangeEvalAgg(ev, e, ['g'], copy(), FParams.none(), true);
        assert.deepStrictEqual(bySeries, byStep);
      }),
      { numRuns: 500 },
    );
  });
});
