import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Labels, Matcher, MatchType, STALE_NAN, isStaleNaN } from '../model/index.ts';
import { ListSeries, ListSeriesSet, collectSamples } from '../storage/index.ts';
import { Block, chunkSeriesFromSeriesSet, writeBlock } from './index.ts';

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
  assert.deepEqual(meta.stats, { numSamples: 306, numSeries: 2, numChunks: 4 });
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
