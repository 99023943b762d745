// WAL throughput: samples/s logged in records of 1000 samples (encode + log, as the head's commit
// does), with fsync 'never' and 'always' (one writer, and 16 concurrent writers sharing fsyncs),
// and replay speed (read + decode). Run directly: node --import tsx libs/tsdb/wal/wal.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Encbuf } from '../encoding/index.ts';
import { SampleBatch, WAL, decodeSamples, encodeSamples, readRecords } from './index.ts';
import type { FsyncPolicy } from './index.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const SAMPLES_PER_RECORD = 1000;
const SERIES = 100_000;

function makeBatch(round: number, out: SampleBatch): void {
  out.reset();
  const base = (round * SAMPLES_PER_RECORD) % SERIES;
  const t = 1_700_000_000_000 + round * 15_000;
  for (let i = 0; i < SAMPLES_PER_RECORD; i++) out.push(base + i, t + (i % 7), round * 0.5 + i);
}

async function logFor(dir: string, fsync: FsyncPolicy, writers: number, seconds: number): Promise<number> {
  const wal = await WAL.open(dir, { fsync });
  let samples = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const batch = new SampleBatch(SAMPLES_PER_RECORD);
      const enc = new Encbuf(32 * 1024);
      for (let round = w; performance.now() < deadline; round += writers) {
        makeBatch(round, batch);
        enc.reset();
        await wal.log(encodeSamples(batch, 0, batch.length, enc));
        samples += batch.length;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  await wal.close();
  return samples / elapsed;
}

export async function runWalBench(opts: { seconds?: number } = {}): Promise<BenchResult[]> {
  const seconds = opts.seconds ?? 2;
  const root = mkdtempSync(join(tmpdir(), 'strata-wal-bench-'));
  try {
    const results: BenchResult[] = [];
    const never = join(root, 'never');
    results.push({ name: 'wal log, 1000-sample records, fsync never', value: await logFor(never, 'never', 1, seconds), unit: 'samples/s' });
    results.push({ name: 'wal log, 1000-sample records, fsync always, 1 writer', value: await logFor(join(root, 'a1'), 'always', 1, seconds), unit: 'samples/s' });
    results.push({ name: 'wal log, 1000-sample records, fsync always, 16 writers', value: await logFor(join(root, 'a16'), 'always', 16, seconds), unit: 'samples/s' });

    const batch = new SampleBatch(SAMPLES_PER_RECORD);
    let n = 0;
    const start = performance.now();
    for (const rec of readRecords(never)) {
      batch.reset();
      n += decodeSamples(rec, batch);
    }
    results.push({ name: 'wal replay (read + decode samples)', value: n / ((performance.now() - start) / 1000), unit: 'samples/s' });
    return results;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await runWalBench()) console.log(`${r.name}: ${Math.round(r.value).toLocaleString('en-US')} ${r.unit}`);
}
