import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Labels, newHistogram } from '../model/index.ts';
import { collectSamples } from '../storage/index.ts';
import { Block } from './block.ts';
import { compactBlocks } from './compact.ts';
import { DB } from './db.ts';

const MIN = 60_000;
const HAS_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

/** Every sample of a block as "labels t=v" lines (floats) or "labels t=h(count)" (histograms). */
async function dump(b: Block): Promise<string[]> {
  const out: string[] = [];
  for await (const s of b.querier(b.meta.minTime, b.meta.maxTime).select(true, undefined, [])) {
    const c = collectSamples(s.iterator());
    out.push(`${s.labels.toString()} ${c.ts.map((t, i) => (c.hs[i] ? `${t}=h(${c.hs[i]!.count})` : `${t}=${c.vs[i]}`)).join(' ')}`);
  }
  return out;
}

describe('compactBlocks', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strata-compact-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A DB per replica fed the same samples except in `gaps` (minutes), flushed to one block. */
  async function replica(name: string, gaps: [number, number][] = [], from = 0, minutes = 60): Promise<Block> {
    const db = await DB.open(join(dir, name), { autoCompact: false });
    const app = db.appender();
    const h = newHistogram();
    for (let m = from; m < from + minutes; m++) {
      if (gaps.some(([a, b]) => m >= a && m < b)) continue;
      const t = m * MIN;
      for (let i = 0; i < 5; i++) app.append(0, Labels.fromStrings('__name__', 'm', 'i', String(i)), t, m * 10 + i);
      h.count = m;
      h.sum = m;
      h.zeroCount = m;
      app.appendHistogram(0, Labels.fromStrings('__name__', 'h'), t, { ...h });
    }
    await app.commit();
    await db.flush();
    const [b] = db.blocks();
    await db.close();
    return Block.open(b!.dir);
  }

  it('merges RF replicas into one block holding each sample once, reusing identical chunks', async () => {
    const blocks = await Promise.all(['a', 'b', 'c'].map((n) => replica(n)));
    const meta = await compactBlocks(join(dir, 'out'), blocks);
    const out = await Block.open(join(dir, 'out', meta.ulid));
    assert.ok(JSON.stringify(await dump(out)) === JSON.stringify(await dump(blocks[0]!)), 'the merged block holds one replica\'s samples');
    assert.equal(meta.stats.numSamples, blocks[0]!.meta.stats.numSamples);
    assert.equal(meta.stats.numChunks, blocks[0]!.meta.stats.numChunks);
    assert.equal(meta.compaction.level, 2);
    assert.deepEqual(meta.compaction.sources, blocks.map((b) => b.ulid).sort());
    assert.deepEqual(meta.compaction.parents, blocks.map((b) => ({ ulid: b.ulid, minTime: b.meta.minTime, maxTime: b.meta.maxTime })));
    for (const b of [...blocks, out]) b.close();
  });

  it('fills each replica\'s gaps from the others', async () => {
    const full = await replica('full');
    const a = await replica('a', [[10, 20]]);
    const b = await replica('b', [[30, 40], [0, 5]]);
    const meta = await compactBlocks(join(dir, 'out'), [a, b]);
    const out = await Block.open(join(dir, 'out', meta.ulid));
    assert.ok(JSON.stringify(await dump(out)) === JSON.stringify(await dump(full)), 'the merged block has every sample once');
    assert.ok(JSON.stringify(await dump(a)) !== JSON.stringify(await dump(full)), 'the replica alone had a gap');
    for (const x of [full, a, b, out]) x.close();
  });

  it('joins adjacent blocks into one spanning both', async () => {
    const early = await replica('early', [], 0, 120);
    const late = await replica('late', [], 120, 120);
    const meta = await compactBlocks(join(dir, 'out'), [early, late]);
    assert.equal(meta.minTime, 0);
    assert.equal(meta.maxTime, late.meta.maxTime);
    const out = await Block.open(join(dir, 'out', meta.ulid));
    // Each series: the early block's samples followed by the late block's.
    const lateLines = await dump(late);
    const want = (await dump(early)).map((line, i) => `${line} ${lateLines[i]!.slice(lateLines[i]!.indexOf('} ') + 2)}`);
    const got = await dump(out);
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) assert.ok(got[i] === want[i], `series ${i} differs: ${got[i]!.split(' ').length} vs ${want[i]!.split(' ').length} samples; ${got[i]!.split(' ').filter((x) => !want[i]!.split(' ').includes(x)).slice(0, 5).join(' ')} | ${want[i]!.split(' ').filter((x) => !got[i]!.split(' ').includes(x)).slice(0, 5).join(' ')}`);
    for (const x of [early, late, out]) x.close();
  });

  it('writes blocks promtool reads', { skip: !HAS_PROMTOOL && 'promtool is not installed' }, async () => {
    const blocks = await Promise.all(['a', 'b'].map((n, k) => replica(n, k === 0 ? [[10, 20]] : [])));
    const meta = await compactBlocks(join(dir, 'out'), blocks);
    const r = spawnSync('promtool', ['tsdb', 'analyze', join(dir, 'out'), meta.ulid], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`Block ID: ${meta.ulid}`), r.stdout.slice(0, 600));
    assert.ok(/^Series: 6$/m.test(r.stdout), r.stdout.slice(0, 300));
    for (const b of blocks) b.close();
  });
});
