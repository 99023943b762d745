// Byte identity with Prometheus: promtool builds a block from an OpenMetrics file; we decode its
// chunks, check the samples against the file, re-encode them and expect Prometheus' exact bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueType } from '../../storage/index.ts';
import { Encoding, XORChunk, chunkFromBytes } from '../chunkenc/index.ts';
import { ChunkReader, ChunkWriter, scanSegmentFile, listSegmentFiles } from './index.ts';
import type { ChunkMeta } from './index.ts';

const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
/** A value's 64 bits as hex (big-endian), taken immediately so NaN payloads are not lost. */
function bitsHex(v: number): string {
  f64[0] = v;
  return Buffer.from(u8).reverse().toString('hex');
}
function fromBitsHex(h: string): number {
  u8.set(Buffer.from(h, 'hex').reverse());
  return f64[0]!;
}

/** Deterministic PRNG (mulberry32) so the file is the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

interface SeriesSpec {
  type: 'gauge' | 'counter';
  family: string;
  line: string; // metric name + labels as written
  samples: { ts: string; v: number }[];
}

function buildSeries(): SeriesSpec[] {
  const r = rng(42);
  const base = 1_700_000_000_000;
  const series: SeriesSpec[] = [];
  const times = (n: number, step: () => number): string[] => {
    const out: string[] = [];
    let t = base + Math.floor(r() * 1000);
    for (let i = 0; i < n; i++) {
      out.push((t / 1000).toFixed(3));
      t += step();
    }
    return out;
  };
  // node_exporter-like gauge: 15s with jitter and a 20-minute outage (64-bit dod both ways).
  {
    let i = 0;
    const ts = times(400, () => (++i === 150 ? 1_200_000 : 15_000 + Math.floor(r() * 40) - 20));
    series.push({ type: 'gauge', family: 'node_load1', line: 'node_load1{instance="a:9100"}', samples: ts.map((t) => ({ ts: t, v: Math.round(r() * 400) / 100 })) });
  }
  // Counter with fractional increments and a reset.
  {
    let c = 123456.78;
    const ts = times(300, () => 15_000 + Math.floor(r() * 3));
    series.push({
      type: 'counter', family: 'node_cpu_seconds', line: 'node_cpu_seconds_total{cpu="0",mode="idle"}',
      samples: ts.map((t, i) => ({ ts: t, v: i === 200 ? (c = 1.5) : (c = Math.round((c + r() * 15) * 100) / 100) })),
    });
  }
  // Integer counter, perfectly regular 30s.
  {
    let c = 0;
    const ts = times(250, () => 30_000);
    series.push({ type: 'counter', family: 'http_requests', line: 'http_requests_total{code="200",handler="/api"}', samples: ts.map((t) => ({ ts: t, v: (c += Math.floor(r() * 50)) })) });
  }
  // Special values.
  {
    const specials = [NaN, Infinity, -Infinity, -0, 0, 1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -42.125, 1, 1, 1, NaN, NaN, 3];
    const ts = times(160, () => 10_000 + Math.floor(r() * 5000));
    series.push({ type: 'gauge', family: 'weird', line: 'weird{kind="special"}', samples: ts.map((t, i) => ({ ts: t, v: specials[i % specials.length]! * (i % 32 < 16 ? 1 : -1) })) });
  }
  // Very irregular timestamps: every delta-of-delta bucket.
  {
    const ts = times(200, () => {
      const k = r();
      return k < 0.3 ? 1 + Math.floor(r() * 10) : k < 0.6 ? Math.floor(r() * 60_000) + 1 : k < 0.9 ? Math.floor(r() * 500_000) + 1 : Math.floor(r() * 900_000) + 1;
    });
    series.push({ type: 'gauge', family: 'irregular', line: 'irregular{x="y"}', samples: ts.map((t) => ({ ts: t, v: r() * 1e6 - 5e5 })) });
  }
  // Many more series of mixed behaviour, for coverage of windows and chunk endings.
  const word = new Uint32Array(2);
  const asDouble = new Float64Array(word.buffer);
  for (let k = 0; k < 24; k++) {
    let x = r() * 100;
    const ts = times(130 + Math.floor(r() * 250), () => (k % 4 === 0 ? 60_000 : 15_000 + Math.floor(r() * 2000) - 1000));
    const samples = ts.map((t) => {
      switch (k % 6) {
        case 0: return { ts: t, v: (x += r() - 0.5) };
        case 1: return { ts: t, v: Math.floor((x += r() * 1000)) };
        case 2: return { ts: t, v: r() < 0.9 ? 42 : r() };
        case 3: {
          do {
            word[0] = Math.floor(r() * 2 ** 32);
            word[1] = Math.floor(r() * 2 ** 32);
          } while (Number.isNaN(asDouble[0]));
          return { ts: t, v: asDouble[0]! };
        }
        case 4: return { ts: t, v: Math.round(r() * 2 ** (Math.floor(r() * 60))) };
        default: return { ts: t, v: Number((r() * 10 ** Math.floor(r() * 8)).toFixed(Math.floor(r() * 4))) };
      }
    });
    series.push({ type: 'gauge', family: `mixed_${k}`, line: `mixed_${k}{k="${k}"}`, samples });
  }
  series.push({ type: 'gauge', family: 'lonely', line: 'lonely', samples: [{ ts: '1700000100.001', v: 7 }] });
  series.push({ type: 'gauge', family: 'pair', line: 'pair{a="b"}', samples: [{ ts: '1700000100.001', v: 8 }, { ts: '1700000115.002', v: 0.1 }] });
  return series;
}

/** promtool's major version, or undefined when it is not installed. */
function promtoolMajor(): number | undefined {
  const res = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (res.error !== undefined || res.status !== 0) return undefined;
  const m = /version (\d+)\./.exec(res.stdout + res.stderr);
  return m ? Number(m[1]) : undefined;
}

/**
 * Prometheus 2.x's bstream.writeByte, called on a byte-aligned stream, appended an extra zero
 * byte (left "8 bits free"); fixed in 3.0 (prometheus#14854), which we match. So a 2.x chunk
 * carries one trailing 0x00 when its last write was whole bytes starting on a byte boundary:
 * always for 1 sample (t varint + raw value), else when the last value changed, its XOR window
 * is a multiple of 8 bits, and the data ends byte-aligned.
 */
function prometheus2xTrailingByte(chunk: XORChunk): boolean {
  const n = chunk.numSamples();
  if (n === 1) return true;
  const it = chunk.iterator();
  let prev = '';
  let last = '';
  while (it.next() === ValueType.Float) {
    prev = last;
    last = bitsHex(it.atF());
  }
  const mbits = 64 - it.leading - it.trailing;
  return last !== prev && mbits % 8 === 0 && chunk.count === 0;
}

test('XOR chunks are byte-identical with Prometheus (promtool create-blocks-from openmetrics)', async (t) => {
  const major = promtoolMajor();
  if (major === undefined) {
    t.skip('promtool not found on PATH: cannot check byte identity with Prometheus');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'strata-promtool-'));
  try {
    const series = buildSeries();
    let text = '';
    for (const s of series) {
      text += `# TYPE ${s.family} ${s.type}\n`;
      for (const { ts, v } of s.samples) text += `${s.line} ${formatValue(v)} ${ts}\n`;
    }
    text += '# EOF\n';
    await writeFile(join(dir, 'data.om'), text);
    const out = join(dir, 'out');
    const res = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'data.om'), out], { encoding: 'utf8' });
    assert.equal(res.status, 0, `promtool failed: ${res.stderr}`);

    // What the file says, as Prometheus parses it: ms = int64(seconds * 1000), and "NaN" is
    // Go's math.NaN() (0x7ff8000000000001), not JS's canonical NaN.
    const expected = series.map((s) =>
      s.samples.map(({ ts, v }) => ({ t: Math.trunc(Number(ts) * 1000), bits: Number.isNaN(v) ? '7ff8000000000001' : bitsHex(v) })),
    );
    const byFirst = new Map<string, { s: number; p: number }[]>();
    expected.forEach((samples, s) =>
      samples.forEach((x, p) => {
        const k = `${x.t}/${x.bits}`;
        byFirst.set(k, [...(byFirst.get(k) ?? []), { s, p }]);
      }),
    );
    const found = expected.map(() => [] as { p: number; n: number }[]);

    const blocks = (await readdir(out)).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    assert.ok(blocks.length >= 1);
    let chunkCount = 0;
    let legacyBytes = 0;
    for (const block of blocks) {
      const chunksDir = join(out, block, 'chunks');
      const files = await listSegmentFiles(chunksDir);
      assert.equal(files.length, 1);
      const promBytes = await readFile(files[0]!);
      const metas: ChunkMeta[] = [];
      const reader = await ChunkReader.open(chunksDir);
      for await (const sc of scanSegmentFile(files[0]!, 0)) {
        chunkCount++;
        assert.equal(sc.encoding, Encoding.XOR);
        const chunk = chunkFromBytes(sc.encoding, sc.bytes);
        assert.equal(Buffer.from(reader.chunk(sc.ref).bytes()).toString('hex'), Buffer.from(sc.bytes).toString('hex'));
        const decoded: { t: number; bits: string }[] = [];
        const it = chunk.iterator();
        while (it.next() === ValueType.Float) decoded.push({ t: it.atT(), bits: bitsHex(it.atF()) });
        assert.equal(it.err(), undefined);
        assert.equal(decoded.length, chunk.numSamples());

        // Re-encode: must be Prometheus' bytes exactly.
        const mine = new XORChunk();
        const app = mine.appender();
        for (const d of decoded) app.append(d.t, fromBitsHex(d.bits));
        const extra: string = major < 3 && prometheus2xTrailingByte(mine) ? '00' : '';
        if (extra !== '') legacyBytes++;
        assert.equal(Buffer.from(mine.bytes()).toString('hex') + extra, Buffer.from(sc.bytes).toString('hex'), `chunk at ref ${sc.ref}`);
        // The segment writer is checked on Prometheus' own chunk bytes.
        metas.push({ ref: 0, minTime: decoded[0]!.t, maxTime: decoded[decoded.length - 1]!.t, chunk });

        // The chunk is a contiguous run of exactly one series of the file.
        const cands = (byFirst.get(`${decoded[0]!.t}/${decoded[0]!.bits}`) ?? []).filter(({ s, p }) =>
          decoded.every((d, i) => expected[s]![p + i]?.t === d.t && expected[s]![p + i]?.bits === d.bits),
        );
        assert.equal(cands.length, 1, `chunk at ref ${sc.ref} matches ${cands.length} runs of the input`);
        found[cands[0]!.s]!.push({ p: cands[0]!.p, n: decoded.length });
      }
      reader.close();

      // Our segment writer lays out the same chunks byte for byte like Prometheus' writer.
      const ours = join(dir, `ours-${block}`);
      const w = await ChunkWriter.create(ours);
      w.writeChunks(metas);
      await w.close();
      assert.equal((await readFile(join(ours, '000001'))).toString('hex'), promBytes.toString('hex'));
      assert.equal((await stat(join(ours, '000001'))).size, promBytes.length);
    }

    // Every sample of every series appears exactly once, in order.
    found.forEach((runs, s) => {
      runs.sort((a, b) => a.p - b.p);
      let next = 0;
      for (const run of runs) {
        assert.equal(run.p, next, `series ${series[s]!.line}: gap or overlap at sample ${next}`);
        next += run.n;
      }
      assert.equal(next, expected[s]!.length, `series ${series[s]!.line}: samples missing`);
    });
    assert.ok(chunkCount > series.length, 'several chunks per series');
    if (major < 3) t.diagnostic(`${legacyBytes} of ${chunkCount} chunks carry Prometheus 2.x's trailing zero byte`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
