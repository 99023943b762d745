// selectChunkSeries against the DB's own (sample-level) querier: the same series and samples,
// with chunks taken from blocks and the head as they are.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Labels, Matcher, MatchType, newHistogram } from '../model/index.ts';
import { collectSamples } from '../storage/index.ts';
import { ChunkSeries, DB, HOUR, selectChunkSeries } from './index.ts';

test('selectChunkSeries merges blocks and head per series, sorted, as the querier reads them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-chunkq-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = await DB.open(dir, { blockRange: 2 * HOUR, autoCompact: false });
  t.after(() => db.close());
  const app = db.appender();
  // 5h of data every minute: compaction cuts 2h blocks and leaves the rest in the head.
  for (let k = 0; k < 300; k++) {
    const t = k * 60_000;
    for (const i of ['b', 'a', 'c']) app.append(0, Labels.fromStrings('__name__', 'm', 'i', i), t, k);
    const h = newHistogram();
    h.count = k;
    h.zeroCount = k;
    app.appendHistogram(0, Labels.fromStrings('__name__', 'h'), t, undefined, h);
  }
  await app.commit();
  await db.compact();
  assert.ok(db.blocks().length >= 1, 'a block was cut');

  const all = [new Matcher(MatchType.Regexp, '__name__', '.+')];
  for (const [mint, maxt] of [[0, Infinity], [90 * 60_000, 200 * 60_000], [250 * 60_000, 260 * 60_000]] as const) {
    const got: [string, number[]][] = [];
    for await (const s of selectChunkSeries(db, mint, maxt, all)) {
      for (let i = 1; i < s.chunks.length; i++) assert.ok(s.chunks[i - 1]!.maxTime < s.chunks[i]!.minTime, 'chunks in order, not overlapping');
      got.push([s.labels.toString(), collectSamples(new ChunkSeries(s.labels, s.chunks, mint, maxt).iterator()).ts]);
    }
    const want: [string, number[]][] = [];
    for await (const s of db.querier(mint, maxt).select(true, undefined, all)) want.push([s.labels.toString(), collectSamples(s.iterator()).ts]);
    assert.deepEqual(got, want);
    assert.equal(got.length, 4);
  }
  const only = [];
  for await (const s of selectChunkSeries(db, 0, Infinity, [new Matcher(MatchType.Equal, 'i', 'c')], true)) only.push([s.labels.toString(), s.chunks.length]);
  assert.deepEqual(only, [['{__name__="m", i="c"}', 0]]);
});
