import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newULID, type BlockMeta } from '../../libs/tsdb/index.ts';
import { plan } from './planner.ts';

const H = 3_600_000;
const NOW = 100 * 24 * H;
const RANGES = [2 * H, 12 * H, 24 * H];

let seq = 0;
function meta(minTime: number, maxTime: number, opts: { level?: number; ingester?: string; tenant?: string; createdAgo?: number } = {}): BlockMeta {
  const labels: Record<string, string> = { __org_id__: opts.tenant ?? 't' };
  if (opts.ingester) labels.__ingester_id__ = opts.ingester;
  return {
    ulid: newULID(NOW - (opts.createdAgo ?? H) + seq++),
    minTime,
    maxTime,
    stats: { numSamples: 1, numSeries: 1, numChunks: 1 },
    compaction: { level: opts.level ?? 1, sources: [] },
    version: 1,
    thanos: { labels, downsample: { resolution: 0 }, source: 'receive' },
  };
}

const ids = (bs: readonly BlockMeta[]): string[] => bs.map((b) => b.ulid).sort();

describe('compaction planner', () => {
  it('merges the RF copies of a 2h range (the ingester id is not part of the group) once they are old enough', () => {
    const copies = ['i1', 'i2', 'i3'].map((i) => meta(0, 2 * H, { ingester: i }));
    const jobs = plan(copies, { ranges: RANGES, firstLevelWait: 25 * 60_000, now: NOW });
    assert.equal(jobs.length, 1);
    assert.deepEqual(ids(jobs[0]!.blocks), ids(copies));
    assert.deepEqual(jobs[0]!.labels, { __org_id__: 't' });
    // One copy uploaded a minute ago: wait, its replicas may still be coming.
    const fresh = [...copies.slice(0, 2), meta(0, 2 * H, { ingester: 'i3', createdAgo: 60_000 })];
    assert.deepEqual(plan(fresh, { ranges: RANGES, firstLevelWait: 25 * 60_000, now: NOW }), []);
  });

  it('keeps tenants and resolutions apart', () => {
    const jobs = plan([meta(0, 2 * H, { tenant: 'a' }), meta(0, 2 * H, { tenant: 'b' })], { ranges: RANGES, firstLevelWait: 0, now: NOW });
    assert.deepEqual(jobs, []);
  });

  it('merges the 2h blocks of a 12h window once data after the window exists, then 12h into 24h', () => {
    const twos = [0, 2, 4, 6, 8, 10].map((h) => meta(h * H, (h + 2) * H, { level: 2 }));
    const open = plan(twos, { ranges: RANGES, firstLevelWait: 0, now: NOW });
    assert.deepEqual(open, [], 'the 12h window is still open: nothing after it');
    const later = meta(12 * H, 14 * H, { level: 2 });
    const jobs = plan([...twos, later], { ranges: RANGES, firstLevelWait: 0, now: NOW });
    assert.equal(jobs.length, 1);
    assert.deepEqual(ids(jobs[0]!.blocks), ids(twos));
    assert.deepEqual([jobs[0]!.start, jobs[0]!.end], [0, 12 * H]);

    const twelves = [meta(0, 12 * H, { level: 3 }), meta(12 * H, 24 * H, { level: 3 }), meta(24 * H, 26 * H, { level: 2 })];
    const day = plan(twelves, { ranges: RANGES, firstLevelWait: 0, now: NOW });
    assert.equal(day.length, 1);
    assert.deepEqual(ids(day[0]!.blocks), ids(twelves.slice(0, 2)));
    assert.deepEqual([day[0]!.start, day[0]!.end], [0, 24 * H]);
  });

  it('does vertical compaction before any horizontal one in a group, and leaves a lone block alone', () => {
    const a = meta(0, 2 * H, { ingester: 'i1' });
    const b = meta(0, 2 * H, { ingester: 'i2' });
    const c = meta(2 * H, 4 * H, { ingester: 'i1' });
    const d = meta(20 * H, 22 * H, { ingester: 'i1' });
    const jobs = plan([a, b, c, d], { ranges: RANGES, firstLevelWait: 0, now: NOW });
    assert.equal(jobs.length, 1);
    assert.deepEqual(ids(jobs[0]!.blocks), ids([a, b]));
    assert.deepEqual(plan([a], { ranges: RANGES, firstLevelWait: 0, now: NOW }), []);
  });
});
