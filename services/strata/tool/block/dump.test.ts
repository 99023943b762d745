import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, STALE_NAN, newHistogram, type FloatHistogram } from '../../../../libs/model/index.ts';
import { DB } from '../../../../libs/tsdb/index.ts';
import { runTool, defaultTools, type ToolIO } from '../index.ts';
import { formatHistogram } from './dump.ts';

function h(fields: Partial<FloatHistogram>): FloatHistogram {
  return { ...newHistogram(), ...fields };
}

test('histograms print as Prometheus Histogram.String() (its own test cases)', () => {
  assert.equal(formatHistogram(h({}), false), '{count:0, sum:0}');
  // Prometheus' buckets are deltas; ours are counts: deltas 1 2 -2 1 -1 0 are counts 1 3 1 2 1 1.
  const neg = h({ count: 9, sum: -3.1415, zeroCount: 12, zeroThreshold: 0.001, negativeSpans: [{ offset: 0, length: 5 }, { offset: 1, length: 1 }], negativeBuckets: [1, 3, 1, 2, 1, 1] });
  assert.equal(formatHistogram(neg, false), '{count:9, sum:-3.1415, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, [-1,-0.5):1, [-0.001,0.001]:12}');
  const both = h({
    count: 19, sum: 2.7,
    positiveSpans: [{ offset: 0, length: 4 }, { offset: 0, length: 0 }, { offset: 0, length: 3 }], positiveBuckets: [1, 3, 1, 2, 1, 1, 1],
    negativeSpans: [{ offset: 0, length: 5 }, { offset: 1, length: 0 }, { offset: 0, length: 1 }], negativeBuckets: [1, 3, 1, 2, 1, 1],
  });
  assert.equal(formatHistogram(both, false),
    '{count:19, sum:2.7, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, [-1,-0.5):1, (0.5,1]:1, (1,2]:3, (2,4]:1, (4,8]:2, (8,16]:1, (16,32]:1, (32,64]:1}');
  const nhcb = h({
    schema: -53, count: 19, sum: 2.7, customValues: [1, 2, 5, 10, 15, 20, 25, 50],
    positiveSpans: [{ offset: 0, length: 4 }, { offset: 0, length: 0 }, { offset: 0, length: 3 }], positiveBuckets: [1, 3, 1, 2, 1, 1, 1],
  });
  assert.equal(formatHistogram(nhcb, false), '{count:19, sum:2.7, [-Inf,1]:1, (1,2]:3, (2,5]:1, (5,10]:2, (10,15]:1, (15,20]:1, (20,25]:1}');
  // Float counts with %g; schema 2 bounds from Prometheus' table.
  assert.equal(formatHistogram(h({ schema: 2, count: 2.5, sum: 1e21, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [2.5] }), true),
    '{count:2.5, sum:1e+21, (0.8408964152537144,1]:2.5}');
});

test('block dump prints histogram samples', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-dump-h-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = await DB.open(dir, { autoCompact: false });
  const a = db.appender();
  const l = Labels.fromStrings('__name__', 'h', 'job', 'x');
  a.append(0, l, 1000, 0.5);
  a.appendHistogram(0, l, 2000, h({ count: 3, sum: 1.5, zeroCount: 1, zeroThreshold: 2 ** -128, positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [2] }));
  a.appendHistogram(0, l, 3000, undefined, h({ count: 3.5, sum: 2, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [3.5] }));
  a.appendHistogram(0, l, 4000, undefined, h({ sum: STALE_NAN }));
  await a.commit();
  await db.flush();
  await db.close();
  let out = '';
  const io: ToolIO = { stdout: (s) => (out += s), stderr: () => undefined, env: {} };
  assert.equal(await runTool(['block', 'dump', dir], defaultTools(), io), 0);
  assert.equal(out, [
    '{__name__="h", job="x"} 0.5 1000',
    '{__name__="h", job="x"} {count:3, sum:1.5, [-2.938735877055719e-39,2.938735877055719e-39]:1, (1,2]:2} 2000',
    '{__name__="h", job="x"} {count:3.5, sum:2, (0.5,1]:3.5} 3000',
    '{__name__="h", job="x"} {count:0, sum:NaN} 4000',
    '',
  ].join('\n'));
});
