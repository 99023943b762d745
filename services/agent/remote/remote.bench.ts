// Throughput of the agent's write path: WAL append+commit (a scrape of `series` samples per
// commit), and the same through a remote-write queue to a loopback receiver that decodes every
// request. `node --import tsx services/agent/remote/remote.bench.ts`, or `npm run bench`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Labels } from '../../../libs/model/index.ts';
import { parseAgentConfig } from '../config.ts';
import { AgentStorage } from '../wal_storage.ts';
import { RemoteStorage } from './remote_storage.ts';
import { TestReceiver, waitFor } from './testing.ts';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
}

export async function runRemoteBench(opts: { series?: number; commits?: number } = {}): Promise<BenchRow[]> {
  const series = opts.series ?? 2_000;
  const commits = opts.commits ?? 100;
  const labels = Array.from({ length: series }, (_, i) => Labels.fromStrings('__name__', 'bench_metric', 'instance', `host-${i % 100}`, 'i', String(i)));
  const rows: BenchRow[] = [];
  const root = mkdtempSync(join(tmpdir(), 'agent-bench-'));
  const rx = new TestReceiver();
  try {
    // WAL only: fsync per commit, refs cached as a scrape loop does.
    const wal = new AgentStorage({ dataDir: join(root, 'wal-only'), truncateInterval: 0 });
    await wal.start();
    const refs = new Array<number>(series).fill(0);
    let t0 = performance.now();
    for (let c = 0; c < commits; c++) {
      const app = wal.appender();
      for (let i = 0; i < series; i++) refs[i] = app.append(refs[i]!, labels[i]!, c * 15_000, c);
      await app.commit();
    }
    rows.push({ name: `agent WAL append+commit (fsync), ${series} samples/commit`, value: (series * commits) / ((performance.now() - t0) / 1000), unit: 'samples/s' });
    await wal.stop();

    // WAL + queue to a loopback receiver: until the receiver has every sample.
    await rx.start();
    const cfg = parseAgentConfig(`remote_write:\n  - url: ${rx.url}\n    queue_config: { batch_send_deadline: 50ms }\n`).remoteWrite[0]!;
    const dir = join(root, 'queued');
    let remote: RemoteStorage | undefined;
    const storage = new AgentStorage({ dataDir: dir, truncateInterval: 0, retainFrom: () => remote?.retainFrom() });
    remote = new RemoteStorage({ dataDir: dir, subscribe: (fn) => storage.onWrite(fn) });
    await storage.start();
    await remote.applyConfig([cfg]);
    await remote.start();
    refs.fill(0);
    t0 = performance.now();
    for (let c = 0; c < commits; c++) {
      const app = storage.appender();
      for (let i = 0; i < series; i++) refs[i] = app.append(refs[i]!, labels[i]!, c * 15_000, c);
      await app.commit();
    }
    await waitFor(() => rx.total() >= series * commits, 'the receiver to get every sample', 300_000);
    rows.push({ name: `agent WAL + remote-write queue to loopback receiver (decoded)`, value: (series * commits) / ((performance.now() - t0) / 1000), unit: 'samples/s' });
    await remote.stop();
    await storage.stop();
  } finally {
    await rx.close();
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await runRemoteBench()) console.log(`${r.name}: ${Math.round(r.value).toLocaleString('en-US')} ${r.unit}`);
}
