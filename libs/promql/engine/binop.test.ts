// Binary operators: float semantics (Go's Pow and Mod, NaN comparisons), filtering and bool
// comparisons, set operators, vector matching cardinalities and their errors.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Engine } from './engine.ts';
import { STUB_FUNCTIONS, instant, load, newHead, rangeLines, vectorLines } from './engine_test_util.ts';
import type { Value } from './value.ts';

const ng = new Engine({ functions: STUB_FUNCTIONS });
const head = newHead();
const T = 3000; // 50m

before(async () => {
  await load(head, 300_000, {
    'http_requests{job="api", instance="0"}': '0+10x10',
    'http_requests{job="api", instance="1"}': '0+20x10',
    'http_requests{job="db", instance="0"}': '0+30x10',
    'info{instance="0", version="v1"}': '1x10',
    'info{instance="1", version="v2"}': '1x10',
    'nan_metric': 'NaNx10',
    'other{job="db", instance="0"}': '5x10',
  });
});

async function scalar(q: string): Promise<number> {
  const v: Value = await instant(ng, head, q, T);
  assert.equal(v.type, 'scalar');
  return v.value.v as number;
}

describe('scalar arithmetic', () => {
  it('follows Go math', async () => {
    assert.equal(await scalar('2 ^ 10'), 1024);
    assert.equal(await scalar('1 ^ NaN'), 1); // JavaScript's ** says NaN
    assert.equal(await scalar('-1 ^ Inf'), -1); // unary minus binds looser than ^
    assert.equal(await scalar('(-1) ^ Inf'), 1);
    assert.equal(await scalar('-7 % 3'), -1);
    assert.equal(await scalar('7 % -3'), 1);
    assert.ok(Number.isNaN(await scalar('5 % 0')));
    assert.equal(await scalar('10 atan2 0'), Math.PI / 2);
    assert.equal(await scalar('1 / 0'), Infinity);
    assert.equal(await scalar('NaN == bool NaN'), 0);
    assert.equal(await scalar('2 >= bool 2'), 1);
  });
});

describe('vector and scalar', () => {
  it('drops the name for arithmetic', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, '2 * http_requests{job="db"}', T)), ['{instance="0", job="db"} 600']);
  });

  it('filters with comparisons, keeping the vector value and name on either side', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests > 150', T)), [
      'http_requests{instance="0", job="db"} 300',
      'http_requests{instance="1", job="api"} 200',
    ]);
    assert.deepEqual(vectorLines(await instant(ng, head, '150 < http_requests', T)), [
      'http_requests{instance="0", job="db"} 300',
      'http_requests{instance="1", job="api"} 200',
    ]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'nan_metric != 0', T)), ['nan_metric NaN']);
    assert.deepEqual(vectorLines(await instant(ng, head, 'nan_metric == nan_metric', T)), []);
  });

  it('answers 0 or 1 with bool, dropping the name', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests > bool 150', T)), [
      '{instance="0", job="api"} 0',
      '{instance="0", job="db"} 1',
      '{instance="1", job="api"} 1',
    ]);
  });
});

describe('vector matching', () => {
  it('matches one-to-one on all labels but the name by default', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests - http_requests', T)), [
      '{instance="0", job="api"} 0',
      '{instance="0", job="db"} 0',
      '{instance="1", job="api"} 0',
    ]);
  });

  it('keeps only the on() labels in one-to-one results', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="api"} + on(instance) http_requests{job="db"}', T)), [
      '{instance="0"} 400',
    ]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="api"} > on(instance) http_requests{job="db"}', T)), []);
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="db"} > ignoring(job) http_requests{job="api"}', T)), [
      'http_requests{instance="0"} 300',
    ]);
  });

  it('matches many-to-one with group_left, copying labels from the one side', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests * on(instance) group_left(version) info', T)), [
      '{instance="0", job="api", version="v1"} 100',
      '{instance="0", job="db", version="v1"} 300',
      '{instance="1", job="api", version="v2"} 200',
    ]);
  });

  it('matches one-to-many with group_right', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'info * on(instance) group_right http_requests', T)), [
      '{instance="0", job="api"} 100',
      '{instance="0", job="db"} 300',
      '{instance="1", job="api"} 200',
    ]);
  });

  it('requires group_left/group_right for many-to-one', async () => {
    await assert.rejects(ng.instantQuery(head, 'http_requests * on(instance) info', T * 1000).exec(), {
      type: 'execution',
      message: 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
    });
  });

  it('reports duplicate series on the one side', async () => {
    await assert.rejects(ng.instantQuery(head, 'info * on(instance) group_left http_requests', T * 1000).exec(), {
      message:
        'found duplicate series for the match group {instance="0"} on the right hand-side of the operation: ' +
        '[{__name__="http_requests", instance="0", job="api"}, {__name__="http_requests", instance="0", job="db"}]' +
        ';many-to-many matching not allowed: matching labels must be unique on one side',
    });
    await assert.rejects(ng.instantQuery(head, 'http_requests * on(instance) group_right info', T * 1000).exec(), {
      message: /on the left hand-side of the operation/,
    });
  });

  it('requires grouping labels that keep results unique', async () => {
    await assert.rejects(ng.instantQuery(head, '{__name__=~"http_requests|other", job="db"} + on(instance) group_left info', T * 1000).exec(), {
      message: 'multiple matches for labels: grouping labels must ensure unique matches',
    });
    // Comparisons keep the name, so the results differ.
    assert.equal(vectorLines(await instant(ng, head, '{__name__=~"http_requests|other", job="db"} > on(instance) group_left info', T)).length, 2);
  });
});

describe('set operators', () => {
  it('and / or / unless match on the signature', async () => {
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="api"} and on(instance) http_requests{job="db"}', T)), [
      'http_requests{instance="0", job="api"} 100',
    ]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="api"} unless on(instance) http_requests{job="db"}', T)), [
      'http_requests{instance="1", job="api"} 200',
    ]);
    assert.deepEqual(vectorLines(await instant(ng, head, 'http_requests{job="db"} or on(instance) http_requests{job="api"}', T)), [
      'http_requests{instance="0", job="db"} 300',
      'http_requests{instance="1", job="api"} 200',
    ]);
  });

  it('or over a range fills steps from the right side', async () => {
    assert.deepEqual(await rangeLines(ng, head, 'http_requests{job="db"} < 100 or http_requests{job="db"} + on() group_left vector(1)', 0, 1200, 300), [
      'http_requests{instance="0", job="db"} 0@0 30@300 60@600 90@900',
      '{instance="0", job="db"} 121@1200',
    ]);
    // With delayed name removal both sides have the same labels until the end: one series, and
    // the first step decides whether its name is dropped (as in Prometheus).
    assert.deepEqual(await rangeLines(ng, head, 'http_requests{job="db"} < 100 or http_requests{job="db"} * 0', 0, 1200, 300), [
      'http_requests{instance="0", job="db"} 0@0 30@300 60@600 90@900 0@1200',
    ]);
  });
});
