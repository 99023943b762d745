// Runs test files and directories of them (every `*.test` inside, in name order).

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runScript, totals, type FileReport, type RunOptions, type RunReport } from './runner.ts';

/** The script files named by `paths`: files as given, directories expanded to their `*.test` files. */
export async function expandTestPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await stat(p); // a missing path rejects with ENOENT
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith('.test')).sort();
      out.push(...names.map((n) => join(p, n)));
    } else {
      out.push(p);
    }
  }
  return out;
}

/** Runs every file in turn (files share nothing: each gets its own head). */
export async function runFiles(paths: readonly string[], opts: RunOptions): Promise<RunReport> {
  const files: FileReport[] = [];
  for (const p of await expandTestPaths(paths)) files.push(await runScript(p, await readFile(p, 'utf8'), opts));
  return totals(files);
}
