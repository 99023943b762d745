// The agent's write path into a real Strata process: AgentStorage (WAL on disk) → remote-write
// queue → Strata's /api/v1/push with a tenant header → PromQL reads back every sample.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Labels } from '../libs/model/index.ts';
import { AgentStorage, RemoteStorage, parseAgentConfig } from '../services/agent/index.ts';
import { startStrata, type StrataProcess } from './harness.ts';

const NOW = Math.floor(Date.now() / 1000) * 1000;

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('agent remote write into Strata', () => {
  let p: StrataProcess;
  let dir: string;
  before(async () => {
    p = await startStrata(['--auth.multitenancy-enabled']);
    dir = mkdtempSync(join(tmpdir(), 'agent-e2e-'));
  });
  after(async () => {
    await p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every appended sample is queryable for the tenant named in the configured header', async () => {
    const cfg = parseAgentConfig(`
global:
  external_labels: { agent: a1 }
remote_write:
  - url: ${p.url}/api/v1/push
    headers: { X-Scope-OrgID: agent-tenant }
    queue_config: { batch_send_deadline: 50ms, max_samples_per_send: 500 }
`);
    let remote: RemoteStorage | undefined;
    const storage = new AgentStorage({ dataDir: dir, truncateInterval: 0, retainFrom: () => remote?.retainFrom() });
    remote = new RemoteStorage({ dataDir: dir, subscribe: (fn) => storage.onWrite(fn) });
    await storage.start();
    await remote.applyConfig(cfg.remoteWrite, cfg.global.externalLabels);
    await remote.start();
    try {
      const rounds = 20;
      const series = 50;
      for (let r = 0; r < rounds; r++) {
        const app = storage.appender();
        for (let i = 0; i < series; i++) app.append(0, Labels.fromStrings('__name__', 'agent_e2e', 'i', String(i)), NOW - (rounds - 1 - r) * 15_000, r);
        await app.commit();
      }
      const qm = remote.queueManagers()[0]!;
      await waitFor(() => qm.pending() === 0 && qm.position() !== undefined, 'the queue to drain');
      const query = async (q: string) => {
        const res = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(q)}&time=${NOW / 1000}`, {
          headers: { 'X-Scope-OrgID': 'agent-tenant' },
          signal: AbortSignal.timeout(10_000),
        });
        assert.equal(res.status, 200, await res.clone().text());
        return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
      };
      await waitFor(async () => (await query('count(agent_e2e)'))[0]?.value[1] === String(series), 'series visible');
      const counts = await query(`count_over_time(agent_e2e{agent="a1"}[${rounds * 15}s])`);
      assert.equal(counts.length, series);
      for (const c of counts) assert.equal(c.value[1], String(rounds), JSON.stringify(c.metric));
      const last = await query('agent_e2e{i="7"}');
      assert.equal(last[0]!.value[1], String(rounds - 1));
    } finally {
      await remote.stop();
      await storage.stop();
    }
  });
});
