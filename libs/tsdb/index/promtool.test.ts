// Compatibility with real Prometheus (promtool 2.x): we read the blocks it writes, it reads ours.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels, compareLabels, compareStrings } from '../../model/index.ts';
import { crc32c, Encbuf } from '../encoding/index.ts';
import { encodeMeta, newULID, readMeta, writeMeta } from '../meta/index.ts';
import { encodeTombstones, readTombstones, writeTombstones } from '../tombstones/index.ts';
import { IndexReader, IndexWriter, type IndexChunkMeta } from './index.ts';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const skip = promtool.status === 0 ? false : 'promtool is not installed';

function run(args: string[], cwd: string): string {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `promtool ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-promtool-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface InputSeries {
  labels: Labels;
  samples: [t: number, v: number][];
}

const T0 = 1700000000000; // Inside one 2h block range: [1699999200000, 1700006400000).

/** A few hand-picked series plus enough values of one label to span several offset-table samples. */
function inputSeries(): InputSeries[] {
  const out: InputSeries[] = [
    { labels: Labels.fromStrings('__name__', 'http_requests_total', 'code', '200', 'method', 'get'), samples: [[T0, 10], [T0 + 60000, 20], [T0 + 120000, 35]] },
    { labels: Labels.fromStrings('__name__', 'http_requests_total', 'code', '500', 'method', 'post'), samples: [[T0 + 15000, 1]] },
    { labels: Labels.fromStrings('__name__', 'temp', 'room', 'kitchen'), samples: [[T0, 21.5], [T0 + 30000, 22]] },
    { labels: Labels.fromStrings('__name__', 'temp', 'room', 'bad"room\\x'), samples: [[T0 + 30000, 19.25]] },
    { labels: Labels.fromStrings('__name__', 'temp', 'room', 'ü-€'), samples: [[T0 + 45000, -3]] },
  ];
  for (let i = 0; i < 70; i++) {
    out.push({ labels: Labels.fromStrings('__name__', 'up', 'instance', `host-${i}:9100`, 'job', i % 2 === 0 ? 'node' : 'db'), samples: [[T0 + i * 1000, i % 3 === 0 ? 0 : 1]] });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

function openMetrics(series: InputSeries[]): string {
  const lines: string[] = [];
  const byName = new Map<string, InputSeries[]>();
  for (const s of series) byName.set(s.labels.metricName(), [...(byName.get(s.labels.metricName()) ?? []), s]);
  for (const [name, ss] of byName) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of ss) {
      const ls: string[] = [];
      s.labels.withoutMetricName().forEach((n, v) => ls.push(`${n}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`));
      for (const [t, v] of s.samples) lines.push(`${name}{${ls.join(',')}} ${v} ${t / 1000}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

test('we read blocks written by Prometheus', { skip }, async () => {
  await withTmp(async (dir) => {
    const input = inputSeries();
    await writeFile(join(dir, 'in.om'), openMetrics(input));
    run(['tsdb', 'create-blocks-from', 'openmetrics', 'in.om', 'out'], dir);
    const blocks = await readdir(join(dir, 'out'));
    assert.equal(blocks.length, 1);
    const bdir = join(dir, 'out', blocks[0]!);

    const meta = await readMeta(bdir);
    assert.equal(meta.ulid, blocks[0]);
    assert.equal(meta.minTime, T0);
    assert.equal(meta.maxTime, Math.max(...input.flatMap((s) => s.samples.map(([t]) => t))) + 1);
    assert.equal(meta.stats.numSeries, input.length);
    assert.equal(meta.stats.numSamples, input.reduce((n, s) => n + s.samples.length, 0));
    assert.equal(meta.compaction.level, 1);
    // Our encoder reproduces Prometheus' meta.json exactly.
    assert.equal(encodeMeta(meta), await readFile(join(bdir, 'meta.json'), 'utf8'));

    assert.deepEqual(await readTombstones(bdir), new Map());
    assert.deepEqual(encodeTombstones(new Map()), new Uint8Array(await readFile(join(bdir, 'tombstones'))));

    const r = await IndexReader.open(join(bdir, 'index'));
    const names = new Map<string, Set<string>>();
    for (const s of input) s.labels.forEach((n, v) => names.set(n, (names.get(n) ?? new Set()).add(v)));
    assert.deepEqual(r.labelNames(), [...names.keys()].sort(compareStrings));
    for (const [n, vs] of names) assert.deepEqual(r.labelValues(n), [...vs].sort(compareStrings));

    const all = r.allPostings();
    assert.equal(all.length, input.length);
    // Postings are sorted by series labels, so the i-th ref is the i-th sorted input series.
    all.forEach((ref, i) => {
      const s = r.series(ref);
      assert.ok(s.labels.equals(input[i]!.labels), `${s.labels.toString()} != ${input[i]!.labels.toString()}`);
      assert.ok(s.chunks.length >= 1);
      const ts = input[i]!.samples.map(([t]) => t);
      assert.equal(s.chunks[0]!.minTime, ts[0]);
      assert.equal(s.chunks[s.chunks.length - 1]!.maxTime, ts[ts.length - 1]);
      for (const c of s.chunks) assert.ok(c.minTime <= c.maxTime && c.ref >= 8);
    });
    for (const [n, vs] of names) {
      for (const v of vs) {
        const want = all.filter((_, i) => input[i]!.labels.get(n) === v);
        assert.deepEqual([...r.postings(n, [v])], [...want], `${n}=${v}`);
      }
    }
    assert.deepEqual([...r.postings('job', ['db', 'node'])], [...all.filter((_, i) => input[i]!.labels.has('job'))]);

    // Rewriting the same symbols and series gives Prometheus' index byte for byte.
    const w = await IndexWriter.create(join(dir, 'rewritten'));
    for (const s of r.symbols()) w.addSymbol(s);
    for (const ref of all) {
      const s = r.series(ref);
      assert.equal(w.addSeries(s.labels, s.chunks), ref);
    }
    await w.close();
    assert.ok((await readFile(join(dir, 'rewritten'))).equals(await readFile(join(bdir, 'index'))), 'rewritten index differs from Prometheus');
  });
});

/** A minimal chunks segment: header, then one single-sample XOR chunk per sample. */
class SegmentBuilder {
  private readonly e = new Encbuf();

  constructor() {
    this.e.putBE32(0x85bd40dd); // Chunks segment magic.
    this.e.putByte(1); // Format version.
    this.e.putBytes(new Uint8Array(3)); // Padding.
  }

  /** Appends a chunk holding one sample; returns its ref (segment 0, byte offset). */
  addSample(t: number, v: number): number {
    const ref = this.e.len;
    const data = new Encbuf(16);
    data.putByte(0); // Sample count, 2 bytes big-endian.
    data.putByte(1);
    data.putVarint(t);
    data.putBE64Float(v);
    this.e.putUvarint(data.len);
    const encStart = this.e.len;
    this.e.putByte(1); // Encoding: XOR.
    this.e.putBytes(data.get());
    this.e.putBE32(crc32c(this.e.buf, encStart, this.e.len));
    return ref;
  }

  bytes(): Uint8Array {
    return this.e.get();
  }
}

test('Prometheus reads blocks we write', { skip }, async () => {
  await withTmp(async (dir) => {
    const ulid = newULID(T0);
    const bdir = join(dir, ulid);
    await mkdir(join(bdir, 'chunks'), { recursive: true });

    const series: InputSeries[] = [
      { labels: Labels.fromStrings('__name__', 'x', 'a', 'b'), samples: [[T0, 1.5], [T0 + 15000, 2.5], [T0 + 30000, -7]] },
      { labels: Labels.fromStrings('__name__', 'x', 'a', 'c'), samples: [[T0 + 1000, 1e-9]] },
      { labels: Labels.fromStrings('__name__', 'y', 'job', 'ü"q'), samples: [[T0 + 2000, 42], [T0 + 3000, 43]] },
    ];
    series.sort((a, b) => compareLabels(a.labels, b.labels));

    const seg = new SegmentBuilder();
    const chunks: IndexChunkMeta[][] = series.map((s) => s.samples.map(([t, v]) => ({ ref: seg.addSample(t, v), minTime: t, maxTime: t })));
    await writeFile(join(bdir, 'chunks', '000001'), seg.bytes());

    const w = await IndexWriter.create(join(bdir, 'index'));
    const syms = new Set<string>();
    for (const s of series) s.labels.forEach((n, v) => (syms.add(n), syms.add(v)));
    for (const s of [...syms].sort(compareStrings)) w.addSymbol(s);
    const refs = series.map((s, i) => w.addSeries(s.labels, chunks[i]!));
    await w.close();

    // Delete the last sample of the first series.
    const deleted = series[0]!.samples[2]!;
    await writeTombstones(bdir, new Map([[refs[0]!, [{ mint: deleted[0], maxt: deleted[0] }]]]));

    const all = series.flatMap((s) => s.samples);
    const mint = Math.min(...all.map(([t]) => t));
    const maxt = Math.max(...all.map(([t]) => t));
    await writeMeta(bdir, {
      ulid,
      minTime: mint,
      maxTime: maxt + 1,
      stats: { numSamples: all.length, numSeries: series.length, numChunks: all.length, numTombstones: 1 },
      compaction: { level: 1, sources: [ulid] },
      version: 1,
      thanos: { labels: { tenant: 't1' }, downsample: { resolution: 0 }, source: 'receive' },
    });

    const analyze = run(['tsdb', 'analyze', dir, ulid], dir);
    assert.match(analyze, new RegExp(`Block ID: ${ulid}`));
    assert.match(analyze, new RegExp(`Series: ${series.length}\\b`));
    assert.match(analyze, /Label names: 3\b/);

    const dump = run(['tsdb', 'dump', `--min-time=${mint}`, `--max-time=${maxt}`, dir], dir);
    // Values are compared as numbers: Go prints 1e-09 where JavaScript prints 1e-9.
    const got = dump
      .trim()
      .split('\n')
      .map((line) => {
        const m = /^(\{.*\}) (\S+) (\d+)$/.exec(line);
        assert.ok(m, `unexpected dump line ${line}`);
        return `${m[1]} ${Number(m[2])} ${m[3]}`;
      })
      .sort();
    const want = series
      .flatMap((s) => s.samples.filter((smp) => smp !== deleted).map(([t, v]) => `${promLabels(s.labels)} ${v} ${t}`))
      .sort();
    assert.deepEqual(got, want);
  });
});

/** promtool's label formatting: Go's strconv.Quote of each value. */
function promLabels(l: Labels): string {
  const parts: string[] = [];
  l.forEach((n, v) => parts.push(`${n}=${JSON.stringify(v)}`));
  return `{${parts.join(', ')}}`;
}
