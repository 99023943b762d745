// Selection and evaluation: look-back and staleness, offsets and @, range windows, subquery
// step alignment, step-invariant subtrees, delayed name removal and function calling convention.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine } from './engine.ts';
import { STUB_FUNCTIONS, instant, load, matrixLines, newHead, rangeLines, vectorLines } from './engine_test_util.ts';

const MIN = 60;
const ng = new Engine({ functions: STUB_FUNCTIONS });
const head = newHead();

before(async () => {
  await load(head, 5 * MIN * 1000, {
    'http_requests{job="api", instance="0"}': '0+10x10',
    'http_requests{job="api", instance="1"}': '0+20x10',
    'http_requests{job="db", instance="0"}': '0+30x10',
  });
  await load(head, MIN * 1000, {
    'stale_metric': '1 2 stale 4',
    'gappy': '1 _ _ _ _ _ _ 8',
  });
});

describe('instant vector selection', () => {
  it('takes the latest sample within the look-back delta', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests', 52 * MIN)), [
      'http_requests{instance="0", job="api"} 100',
      'http_requests{instance="0", job="db"} 300',
      'http_requests{instance="1", job="api"} 200',
    ]);
  });

  it('excludes a sample exactly look-back delta old', async () => {
    assert.equal(vectorLines(await instant(ng, head, 'http_requests', 54 * MIN + 59)).length, 3);
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests', 55 * MIN)), []);
  });

  it('honours a per-query look-back delta', async () => {
    const r = await ng.instantQuery(head, 'http_requests', 52 * MIN * 1000, { lookbackDelta: MIN * 1000 }).exec();
    assert.deepEqual(vectorLines(r.value), []);
  });

  it('ends a series at a stale marker', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'stale_metric', 90)), ['stale_metric 2']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'stale_metric', 2 * MIN)), []);
    assert.deepEqual(vectorLines(await instant(ng, head, 'stale_metric', 150)), []);
    assert.deepEqual(vectorLines(await instant(ng, head, 'stale_metric', 3 * MIN)), ['stale_metric 4']);
  });

  it('fills gaps up to the look-back delta in range queries', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'gappy', 0, 7 * MIN, MIN), ['gappy 1@0 1@60 1@120 1@180 1@240 8@420']);
  });

  it('applies offsets, including negative ones', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="db"} offset 10m', 50 * MIN)), ['http_requests{instance="0", job="db"} 240']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="db"} offset -10m', 30 * MIN)), ['http_requests{instance="0", job="db"} 240']);
  });

  it('pins @ to a time at every step', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'http_requests{job="db"} @ 600', 0, 20 * MIN, 10 * MIN), [
      'http_requests{instance="0", job="db"} 60@0 60@600 60@1200',
    ]);
    assert.deepEqual(await rangeLines(ng, head, 'http_requests{job="db"} @ end() offset 5m', 0, 20 * MIN, 10 * MIN), [
      'http_requests{instance="0", job="db"} 90@0 90@600 90@1200',
    ]);
  });
});

describe('range vector selection', () => {
  it('is left-open: (t - range, t]', async () => {
    assert.deepEqual(matrixLines(await instant(ng, head, 'http_requests{job="db"}[10m]', 50 * MIN)), [
      'http_requests{instance="0", job="db"} 270@2700 300@3000',
    ]);
  });

  it('skips stale markers inside the window', async () => {
    assert.deepEqual(matrixLines(await instant(ng, head, 'stale_metric[5m]', 4 * MIN)), ['stale_metric 1@0 2@60 4@180']);
  });

  it('slides one window per series over the steps', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'count_over_time(http_requests{job="db"}[10m])', 0, 50 * MIN, 10 * MIN), [
      '{instance="0", job="db"} 1@0 2@600 2@1200 2@1800 2@2400 2@3000',
    ]);
    // Windows that skip samples between steps.
    assert.deepEqual(await rangeLines(ng, head, 'sum_over_time(http_requests{job="db"}[5m])', 0, 50 * MIN, 20 * MIN), [
      '{instance="0", job="db"} 0@0 120@1200 240@2400',
    ]);
  });

  it('reads an @-pinned window once for all steps', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'sum_over_time(http_requests{job="db"}[10m] @ 600)', 0, 20 * MIN, 10 * MIN), [
      '{instance="0", job="db"} 90@0 90@600 90@1200',
    ]);
  });

  it('passes scalar arguments of range functions in argument order, without the range argument', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'quantile_over_time(0.25, http_requests{job="db"}[10m])', 50 * MIN)), [
      '{instance="0", job="db"} 0.25',
    ]);
  });

  it('keeps the metric name for last_over_time only', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'last_over_time(http_requests{job="db"}[10m])', 50 * MIN)), [
      'http_requests{instance="0", job="db"} 300',
    ]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum_over_time(http_requests{job="db"}[10m])', 50 * MIN)), [
      '{instance="0", job="db"} 570',
    ]);
  });

  it('fills the steps absent_over_time finds empty', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'absent_over_time(stale_metric[1m])', 0, 6 * MIN, MIN), ['{} 1@120 1@240 1@300 1@360']);
    assert.deepEqual(await rangeLines(ng, head, 'absent_over_time(nonexistent{a="b",c=~"d"}[1m])', 0, MIN, MIN), ['{a="b"} 1@0 1@60']);
  });
});

describe('subqueries', () => {
  it('evaluate at multiples of their step, aligned to absolute time', async () => {
    // 52m - 10m = 42m: steps at 45m, 48m, 51m see 90, 90, 100.
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum_over_time(http_requests{job="api", instance="0"}[10m:3m])', 52 * MIN)), [
      '{instance="0", job="api"} 280',
    ]);
    // 50m - 10m = 40m is itself a multiple of 4m, and excluded: 44m and 48m.
    assert.deepEqual(matrixLines(await instant(ng, head, 'http_requests{job="db"}[10m:4m]', 50 * MIN)), [
      'http_requests{instance="0", job="db"} 240@2640 270@2880',
    ]);
  });

  it('default to a 1m step', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'count_over_time(http_requests{job="db"}[5m:])', 50 * MIN)), [
      '{instance="0", job="db"} 5',
    ]);
  });

  it('apply offset and @ to the subquery', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'last_over_time(http_requests{job="db"}[10m:5m] offset 20m)', 50 * MIN)), [
      'http_requests{instance="0", job="db"} 180',
    ]);
    assert.deepEqual(await rangeLines(ng, head, 'last_over_time(http_requests{job="db"}[10m:5m] @ 900)', 0, 10 * MIN, 5 * MIN), [
      'http_requests{instance="0", job="db"} 90@0 90@300 90@600',
    ]);
  });

  it('keep the name-dropping mark of the inner expression', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'last_over_time(abs(http_requests{job="db"})[10m:])', 50 * MIN)), [
      '{instance="0", job="db"} 300',
    ]);
  });
});

describe('step invariance', () => {
  it('evaluates literals and @-pinned subtrees once and repeats them', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'sum(http_requests @ 300) + 1', 0, 10 * MIN, 5 * MIN), ['{} 61@0 61@300 61@600']);
    assert.deepEqual(await rangeLines(ng, head, 'vector(2)', 0, 10 * MIN, 5 * MIN), ['{} 2@0 2@300 2@600']);
  });

  it('does not treat time() as invariant', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'vector(time())', 0, 10 * MIN, 5 * MIN), ['{} 0@0 300@300 600@600']);
  });

  it('gives timestamp() the sample times, pinned by @ at every step', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'timestamp(http_requests{job="db"})', 52 * MIN)), ['{instance="0", job="db"} 3000']);
    assert.deepEqual(await rangeLines(ng, head, 'timestamp(http_requests{job="db"} @ 610)', 0, 10 * MIN, 5 * MIN), [
      '{instance="0", job="db"} 600@0 600@300 600@600',
    ]);
  });
});

describe('delayed name removal', () => {
  it('removes names at the end, after label functions could keep them', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, '-http_requests{job="db"}', 50 * MIN)), ['{instance="0", job="db"} -300']);
    assert.deepEqual(
      vectorLines(await instant(ng, head, 'label_replace(abs(http_requests{job="db"}), "__name__", "x_$1", "job", "(.*)")', 50 * MIN)),
      ['x_db{instance="0", job="db"} 300'],
    );
    assert.deepEqual(vectorLines(await instant(ng, head, 'sum by (__name__) (http_requests)', 50 * MIN)), ['http_requests 600']);
  });

  it('fails when dropping names makes series identical at the same time', async () => {
    await assert.rejects(ng.instantQuery(head, '-{__name__=~"stale_metric|gappy"}', MIN * 1000).exec(), {
      message: 'vector cannot contain metrics with the same labelset',
    });
    // … but merges them when they don't overlap in time.
    assert.deepEqual(await rangeLines(ng, head, '-stale_metric or -{__name__="gappy"}', 0, 3 * MIN, MIN), ['{} -1@0 -2@60 -1@120 -4@180']);
  });

  it('tells functions that names are removed at the end', async () => {
    const seen: (boolean | undefined)[] = [];
    const spy = new Engine({
      functions: {
        ...STUB_FUNCTIONS,
        abs: (v, m, a, enh, an) => {
          seen.push(enh.enableDelayedNameRemoval);
          return STUB_FUNCTIONS.abs!(v, m, a, enh, an);
        },
        sum_over_time: (v, m, a, enh, an) => {
          seen.push(enh.enableDelayedNameRemoval);
          return STUB_FUNCTIONS.sum_over_time!(v, m, a, enh, an);
        },
      },
    });
    await spy.instantQuery(head, 'abs(sum_over_time(http_requests[5m]))', 50 * MIN * 1000).exec();
    assert.ok(seen.length > 0);
    assert.ok(seen.every((x) => x === true));
  });

  it('relabels series, merging those that end up identical', async () => {
    await assert.rejects(
      ng.instantQuery(head, 'label_replace(http_requests, "job", "x", "job", ".*")', 50 * MIN * 1000).exec(),
      { message: 'vector cannot contain metrics with the same labelset' },
    );
  });
});
