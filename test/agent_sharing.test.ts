// Acceptance: three agents share twelve targets over a ring in NATS KV. Each target is scraped by
// one agent; SIGKILL one and its targets move to the others with `up` showing no gap longer than
// two scrape intervals, and afterwards no target is scraped by two agents.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, instant, writeConfig } from './agent.ts';
import { startStrata, type StrataProcess } from './harness.ts';
import { startNatsServer, type NatsServer } from './nats.ts';

const TARGETS = 12;
const INTERVAL_MS = 2000;

interface FakeTarget {
  server: Server;
  address: string;
  /** Wall-clock times of the scrapes it served. */
  scrapes: number[];
}

async function startTarget(i: number): Promise<FakeTarget> {
  const t: FakeTarget = { server: createServer(), address: '', scrapes: [] };
  t.server.on('request', (_req, res) => {
    t.scrapes.push(Date.now());
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(`# TYPE shared_target_info gauge\nshared_target_info{target="${i}"} 1\n`);
  });
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.address = `127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  return t;
}

interface APITargets {
  data: { activeTargets: { labels: Record<string, string> }[] };
}

async function ownedBy(agent: StrataProcess): Promise<string[]> {
  const res = await fetch(`${agent.url}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as APITargets).data.activeTargets.map((t) => t.labels.instance!);
}

describe('agents sharing targets over a ring', () => {
  let nats: NatsServer;
  let strata: StrataProcess;
  let targets: FakeTarget[];
  let cfgFile: string;
  const agents: StrataProcess[] = [];

  before(async () => {
    nats = await startNatsServer();
    strata = await startStrata(['--target=all']);
    targets = await Promise.all(Array.from({ length: TARGETS }, (_, i) => startTarget(i)));
    cfgFile = writeConfig(`
global:
  scrape_interval: ${INTERVAL_MS / 1000}s
  scrape_timeout: 1s
scrape_configs:
  - job_name: shared
    static_configs:
      - targets: [${targets.map((t) => `'${t.address}'`).join(', ')}]
remote_write:
  - url: ${strata.url}/api/v1/push
    queue_config:
      batch_send_deadline: 500ms
`);
    for (let i = 0; i < 3; i++) {
      agents.push(
        await startStrata([
          '--target=agent',
          `--agent.config-file=${cfgFile}`,
          '--agent.ring.kvstore.store=nats',
          `--agent.ring.kvstore.nats.url=${nats.url}`,
          `--agent.ring.instance-id=agent-${i}`,
          '--agent.ring.heartbeat-period=250ms',
          '--agent.ring.heartbeat-timeout=1s',
        ]),
      );
    }
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.cleanup()));
    await strata?.cleanup();
    await nats?.cleanup();
    for (const t of targets ?? []) t.server.close();
    if (cfgFile) rmSync(dirname(cfgFile), { recursive: true, force: true });
  });

  it('scrapes each target once, and moves a killed agent\'s targets without long gaps', { timeout: 120_000 }, async () => {
    const all = targets.map((t) => t.address).sort();
    // Every target owned by exactly one agent, all agents with some.
    const owners = await eventually(
      'the three agents to split the targets',
      async () => {
        const owned = await Promise.all(agents.map(ownedBy));
        const flat = owned.flat().sort();
        return JSON.stringify(flat) === JSON.stringify(all) && owned.every((o) => o.length > 0) ? owned : undefined;
      },
      30_000,
    );
    // Each target is served about once per interval, not twice (no two agents on one target).
    await checkSingleScraper(targets, 3 * INTERVAL_MS);

    const victim = agents[0]!;
    const victimTargets = owners[0]!;
    victim.child.kill('SIGKILL');
    await victim.exited(10_000);
    const killedAt = Date.now();
    await eventually(
      'the two survivors to take every target',
      async () => {
        const owned = await Promise.all(agents.slice(1).map(ownedBy));
        return JSON.stringify(owned.flat().sort()) === JSON.stringify(all) ? true : undefined;
      },
      15_000,
    );
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    await checkSingleScraper(targets, 3 * INTERVAL_MS);

    // `up` of the killed agent's targets: no gap longer than two intervals around the kill.
    await eventually(
      'up samples after the hand-over to reach Strata',
      async () => {
        const r = await instant(strata.url, `count_over_time(up{job="shared"}[${Math.ceil((Date.now() - killedAt) / 1000)}s])`);
        return r.length === TARGETS && r.every((s) => Number(s.value[1]) >= 3) ? true : undefined;
      },
      20_000,
    );
    const window = Math.ceil((Date.now() - killedAt) / 1000) + 20;
    const raw = (await fetch(`${strata.url}/api/v1/query?query=${encodeURIComponent(`up{job="shared"}[${window}s]`)}`).then((r) => r.json())) as {
      data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    assert.equal(raw.data.result.length, TARGETS);
    for (const s of raw.data.result) {
      const ts = s.values.map((v) => v[0] * 1000);
      let worst = 0;
      for (let i = 1; i < ts.length; i++) worst = Math.max(worst, ts[i]! - ts[i - 1]!);
      const moved = victimTargets.includes(s.metric.instance!);
      assert.ok(worst <= 2 * INTERVAL_MS, `${s.metric.instance}${moved ? ' (moved)' : ''}: a gap of ${worst} ms in up`);
      assert.ok(s.values.every((v) => v[1] === '1'), `${s.metric.instance}: up stays 1`);
    }
  });
});

/** Over the last `windowMs`, no target was served two scrapes closer than a third of an interval. */
async function checkSingleScraper(targets: readonly FakeTarget[], windowMs: number): Promise<void> {
  const since = Date.now();
  await new Promise((r) => setTimeout(r, windowMs));
  for (const t of targets) {
    const recent = t.scrapes.filter((x) => x >= since);
    assert.ok(recent.length >= 1, `${t.address} was scraped in the window`);
    assert.ok(recent.length <= Math.ceil(windowMs / INTERVAL_MS) + 1, `${t.address} was scraped ${recent.length} times in ${windowMs} ms: by two agents?`);
  }
}
