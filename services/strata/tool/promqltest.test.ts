import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Labels } from '../../../libs/model/index.ts';
import type { RunOptions } from '../../../libs/promql/promqltest/index.ts';
import { runPromqltest } from './promqltest.ts';
import type { ToolIO } from './types.ts';

// An engine that knows only number literals: enough to drive the command end to end.
const numbersOnly = async (): Promise<RunOptions> => ({
  parser: {
    parseExpr: (s) => {
      if (!/^[0-9]+$/.test(s.trim())) throw new Error(`1:1: parse error: unexpected ${JSON.stringify(s)}`);
      return { kind: 'NumberLiteral', val: Number(s), posRange: { start: 0, end: s.length } };
    },
    exprToString: (e) => (e.kind === 'NumberLiteral' ? String(e.val) : '?'),
  },
  engine: {
    instantQuery: (_q, qs, t) => ({ exec: async () => ({ value: { type: 'scalar', value: { t, v: Number(qs) } }, annotations: { all: () => [] } }) }),
    rangeQuery: (_q, qs, start, end, step) => ({
      exec: async () => {
        const floats = [];
        for (let t = start; t <= end; t += step) floats.push({ t, f: Number(qs) });
        return { value: { type: 'matrix', value: [{ metric: Labels.EMPTY, floats }] }, annotations: { all: () => [] } };
      },
    }),
  },
});

function io() {
  const out = { stdout: '', stderr: '' };
  const t: ToolIO = { stdout: (s) => void (out.stdout += s), stderr: (s) => void (out.stderr += s), env: {} };
  return { out, io: t };
}

const dir = mkdtempSync(join(tmpdir(), 'promqltest-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'good.test');
const bad = join(dir, 'bad.test');
writeFileSync(good, 'eval instant at 0 1\n  1\n\neval range from 0 to 2m step 1m 3\n  {} 3 3 3\n');
writeFileSync(bad, '# one failing case\neval instant at 1m 1\n  2\n');

describe('strata tool promqltest', () => {
  it('exits 0 when no case fails and prints per-file counts', async () => {
    const { out, io: t } = io();
    assert.equal(await runPromqltest([good], t, numbersOnly), 0);
    assert.equal(out.stdout, 'good.test: 2 passed, 0 failed, 0 skipped\ntotal: 2 passed, 0 failed, 0 skipped\n');
  });

  it('runs every *.test file of a directory and exits 1 on a failure', async () => {
    const { out, io: t } = io();
    assert.equal(await runPromqltest([dir], t, numbersOnly), 1);
    assert.match(out.stdout, /^bad\.test: 0 passed, 1 failed, 0 skipped\n {2}FAIL bad\.test:2: 1\n.*expected scalar 2 but got 1/s);
    assert.match(out.stdout, /\ngood\.test: 2 passed/);
  });

  it('prints the JSON object and exits 1 on failures', async () => {
    const { out, io: t } = io();
    assert.equal(await runPromqltest([bad, '--json'], t, numbersOnly), 1);
    assert.deepEqual(JSON.parse(out.stdout), { files: { 'bad.test': { passed: 0, failed: 1, skipped: 0 } }, passed: 0, failed: 1, skipped: 0 });
  });

  it('fails with one error line on a missing file', async () => {
    const { out, io: t } = io();
    assert.equal(await runPromqltest([join(dir, 'nope.test')], t, numbersOnly), 1);
    assert.match(out.stderr, /^error: cannot read ".*nope\.test": no such file or directory\n$/);
    assert.equal(out.stdout, '');
  });

  it('rejects unknown flags', async () => {
    const { out, io: t } = io();
    assert.equal(await runPromqltest(['--bogus'], t, numbersOnly), 1);
    assert.match(out.stderr, /usage: strata tool promqltest/);
  });
});
