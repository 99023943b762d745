// `strata tool block dump DIR`: prints every sample as `{labels} value timestamp_ms`, exactly as
// `promtool tsdb dump` does. DIR is one block or a directory of blocks (merged, deduplicated).
// Native histograms print as Prometheus' Histogram.String() (`{count:…, sum:…, [bucket]:count…}`),
// as promtool 2.43 and later do (2.42's dump stops at a series' first histogram).

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatGoFloat } from '../../../../libs/exposition/index.ts';
import { bucketBound, forEachBucket, isCustomBucketsSchema, newHistogram, type FloatHistogram, type Matcher } from '../../../../libs/model/index.ts';
import { ValueType } from '../../../../libs/storage/index.ts';
import { Block, MergeQuerier, isULID } from '../../../../libs/tsdb/index.ts';

/** Opens DIR as a block (it has meta.json) or as a directory of blocks. */
export async function openBlocks(dir: string): Promise<Block[]> {
  if (await exists(join(dir, 'meta.json'))) return [await Block.open(dir)];
  const blocks: Block[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory() && isULID(e.name) && (await exists(join(dir, e.name, 'meta.json')))) blocks.push(await Block.open(join(dir, e.name)));
  }
  if (blocks.length === 0) throw new Error(`no blocks found in ${dir}`);
  return blocks.sort((a, b) => a.meta.minTime - b.meta.minTime);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export async function dumpBlocks(
  blocks: readonly Block[],
  matchers: readonly Matcher[],
  mint: number,
  maxt: number,
  write: (s: string) => void,
): Promise<number> {
  const q = new MergeQuerier(blocks.map((b) => b.querier(mint, maxt)));
  const scratch = newHistogram();
  let n = 0;
  try {
    for await (const s of q.select(true, undefined, matchers)) {
      const prefix = s.labels.toString() + ' ';
      const it = s.iterator();
      let out = '';
      for (let vt = it.next(); vt !== ValueType.None; vt = it.next()) {
        if (vt === ValueType.Float) out += `${prefix}${formatGoFloat(it.atF())} ${it.atT()}\n`;
        else if (vt === ValueType.Histogram) out += `${prefix}${formatHistogram(it.atH(scratch), false)} ${it.atT()}\n`;
        else out += `${prefix}${formatHistogram(it.atFH(scratch), true)} ${it.atT()}\n`;
        n++;
        if (out.length > 1 << 16) {
          write(out);
          out = '';
        }
      }
      const err = it.err();
      if (err) throw err;
      if (out) write(out);
    }
  } finally {
    q.close();
  }
  return n;
}

/**
 * Prometheus' Histogram.String() / FloatHistogram.String(): count and sum, then the non-empty
 * buckets from the most negative up, the zero bucket among them: `(lower,upper]:count`, with
 * Go's %g for bounds and floats and %d for integer counts.
 */
export function formatHistogram(h: FloatHistogram, float: boolean): string {
  const num = (v: number) => (float ? formatGoFloat(v) : String(v));
  let out = `{count:${num(h.count)}, sum:${formatGoFloat(h.sum)}`;
  const custom = isCustomBucketsSchema(h.schema);
  const bucket = (lower: number, upper: number, lowerIncl: boolean, upperIncl: boolean, count: number) =>
    `, ${lowerIncl ? '[' : '('}${formatGoFloat(lower)},${formatGoFloat(upper)}${upperIncl ? ']' : ')'}:${num(count)}`;
  const negative: string[] = [];
  forEachBucket(h.negativeSpans, h.negativeBuckets, (i, c) => {
    if (c === 0) return;
    const lower = -bucketBound(i, h.schema, undefined);
    const upper = -bucketBound(i - 1, h.schema, undefined);
    negative.push(bucket(lower, upper, custom ? i === 0 : lower < 0, custom || upper > 0, c));
  });
  out += negative.reverse().join('');
  if (h.zeroCount !== 0) out += bucket(-h.zeroThreshold, h.zeroThreshold, true, true, h.zeroCount);
  forEachBucket(h.positiveSpans, h.positiveBuckets, (i, c) => {
    if (c === 0) return;
    const lower = bucketBound(i - 1, h.schema, h.customValues);
    const upper = bucketBound(i, h.schema, h.customValues);
    out += bucket(lower, upper, custom ? i === 0 : lower < 0, custom || upper > 0, c);
  });
  return out + '}';
}
