import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels, Matcher, MatchType, STALE_NAN, isStaleNaN, newHistogram, type FloatHistogram } from '../model/index.ts';
import { ListSeries, ListSeriesSet, collectSamples, type Querier } from '../storage/index.ts';
import { Block, ChunkSeries, Encoding, Head, chunkSeriesFromSeriesSet, clampChunks, writeBlock } from './index.ts';

const exec = promisify(execFile);
const hasPromtool = await exec('promtool', ['--version']).then(() => true, () => false);

test('a block written from any sorted series set reads back bit for bit, and promtool reads it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-block-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const nanPayload = new Float64Array(new Uint32Array([0xdead, 0x7ff80001]).buffer)[0]!;
  // Stored one by one: a JS array literal would canonicalise the NaN payloads.
  const vs = new Float64Array(6);
  vs[0] = 1;
  vs[1] = STALE_NAN;
  vs[2] = -0;
  vs[3] = nanPayload;
  vs[4] = Infinity;
  vs[5] = 5e-324;
  assert.ok(isStaleNaN(vs[1]!));
  const ts = [1000, 2000, 3000, 4000, 5000, 6000];
  const long = Array.from({ length: 300 }, (_, i) => i * 15_000);
  const set = new ListSeriesSet([
    new ListSeries(Labels.fromStrings('__name__', 'a', 'x', '1'), ts, vs),
    new ListSeries(Labels.fromStrings('__name__', 'b'), long, new Float64Array(long.map((t) => t / 7))),
  ]);
  const meta = await writeBlock(dir, chunkSeriesFromSeriesSet(set), {
    minTime: 0,
    maxTime: 300 * 15_000,
    thanos: { labels: { tenant: 't1' }, downsample: { resolution: 0 }, source: 'test' },
  });
  assert.deepEqual(meta.stats, { numSamples: 306, numFloatSamples: 306, numSeries: 2, numChunks: 4 });
  const onDisk = JSON.parse(await readFile(join(dir, meta.ulid, 'meta.json'), 'utf8')) as { version: number; thanos: { labels: object } };
  assert.equal(onDisk.version, 1);
  assert.deepEqual(onDisk.thanos.labels, { tenant: 't1' });

  const block = await Block.open(join(dir, meta.ulid));
  t.after(() => block.close());
  const q = block.querier(0, Number.MAX_SAFE_INTEGER);
  const got: Record<string, { ts: number[]; vs: Float64Array }> = {};
  for await (const s of q.select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', 'a|b')])) got[s.labels.toString()] = collectSamples(s.iterator());
  const a = got['{__name__="a", x="1"}']!;
  assert.deepEqual(a.ts, ts);
  assert.deepEqual(new Uint32Array(a.vs.buffer), new Uint32Array(vs.buffer), 'values bit-exact');
  assert.ok(isStaleNaN(a.vs[1]!));
  assert.equal(got['{__name__="b"}']!.ts.length, 300);
  // Time-bounded selection: [2000, 4000] inclusive.
  const window = block.querier(2000, 4000);
  for await (const s of window.select(true, undefined, [new Matcher(MatchType.Equal, 'x', '1')])) assert.deepEqual(collectSamples(s.iterator()).ts, [2000, 3000, 4000]);
  assert.deepEqual(await q.labelNames([]), ['__name__', 'x']);
  assert.deepEqual(await q.labelValues('__name__', [new Matcher(MatchType.Equal, 'x', '1')]), ['a']);

  if (hasPromtool) {
    await mkdir(join(dir, 'wal'));
    const { stdout } = await exec('promtool', ['tsdb', 'dump', '--match={__name__="a"}', dir]);
    assert.equal(stdout, ['1 1000', 'NaN 2000', '-0 3000', 'NaN 4000', '+Inf 5000', '5e-324 6000'].map((l) => `{__name__="a", x="1"} ${l}\n`).join(''));
  }
});

test('writeBlock rejects unsorted input and leaves no partial block behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-block-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const set = new ListSeriesSet([
    new ListSeries(Labels.fromStrings('__name__', 'b'), [1], new Float64Array([1])),
    new ListSeries(Labels.fromStrings('__name__', 'a'), [1], new Float64Array([1])),
  ]);
  await assert.rejects(writeBlock(dir, chunkSeriesFromSeriesSet(set), { minTime: 0, maxTime: 2 }), /out of order/);
  const { readdir } = await import('node:fs/promises');
  assert.deepEqual(await readdir(dir), []);
});

test('blocks hold histogram chunks: re-encoded from a series set, clamped to a range', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-block-h-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const head = new Head({ chunkRange: 2 * 3_600_000 });
  const a = head.appender();
  const hist = (i: number): FloatHistogram => ({
    ...newHistogram(), count: 3 * i, sum: i, zeroCount: i, positiveSpans: [{ offset: 0, length: 1 }], positiveBuckets: [i], negativeSpans: [{ offset: 0, length: 1 }], negativeBuckets: [i],
  });
  for (let i = 1; i <= 300; i++) {
    a.appendHistogram(0, Labels.fromStrings('__name__', 'h'), i * 1000, i === 150 ? hist(1) : hist(i)); // a counter reset at 150
    a.appendHistogram(0, Labels.fromStrings('__name__', 'f'), i * 1000, undefined, { ...hist(i), count: 3 * i + 0.5, zeroCount: i + 0.5 });
    if (i % 2 === 0) a.append(0, Labels.fromStrings('__name__', 'm'), i * 1000, i);
    else a.appendHistogram(0, Labels.fromStrings('__name__', 'm'), i * 1000, hist(i));
  }
  a.appendHistogram(0, Labels.fromStrings('__name__', 'h'), 301_000, { ...newHistogram(), sum: STALE_NAN });
  await a.commit();
  const text = async (q: Querier) => {
    const out: string[] = [];
    for await (const s of q.select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')])) {
      const c = collectSamples(s.iterator());
      c.ts.forEach((ts, i) => {
        const h = c.hs[i];
        out.push(`${s.labels.toString()} ${ts} ${c.types[i]} ${h === undefined ? c.vs[i] : isStaleNaN(h.sum) ? 'stale' : `${h.count}/${h.zeroCount}/${h.positiveBuckets}/${h.negativeBuckets}`}`);
      });
    }
    q.close();
    return out;
  };
  const want = await text(head.querier(0, Infinity));
  const meta = await writeBlock(dir, chunkSeriesFromSeriesSet(head.querier(0, Infinity).select(true, undefined, [new Matcher(MatchType.Regexp, '__name__', '.+')])), {
    minTime: 0,
    maxTime: 302_000,
  });
  assert.equal(meta.stats.numSamples, 901);
  assert.equal(meta.stats.numHistogramSamples, 901 - 150);
  const block = await Block.open(join(dir, meta.ulid));
  t.after(() => block.close());
  assert.deepEqual(await text(block.querier(0, Infinity)), want);
  // The encodings on disk, and the reset's chunk.
  const kinds = new Map<string, number[]>();
  for (let ref = 0; ref < 3; ref++) {
    const refs = block.index.allPostings();
    const { labels, chunks } = block.index.series(refs[ref]!);
    kinds.set(labels.metricName(), chunks.map((c) => block.chunkReader.chunk(c.ref).encoding));
  }
  assert.ok(kinds.get('f')!.every((e) => e === Encoding.FloatHistogram));
  assert.ok(kinds.get('h')!.every((e) => e === Encoding.Histogram) && kinds.get('h')!.length >= 2);
  assert.equal(kinds.get('m')!.length, 300);

  // Clamping a histogram chunk to [100.5s, 200.5s] keeps the samples inside, in their encoding.
  const hs = head.getByLabels(Labels.fromStrings('__name__', 'f'))!;
  const clamped = clampChunks(hs.chunks(0, Infinity), 100_500, 200_500);
  assert.ok(clamped.every((c) => c.chunk.encoding === Encoding.FloatHistogram));
  const series = new ChunkSeries(Labels.EMPTY, clamped, -Infinity, Infinity);
  const c = collectSamples(series.iterator());
  assert.deepEqual([c.ts[0], c.ts[c.ts.length - 1], c.ts.length], [101_000, 200_000, 100]);
  assert.equal(c.hs[0]!.count, 303.5);

  if (hasPromtool) {
    // Prometheus 2.42's promtool reads the block; its dump prints float samples only (it stops
    // at a series' first histogram), so the histograms themselves are checked against a real
    // Prometheus server in interop.test.ts.
    await exec('promtool', ['tsdb', 'analyze', dir, meta.ulid]);
  }
});
