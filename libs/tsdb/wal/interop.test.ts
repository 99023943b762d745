// Compatibility with real Prometheus 2.x: promtool replays a WAL we wrote, and we read a WAL that
// Prometheus wrote (skipped when the binaries are not installed).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Labels, STALE_NAN } from '../../model/index.ts';
import {
  PAGE_SIZE,
  RecordType,
  SampleBatch,
  UnsupportedRecordError,
  WAL,
  decodeSamples,
  decodeSeries,
  encodeSamplesRecord,
  encodeSeries,
  encodeTombstones,
  readRecords,
  recordType,
} from './index.ts';

const has = (bin: string) => spawnSync(bin, ['--version']).status === 0;
const HAS_PROMTOOL = has('promtool');
const HAS_PROMETHEUS = has('prometheus');

function tempDir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-wal-interop-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('promtool tsdb dump replays a WAL written by us', { skip: !HAS_PROMTOOL && 'promtool not installed' }, async (t) => {
  const db = tempDir(t);
  const wal = await WAL.open(join(db, 'wal'), { segmentSize: 2 * PAGE_SIZE });
  const big = 'é'.repeat(30_000); // a series record over several pages
  await wal.log(
    encodeSeries([
      { ref: 1, labels: Labels.fromStrings('__name__', 'up', 'job', 'a') },
      { ref: 2, labels: Labels.fromStrings('__name__', 'big', 'v', big) },
    ]),
  );
  const t0 = Date.now() - 3_600_000;
  const b = new SampleBatch();
  for (let i = 0; i < 4000; i++) b.push(1 + (i % 2), t0 + Math.floor(i / 2) * 1000, i % 2 === 0 ? i : -i / 3);
  b.push(1, t0 + 2000 * 1000, STALE_NAN);
  await wal.log(encodeSamplesRecord(b, 0, 2000));
  await wal.log(encodeSamplesRecord(b, 2000, b.length)); // rotates: 2 pages per segment
  await wal.log(encodeTombstones([{ ref: 1, mint: t0, maxt: t0 + 9_000 }])); // deletes up's first 10 samples
  assert.ok(wal.segments().last >= 1);
  await wal.close();

  const out = execFileSync('promtool', ['tsdb', 'dump', db], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const up: [number, string][] = [];
  let bigCount = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('{__name__="up", job="a"} ')) {
      const [, v, ts] = line.split('} ')[1]!.match(/^(\S+) (\S+)$/)!;
      up.push([Number(ts), v!]);
    } else if (line.startsWith(`{__name__="big", v="${big}"} `)) bigCount++;
  }
  assert.equal(bigCount, 2000);
  assert.equal(up.length, 2000 - 10 + 1);
  assert.deepEqual(up[0], [t0 + 10_000, '20']);
  assert.deepEqual(up[up.length - 1], [t0 + 2000 * 1000, 'NaN']);
});

async function runPrometheus(t: TestContext, compress: boolean): Promise<string> {
  const root = tempDir(t);
  writeFileSync(join(root, 'prometheus.yml'), 'global:\n  evaluation_interval: 100ms\nrule_files: [rules.yml]\n');
  writeFileSync(
    join(root, 'rules.yml'),
    'groups:\n  - name: g\n    rules:\n' +
      `      - record: strata_wal_interop\n        expr: vector(42)\n        labels: {pad: "${'x'.repeat(200)}"}\n`,
  );
  const data = join(root, 'data');
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      '--web.listen-address=127.0.0.1:0',
      compress ? '--storage.tsdb.wal-compression' : '--no-storage.tsdb.wal-compression',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    // Wait for a few rule evaluations to reach the WAL, then crash it (its last page stays partial).
    for (let i = 0; i < 200; i++) {
      await sleep(50);
      let size = 0;
      try {
        size = statSync(join(data, 'wal', '00000000')).size;
      } catch {
        // not created yet
      }
      if (size > 600) break;
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return join(data, 'wal');
}

test('we read a WAL written by Prometheus', { skip: !HAS_PROMETHEUS && 'prometheus not installed' }, async (t) => {
  const dir = await runPrometheus(t, false);
  await (await WAL.open(dir)).close(); // checks (and would repair) the crashed tail
  const refs = new Map<number, string>();
  const b = new SampleBatch();
  for (const rec of readRecords(dir)) {
    if (recordType(rec) === RecordType.Series) for (const s of decodeSeries(rec)) refs.set(s.ref, s.labels.metricName());
    if (recordType(rec) === RecordType.Samples) decodeSamples(rec, b);
  }
  const ref = [...refs].find(([, name]) => name === 'strata_wal_interop')?.[0];
  assert.ok(ref !== undefined, 'series record found');
  assert.ok(b.length >= 2);
  for (let i = 0; i < b.length; i++) {
    assert.equal(b.refs[i], ref);
    assert.equal(b.vs[i], 42);
  }
});

test('a WAL compressed by Prometheus is refused, not repaired away', { skip: !HAS_PROMETHEUS && 'prometheus not installed' }, async (t) => {
  const dir = await runPrometheus(t, true);
  const size = statSync(join(dir, '00000000')).size;
  assert.throws(() => [...readRecords(dir)], UnsupportedRecordError);
  await assert.rejects(WAL.open(dir), UnsupportedRecordError);
  assert.equal(statSync(join(dir, '00000000')).size, size);
});
