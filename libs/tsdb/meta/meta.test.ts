import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMeta, newULID, parseMeta, readMeta, writeMeta, type BlockMeta } from './index.ts';

// Exactly what Prometheus 2.42 wrote for a block made by `promtool tsdb create-blocks-from`.
const PROMETHEUS_META = `{
\t"ulid": "01M7Z2Z3WWR5KPGMGDZ96C9DZZ",
\t"minTime": 1700000000000,
\t"maxTime": 1700000060001,
\t"stats": {
\t\t"numSamples": 5,
\t\t"numSeries": 4,
\t\t"numChunks": 4
\t},
\t"compaction": {
\t\t"level": 1,
\t\t"sources": [
\t\t\t"01M7Z2Z3WWR5KPGMGDZ96C9DZZ"
\t\t]
\t},
\t"version": 1
}`;

test('meta.json is encoded byte for byte like Prometheus', () => {
  const m = parseMeta(PROMETHEUS_META);
  assert.deepEqual(m, {
    ulid: '01M7Z2Z3WWR5KPGMGDZ96C9DZZ',
    minTime: 1700000000000,
    maxTime: 1700000060001,
    stats: { numSamples: 5, numSeries: 4, numChunks: 4 },
    compaction: { level: 1, sources: ['01M7Z2Z3WWR5KPGMGDZ96C9DZZ'] },
    version: 1,
  });
  assert.equal(encodeMeta(m), PROMETHEUS_META);
});

test('zero stats and empty lists are omitted as Go omitempty does', () => {
  const m: BlockMeta = {
    ulid: newULID(5),
    minTime: -5,
    maxTime: 10,
    stats: { numSamples: 0, numSeries: 0, numChunks: 0 },
    compaction: { level: 2, sources: [] },
    version: 1,
  };
  assert.equal(encodeMeta(m), `{\n\t"ulid": "${m.ulid}",\n\t"minTime": -5,\n\t"maxTime": 10,\n\t"stats": {},\n\t"compaction": {\n\t\t"level": 2\n\t},\n\t"version": 1\n}`);
});

test('the thanos section and compaction parents round-trip in Go field order', () => {
  const u1 = newULID(1);
  const u2 = newULID(2);
  const m: BlockMeta = {
    ulid: newULID(3),
    minTime: 0,
    maxTime: 7200000,
    stats: { numSamples: 10, numSeries: 2, numChunks: 2, numTombstones: 1 },
    compaction: { level: 2, sources: [u1, u2], parents: [{ ulid: u1, minTime: 0, maxTime: 1 }], hints: ['from-out-of-order'] },
    version: 1,
    thanos: {
      // Integer-like and non-ASCII keys must still come out sorted by bytes.
      labels: { tenant: 'a<b>&c', '10': 'x', '9': 'y', é: 'z', A: '\u2028' },
      downsample: { resolution: 300000 },
      source: 'compactor',
      segment_files: ['000001'],
      files: [{ rel_path: 'chunks/000001', size_bytes: 100 }, { rel_path: 'meta.json' }],
    },
  };
  const text = encodeMeta(m);
  assert.deepEqual(parseMeta(text), m);
  assert.match(
    text,
    /\t"version": 1,\n\t"thanos": \{\n\t\t"labels": \{\n\t\t\t"10": "x",\n\t\t\t"9": "y",\n\t\t\t"A": "\\u2028",\n\t\t\t"tenant": "a\\u003cb\\u003e\\u0026c",\n\t\t\t"é": "z"\n\t\t\},\n\t\t"downsample": \{\n\t\t\t"resolution": 300000\n\t\t\},\n\t\t"source": "compactor",\n\t\t"segment_files": \[/,
  );
  assert.match(text, /"compaction": \{\n\t\t"level": 2,\n\t\t"sources": \[[^\]]*\],\n\t\t"parents": \[\n\t\t\t\{\n\t\t\t\t"ulid": "[0-9A-Z]{26}",\n\t\t\t\t"minTime": 0,\n\t\t\t\t"maxTime": 1\n\t\t\t\}\n\t\t\],\n\t\t"hints": \[/);
  assert.match(text, /"files": \[\n\t\t\t\{\n\t\t\t\t"rel_path": "chunks\/000001",\n\t\t\t\t"size_bytes": 100\n\t\t\t\},\n\t\t\t\{\n\t\t\t\t"rel_path": "meta.json"\n\t\t\t\}\n\t\t\]/);
  assert.match(text, /"numTombstones": 1/);
});

test('writeMeta writes atomically and readMeta validates', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-meta-'));
  try {
    const m = parseMeta(PROMETHEUS_META);
    const n = await writeMeta(dir, m);
    assert.equal(n, PROMETHEUS_META.length);
    assert.deepEqual(await readdir(dir), ['meta.json']);
    assert.equal(await readFile(join(dir, 'meta.json'), 'utf8'), PROMETHEUS_META);
    assert.deepEqual(await readMeta(dir), m);

    await writeFile(join(dir, 'meta.json'), PROMETHEUS_META.replace('"version": 1', '"version": 2'));
    await assert.rejects(readMeta(dir), /unexpected meta file version 2/);
    await writeFile(join(dir, 'meta.json'), PROMETHEUS_META.replace('01M7Z2Z3WWR5KPGMGDZ96C9DZZ",\n\t"minTime', 'nope",\n\t"minTime'));
    await assert.rejects(readMeta(dir), /invalid ulid "nope"/);
    await writeFile(join(dir, 'meta.json'), '{"ulid": ');
    await assert.rejects(readMeta(dir), /meta\.json/);
    await rm(join(dir, 'meta.json'));
    await assert.rejects(readMeta(dir), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
