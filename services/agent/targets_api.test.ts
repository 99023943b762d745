import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nopLogger } from '../../libs/log/index.ts';
import { ScrapeManager } from '../../libs/scrape/index.ts';
import { CollectingAppendable, scrapeConfig, startExpositionServer } from '../../libs/scrape/testing.ts';
import type { ExpositionServer } from '../../libs/scrape/testing.ts';
import { Server, createMetricsRegistry, serverConfigSchema } from '../../libs/server/index.ts';
import { validateConfig } from '../../libs/services/index.ts';
import { registerTargetRoutes, rfc3339Nano } from './targets_api.ts';

describe('targets API', () => {
  let srv: ExpositionServer;
  let server: Server;
  let manager: ScrapeManager;
  let app: CollectingAppendable;
  let base: string;

  before(async () => {
    srv = await startExpositionServer('# HELP up_things Things that are up.\n# TYPE up_things gauge\nup_things 3\n');
    app = new CollectingAppendable();
    manager = new ScrapeManager({ appendable: app });
    await manager.applyConfig([
      scrapeConfig({ jobName: 'node', scrapeInterval: 100, scrapeTimeout: 80, relabelConfigs: [{ action: 'drop', source_labels: ['__address__'], regex: 'gone:.*' }] }),
      scrapeConfig({ jobName: 'other' }),
    ]);
    await manager.sync('node', [{ source: '0', targets: [{ __address__: srv.address, __meta_x: 'y' }, { __address__: 'gone:1' }], labels: { env: 'e' } }]);
    await manager.start();
    await app.waitFor(() => app.of('up_things').length > 0, 10_000, 'a scrape');
    const config = validateConfig(serverConfigSchema, { http_listen_address: '127.0.0.1', http_listen_port: 0 });
    server = new Server(config, { logger: nopLogger, registry: createMetricsRegistry({ version: 't', revision: 't', branch: 't' }), readiness: () => ({ ready: true, reason: '' }) });
    registerTargetRoutes(server, manager);
    await server.start();
    base = `http://127.0.0.1:${server.address()!.port}`;
  });
  after(async () => {
    await server.stop();
    await manager.stop();
    await srv.close();
  });

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(base + path, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : await res.text() };
  };

  it("answers /api/v1/targets in Prometheus' shape", async () => {
    const { status, body } = await get('/api/v1/targets');
    assert.equal(status, 200);
    const b = body as { status: string; data: { activeTargets: Record<string, unknown>[]; droppedTargets: unknown[]; droppedTargetCounts: unknown } };
    assert.equal(b.status, 'success');
    assert.deepEqual(Object.keys(b.data), ['activeTargets', 'droppedTargets', 'droppedTargetCounts']);
    assert.equal(b.data.activeTargets.length, 1);
    const t = b.data.activeTargets[0]!;
    assert.deepEqual(Object.keys(t), ['discoveredLabels', 'labels', 'scrapePool', 'scrapeUrl', 'globalUrl', 'lastError', 'lastScrape', 'lastScrapeDuration', 'health', 'scrapeInterval', 'scrapeTimeout']);
    assert.deepEqual(t.discoveredLabels, {
      __address__: srv.address,
      __meta_x: 'y',
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      __scrape_interval__: '100ms',
      __scrape_timeout__: '80ms',
      env: 'e',
      job: 'node',
    });
    assert.deepEqual(t.labels, { env: 'e', instance: srv.address, job: 'node' });
    assert.equal(t.scrapePool, 'node');
    assert.equal(t.scrapeUrl, `http://${srv.address}/metrics`);
    assert.match(t.globalUrl as string, new RegExp(`:${srv.port}/metrics$`));
    assert.equal(t.lastError, '');
    assert.match(t.lastScrape as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(typeof t.lastScrapeDuration, 'number');
    assert.equal(t.health, 'up');
    assert.equal(t.scrapeInterval, '100ms');
    assert.equal(t.scrapeTimeout, '80ms');
    assert.deepEqual(b.data.droppedTargets, [
      {
        discoveredLabels: { __address__: 'gone:1', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '100ms', __scrape_timeout__: '80ms', env: 'e', job: 'node' },
        scrapePool: 'node',
      },
    ]);
    assert.deepEqual(b.data.droppedTargetCounts, { node: 1, other: 0 });
  });

  it('filters by state and scrapePool', async () => {
    const active = (await get('/api/v1/targets?state=active')).body as { data: { activeTargets: unknown[]; droppedTargets: unknown[] } };
    assert.equal(active.data.activeTargets.length, 1);
    assert.deepEqual(active.data.droppedTargets, []);
    const dropped = (await get('/api/v1/targets?state=dropped')).body as { data: { activeTargets: unknown[]; droppedTargets: unknown[] } };
    assert.deepEqual(dropped.data.activeTargets, []);
    assert.equal(dropped.data.droppedTargets.length, 1);
    const other = (await get('/api/v1/targets?scrapePool=other')).body as { data: { activeTargets: unknown[]; droppedTargets: unknown[]; droppedTargetCounts: unknown } };
    assert.deepEqual(other.data, { activeTargets: [], droppedTargets: [], droppedTargetCounts: { other: 0 } });
    assert.equal((await get('/api/v1/targets?state=nope')).status, 400);
  });

  it('answers /api/v1/targets/metadata', async () => {
    const { body } = await get(`/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="node"}')}&metric=up_things`);
    assert.deepEqual(body, {
      status: 'success',
      data: [{ target: { env: 'e', instance: srv.address, job: 'node' }, metric: 'up_things', type: 'gauge', help: 'Things that are up.', unit: '' }],
    });
    const none = (await get(`/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="other"}')}`)).body as { data: unknown[] };
    assert.deepEqual(none.data, []);
  });

  it('serves an HTML targets page', async () => {
    const { status, body } = await get('/targets');
    assert.equal(status, 200);
    const html = body as string;
    assert.match(html, /<title>Targets<\/title>/);
    assert.ok(html.includes(`http://${srv.address}/metrics`));
    assert.ok(html.includes('UP'));
    assert.ok(html.includes('__meta_x=&quot;y&quot;'));
    assert.ok(html.includes('DROPPED'));
  });

  it('formats times like Go', () => {
    assert.equal(rfc3339Nano(0), '0001-01-01T00:00:00Z');
    assert.equal(rfc3339Nano(Date.UTC(2017, 0, 17, 14, 7, 44, 720)), '2017-01-17T14:07:44.72Z');
    assert.equal(rfc3339Nano(Date.UTC(2017, 0, 17, 14, 7, 44)), '2017-01-17T14:07:44Z');
  });
});
