import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Matcher, MatchType } from '../../libs/model/index.ts';
import { WriteRequestDecoder, encodeWriteRequest } from '../../libs/remotewrite/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { ValueType, collectSamples } from '../../libs/storage/index.ts';
import { Overrides, limitsConfigSchema } from '../../libs/tenant/index.ts';
import { Ingester } from './ingester.ts';

const HOUR = 3_600_000;
const overrides = new Overrides(validateConfig(limitsConfigSchema, {}));

describe('ingester push', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strata-ingester-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const newIngester = (counted: [string, string, number][] = []) =>
    new Ingester({ dir, blockRange: 2 * HOUR, retention: 13 * HOUR, walFsync: 'never' }, overrides, undefined, (t, r, n) => counted.push([t, r, n]));

  async function dump(ing: Ingester, tenant: string): Promise<string[]> {
    const out: string[] = [];
    const q = ing.queryable(tenant).querier(0, Infinity);
    for await (const s of q.select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')])) {
      const { ts, vs } = collectSamples(s.iterator());
      out.push(`${s.labels.toString()} ${ts.map((t, i) => `${vs[i]}@${t}`).join(' ')}`);
    }
    return out;
  }

  it('stores native histograms: integer bucket deltas as absolute counts, float ones as sent, across a restart', async () => {
    const ing = newIngester();
    await ing.start();
    const body = encodeWriteRequest({
      timeseries: [
        {
          labels: ['__name__', 'h_int', 'job', 'a'],
          histograms: [
            // Buckets 0..2 with counts 2, 5, 1 (deltas 2, +3, -4); one observation in the zero bucket.
            { count: 9, zeroCount: 1, sum: 12.5, schema: 1, zeroThreshold: 0.001, positiveSpans: [{ offset: 0, length: 3 }], positiveDeltas: [2, 3, -4], timestamp: 1000 },
            { count: 1, zeroCount: 0, sum: 0.5, schema: 1, zeroThreshold: 0.001, negativeSpans: [{ offset: -1, length: 1 }], negativeDeltas: [1], resetHint: 1, timestamp: 2000 },
          ],
        },
        {
          labels: ['__name__', 'h_float', 'job', 'a'],
          histograms: [{ count: 2.5, countFloat: true, zeroCount: 0.5, zeroCountFloat: true, sum: 3, schema: 0, zeroThreshold: 0, positiveSpans: [{ offset: 1, length: 2 }], positiveCounts: [1.5, 0.5], resetHint: 3, timestamp: 1000 }],
        },
      ],
    });
    assert.deepEqual(await ing.push('team', new WriteRequestDecoder().decode(body)), { accepted: 3, rejected: 0, rejections: [] });
    const read = async (i: Ingester) => {
      const out: unknown[] = [];
      for await (const s of i.queryable('team').querier(0, Infinity).select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', 'h_.*')])) {
        const c = collectSamples(s.iterator());
        out.push([s.labels.get('__name__'), c.types, c.ts, c.hs.map((h) => h && [h.counterResetHint === 'gauge', h.schema, h.count, h.zeroCount, h.sum, h.positiveBuckets, h.negativeBuckets, h.negativeSpans])]);
      }
      return out;
    };
    const want = [
      // A gauge histogram stays one (resetHint 3); counter hints are the chunks' business.
      ['h_float', [ValueType.FloatHistogram], [1000], [[true, 0, 2.5, 0.5, 3, [1.5, 0.5], [], []]]],
      ['h_int', [ValueType.Histogram, ValueType.Histogram], [1000, 2000], [
        [false, 1, 9, 1, 12.5, [2, 5, 1], [], []],
        [false, 1, 1, 0, 0.5, [], [1], [{ offset: -1, length: 1 }]],
      ]],
    ];
    assert.deepEqual(await read(ing), want);
    await ing.stop();
    const again = newIngester();
    await again.start();
    assert.deepEqual(await read(again), want, 'replayed from the WAL');
    await again.stop();
  });

  it('stores the good samples, reports the rest, and keeps them across a restart', async () => {
    const counted: [string, string, number][] = [];
    const ing = newIngester(counted);
    await ing.start();
    const decoder = new WriteRequestDecoder();
    const body = encodeWriteRequest({
      timeseries: [
        { labels: ['__name__', 'up', 'job', 'a'], samples: [{ value: 1, timestamp: 1000 }, { value: 2, timestamp: 2000 }] },
        { labels: ['__name__', 'up', 'job', 'b'], samples: [{ value: 5, timestamp: 1000 }] },
      ],
    });
    const r1 = await ing.push('team', decoder.decode(body));
    assert.deepEqual(r1, { accepted: 3, rejected: 0, rejections: [] });
    // An out-of-order sample in series 0, an invalid histogram in series 1; the rest is stored.
    const body2 = encodeWriteRequest({
      timeseries: [
        { labels: ['__name__', 'up', 'job', 'a'], samples: [{ value: 9, timestamp: 1500 }, { value: 3, timestamp: 3000 }] },
        { labels: ['__name__', 'h', 'job', 'b'], histograms: [{ count: 1, zeroCount: 0, sum: 1, schema: 0, zeroThreshold: 0, timestamp: 1000 }] },
      ],
    });
    const r2 = await ing.push('team', decoder.decode(body2));
    assert.equal(r2.accepted, 1);
    assert.equal(r2.rejected, 2);
    assert.deepEqual(r2.rejections.map((r) => [r.series, r.reason]), [[0, 'out_of_order_sample'], [1, 'invalid_histogram']]);
    assert.match(r2.rejections[0]!.message, /^out of order sample\. timestamp=1970-01-01T00:00:01\.500Z, series=\{__name__="up", job="a"\}$/);
    assert.deepEqual(counted, [['team', 'out_of_order_sample', 1], ['team', 'invalid_histogram', 1]]);
    const want = ['{__name__="up", job="a"} 1@1000 2@2000 3@3000', '{__name__="up", job="b"} 5@1000'];
    assert.deepEqual(await dump(ing, 'team'), want);
    assert.deepEqual(await dump(ing, 'other'), [], 'tenants are apart');
    await ing.stop();

    const again = newIngester();
    await again.start();
    assert.deepEqual(await dump(again, 'team'), want, 'replayed from the WAL');
    await again.stop();
  });

  it('refuses samples outside the time bounds and drops empty label values', async () => {
    const ing = newIngester();
    await ing.start();
    const req = new WriteRequestDecoder().decode(encodeWriteRequest({
      timeseries: [{ labels: ['__name__', 'x', 'empty', '', 'job', 'j'], samples: [{ value: 1, timestamp: 500 }, { value: 2, timestamp: 1000 }, { value: 3, timestamp: 9000 }] }],
    }));
    const r = await ing.push('t', req, undefined, undefined, { minT: 1000, maxT: 5000 });
    assert.equal(r.accepted, 1);
    assert.deepEqual(r.rejections.map((x) => x.message), [
      `received a sample whose timestamp is too far in the past, timestamp: 500 series: '{__name__="x", job="j"}' (err-mimir-too-far-in-past)`,
      `received a sample whose timestamp is too far in the future, timestamp: 9000 series: '{__name__="x", job="j"}' (err-mimir-too-far-in-future)`,
    ]);
    assert.deepEqual(await dump(ing, 't'), ['{__name__="x", job="j"} 2@1000']);
    await ing.stop();
  });

  it('pushes only the series it is given', async () => {
    const ing = newIngester();
    await ing.start();
    const req = new WriteRequestDecoder().decode(encodeWriteRequest({
      timeseries: [0, 1, 2].map((i) => ({ labels: ['__name__', 'x', 'i', String(i)], samples: [{ value: i, timestamp: 1000 }] })),
    }));
    assert.equal((await ing.push('t', req, [0, 2])).accepted, 2);
    assert.deepEqual(await dump(ing, 't'), ['{__name__="x", i="0"} 0@1000', '{__name__="x", i="2"} 2@1000']);
    await ing.stop();
  });
});
