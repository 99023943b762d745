// `strata tool block dump DIR`: prints every sample as `{labels} value timestamp_ms`, exactly as
// `promtool tsdb dump` does. DIR is one block or a directory of blocks (merged, deduplicated).

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatGoFloat } from '../../../../libs/exposition/index.ts';
import type { Matcher } from '../../../../libs/model/index.ts';
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
  let n = 0;
  try {
    for await (const s of q.select(true, undefined, matchers)) {
      const prefix = s.labels.toString() + ' ';
      const it = s.iterator();
      let out = '';
      while (it.next() !== ValueType.None) {
        out += `${prefix}${formatGoFloat(it.atF())} ${it.atT()}\n`;
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
