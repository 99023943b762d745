// Blocks written by Strata are read by promtool, and blocks written by promtool are read by
// Strata, sample for sample. Uses the real promtool (Debian `prometheus` package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runTool, defaultTools, type ToolIO } from './index.ts';

const exec = promisify(execFile);
const hasPromtool = await exec('promtool', ['--version']).then(() => true, () => false);

async function tool(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ToolIO = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {} };
  const code = await runTool(args, defaultTools(), io);
  return { code, out, err };
}

async function promtool(...args: string[]): Promise<string> {
  const { stdout } = await exec('promtool', args, { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** node_exporter-like data over 5h (three 2h block ranges) with awkward values. */
function openMetrics(): { text: string; expected: string[] } {
  const lines: string[] = ['# HELP node_cpu_seconds_total Seconds.', '# TYPE node_cpu_seconds_total counter'];
  const expected: string[] = [];
  const start = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000) + 1_234; // not block-aligned
  const values: Record<string, (i: number) => number> = {
    idle: (i) => i * 15.25,
    user: (i) => Math.round(i * 3.3 * 100) / 100,
  };
  const fmt = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
  const goFmt = (v: number) => {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return '+Inf';
    if (v === -Infinity) return '-Inf';
    const e = Math.floor(Math.log10(Math.abs(v)));
    if (v !== 0 && (e < -4 || e >= 6)) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
    return String(v);
  };
  const series: { labels: string; sortKey: string; name: string; points: [number, number][] }[] = [];
  for (const cpu of ['0', '1']) {
    for (const mode of Object.keys(values)) {
      const pts: [number, number][] = [];
      for (let i = 0; i < 5 * 240; i++) pts.push([start + i * 15_000 + (i % 7), values[mode]!(i)]);
      series.push({ labels: `cpu="${cpu}",mode="${mode}"`, sortKey: `${cpu}${mode}`, name: 'node_cpu_seconds_total', points: pts });
    }
  }
  const specials = [NaN, Infinity, -Infinity, 0, 1e-7, 123456789.5, -2.5e21, 0.1 + 0.2];
  const gaugePts: [number, number][] = specials.map((v, i) => [start + i * 60_000, v]);
  for (const s of series) for (const [t, v] of s.points) lines.push(`${s.name}{${s.labels}} ${fmt(v)} ${(t / 1000).toFixed(3)}`);
  lines.push('# TYPE weird gauge');
  for (const [t, v] of gaugePts) lines.push(`weird{path="a\\"b\\\\c\\n"} ${fmt(v)} ${(t / 1000).toFixed(3)}`);
  lines.push('# EOF', '');
  for (const s of series) {
    const [cpu, mode] = [s.labels.match(/cpu="(\d)"/)![1], s.labels.match(/mode="(\w+)"/)![1]];
    for (const [t, v] of s.points) expected.push(`{__name__="node_cpu_seconds_total", cpu="${cpu}", mode="${mode}"} ${goFmt(v)} ${t}`);
  }
  for (const [t, v] of gaugePts) expected.push(`{__name__="weird", path="a\\"b\\\\c\\n"} ${goFmt(v)} ${t}`);
  return { text: lines.join('\n'), expected };
}

test('blocks written by strata pass promtool analyze and promtool dump prints exactly the samples', { skip: !hasPromtool && 'promtool not installed' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tool-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { text, expected } = openMetrics();
  await writeFile(join(dir, 'in.om'), text);
  const db = join(dir, 'db');
  const r = await tool('block', 'create', '--from-openmetrics', join(dir, 'in.om'), '--out', db);
  assert.equal(r.code, 0, r.err);
  const blocks = (await readdir(db)).filter((f) => /^[0-9A-Z]{26}$/.test(f));
  assert.equal(blocks.length, 3, 'one block per 2h range holding data');
  await mkdir(join(db, 'wal')); // promtool opens the directory as a DB
  for (const b of blocks) {
    const analysis = await promtool('tsdb', 'analyze', db, b);
    assert.match(analysis, new RegExp(`Block ID: ${b}`));
  }
  const dumped = (await promtool('tsdb', 'dump', db)).trimEnd().split('\n');
  assert.deepEqual(dumped, expected);
  // And our own dump of our blocks is the same.
  const ours = await tool('block', 'dump', db);
  assert.equal(ours.code, 0, ours.err);
  assert.deepEqual(ours.out.trimEnd().split('\n'), expected);
});

test('blocks written by promtool are read by strata: block dump equals promtool tsdb dump', { skip: !hasPromtool && 'promtool not installed' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tool-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { text } = openMetrics();
  await writeFile(join(dir, 'in.om'), text);
  const db = join(dir, 'db');
  await promtool('tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), db);
  await mkdir(join(db, 'wal'), { recursive: true });
  const theirs = await promtool('tsdb', 'dump', db);
  const ours = await tool('block', 'dump', db);
  assert.equal(ours.code, 0, ours.err);
  assert.equal(ours.out, theirs);
  // With a matcher and a time window, too.
  const mint = '1700000400000';
  const maxt = '1700003000000';
  const theirsSel = await promtool('tsdb', 'dump', '--match={mode="idle",cpu!="1"}', `--min-time=${mint}`, `--max-time=${maxt}`, db);
  const oursSel = await tool('block', 'dump', db, '--match', '{mode="idle",cpu!="1"}', '--min-time', mint, '--max-time', maxt);
  assert.ok(theirsSel.length > 0);
  assert.equal(oursSel.out, theirsSel);
  // analyze reads it too.
  const a = await tool('block', 'analyze', db);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /Series: 5/);
});

test('malformed OpenMetrics is rejected with the line number', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tool-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'bad.om'), '# TYPE a gauge\na 1 1\na{x="y" 2 2\n# EOF\n');
  const r = await tool('block', 'create', '--from-openmetrics', join(dir, 'bad.om'), '--out', join(dir, 'out'));
  assert.equal(r.code, 1);
  assert.match(r.err, /line 3/);
  await writeFile(join(dir, 'nots.om'), '# TYPE a gauge\na 1\n# EOF\n');
  const r2 = await tool('block', 'create', '--from-openmetrics', join(dir, 'nots.om'), '--out', join(dir, 'out'));
  assert.equal(r2.code, 1);
  assert.match(r2.err, /line 2: .*timestamp/);
  const r3 = await tool('block', 'create', '--from-openmetrics', join(dir, 'nots.om'));
  assert.equal(r3.code, 1);
  assert.match(r3.err, /--out/);
});
