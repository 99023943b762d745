// Acceptance: an HA pair of agents (zones a and b of one ring, replication factor 2) scrapes every
// target twice, each copy labelled `__replica__=<zone>`; the distributor's HA tracker keeps one,
// and when the elected agent is SIGKILLed the other's samples are taken after the fail-over timeout.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, instant, writeConfig } from './agent.ts';
import { startStrata, type StrataProcess } from './harness.ts';
import { startNatsServer, type NatsServer } from './nats.ts';

const TARGETS = 4;

describe('an HA pair of agents', () => {
  let nats: NatsServer;
  let strata: StrataProcess;
  let cfgFile: string;
  const servers: Server[] = [];
  const agents: Record<string, StrataProcess> = {};

  before(async () => {
    nats = await startNatsServer();
    strata = await startStrata([
      '--target=all',
      '--distributor.ha-tracker.enable-ha-tracker',
      '--distributor.ha-tracker.ha-tracker-update-timeout=1s',
      '--distributor.ha-tracker.ha-tracker-update-timeout-jitter-max=0s',
      '--distributor.ha-tracker.ha-tracker-failover-timeout=3s',
      '--limits.accept-ha-samples',
    ]);
    const addresses: string[] = [];
    for (let i = 0; i < TARGETS; i++) {
      const s = createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/plain; version=0.0.4');
        res.end(`pair_metric{target="${i}"} 1\n`);
      });
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      addresses.push(`'127.0.0.1:${(s.address() as AddressInfo).port}'`);
    }
    cfgFile = writeConfig(`
global:
  scrape_interval: 1s
  scrape_timeout: 500ms
  external_labels:
    cluster: pair-1
scrape_configs:
  - job_name: pair
    static_configs:
      - targets: [${addresses.join(', ')}]
remote_write:
  - url: ${strata.url}/api/v1/push
    queue_config:
      batch_send_deadline: 500ms
`);
    for (const zone of ['a', 'b']) {
      agents[zone] = await startStrata([
        '--target=agent',
        `--agent.config-file=${cfgFile}`,
        '--agent.ring.kvstore.store=nats',
        `--agent.ring.kvstore.nats.url=${nats.url}`,
        `--agent.ring.instance-id=agent-${zone}`,
        `--agent.ring.instance-zone=${zone}`,
        '--agent.ring.replication-factor=2',
        '--agent.ring.zone-awareness-enabled',
        '--agent.ring.heartbeat-period=250ms',
        '--agent.ring.heartbeat-timeout=1s',
      ]);
    }
  });

  after(async () => {
    await Promise.all(Object.values(agents).map((a) => a.cleanup()));
    await strata?.cleanup();
    await nats?.cleanup();
    for (const s of servers) s.close();
    if (cfgFile) rmSync(dirname(cfgFile), { recursive: true, force: true });
  });

  it('scrapes each target in both zones, stores one copy, and fails over', { timeout: 60_000 }, async () => {
    for (const [zone, agent] of Object.entries(agents)) {
      await eventually(`agent ${zone} to scrape every target`, async () => {
        const res = await fetch(`${agent.url}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
        const n = ((await res.json()) as { data: { activeTargets: unknown[] } }).data.activeTargets.length;
        return n === TARGETS ? true : undefined;
      });
    }
    // One copy per target, without the replica label, with the cluster label.
    const up = await eventually('up of every target in Strata', async () => {
      const r = await instant(strata.url, 'up{job="pair"}');
      return r.length === TARGETS ? r : undefined;
    });
    for (const s of up) assert.deepEqual(Object.keys(s.metric).sort(), ['__name__', 'cluster', 'instance', 'job']);
    const status = (await (await fetch(`${strata.url}/distributor/ha_tracker?format=json`)).json()) as { clusters: { cluster: string; replica: string }[] };
    const elected = status.clusters.find((c) => c.cluster === 'pair-1')?.replica;
    assert.ok(elected === 'a' || elected === 'b', `an elected replica, got ${elected}`);
    const other = elected === 'a' ? 'b' : 'a';

    agents[elected]!.child.kill('SIGKILL');
    await agents[elected]!.exited(10_000);
    await eventually(
      `replica ${other} elected after the fail-over timeout`,
      async () => {
        const s = (await (await fetch(`${strata.url}/distributor/ha_tracker?format=json`)).json()) as typeof status;
        return s.clusters.find((c) => c.cluster === 'pair-1')?.replica === other ? true : undefined;
      },
      20_000,
    );
    // Samples keep arriving for every target, from the survivor.
    await eventually(
      'fresh up samples from the survivor',
      async () => {
        const r = await instant(strata.url, 'count_over_time(up{job="pair"}[2s])');
        return r.length === TARGETS && r.every((x) => Number(x.value[1]) >= 1) ? true : undefined;
      },
      20_000,
    );
  });
});
