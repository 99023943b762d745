import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { validateConfig } from '../../libs/services/index.ts';
import { distributorConfigSchema } from './config.ts';
import { haStatus, registerHAStatusPage } from './ha_status.ts';
import { HATracker } from './ha_tracker.ts';

const NOW = 1_700_000_000_000;

describe('/distributor/ha_tracker', () => {
  it('lists every elected replica with its fail-over time, as HTML and JSON', async () => {
    const cfg = validateConfig(distributorConfigSchema, { ha_tracker: { enable_ha_tracker: true } });
    const tracker = new HATracker(cfg.ha_tracker, new Registry(), { memoryStore: randomUUID(), random: () => 0, now: () => NOW });
    await tracker.start();
    try {
      await tracker.checkReplica('team-b', 'prom-2', 'r1', 0, NOW - 10_000);
      await tracker.checkReplica('team-a', 'prom-1', 'r2', 0, NOW);
      assert.deepEqual(haStatus(tracker, NOW).map((r) => [r.tenant, r.cluster, r.replica, r.failover_in_seconds]), [
        ['team-a', 'prom-1', 'r2', 30],
        ['team-b', 'prom-2', 'r1', 20],
      ]);
      const app = Fastify();
      registerHAStatusPage(app, tracker);
      const json = await app.inject({ url: '/distributor/ha_tracker', headers: { accept: 'application/json' } });
      assert.equal((json.json() as { clusters: unknown[] }).clusters.length, 2);
      const html = await app.inject({ url: '/distributor/ha_tracker' });
      assert.match(html.body, /<td>team-a<\/td><td>prom-1<\/td><td>r2<\/td>/);
      await app.close();
    } finally {
      await tracker.stop();
    }
  });

  it('answers with no clusters when the tracker is off', async () => {
    const app = Fastify();
    registerHAStatusPage(app, undefined);
    assert.deepEqual((await app.inject({ url: '/distributor/ha_tracker?format=json' })).json(), { enabled: false, clusters: [] });
    await app.close();
  });
});
